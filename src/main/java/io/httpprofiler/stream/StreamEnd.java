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
    STOPPED
}
