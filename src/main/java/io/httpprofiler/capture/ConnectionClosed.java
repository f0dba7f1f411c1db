package io.httpprofiler.capture;

/**
 * close() on a tracked connection's fd; {@code egressBytes} and {@code ingressBytes} are the kernel's final positions;
 * {@code loss} says what a full ring took from the connection before this record.
 */
public record ConnectionClosed(long timestampNanos, ConnectionId connection, int tid, long egressBytes, long ingressBytes,
                               LossNotice loss) implements CaptureEvent {

    public ConnectionClosed(long timestampNanos, ConnectionId connection, int tid, long egressBytes, long ingressBytes) {
        this(timestampNanos, connection, tid, egressBytes, ingressBytes, LossNotice.NONE);
    }
}
