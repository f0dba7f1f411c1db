package io.httpprofiler.stream;

import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;

import java.util.ArrayList;

/**
 * Puts one direction of a connection back in order by stream position. In-order data (the normal case) goes straight
 * through without copying; data ahead of a hole is held, against the connection's budget, until the hole fills or is
 * given up on. Bytes that arrive twice are trimmed.
 *
 * <p>A record without data is a marker from the capture side: {@code callSize} bytes at {@code position} passed without
 * being copied (skipped or capped). It turns them into a gap at once, so that the end of a message whose tail was not
 * copied is known when it happens rather than when the next bytes arrive.
 */
final class DirectionStream {
    /** Records held ahead of one hole; beyond this the hole is not going to fill. */
    static final int MAX_HELD_EVENTS = 64;

    private final Direction direction;
    private final ConnectionBudget budget;
    private final ReassemblyCounters counters;
    private ArrayList<DataEvent> held;
    private long heldSinceNanos;
    private long next;
    private long missingFrom = -1;
    private long missingTo = -1;

    DirectionStream(Direction direction, ConnectionBudget budget, ReassemblyCounters counters) {
        this.direction = direction;
        this.budget = budget;
        this.counters = counters;
    }

    void accept(DataEvent event, StreamListener listener) {
        int length = event.data().length;
        if (length == 0 && event.callSize() <= 0) {
            return; // says nothing about the stream
        }
        if (coveredEnd(event) <= next) {
            counters.duplicateBytes += length;
            return;
        }
        if (event.position() > next && !expectedMissing(next, event.position())) {
            hold(event, listener);
            return;
        }
        deliver(event, listener);
        drain(listener);
    }

    boolean isHolding() {
        return held != null && !held.isEmpty();
    }

    long heldSinceNanos() {
        return heldSinceNanos;
    }

    /** Stops waiting for the hole: reports it as a gap and delivers everything held. */
    void giveUpWaiting(StreamListener listener) {
        giveUpWaitingBefore(Long.MAX_VALUE, listener);
    }

    private void giveUpWaitingBefore(long position, StreamListener listener) {
        while (isHolding() && held.get(0).position() < position) {
            DataEvent first = held.get(0);
            if (first.position() > next) {
                gap(first.position(), first.timestampNanos(), listener);
            }
            drain(listener);
        }
    }

    /** The connection closed with the kernel's final position for this direction; trailing lost bytes become a gap. */
    void close(long finalPosition, long timestampNanos, StreamListener listener) {
        giveUpWaiting(listener);
        if (finalPosition > next) {
            gap(finalPosition, timestampNanos, listener);
        }
    }

    void expectMissing(long fromPosition, long toPosition) {
        missingFrom = fromPosition;
        missingTo = toPosition;
    }

    private boolean expectedMissing(long from, long to) {
        return from >= missingFrom && to <= missingTo;
    }

    private void hold(DataEvent event, StreamListener listener) {
        int length = event.data().length;
        if ((held == null || held.size() < MAX_HELD_EVENTS) && budget.tryReserve(length)) {
            if (held == null) {
                held = new ArrayList<>(4);
            }
            if (held.isEmpty()) {
                heldSinceNanos = event.timestampNanos();
            }
            insertSorted(event);
            counters.reorderedEvents++;
            return;
        }
        // No room to wait: the holes before this record are not going to fill in time.
        giveUpWaitingBefore(event.position(), listener);
        if (coveredEnd(event) <= next) {
            counters.duplicateBytes += length;
            return;
        }
        deliver(event, listener);
        drain(listener);
    }

    private void insertSorted(DataEvent event) {
        int index = held.size();
        while (index > 0 && held.get(index - 1).position() > event.position()) {
            index--;
        }
        held.add(index, event);
    }

    /** Delivers held records that have become contiguous, and jumps over holes the listener said it does not want. */
    private void drain(StreamListener listener) {
        while (isHolding()) {
            DataEvent first = held.get(0);
            if (first.position() > next) {
                if (!expectedMissing(next, first.position())) {
                    return;
                }
                gap(first.position(), first.timestampNanos(), listener);
            }
            held.remove(0);
            budget.release(first.data().length);
            if (coveredEnd(first) <= next) {
                counters.duplicateBytes += first.data().length;
            } else {
                deliver(first, listener);
            }
        }
    }

    private void deliver(DataEvent event, StreamListener listener) {
        long position = event.position();
        if (position > next) {
            gap(position, event.timestampNanos(), listener);
        }
        if (event.data().length == 0) {
            gap(coveredEnd(event), event.timestampNanos(), listener);
            return;
        }
        int skip = (int) (next - position);
        counters.duplicateBytes += skip;
        byte[] data = event.data();
        next = event.end();
        listener.onData(direction, data, skip, data.length - skip, position + skip, event.timestampNanos(), event.tid());
    }

    private void gap(long upTo, long timestampNanos, StreamListener listener) {
        long length = upTo - next;
        if (expectedMissing(next, upTo)) {
            counters.skippedBytes += length;
        } else {
            counters.gaps++;
            counters.gapBytes += length;
        }
        long from = next;
        next = upTo;
        listener.onGap(direction, from, length, timestampNanos);
    }

    /** Where the stream stands after this record: past its bytes, or past the bytes an empty record says passed. */
    private static long coveredEnd(DataEvent event) {
        return event.data().length > 0 ? event.end() : event.position() + Math.max(0, event.callSize());
    }
}
