package io.httpprofiler.stream;

/**
 * The share of the {@link BufferBudget} one connection may hold. Both the reassembly (held out-of-order data) and the
 * protocol parser on top (partial heads, kept bodies) reserve from it; whatever is still reserved when the connection
 * ends is returned in one go, so a holder that forgets to release cannot leak budget past the connection's life.
 */
public final class ConnectionBudget {
    private final BufferBudget total;
    private final long limit;
    private long used;

    ConnectionBudget(BufferBudget total, long limit) {
        this.total = total;
        this.limit = limit;
    }

    /**
     * Reserves {@code bytes} if both this connection's cap and the total cap allow it; false (and nothing reserved) if
     * not.
     */
    public boolean tryReserve(long bytes) {
        if (used + bytes > limit) {
            total.refused(bytes);
            return false;
        }
        if (!total.tryReserve(bytes)) {
            return false;
        }
        used += bytes;
        return true;
    }

    public void release(long bytes) {
        long released = Math.min(bytes, used);
        used -= released;
        total.release(released);
    }

    /** Bytes this connection currently holds. */
    public long used() {
        return used;
    }

    public long limit() {
        return limit;
    }

    void releaseAll() {
        total.release(used);
        used = 0;
    }
}
