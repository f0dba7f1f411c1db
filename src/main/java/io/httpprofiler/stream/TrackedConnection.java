package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;

/** One connection's reassembly state: its two directions, its listener and its budget. */
final class TrackedConnection implements StreamControl {
    final ConnectionId id;
    private final ConnectionBudget budget;
    private final DirectionStream egress;
    private final DirectionStream ingress;
    private StreamListener listener;
    long lastActivityNanos;

    TrackedConnection(ConnectionId id, ConnectionBudget budget, ReassemblyCounters counters) {
        this.id = id;
        this.budget = budget;
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
        stream(event.direction()).accept(event, listener);
    }

    /** Gives up on holes that have waited longer than {@code windowNanos} by {@code nowNanos}. */
    void giveUpStaleHoles(long nowNanos, long windowNanos) {
        giveUpIfStale(egress, nowNanos, windowNanos);
        giveUpIfStale(ingress, nowNanos, windowNanos);
    }

    private void giveUpIfStale(DirectionStream stream, long nowNanos, long windowNanos) {
        if (stream.isHolding() && nowNanos - stream.heldSinceNanos() > windowNanos) {
            stream.giveUpWaiting(listener);
        }
    }

    boolean isHolding() {
        return egress.isHolding() || ingress.isHolding();
    }

    void close(long egressFinal, long ingressFinal, long timestampNanos) {
        egress.close(egressFinal, timestampNanos, listener);
        ingress.close(ingressFinal, timestampNanos, listener);
        end(StreamEnd.CLOSED, timestampNanos);
    }

    /** Delivers what is held (holes become gaps), tells the listener, and frees everything. */
    void end(StreamEnd reason, long timestampNanos) {
        egress.giveUpWaiting(listener);
        ingress.giveUpWaiting(listener);
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
