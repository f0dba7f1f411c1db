package io.httpprofiler.capture;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns "bytes {@code [from, to)} of this stream are not needed" into the kernel's skip entry, which only says "do not
 * copy before {@code until}" and applies from the kernel's current position on. So the entry must not reach the kernel
 * before the stream has passed {@code from}: the head of a body (the part that is kept) is usually still to come when
 * the body's length becomes known, and the kernel would skip it too (seen: a 2 MB upload recorded with body_size 0, no
 * body kept, and a fake 2 MB "gap"). A request therefore waits until a record of that stream ends at or past
 * {@code from}; the kernel's position is then past it as well. (The kernel marks the bytes it skips with an empty
 * record, so the end of the skipped range is known as soon as the sender gets there.)
 *
 * <p>Single-threaded: call everything from the capture loop, {@link #observe} before handing the event to the pipeline.
 */
public final class SkipRequests {
    /** Requests waiting for their stream to reach {@code from}; beyond this many the oldest are forgotten. */
    static final int MAX_WAITING = 4096;

    /** Writes one skip entry into the kernel: don't copy before {@code until} (see {@link KernelProbe#skipUntil}). */
    @FunctionalInterface
    public interface Kernel {
        void skipUntil(ConnectionId connection, Direction direction, long until);
    }

    private record Key(ConnectionId connection, Direction direction) {
    }

    private record Range(long from, long to) {
    }

    private final Kernel kernel;
    private final Map<Key, Range> waiting = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Range> eldest) {
            return size() > MAX_WAITING;
        }
    };
    private CaptureEvent current;

    public SkipRequests(Kernel kernel) {
        this.kernel = kernel;
    }

    /** The event about to be handed to the pipeline (requests made while it is handled are judged by it). */
    public void observe(CaptureEvent event) {
        current = event;
        if (waiting.isEmpty()) {
            return;
        }
        if (event instanceof DataEvent data) {
            Key key = new Key(data.connection(), data.direction());
            Range range = waiting.get(key);
            if (range != null && data.end() >= range.from()) {
                waiting.remove(key);
                send(key, range.to());
            }
        } else if (event instanceof ConnectionClosed closed) {
            waiting.remove(new Key(closed.connection(), Direction.EGRESS));
            waiting.remove(new Key(closed.connection(), Direction.INGRESS));
        }
    }

    /** Bytes in {@code [from, to)} of this stream are not needed ({@code to == Long.MAX_VALUE}: nothing more is). */
    public void request(ConnectionId connection, Direction direction, long from, long to) {
        Key key = new Key(connection, direction);
        if (current instanceof DataEvent data && data.connection().equals(connection)
                && data.direction() == direction && data.end() >= from) {
            waiting.remove(key);
            send(key, to);
        } else {
            waiting.put(key, new Range(from, to));
        }
    }

    private void send(Key key, long to) {
        kernel.skipUntil(key.connection(), key.direction(), to);
    }

    /** Requests still waiting (for tests and stats). */
    public int waiting() {
        return waiting.size();
    }
}
