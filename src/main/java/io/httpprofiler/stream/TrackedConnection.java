package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;

import java.util.ArrayDeque;

/**
 * One connection's reassembly state: its two directions, its listener and its budget.
 *
 * <p>While one direction waits behind a hole, the other direction's records wait too, in arrival order: what one side
 * says answers what the other said before it (a response follows its request), and the listener pairs them by that
 * order. Delivering responses while their request is held would pair them with the wrong requests.
 */
final class TrackedConnection implements StreamControl {
    /** Records of the other direction kept in order behind a hole; beyond this the hole is given up on. */
    static final int MAX_WAITING_EVENTS = 256;

    final ConnectionId id;
    private final ConnectionBudget budget;
    private final ReassemblyCounters counters;
    private final DirectionStream egress;
    private final DirectionStream ingress;
    /** Records of a direction without a hole, waiting for the other direction's hole to be resolved. */
    private final ArrayDeque<DataEvent> waiting = new ArrayDeque<>(0);
    private StreamListener listener;
    long lastActivityNanos;

    TrackedConnection(ConnectionId id, ConnectionBudget budget, ReassemblyCounters counters) {
        this.id = id;
        this.budget = budget;
        this.counters = counters;
        this.egress = new DirectionStream(Direction.EGRESS, budget, counters);
        this.ingress = new DirectionStream(Direction.INGRESS, budget, counters);
    }

    void attach(StreamListener listener) {
        this.listener = listener;
    }

    StreamListener listener() {
        return listener;
    }

    void accept(DataEvent event) {
        if (mustWait(event)) {
            if (waiting.size() < MAX_WAITING_EVENTS && budget.tryReserve(event.data().length)) {
                waiting.addLast(event);
                counters.reorderedEvents++;
                return;
            }
            giveUpWaiting(); // no room to keep the order: stop waiting for the hole instead
        }
        stream(event.direction()).accept(event, listener);
        releaseWaiting();
    }

    /** The record must wait if the other direction is behind a hole, or earlier records of its own already wait. */
    private boolean mustWait(DataEvent event) {
        return !stream(event.direction()).isHolding() && (isHolding() || !waiting.isEmpty());
    }

    /** Hands waiting records on in arrival order, as far as no hole stands in the way. */
    private void releaseWaiting() {
        while (!waiting.isEmpty()) {
            DataEvent next = waiting.peekFirst();
            if (isHolding() && !stream(next.direction()).isHolding()) {
                return;
            }
            waiting.pollFirst();
            budget.release(next.data().length);
            stream(next.direction()).accept(next, listener);
        }
    }

    /** Gives up on holes that have waited longer than {@code windowNanos} by {@code nowNanos}. */
    void giveUpStaleHoles(long nowNanos, long windowNanos) {
        while (isStale(egress, nowNanos, windowNanos) || isStale(ingress, nowNanos, windowNanos)) {
            DirectionStream stale = isStale(egress, nowNanos, windowNanos) ? egress : ingress;
            stale.giveUpWaiting(listener);
            releaseWaiting();
        }
    }

    private static boolean isStale(DirectionStream stream, long nowNanos, long windowNanos) {
        return stream.isHolding() && nowNanos - stream.heldSinceNanos() > windowNanos;
    }

    boolean isHolding() {
        return egress.isHolding() || ingress.isHolding();
    }

    void close(long egressFinal, long ingressFinal, long timestampNanos) {
        giveUpWaiting();
        egress.close(egressFinal, timestampNanos, listener);
        ingress.close(ingressFinal, timestampNanos, listener);
        end(StreamEnd.CLOSED, timestampNanos);
    }

    /** Delivers what is held (holes become gaps), tells the listener, and frees everything. */
    void end(StreamEnd reason, long timestampNanos) {
        giveUpWaiting();
        listener.onEnd(reason, timestampNanos);
        budget.releaseAll();
    }

    /** Stops waiting for every hole, in the order the records arrived. */
    private void giveUpWaiting() {
        while (isHolding() || !waiting.isEmpty()) {
            if (!waiting.isEmpty()) {
                // The hole ahead of the first waiting record is the one to give up on first.
                stream(waiting.peekFirst().direction().opposite()).giveUpWaiting(listener);
            } else {
                egress.giveUpWaiting(listener);
                ingress.giveUpWaiting(listener);
            }
            releaseWaiting();
        }
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
