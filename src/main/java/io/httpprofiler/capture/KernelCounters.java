package io.httpprofiler.capture;

/** The kernel side's loss and cost counters, summed over CPUs (see {@code enum counter} in bpf/http_probe.h). */
public record KernelCounters(long ringFullRecords, long ringFullBytes, long connectionTableFull, long cappedBytes,
                             long skippedBytes, long unreadableBytes) {
    public static final KernelCounters ZERO = new KernelCounters(0, 0, 0, 0, 0, 0);
}
