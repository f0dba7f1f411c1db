package io.httpprofiler.http;

import java.util.List;

/** One request or response while and after it is parsed. */
final class Message {
    enum Outcome {
        IN_PROGRESS,
        /** Every byte up to the end of the message was accounted for (some may be gaps inside a counted body). */
        COMPLETE,
        /** Lost data broke the framing: where this message ends is unknown. */
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
    List<HttpHeader> trailers = List.of();
    Outcome outcome = Outcome.IN_PROGRESS;
    long endNanos;
    String malformation;

    Message(MessageHead head, long startNanos, int tid, BodyBuffer body) {
        this.head = head;
        this.startNanos = startNanos;
        this.tid = tid;
        this.body = body;
    }

    void finish(Outcome outcome, long endNanos) {
        this.outcome = outcome;
        this.endNanos = endNanos;
    }

    boolean isFinished() {
        return outcome != Outcome.IN_PROGRESS;
    }
}
