package io.httpprofiler.http;

import io.httpprofiler.stream.GapCause;
import java.util.ArrayList;
import java.util.List;

/**
 * A request waiting for its response. Without a message it stands for a request that was sent but could not be parsed,
 * or (for a response that answers nothing we saw) one that was not seen at all.
 */
final class PendingRequest {
    final Message message;
    final long startNanos;
    final int tid;
    final List<String> notes = new ArrayList<>(2);
    /** Requests may be missing just before this one, for this cause; null if none are. */
    GapCause followsLoss;
    /** Its exchange has been delivered (the response can complete before the request's body has). */
    boolean emitted;
    /** Followed for progress reports until delivered; null when not (reporting off, or not started as an exchange). */
    OpenExchange open;

    PendingRequest(Message message, long startNanos, int tid) {
        this.message = message;
        this.startNanos = startNanos;
        this.tid = tid;
    }

    static PendingRequest of(Message message) {
        return new PendingRequest(message, message.startNanos, message.tid);
    }

    /** Stands for a request we have no message for, with the note that says why. */
    static PendingRequest missing(long startNanos, int tid, String note) {
        PendingRequest request = new PendingRequest(null, startNanos, tid);
        request.notes.add(note);
        return request;
    }
}
