package io.httpprofiler.http;

import io.httpprofiler.stream.ConnectionBudget;
import io.httpprofiler.stream.GapCause;

import java.util.Arrays;

/**
 * One message body as it streams past: its exact size (bytes seen plus bytes lost), and a copy of its first bytes up to
 * the keep limit, reserved from the connection's budget. Bytes beyond the limit are counted, never copied. The kept
 * bytes are always a prefix of the body: after a hole in that prefix nothing more is kept.
 */
final class BodyBuffer {
    private static final byte[] NO_BYTES = new byte[0];
    private static final int MIN_CAPACITY = 1024;

    private final int keepLimit;
    private final ConnectionBudget budget;
    private byte[] kept = NO_BYTES;
    private int keptLength;
    private long size;
    private long missingInKeptRange;
    private GapCause missingCause;
    private boolean keeping;
    /** Counts the Server-Sent Events of a body that may be reported in progress; null unless asked for. */
    private EventStreamCounter events;

    BodyBuffer(int keepLimit, ConnectionBudget budget) {
        this.keepLimit = keepLimit;
        this.budget = budget;
        this.keeping = keepLimit > 0;
    }

    /** Sizes the copy for a body whose length is announced, to avoid growing it step by step. */
    void expect(long length) {
        if (keeping && kept.length == 0 && length > 0) {
            reserveCapacity((int) Math.min(length, keepLimit));
        }
    }

    void append(byte[] bytes, int offset, int length) {
        if (events != null) {
            events.append(bytes, offset, length);
        }
        size += length;
        if (!keeping) {
            return;
        }
        int take = Math.min(length, keepLimit - keptLength);
        if (take <= 0) {
            keeping = false;
            return;
        }
        if (keptLength + take > kept.length && !grow(keptLength + take)) {
            take = kept.length - keptLength;
        }
        System.arraycopy(bytes, offset, kept, keptLength, take);
        keptLength += take;
    }

    /** {@code length} bytes of the body were not captured, for {@code cause}. */
    void gap(long length, GapCause cause) {
        if (events != null) {
            events.gap();
        }
        if (keeping && keptLength < keepLimit) {
            missingInKeptRange += Math.min(length, keepLimit - keptLength);
            missingCause = cause;
            keeping = false;
        }
        size += length;
    }

    /** Counts the Server-Sent Events of the body from its first byte on (see {@link #events()}). */
    void countEvents() {
        if (events == null && size == 0) {
            events = new EventStreamCounter();
        }
    }

    /**
     * The Server-Sent Events in the body so far; -1 when unknown. Counted from the first byte when
     * {@link #countEvents()} was called before it; otherwise from the first call of this on, those in the bytes so far
     * counted from the kept bytes, which works when all of them were kept, and the count is unknown when not.
     */
    long events() {
        if (events == null) {
            events = new EventStreamCounter();
            if (keptLength == size) {
                events.append(kept, 0, keptLength);
            } else {
                events.gap();
            }
        }
        return events.count();
    }

    long size() {
        return size;
    }

    int keptLength() {
        return keptLength;
    }

    /**
     * Bytes of the gap that ended the kept prefix, as far as they would otherwise have been kept (a later gap falls
     * where nothing is kept any more: it is not counted here).
     */
    long missingInKeptRange() {
        return missingInKeptRange;
    }

    /** Why the bytes of {@link #missingInKeptRange()} are missing; null when none are. */
    GapCause missingCause() {
        return missingCause;
    }

    /** The kept bytes, exactly {@link #keptLength()} long; may be the internal array itself. */
    byte[] keptBytes() {
        return keptLength == kept.length ? kept : Arrays.copyOf(kept, keptLength);
    }

    /** Returns the kept bytes' reservation to the budget; the buffer keeps counting but holds nothing afterwards. */
    void release() {
        budget.release(kept.length);
        kept = NO_BYTES;
        keptLength = 0;
        keeping = false;
    }

    private boolean grow(int needed) {
        int capacity = Math.max(needed, Math.min(keepLimit, Math.max(MIN_CAPACITY, kept.length * 2)));
        if (reserveCapacity(capacity)) {
            return true;
        }
        keeping = false; // refused: keep what we have, a truncation the output will report
        return false;
    }

    private boolean reserveCapacity(int capacity) {
        if (!budget.tryReserve(capacity - kept.length)) {
            return false;
        }
        kept = Arrays.copyOf(kept, capacity);
        return true;
    }
}
