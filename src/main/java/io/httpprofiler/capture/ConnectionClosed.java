package io.httpprofiler.capture;

/** close() on a tracked connection's fd; {@code egressBytes} and {@code ingressBytes} are the kernel's final positions. */
public record ConnectionClosed(long timestampNanos, ConnectionId connection, int tid, long egressBytes, long ingressBytes)
        implements CaptureEvent {
}
