package io.httpprofiler.stream;

/**
 * Accounting of every byte the pipeline holds on to between events: out-of-order data waiting for its predecessors,
 * partial message heads, kept bodies. One budget caps the total; each connection draws from it through its own
 * {@link ConnectionBudget}, which adds a per-connection cap. Nothing is ever allocated on credit: a holder reserves
 * first and degrades (stops waiting, stops keeping) when refused.
 */
public final class BufferBudget {
    private final long limit;
    private long used;
    private long peak;
    private long refusedBytes;

    public BufferBudget(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("negative buffer limit: " + limit);
        }
        this.limit = limit;
    }

    /** A budget for one connection, capped at {@code connectionLimit} bytes and by what is left of this total. */
    public ConnectionBudget forConnection(long connectionLimit) {
        return new ConnectionBudget(this, connectionLimit);
    }

    boolean tryReserve(long bytes) {
        if (used + bytes > limit) {
            refusedBytes += bytes;
            return false;
        }
        used += bytes;
        if (used > peak) {
            peak = used;
        }
        return true;
    }

    void refused(long bytes) {
        refusedBytes += bytes;
    }

    void release(long bytes) {
        used -= bytes;
    }

    public long limit() {
        return limit;
    }

    /** Bytes currently reserved by all connections. */
    public long used() {
        return used;
    }

    public long peak() {
        return peak;
    }

    /** Total size of the reservations that were refused because a cap was reached. */
    public long refusedBytes() {
        return refusedBytes;
    }
}
