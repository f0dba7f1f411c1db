package io.httpprofiler.http;

import io.httpprofiler.stream.GapCause;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Pairs responses with requests. HTTP/1.x answers requests in order, so this is a FIFO queue, plus what is known about
 * losses: after requests were lost, a response that began before the next request we saw answers one of the lost ones;
 * after responses were lost, the next response answers the most recent request that began before it (exact for
 * non-pipelined traffic, the common case), and the requests before that one lost their responses. An inferred pairing
 * is noted: {@link Notes#CAPTURE_GAP} if bytes were lost, {@link Notes#PAIRING_INFERRED} if they were only not captured
 * (sendfile, the capture limit...).
 */
final class PendingRequests {
    private final ArrayDeque<PendingRequest> queue = new ArrayDeque<>();
    private final int capacity;
    /** Requests may be missing, for this cause; null if none are. */
    private GapCause requestsLost;
    /** Responses may be missing, for this cause; null if none are. */
    private GapCause responsesLost;
    /** Responses still to come for requests pushed out at capacity: they are read but not paired. */
    private int evictedAwaitingResponse;

    PendingRequests(int capacity) {
        this.capacity = capacity;
    }

    /** Queues a request; returns the oldest one if it had to be pushed out to stay within capacity, else null. */
    PendingRequest add(PendingRequest request) {
        request.followsLoss = requestsLost;
        requestsLost = null;
        PendingRequest evicted = null;
        if (queue.size() >= capacity) {
            evicted = queue.pollFirst();
            evictedAwaitingResponse++;
        }
        queue.addLast(request);
        return evicted;
    }

    void requestsLost(GapCause cause) {
        requestsLost = stronger(requestsLost, cause);
    }

    void responsesLost(GapCause cause) {
        responsesLost = stronger(responsesLost, cause);
    }

    /** A loss outweighs bytes not captured: once any were lost, the pairing note says so. */
    private static GapCause stronger(GapCause noted, GapCause added) {
        return noted == null || added.isLoss() ? added : noted;
    }

    /** Whether the response starting now answers a request pushed out at capacity; if so it takes that place. */
    boolean answersEvicted() {
        if (evictedAwaitingResponse > 0 && responsesLost == null) {
            evictedAwaitingResponse--;
            return true;
        }
        return false;
    }

    /**
     * Removes and returns the request answered by a response whose first byte came at {@code responseStartNanos}. When
     * it answers a request we did not see, returns a stand-in noting that. Requests whose responses were lost are
     * handed to {@code responseLost}, noted as such.
     */
    PendingRequest match(long responseStartNanos, int responseTid, Consumer<PendingRequest> responseLost) {
        if (responsesLost != null) {
            String note = Notes.pairingInferred(responsesLost);
            responsesLost = null;
            evictedAwaitingResponse = 0;
            return matchAfterLostResponses(responseStartNanos, responseTid, note, responseLost);
        }
        PendingRequest first = queue.peekFirst();
        if (first == null || first.startNanos > responseStartNanos) {
            GapCause missingBefore = requestsLost != null ? requestsLost : first != null ? first.followsLoss : null;
            return notSeen(responseStartNanos, responseTid,
                    missingBefore == null ? null : Notes.pairingInferred(missingBefore));
        }
        if (first.followsLoss != null) {
            // the response may as well answer a request missing before this one
            first.notes.add(Notes.pairingInferred(first.followsLoss));
        }
        return queue.pollFirst();
    }

    private PendingRequest matchAfterLostResponses(long responseStartNanos, int responseTid, String note,
                                                   Consumer<PendingRequest> responseLost) {
        PendingRequest answered = null;
        for (PendingRequest request : queue) {
            if (request.startNanos > responseStartNanos) {
                break;
            }
            answered = request;
        }
        if (answered == null) {
            return notSeen(responseStartNanos, responseTid, note);
        }
        while (queue.peekFirst() != answered) {
            PendingRequest unanswered = queue.pollFirst();
            unanswered.notes.add(Notes.RESPONSE_NOT_SEEN);
            unanswered.notes.add(note);
            responseLost.accept(unanswered);
        }
        queue.pollFirst();
        answered.notes.add(note);
        return answered;
    }

    /** @param lossNote the note saying why requests may be missing before this response, or null */
    private static PendingRequest notSeen(long responseStartNanos, int responseTid, String lossNote) {
        PendingRequest standIn = PendingRequest.missing(responseStartNanos, responseTid, Notes.REQUEST_NOT_SEEN);
        if (lossNote != null) {
            standIn.notes.add(lossNote);
        }
        return standIn;
    }

    /** Removes and returns the oldest request, or null. */
    PendingRequest poll() {
        return queue.pollFirst();
    }

    /**
     * Removes and returns the oldest request, which gets no response any more (the connection ended), or null. Responses
     * known to be missing may have included its own: it says so.
     */
    PendingRequest pollUnanswered() {
        PendingRequest request = queue.pollFirst();
        if (request != null && responsesLost != null) {
            request.notes.add(Notes.pairingInferred(responsesLost));
        }
        return request;
    }

    int size() {
        return queue.size();
    }
}
