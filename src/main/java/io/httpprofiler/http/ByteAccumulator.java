package io.httpprofiler.http;

import io.httpprofiler.stream.ConnectionBudget;

import java.util.Arrays;

/**
 * Collects the bytes of a head or line that is split across capture records (the common case is parsed in place and
 * never lands here). Its capacity is reserved from the connection's budget.
 */
final class ByteAccumulator {
    private static final byte[] NO_BYTES = new byte[0];
    private static final int INITIAL_CAPACITY = 256;
    /** Kept between messages to avoid reallocating; larger buffers are returned to the budget. */
    private static final int RETAINED_CAPACITY = 1024;

    private final ConnectionBudget budget;
    private byte[] bytes = NO_BYTES;
    private int length;

    ByteAccumulator(ConnectionBudget budget) {
        this.budget = budget;
    }

    /** Appends, or returns false (appending nothing) when the budget refuses the room. */
    boolean append(byte[] source, int offset, int count) {
        int needed = length + count;
        if (needed > bytes.length) {
            int capacity = Math.max(needed, Math.max(INITIAL_CAPACITY, 2 * bytes.length));
            if (!budget.tryReserve(capacity - bytes.length)) {
                return false;
            }
            bytes = Arrays.copyOf(bytes, capacity);
        }
        System.arraycopy(source, offset, bytes, length, count);
        length = needed;
        return true;
    }

    byte[] array() {
        return bytes;
    }

    int length() {
        return length;
    }

    boolean isEmpty() {
        return length == 0;
    }

    void clear() {
        length = 0;
        if (bytes.length > RETAINED_CAPACITY) {
            release();
        }
    }

    void release() {
        budget.release(bytes.length);
        bytes = NO_BYTES;
        length = 0;
    }
}
