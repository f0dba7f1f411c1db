package io.httpprofiler.stream;

import io.httpprofiler.capture.Direction;

/** What a listener may ask of the reassembly for its connection. */
public interface StreamControl {

    /** The buffer budget the listener must reserve from before holding on to bytes. */
    ConnectionBudget budget();

    /**
     * Bytes in {@code [fromPosition, toPosition)} of {@code direction} are not wanted and may never arrive (the capture
     * side was asked to skip them): a jump over them is reported as a gap at once instead of being waited for as
     * out-of-order data. {@code toPosition == Long.MAX_VALUE} covers the rest of the stream. Replaces any earlier
     * range.
     */
    void expectMissing(Direction direction, long fromPosition, long toPosition);
}
