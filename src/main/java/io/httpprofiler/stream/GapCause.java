package io.httpprofiler.stream;

import io.httpprofiler.capture.MarkerReason;

/**
 * Why bytes of a stream will never be delivered. {@link #LOST} is the only loss: the kernel's position jumped with no
 * record saying why (the ring buffer was full, or a record was dropped). Every other cause is a marker from the kernel:
 * the bytes moved but were deliberately or necessarily not copied.
 */
public enum GapCause {
    /** No record explains the bytes: lost (ring buffer full) or not copied for a reason the marker did not give. */
    LOST,
    /** Sent with sendfile: never in user memory, not capturable by design. */
    SENDFILE,
    /** Past the per-call capture cap. */
    CAPTURE_LIMIT,
    /** A body past --max-body that nobody keeps. */
    SKIPPED,
    /** User memory the kernel could not read. */
    UNREADABLE;

    /** The cause a marker record gives. */
    static GapCause of(MarkerReason reason) {
        return switch (reason) {
            case SENDFILE -> SENDFILE;
            case CAPTURE_LIMIT -> CAPTURE_LIMIT;
            case SKIPPED -> SKIPPED;
            case UNREADABLE -> UNREADABLE;
            case NONE -> LOST;
        };
    }

    /** The bytes were lost rather than not copied on purpose or by design. */
    public boolean isLoss() {
        return this == LOST;
    }
}
