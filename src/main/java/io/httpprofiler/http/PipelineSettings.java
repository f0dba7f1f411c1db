package io.httpprofiler.http;

import io.httpprofiler.stream.ReassemblySettings;

import java.time.Duration;

/**
 * Limits of an {@link HttpPipeline}. Every buffer the pipeline holds is bounded by these.
 *
 * @param maxBody               body bytes kept per message (and the most a gzip/deflate body is decoded to for
 *                              display); the exact body size is always reported
 * @param maxConnections        connections tracked at once; beyond it the least recently active one is dropped
 * @param connectionBufferBytes bytes one connection may hold: out-of-order data, split heads, kept bodies of pending
 *                              requests and of the response being read
 * @param totalBufferBytes      bytes all connections together may hold
 * @param maxPendingRequests    requests per connection waiting for their responses (pipelining); beyond it the oldest
 *                              is reported without response
 * @param idleTimeout           a connection without events for this long is ended (its pending exchanges reported as
 *                              incomplete) by {@link HttpPipeline#expire(long)}
 * @param reorderWindow         how long data that arrived ahead of a hole waits for the hole to fill
 */
public record PipelineSettings(int maxBody, int maxConnections, long connectionBufferBytes, long totalBufferBytes,
                               int maxPendingRequests, Duration idleTimeout, Duration reorderWindow) {
    /**
     * 8 KiB: four times what the transcript shows of a body (2 KiB), whole for the usual API payload in the JSON Lines
     * and HAR, and what the kernel copies of a longer one. It was 64 KiB; with 64 KiB responses at 10k req/s that
     * meant ~1.3 GB/s through the ring for both ends, more than two cores carry beside the app (68% recorded, CPU
     * +189%, 141 MB). --max-body raises it where whole large bodies matter.
     */
    public static final int DEFAULT_MAX_BODY = 8 * 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 16_384;
    public static final long DEFAULT_CONNECTION_BUFFER_BYTES = 4L << 20;
    public static final long DEFAULT_TOTAL_BUFFER_BYTES = 256L << 20;
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 64;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    public static final Duration DEFAULT_REORDER_WINDOW = Duration.ofMillis(200);
    /** Largest max body accepted: kept bodies live in byte arrays. */
    public static final int MAX_MAX_BODY = 1 << 30;

    public PipelineSettings {
        if (maxBody < 0 || maxBody > MAX_MAX_BODY) {
            throw new IllegalArgumentException("max body must be between 0 and " + MAX_MAX_BODY + " bytes: " + maxBody);
        }
        if (maxPendingRequests < 1) {
            throw new IllegalArgumentException("max pending requests must be at least 1: " + maxPendingRequests);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || reorderWindow.isNegative()) {
            throw new IllegalArgumentException("idle timeout must be positive and reorder window not negative");
        }
        // The remaining checks are the reassembly's.
        new ReassemblySettings(maxConnections, connectionBufferBytes, totalBufferBytes, idleTimeout.toNanos(),
                reorderWindow.toNanos());
    }

    public static PipelineSettings defaults() {
        return new PipelineSettings(DEFAULT_MAX_BODY, DEFAULT_MAX_CONNECTIONS, DEFAULT_CONNECTION_BUFFER_BYTES,
                DEFAULT_TOTAL_BUFFER_BYTES, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_IDLE_TIMEOUT, DEFAULT_REORDER_WINDOW);
    }

    /**
     * These settings with another max body. The buffer caps grow with it when needed, so that a connection can still
     * hold a request's and a response's kept bodies several times over (and the total several such connections).
     */
    public PipelineSettings withMaxBody(long bytes) {
        if (bytes < 0 || bytes > MAX_MAX_BODY) {
            throw new IllegalArgumentException("max body must be between 0 and " + MAX_MAX_BODY + " bytes: " + bytes);
        }
        long connection = Math.max(connectionBufferBytes, 4 * bytes + (1 << 20));
        long total = Math.max(totalBufferBytes, 4 * connection);
        return new PipelineSettings((int) bytes, maxConnections, connection, total, maxPendingRequests, idleTimeout,
                reorderWindow);
    }

    ReassemblySettings reassembly() {
        return new ReassemblySettings(maxConnections, connectionBufferBytes, totalBufferBytes, idleTimeout.toNanos(),
                reorderWindow.toNanos());
    }
}
