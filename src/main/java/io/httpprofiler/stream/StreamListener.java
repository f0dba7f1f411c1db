package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.Direction;

/**
 * Receives one connection's two byte streams in order. Positions are the kernel's stream offsets; every byte between
 * the first and the last position of a direction is reported exactly once, either as data or as part of a gap.
 */
public interface StreamListener {

    /** The connection's start was seen; may come after data (or never) when the start was not observed. */
    void onOpened(ConnectionOpened opened);

    /**
     * In-order bytes {@code data[offset, offset + length)} starting at stream {@code position}. The array belongs to
     * the capture event: read it during the call, copy what must outlive it.
     */
    void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos, int tid);

    /**
     * {@code length} bytes starting at {@code position} will never be delivered; {@code cause} says whether they were
     * lost or why they were not copied.
     */
    void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos);

    /**
     * Records of {@code direction} were lost (ring full) before the record being delivered in the other direction. The
     * bytes they held show as a gap once that direction's next record or the close arrives; until then, this says that
     * messages in {@code direction} may be missing, so that what the other direction says is not paired as if none
     * were.
     */
    default void onRecordsLost(Direction direction, long timestampNanos) {
    }

    /** No more callbacks follow. Everything the listener reserved from its budget is released after this returns. */
    void onEnd(StreamEnd reason, long timestampNanos);
}
