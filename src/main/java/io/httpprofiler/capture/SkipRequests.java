package io.httpprofiler.capture;

import java.util.function.Consumer;

/**
 * The pipeline's requests not to copy ranges of a stream (bytes of a body past {@code --max-body}), held for one more
 * turn of the capture loop after the one that made them and then passed to the kernel, less those the records of
 * those turns showed to be needless.
 *
 * <p>Most are needless: when the parser learns a body's length from its head, the kernel has usually learned it too
 * (its own look at a head, which sets the same range and announces it with a {@link MarkerReason#SKIPPED} marker at the
 * range's start, in the call that reaches it), or the body went by without being copied at all (sendfile: a marker
 * covering all of it). Those markers follow the head's record in the ring, in the same turn or the next. Each request
 * the kernel gets costs a {@code bpf(2)} call through JNA; with 64 KiB responses at 10k requests/s, passing every one on
 * took a tenth of the profiler's time. Holding one costs two poll intervals at most (a few ms when records are
 * flowing), while the later calls of the body it is meant for are mostly still ahead; those already behind were copied
 * whatever it said.
 *
 * <p>At most {@link #MAX_HELD} are held; one more passes them all on at once.
 */
final class SkipRequests {
    /** Requests held at once; one more and they all go to the kernel. */
    static final int MAX_HELD = 256;

    /** One request: bytes [from, until) of a connection's direction. */
    record Request(ConnectionId connection, Direction direction, long from, long until) {
    }

    /** In the order made; null where one was found needless. */
    private final Request[] held = new Request[MAX_HELD];
    /** The turn each was made in. */
    private final long[] madeIn = new long[MAX_HELD];
    private int count;
    private long turn;
    private long passed;
    private long dropped;
    private final Consumer<Request> kernel;

    /** @param kernel sets one range in the kernel's map */
    SkipRequests(Consumer<Request> kernel) {
        this.kernel = kernel;
    }

    void add(ConnectionId connection, Direction direction, long from, long until) {
        if (count == MAX_HELD) {
            passOn(Long.MAX_VALUE);
        }
        held[count] = new Request(connection, direction, from, until);
        madeIn[count++] = turn;
    }

    /**
     * A marker from the ring: the kernel did not copy {@code callSize} bytes at {@code position}. A held request for the
     * same stream is dropped when the marker says the kernel skips from the request's start on (its own range), or
     * when the uncopied bytes cover the request's whole range (nothing of it is left to come).
     */
    void marker(ConnectionId connection, Direction direction, long position, long callSize, MarkerReason reason) {
        for (int i = 0; i < count; i++) {
            Request request = held[i];
            if (request == null || request.direction() != direction || !request.connection().equals(connection)) {
                continue;
            }
            boolean kernelSkipsFromThere = reason == MarkerReason.SKIPPED && position == request.from();
            boolean allGoneBy = position <= request.from() && position + callSize >= request.until();
            if (kernelSkipsFromThere || allGoneBy) {
                held[i] = null; // a hole, so that what is left keeps its order
                dropped++;
            }
        }
    }

    /** The end of a turn: what was made before this turn goes to the kernel now; this turn's wait for the next. */
    void endTurn() {
        passOn(turn);
        turn++;
    }

    /**
     * Passes on, in the order made, every request made before turn {@code before} (the kernel keeps one range per
     * stream, and the later request is the one that must stay); keeps the rest, in order.
     */
    private void passOn(long before) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            Request request = held[i];
            held[i] = null;
            if (request == null) {
                continue;
            }
            if (madeIn[i] < before) {
                kernel.accept(request);
                passed++;
            } else {
                held[kept] = request;
                madeIn[kept++] = madeIn[i];
            }
        }
        count = kept;
    }

    /** Requests passed on to the kernel so far. */
    long passed() {
        return passed;
    }

    /** Requests found needless so far. */
    long dropped() {
        return dropped;
    }
}
