package io.httpprofiler.stream;

/** Why a connection's streams ended. Only {@link #CLOSED} means the peer finished: it ends close-delimited messages. */
public enum StreamEnd {
    /** close() was seen, or the fd was reused by a newer connection (which implies the close). */
    CLOSED,
    /** No event for longer than the idle timeout. */
    IDLE,
    /** Dropped to make room for a newer connection (tracking limit). */
    SHED,
    /** The profiler is stopping. */
    STOPPED,
    /**
     * The fd was reused by a newer connection whose first record says the close of this one was lost (ring full): it
     * closed, but its final positions, and so whether bytes were lost before the close, are unknown.
     */
    CLOSE_LOST;

    /** The end itself was lost with data: what was still incomplete may have lost bytes. */
    public boolean afterLoss() {
        return this == CLOSE_LOST;
    }
}
