package io.httpprofiler.http;

import io.httpprofiler.capture.Direction;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamEnd;

/**
 * One protocol's reading of a connection's two byte streams, from the point its {@link HttpConnection} handed them over:
 * {@link Http1Session} or {@link Http2Session}. Same contract as the stream listener's calls it receives.
 */
interface ProtocolSession {

    void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos, int tid);

    void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos);

    /**
     * Records of the other direction were lost just before this point (the kernel said so on a later record): what is
     * pending may have lost its answer. HTTP/2 learns of its losses from the position gaps alone.
     */
    default void onRecordsLost(Direction direction, long timestampNanos) {
    }

    /** No more calls follow: pending exchanges are delivered as incomplete. */
    void onEnd(StreamEnd reason, long timestampNanos);
}
