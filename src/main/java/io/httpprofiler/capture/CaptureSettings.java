package io.httpprofiler.capture;

import java.util.Set;

/**
 * What the kernel side captures and how.
 *
 * @param attachMode        kprobes, tracepoints or auto
 * @param pids              only these processes (empty: all)
 * @param ports             only connections with one of these local or remote ports (empty: all)
 * @param netnsInode        only sockets in this network namespace (0: all)
 * @param ringBytes         ring buffer size, a power of two multiple of the page size
 * @param maxCapturePerCall bytes copied from one socket call at most; the rest is counted
 * @param wakeupBytes       the kernel wakes the reader once this much is waiting (0: for every record)
 * @param maxBody           body bytes user space keeps ({@code --max-body}): past them, a Content-Length body the kernel
 *                          finds at the start of a large call is counted, not copied ({@link #EVERY_BODY_WHOLE}: copied)
 * @param tls               TLS plaintext through uprobes on TLS libraries, and TLS connections marked ({@code --tls auto});
 *                          false: TLS bytes are captured like any other ({@code --tls off})
 */
public record CaptureSettings(AttachMode attachMode, Set<Integer> pids, Set<Integer> ports, long netnsInode,
                              int ringBytes, int maxCapturePerCall, int wakeupBytes, long maxBody, boolean tls) {
    public static final int DEFAULT_RING_BYTES = 16 * 1024 * 1024;
    /** Ring sizes: a page at least; at most the largest power of two an int holds (the kernel takes more). */
    public static final int MIN_RING_BYTES = 4096;
    public static final int MAX_RING_BYTES = 1 << 30;
    public static final int DEFAULT_MAX_CAPTURE_PER_CALL = 1024 * 1024;
    /**
     * The reader works best in large batches, and keeps up best when woken often. Woken at 256 KiB (~100 times a second
     * at 10k req/s with 1 KiB responses, both ends) the profiler took 18.0 us per request, at 1 MiB 14.8 us, at 4 MiB
     * 15.1 us, and 13.7 us with the loop's longest sleep raised to 100 ms as well (interleaved rounds, nginx + wrk on
     * the same 2 cores): each wake-up starts on caches that nginx and wrk have filled since. But at 4 MiB a reader
     * that slept through a burst on a busy machine fell behind: `make bench` lost records to a full ring in 4 of its
     * 12 runs of 1 KiB and 64 KiB responses, among them a paced one that 256 KiB had recorded whole. 1 MiB kept every
     * paced and 1 KiB run whole (bench/runs/).
     */
    public static final int DEFAULT_WAKEUP_BYTES = 1024 * 1024;
    /** No body is too long to copy whole. */
    public static final long EVERY_BODY_WHOLE = Long.MAX_VALUE;

    public CaptureSettings {
        pids = Set.copyOf(pids);
        ports = Set.copyOf(ports);
        if (ringBytes < MIN_RING_BYTES || ringBytes > MAX_RING_BYTES || Integer.bitCount(ringBytes) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two between " + MIN_RING_BYTES + " and "
                    + MAX_RING_BYTES + " bytes: " + ringBytes);
        }
        if (maxBody < 0) {
            throw new IllegalArgumentException("max body must not be negative: " + maxBody);
        }
    }

    /** Settings without an opinion on TLS: it is on. */
    public CaptureSettings(AttachMode attachMode, Set<Integer> pids, Set<Integer> ports, long netnsInode,
                           int ringBytes, int maxCapturePerCall, int wakeupBytes, long maxBody) {
        this(attachMode, pids, ports, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody, true);
    }

    public static CaptureSettings defaults() {
        return new CaptureSettings(AttachMode.AUTO, Set.of(), Set.of(), 0, DEFAULT_RING_BYTES,
                DEFAULT_MAX_CAPTURE_PER_CALL, DEFAULT_WAKEUP_BYTES, EVERY_BODY_WHOLE, true);
    }

    public CaptureSettings withTls(boolean on) {
        return new CaptureSettings(attachMode, pids, ports, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody,
                on);
    }

    public CaptureSettings withAttachMode(AttachMode mode) {
        return new CaptureSettings(mode, pids, ports, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody, tls);
    }

    public CaptureSettings withPids(Set<Integer> onlyPids) {
        return new CaptureSettings(attachMode, onlyPids, ports, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody, tls);
    }

    public CaptureSettings withPorts(Set<Integer> onlyPorts) {
        return new CaptureSettings(attachMode, pids, onlyPorts, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody, tls);
    }

    public CaptureSettings withNetnsInode(long inode) {
        return new CaptureSettings(attachMode, pids, ports, inode, ringBytes, maxCapturePerCall, wakeupBytes, maxBody, tls);
    }

    public CaptureSettings withRingBytes(int bytes) {
        return new CaptureSettings(attachMode, pids, ports, netnsInode, bytes, maxCapturePerCall, wakeupBytes, maxBody, tls);
    }

    public CaptureSettings withWakeupBytes(int bytes) {
        return new CaptureSettings(attachMode, pids, ports, netnsInode, ringBytes, maxCapturePerCall, bytes, maxBody, tls);
    }

    public CaptureSettings withMaxBody(long bytes) {
        return new CaptureSettings(attachMode, pids, ports, netnsInode, ringBytes, maxCapturePerCall, wakeupBytes, bytes, tls);
    }
}
