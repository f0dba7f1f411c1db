package io.httpprofiler.capture;

/**
 * The kernel side's loss and cost counters, summed over CPUs (see {@code enum counter} in bpf/http_probe.h).
 * {@code tlsCallsWithoutSocket}: TLS library calls whose socket could not be told, so their plaintext was not copied.
 */
public record KernelCounters(long ringFullRecords, long ringFullBytes, long connectionTableFull, long cappedBytes,
                             long skippedBytes, long unreadableBytes, long tlsCallsWithoutSocket) {
    public static final KernelCounters ZERO = new KernelCounters(0, 0, 0, 0, 0, 0, 0);
}
