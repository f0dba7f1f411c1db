package io.httpprofiler.capture;

/**
 * One decoded record from the kernel. Timestamps are wall-clock nanoseconds since the epoch (converted from the kernel's
 * monotonic clock by the decoder).
 */
public sealed interface CaptureEvent permits ConnectionOpened, DataEvent, ConnectionClosed {
    long timestampNanos();

    ConnectionId connection();

    /** What a full ring buffer took from this connection before this record. */
    LossNotice loss();
}
