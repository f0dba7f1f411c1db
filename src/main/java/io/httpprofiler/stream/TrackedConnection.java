package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;

import java.util.ArrayDeque;

/**
 * One connection's reassembly state: its two directions, its listener and its budget.
 *
 * <p>When a record arrives ahead of a hole, it waits, and so does everything that arrives after it, in either
 * direction: what one side says answers what the other said before it (a response follows its request), and the
 * listener pairs them by that order. Each waiting record takes a turn in arrival order; at its turn, its direction's
 * next record by position goes, once no hole is in the way (a record that arrives late to fill a hole goes at once: it
 * is older than anything its direction holds). A hole that does not fill in time (most are drops, which never do) is
 * given up: it becomes a gap and the turns go on.
 */
final class TrackedConnection implements StreamControl {
    /** Records waiting behind holes; beyond this the oldest hole is given up on. */
    static final int MAX_WAITING_EVENTS = 256;

    /** One waiting record's turn: its direction, and when it arrived. */
    private record Turn(Direction direction, long arrivedNanos) {
    }

    final ConnectionId id;
    private final ConnectionBudget budget;
    private final ReassemblyCounters counters;
    private final DirectionStream egress;
    private final DirectionStream ingress;
    private final ArrayDeque<Turn> turns = new ArrayDeque<>(0);
    private StreamListener listener;
    long lastActivityNanos;

    TrackedConnection(ConnectionId id, ConnectionBudget budget, ReassemblyCounters counters) {
        this.id = id;
        this.budget = budget;
        this.counters = counters;
        this.egress = new DirectionStream(Direction.EGRESS, counters);
        this.ingress = new DirectionStream(Direction.INGRESS, counters);
    }

    void attach(StreamListener listener) {
        this.listener = listener;
    }

    StreamListener listener() {
        return listener;
    }

    void accept(DataEvent event) {
        if (event.data().length == 0 && event.callSize() <= 0) {
            return; // says nothing about the stream
        }
        DirectionStream stream = stream(event.direction());
        boolean goesNow = turns.isEmpty() || stream.isHolding();
        if (goesNow && stream.fits(event)) {
            stream.deliver(event, listener);
            takeTurns(false);
            return;
        }
        if (turns.size() >= MAX_WAITING_EVENTS || !budget.tryReserve(event.data().length)) {
            giveUpWaiting(); // no room to wait: the holes are not going to fill in time
            stream.deliver(event, listener);
            return;
        }
        stream.hold(event);
        turns.addLast(new Turn(event.direction(), event.timestampNanos()));
        counters.reorderedEvents++;
    }

    /**
     * Delivers waiting records turn by turn until a hole is in the way; {@code forceFirst} gives up the hole in front of
     * the first turn.
     */
    private void takeTurns(boolean forceFirst) {
        boolean force = forceFirst;
        while (!turns.isEmpty()) {
            DirectionStream stream = stream(turns.peekFirst().direction());
            if (!force && !stream.fits(stream.firstHeld())) {
                return;
            }
            turns.pollFirst();
            DataEvent record = stream.removeFirstHeld();
            budget.release(record.data().length);
            stream.deliver(record, listener);
            force = false;
        }
    }

    boolean isHolding() {
        return !turns.isEmpty();
    }

    /** Gives up on holes in front of records that have waited longer than {@code windowNanos} by {@code nowNanos}. */
    void giveUpStaleHoles(long nowNanos, long windowNanos) {
        while (!turns.isEmpty() && nowNanos - turns.peekFirst().arrivedNanos() > windowNanos) {
            takeTurns(true);
        }
    }

    /** Gives up on every hole: everything waiting is delivered, in turn. */
    private void giveUpWaiting() {
        while (!turns.isEmpty()) {
            takeTurns(true);
        }
    }

    void close(long egressFinal, long ingressFinal, long timestampNanos) {
        giveUpWaiting();
        egress.close(egressFinal, timestampNanos, listener);
        ingress.close(ingressFinal, timestampNanos, listener);
        end(StreamEnd.CLOSED, timestampNanos);
    }

    /** Delivers what waits (holes become gaps), tells the listener, and frees everything. */
    void end(StreamEnd reason, long timestampNanos) {
        giveUpWaiting();
        listener.onEnd(reason, timestampNanos);
        budget.releaseAll();
    }

    private DirectionStream stream(Direction direction) {
        return direction == Direction.EGRESS ? egress : ingress;
    }

    @Override
    public ConnectionBudget budget() {
        return budget;
    }

    @Override
    public void expectMissing(Direction direction, long fromPosition, long toPosition) {
        stream(direction).expectMissing(fromPosition, toPosition);
    }
}
