package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Direction;

/**
 * Told which stream bytes the pipeline will never look at, so that the capture side may stop copying them: bytes of a
 * body beyond the max body once its length is known, and everything after a connection stopped being HTTP/1.x
 * (upgraded, tunnelled, or not HTTP at all; then {@code toPosition} is {@link Long#MAX_VALUE}). Skipped bytes may still
 * arrive; they are ignored. Called on the pipeline's thread.
 */
@FunctionalInterface
public interface BodySkipListener {
    BodySkipListener NONE = (connection, direction, fromPosition, toPosition) -> { };

    /** Bytes in {@code [fromPosition, toPosition)} of {@code direction} are not needed. */
    void skip(ConnectionId connection, Direction direction, long fromPosition, long toPosition);
}
