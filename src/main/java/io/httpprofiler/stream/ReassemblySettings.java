package io.httpprofiler.stream;

/**
 * Limits of the reassembly.
 *
 * @param maxConnections        connections tracked at once; beyond it the least recently active one is shed
 * @param connectionBufferBytes bytes one connection may hold (its share of {@code totalBufferBytes})
 * @param totalBufferBytes      bytes all connections together may hold
 * @param idleTimeoutNanos      a connection without events for this long is ended by {@link Reassembler#expire(long)}
 * @param reorderWindowNanos    how long data after a hole waits for the hole to be filled before the hole becomes a gap
 */
public record ReassemblySettings(int maxConnections, long connectionBufferBytes, long totalBufferBytes,
                                 long idleTimeoutNanos, long reorderWindowNanos) {
    public ReassemblySettings {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        if (connectionBufferBytes < 0 || totalBufferBytes < 0) {
            throw new IllegalArgumentException("buffer limits must not be negative");
        }
        if (idleTimeoutNanos <= 0 || reorderWindowNanos < 0) {
            throw new IllegalArgumentException("idle timeout must be positive and reorder window not negative");
        }
    }
}
