package io.httpprofiler.http;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Pairs responses with requests. HTTP/1.x answers requests in order, so this is a FIFO queue, plus what is known about
 * losses: after requests were lost, a response that began before the next request we saw answers one of the lost ones;
 * after responses were lost, the next response answers the most recent request that began before it (exact for
 * non-pipelined traffic, the common case), and the requests before that one lost their responses.
 */
final class PendingRequests {
    private final ArrayDeque<PendingRequest> queue = new ArrayDeque<>();
    private final int capacity;
    private boolean requestsLost;
    private boolean responsesLost;
    /** Responses still to come for requests pushed out at capacity: they are read but not paired. */
    private int evictedAwaitingResponse;

    PendingRequests(int capacity) {
        this.capacity = capacity;
    }

    /** Queues a request; returns the oldest one if it had to be pushed out to stay within capacity, else null. */
    PendingRequest add(PendingRequest request) {
        request.followsLoss = requestsLost;
        requestsLost = false;
        PendingRequest evicted = null;
        if (queue.size() >= capacity) {
            evicted = queue.pollFirst();
            evictedAwaitingResponse++;
        }
        queue.addLast(request);
        return evicted;
    }

    void requestsLost() {
        requestsLost = true;
    }

    void responsesLost() {
        responsesLost = true;
    }

    /** Whether the response starting now answers a request pushed out at capacity; if so it takes that place. */
    boolean answersEvicted() {
        if (evictedAwaitingResponse > 0 && !responsesLost) {
            evictedAwaitingResponse--;
            return true;
        }
        return false;
    }

    /**
     * Removes and returns the request answered by a response whose first byte came at {@code responseStartNanos}. When
     * it answers a request we did not see, returns a stand-in noting that. Requests whose responses were lost are
     * handed to {@code responseLost}.
     */
    PendingRequest match(long responseStartNanos, int responseTid, Consumer<PendingRequest> responseLost) {
        if (responsesLost) {
            responsesLost = false;
            evictedAwaitingResponse = 0;
            return matchAfterLostResponses(responseStartNanos, responseTid, responseLost);
        }
        PendingRequest first = queue.peekFirst();
        if (first == null || first.startNanos > responseStartNanos) {
            return notSeen(responseStartNanos, responseTid, requestsLost || first != null && first.followsLoss);
        }
        if (first.followsLoss) {
            first.notes.add(Notes.CAPTURE_GAP); // the response may as well answer a request lost before this one
        }
        return queue.pollFirst();
    }

    private PendingRequest matchAfterLostResponses(long responseStartNanos, int responseTid,
                                                   Consumer<PendingRequest> responseLost) {
        PendingRequest answered = null;
        for (PendingRequest request : queue) {
            if (request.startNanos > responseStartNanos) {
                break;
            }
            answered = request;
        }
        if (answered == null) {
            return notSeen(responseStartNanos, responseTid, true);
        }
        while (queue.peekFirst() != answered) {
            responseLost.accept(queue.pollFirst());
        }
        queue.pollFirst();
        answered.notes.add(Notes.CAPTURE_GAP);
        return answered;
    }

    private static PendingRequest notSeen(long responseStartNanos, int responseTid, boolean afterLoss) {
        PendingRequest standIn = PendingRequest.missing(responseStartNanos, responseTid, Notes.REQUEST_NOT_SEEN);
        if (afterLoss) {
            standIn.notes.add(Notes.CAPTURE_GAP);
        }
        return standIn;
    }

    /** Removes and returns the oldest request, or null. */
    PendingRequest poll() {
        return queue.pollFirst();
    }

    int size() {
        return queue.size();
    }
}
