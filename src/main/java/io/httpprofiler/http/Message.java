package io.httpprofiler.http;

import io.httpprofiler.stream.ConnectionBudget;
import io.httpprofiler.stream.GapCause;

import java.util.List;

/**
 * One request or response while and after it is parsed. Its head (as many bytes as it took on the wire) and its kept
 * body are charged to the connection's budget until {@link #release()}.
 */
final class Message {
    enum Outcome {
        IN_PROGRESS,
        /** Every byte up to the end of the message was accounted for (some may be gaps inside a counted body). */
        COMPLETE,
        /** Missing bytes (lost or not captured, see {@link #cutBy}) broke the framing: where it ends is unknown. */
        CUT_BY_GAP,
        /** The body's framing was malformed (see {@link #malformation}). */
        MALFORMED,
        /** The stream ended first. */
        ENDED
    }

    final MessageHead head;
    final long startNanos;
    final int tid;
    final BodyBuffer body;
    /** The budget refused to hold the head: its header lines were dropped (framing was read from them first). */
    final boolean headersDropped;
    private final ConnectionBudget budget;
    private int reservedHeadBytes;
    List<HttpHeader> trailers = List.of();
    Outcome outcome = Outcome.IN_PROGRESS;
    long endNanos;
    /** Stream position just past the head (where the body, or the next message, starts); -1 when not parsed from a stream. */
    long headEndPosition = -1;
    String malformation;
    /** With {@link Outcome#CUT_BY_GAP}: why the bytes that cut it are missing. */
    GapCause cutBy;

    /** Reserves {@code headBytes} for the head, keeping it without its header lines if refused. */
    Message(MessageHead head, int headBytes, long startNanos, int tid, int maxBody, ConnectionBudget budget) {
        this.budget = budget;
        this.headersDropped = !budget.tryReserve(headBytes);
        this.reservedHeadBytes = headersDropped ? 0 : headBytes;
        this.head = headersDropped ? head.withoutHeaders() : head;
        this.startNanos = startNanos;
        this.tid = tid;
        this.body = new BodyBuffer(maxBody, budget);
    }

    void finish(Outcome outcome, long endNanos) {
        this.outcome = outcome;
        this.endNanos = endNanos;
    }

    boolean isFinished() {
        return outcome != Outcome.IN_PROGRESS;
    }

    /** Gives back what the head and the kept body hold; the message may still be read (the body keeps counting). */
    void release() {
        budget.release(reservedHeadBytes);
        reservedHeadBytes = 0;
        body.release();
    }
}
