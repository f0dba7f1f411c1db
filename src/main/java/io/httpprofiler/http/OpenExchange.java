package io.httpprofiler.http;

/**
 * An exchange that has started (its request head was parsed, or its response head when the request was not seen) and
 * is not delivered yet, as the {@link ProgressTracker} follows it. It is its own link in the tracker's lists, so
 * following an exchange costs this one object. An idle connection between requests has none.
 */
final class OpenExchange {
    enum State {
        /** Not open long enough to be reported. */
        WAITING,
        /** Reported in progress; reported again when {@link #nextDueNanos} comes. */
        REPORTED,
        /** Came due while {@link ProgressSettings#maxInProgress()} others were reported: written only when it ends. */
        OVER_CAP,
        /** Delivered (or dropped with its connection): no longer followed. */
        CLOSED
    }

    final long startNanos;
    /** What it is made of, for a snapshot; null only in tests of the tracker alone. */
    final ExchangeAssembler assembler;
    final PendingRequest request;
    /** The HTTP/2 stream it takes (whose response and gRPC framing it reads), or null for HTTP/1.x. */
    final Http2Stream stream;
    /** HTTP/1.x: the response being read, once its head was parsed. */
    Message response;

    State state = State.WAITING;
    OpenExchange previous;
    OpenExchange next;
    int reports;
    long firstReportNanos;
    long nextDueNanos;

    OpenExchange(long startNanos, ExchangeAssembler assembler, PendingRequest request, Http2Stream stream) {
        this.startNanos = startNanos;
        this.assembler = assembler;
        this.request = request;
        this.stream = stream;
    }

    /** The report the tracker just scheduled, built from what has been parsed so far. */
    ExchangeProgress progress(long nowNanos) {
        Message answer = stream != null ? stream.response : response;
        Exchange soFar = assembler.snapshot(request, answer, stream == null ? 0 : stream.id,
                stream == null ? null : Http2Session.grpcCall(stream), nowNanos);
        long events = answer != null && EventStreamCounter.isEventStream(answer.head.headers()) ? answer.body.events()
                : -1;
        return new ExchangeProgress(soFar, nowNanos, reports, firstReportNanos, events);
    }
}
