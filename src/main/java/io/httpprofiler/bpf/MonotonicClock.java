package io.httpprofiler.bpf;

import java.time.Instant;

/** CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads, so kernel timestamps can be turned into wall-clock time. */
public final class MonotonicClock {
    private MonotonicClock() {
    }

    public static long nowNanos() {
        long[] timespec = new long[2];
        LibC.INSTANCE.clock_gettime(LibC.CLOCK_MONOTONIC, timespec);
        return timespec[0] * 1_000_000_000L + timespec[1];
    }

    /** Add this to a CLOCK_MONOTONIC reading to get epoch nanoseconds (as of now; NTP slews are ignored). */
    public static long wallClockOffsetNanos() {
        Instant now = Instant.now();
        long monotonic = nowNanos();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() - monotonic;
    }
}
