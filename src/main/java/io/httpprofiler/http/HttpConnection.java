package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamControl;
import io.httpprofiler.stream.StreamEnd;
import io.httpprofiler.stream.StreamListener;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * HTTP on one connection, seen from one process: a request parser on the direction that carries requests, a response
 * parser on the other, and the pairing between them. Until the role is known (from the connection's start, or from
 * which direction first carries a request line) both directions are only sniffed.
 */
final class HttpConnection implements StreamListener {
    /**
     * Bytes each direction may carry without a single message parsed before the connection is taken for another
     * protocol (TLS, a database...). Both directions must: an HTTP connection caught in the middle of a long upload or
     * download is quiet the other way, and parses as soon as its next request starts.
     */
    static final int NOT_HTTP_AFTER_BYTES = 64 * 1024;

    private final ConnectionId id;
    private final StreamControl control;
    private final PipelineContext context;
    private final PendingRequests pending;
    private ConnectionOpened opened;
    private Role role = Role.UNKNOWN;
    private MessageParser requestParser;
    private MessageParser responseParser;
    private RoleSniffer egressSniffer;
    private RoleSniffer ingressSniffer;
    private long egressPosition;
    private long ingressPosition;
    private long egressUnparsed;
    private long ingressUnparsed;
    private long lastDataNanos;
    private boolean anyMessage;
    private boolean stopped;
    private StreamEnd endReason;
    /** The request whose body the request parser is reading. */
    private PendingRequest reading;
    /** The request the response being read answers; null while discarding a response to an evicted request. */
    private PendingRequest answering;
    /** The request answered by an interim (1xx) response, whose final response is still to come. */
    private PendingRequest awaitingFinal;

    HttpConnection(ConnectionId id, StreamControl control, PipelineContext context) {
        this.id = id;
        this.control = control;
        this.context = context;
        this.pending = new PendingRequests(context.settings().maxPendingRequests());
    }

    @Override
    public void onOpened(ConnectionOpened event) {
        opened = event;
        if (requestParser == null && !stopped && event.role() != Role.UNKNOWN) {
            startParsing(event.role(), true);
        }
    }

    @Override
    public void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                       int tid) {
        lastDataNanos = timestampNanos;
        advance(direction, position + length);
        if (stopped || !anyMessage && giveUpIfNeverHttp(direction, length)) {
            return;
        }
        if (requestParser == null) {
            sniff(direction, data, offset, length, position, timestampNanos, tid);
        } else {
            parser(direction).feed(data, offset, length, position, timestampNanos, tid);
        }
    }

    @Override
    public void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos) {
        advance(direction, position + length);
        if (stopped) {
            return;
        }
        if (requestParser != null) {
            parser(direction).gap(length, cause, timestampNanos);
        } else if (sniffer(direction) != null) {
            sniffer(direction).gap();
        }
    }

    @Override
    public void onEnd(StreamEnd reason, long timestampNanos) {
        endReason = reason;
        if (requestParser != null) {
            requestParser.end(reason, lastDataNanos);
            responseParser.end(reason, lastDataNanos);
        }
        if (awaitingFinal != null) {
            flushUnanswered(awaitingFinal);
        }
        for (PendingRequest request = pending.pollUnanswered(); request != null; request = pending.pollUnanswered()) {
            flushUnanswered(request);
        }
    }

    private void flushUnanswered(PendingRequest request) {
        request.notes.add(Notes.RESPONSE_NOT_SEEN);
        request.notes.add(Notes.incomplete(endReason));
        if (endReason.afterLoss()) {
            request.notes.add(Notes.CAPTURE_GAP);
        }
        emit(request, null);
    }

    @Override
    public void onRecordsLost(Direction direction, long timestampNanos) {
        if (stopped) {
            return;
        }
        if (requestParser != null) {
            parser(direction).recordsLost(GapCause.LOST, timestampNanos);
        } else if (sniffer(direction) != null) {
            sniffer(direction).gap();
        }
    }

    private void sniff(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                       int tid) {
        RoleSniffer sniffer = sniffer(direction);
        if (sniffer == null) {
            sniffer = new RoleSniffer();
            if (direction == Direction.EGRESS) {
                egressSniffer = sniffer;
            } else {
                ingressSniffer = sniffer;
            }
        }
        int start = sniffer.scan(data, offset, offset + length);
        if (start < 0) {
            return;
        }
        boolean requestsGoOut = (sniffer.found() == StartLines.Kind.REQUEST) == (direction == Direction.EGRESS);
        startParsing(requestsGoOut ? Role.CLIENT : Role.SERVER, false);
        MessageParser parser = parser(direction);
        int held = sniffer.heldLength();
        if (held > 0) {
            parser.feed(sniffer.held(), 0, held, position - held, timestampNanos, tid);
        }
        parser.feed(data, start, offset + length - start, position + start - offset, timestampNanos, tid);
    }

    /**
     * @param startSeen the connection's start was seen, so a direction that has carried nothing yet starts at a message
     *                  boundary; otherwise both directions first seek a plausible message start
     */
    private void startParsing(Role knownRole, boolean startSeen) {
        role = knownRole;
        Direction requestDirection = requestDirection();
        int maxBody = context.settings().maxBody();
        requestParser = new MessageParser(StartLines.Kind.REQUEST, new RequestEvents(), context.heads(), maxBody,
                control.budget(), startSeen && position(requestDirection) == 0);
        responseParser = new MessageParser(StartLines.Kind.RESPONSE, new ResponseEvents(), context.heads(), maxBody,
                control.budget(), startSeen && position(requestDirection.opposite()) == 0);
        egressSniffer = null;
        ingressSniffer = null;
    }

    private Direction requestDirection() {
        return role == Role.SERVER ? Direction.INGRESS : Direction.EGRESS;
    }

    private MessageParser parser(Direction direction) {
        return direction == requestDirection() ? requestParser : responseParser;
    }

    private RoleSniffer sniffer(Direction direction) {
        return direction == Direction.EGRESS ? egressSniffer : ingressSniffer;
    }

    private void advance(Direction direction, long position) {
        if (direction == Direction.EGRESS) {
            egressPosition = position;
        } else {
            ingressPosition = position;
        }
    }

    private long position(Direction direction) {
        return direction == Direction.EGRESS ? egressPosition : ingressPosition;
    }

    /** The connection no longer speaks HTTP/1.x: stop parsing and tell the capture side it can stop copying. */
    private void stopParsing() {
        stopped = true;
        if (requestParser != null) {
            requestParser.stop();
            responseParser.stop();
        }
        skip(Direction.EGRESS, egressPosition, Long.MAX_VALUE);
        skip(Direction.INGRESS, ingressPosition, Long.MAX_VALUE);
    }

    private void skip(Direction direction, long fromPosition, long toPosition) {
        control.expectMissing(direction, fromPosition, toPosition);
        context.skipListener().skip(id, direction, fromPosition, toPosition);
    }

    /** Counts bytes seen before any message parsed; past the limit both ways, the connection is not HTTP. */
    private boolean giveUpIfNeverHttp(Direction direction, int length) {
        if (direction == Direction.EGRESS) {
            egressUnparsed += length;
        } else {
            ingressUnparsed += length;
        }
        return egressUnparsed >= NOT_HTTP_AFTER_BYTES && ingressUnparsed >= NOT_HTTP_AFTER_BYTES
                && giveUpIfNotHttp(true);
    }

    /** The first bytes were not HTTP and nothing parsed yet: ignore the connection rather than report noise. */
    private boolean giveUpIfNotHttp(boolean streamStart) {
        if (streamStart && !anyMessage) {
            context.counters().nonHttpConnections++;
            stopParsing();
            return true;
        }
        return false;
    }

    private void emit(PendingRequest request, Message response) {
        request.emitted = true;
        HttpCounters counters = context.counters();
        List<String> notes = new ArrayList<>(request.notes);
        HttpRequest httpRequest = null;
        if (request.message != null) {
            Message message = request.message;
            if (!message.isFinished() && response != null) {
                notes.add(Notes.REQUEST_UNFINISHED);
            }
            httpRequest = new HttpRequest(message.head.method(), message.head.target(), message.head.version(),
                    message.head.headers(), message.trailers, render(message, true, notes));
            message.release();
        }
        HttpResponse httpResponse = null;
        if (response != null) {
            httpResponse = new HttpResponse(response.head.version(), response.head.status(), response.head.reason(),
                    response.head.headers(), response.trailers, render(response, false, notes));
            response.release();
        }
        if (response == null || response.outcome == Message.Outcome.ENDED) {
            counters.incompleteExchanges++;
        }
        counters.exchanges++;
        InetSocketAddress local = opened == null ? null : opened.local();
        InetSocketAddress remote = opened == null ? null : opened.remote();
        String command = opened == null ? null : opened.command();
        String tlsLibrary = opened == null || opened.tls() == null || !opened.tls().decrypted() ? null
                : opened.tls().library();
        long endNanos = response == null ? request.startNanos : response.endNanos;
        context.completed().accept(new Exchange(id, request.tid, command, role, local, remote, request.startNanos,
                endNanos, httpRequest, httpResponse, distinct(notes), tlsLibrary));
    }

    /** The same note can arise on both messages (say, both cut by the connection's end); say it once. */
    private static List<String> distinct(List<String> notes) {
        return List.copyOf(notes.size() > 1 ? new LinkedHashSet<>(notes) : notes);
    }

    private Body render(Message message, boolean request, List<String> notes) {
        BodyBuffer buffer = message.body;
        Body body = context.renderer().render(buffer, message.head.contentEncoding());
        if (message.headersDropped) {
            notes.add(Notes.headersNotKept(request));
        }
        long missing = buffer.missingInKeptRange();
        if (missing > 0) {
            notes.add(buffer.missingCause().isLoss() ? Notes.bodyGap(request, missing)
                    : Notes.bodyNotCaptured(request, missing, buffer.missingCause()));
        }
        // Bytes the note above accounts for are not counted again as truncated.
        long notKept = body.notKeptBytes() - missing;
        if (notKept > 0) {
            notes.add(Notes.bodyTruncated(request, notKept, body.size()));
        }
        return body;
    }

    /** The request direction's events. */
    private final class RequestEvents implements MessageEvents {
        @Override
        public boolean onHead(Message message) {
            anyMessage = true;
            context.counters().requests++;
            reading = PendingRequest.of(message);
            enqueue(reading);
            return true;
        }

        @Override
        public void onComplete(Message message) {
            PendingRequest request = reading;
            reading = null;
            if (request == null) {
                return;
            }
            addOutcomeNotes(message, true, request.notes);
            if (request.emitted) {
                message.release(); // answered before its body was complete; the exchange is out already
            } else if (message.outcome == Message.Outcome.COMPLETE && message.head.mayChangeProtocol()) {
                requestParser.pause(); // what follows may not be HTTP: the response tells
            }
        }

        @Override
        public void onMalformed(String reason, long startNanos, int tid, boolean streamStart) {
            context.counters().parseErrors++;
            if (!giveUpIfNotHttp(streamStart)) {
                enqueue(PendingRequest.missing(startNanos, tid, Notes.malformed(true, reason)));
            }
        }

        @Override
        public void onHeadNotKept(long startNanos, int tid) {
            enqueue(PendingRequest.missing(startNanos, tid, Notes.notKept(true)));
        }

        @Override
        public void onMessagesLost(long timestampNanos, GapCause cause) {
            context.counters().messagesLost++;
            pending.requestsLost(cause);
        }

        @Override
        public void onUnneededBytes(long fromPosition, long toPosition) {
            skip(requestDirection(), fromPosition, toPosition);
        }

        private void enqueue(PendingRequest request) {
            PendingRequest evicted = pending.add(request);
            if (evicted != null) {
                context.counters().pendingOverflows++;
                evicted.notes.add(Notes.RESPONSE_NOT_AWAITED);
                emit(evicted, null);
            }
        }
    }

    /** The response direction's events. */
    private final class ResponseEvents implements MessageEvents {
        @Override
        public boolean onHead(Message message) {
            anyMessage = true;
            context.counters().responses++;
            if (awaitingFinal != null) {
                answering = awaitingFinal;
                awaitingFinal = null;
            } else if (pending.answersEvicted()) {
                answering = null;
            } else {
                answering = pending.match(message.startNanos, message.tid, this::responseLost);
                if (answering.message == null && answering.notes.contains(Notes.REQUEST_NOT_SEEN)) {
                    context.counters().responsesWithoutRequest++;
                }
            }
            MessageHead request = answering == null || answering.message == null ? null : answering.message.head;
            boolean success = message.head.status() / 100 == 2;
            return request == null || !(request.isHead() || request.isConnect() && success);
        }

        @Override
        public void onComplete(Message message) {
            PendingRequest request = answering;
            answering = null;
            if (request == null) {
                message.release(); // answers a request pushed out at capacity: read, not reported
                return;
            }
            MessageHead head = message.head;
            if (head.isInterim() && message.outcome == Message.Outcome.COMPLETE) {
                message.release();
                request.notes.add(Notes.interim(head.status(), head.reason()));
                awaitingFinal = request;
                return;
            }
            addOutcomeNotes(message, false, request.notes);
            MessageHead requestHead = request.message == null ? null : request.message.head;
            boolean switched = head.status() == 101;
            boolean tunnel = requestHead != null && requestHead.isConnect() && head.status() / 100 == 2;
            if (switched) {
                request.notes.add(Notes.upgraded(head.upgrade() != null ? head.upgrade()
                        : requestHead != null ? requestHead.upgrade() : null));
            } else if (tunnel) {
                request.notes.add(Notes.TUNNEL_ESTABLISHED);
            }
            emit(request, message);
            if (switched || tunnel) {
                context.counters().upgrades++;
                stopParsing();
            } else if (requestHead != null && requestHead.mayChangeProtocol()) {
                requestParser.resume();
            }
        }

        @Override
        public void onMalformed(String reason, long startNanos, int tid, boolean streamStart) {
            context.counters().parseErrors++;
            if (!giveUpIfNotHttp(streamStart)) {
                unreadable(startNanos, tid, Notes.malformed(false, reason));
            }
        }

        @Override
        public void onHeadNotKept(long startNanos, int tid) {
            unreadable(startNanos, tid, Notes.notKept(false));
        }

        /** A response that could not be read still answers its request, which is reported without it. */
        private void unreadable(long startNanos, int tid, String note) {
            PendingRequest request = awaitingFinal;
            awaitingFinal = null;
            if (request == null && !pending.answersEvicted()) {
                request = pending.match(startNanos, tid, this::responseLost);
            }
            if (request != null && request.message != null) {
                request.notes.add(note);
                emit(request, null);
            }
        }

        @Override
        public void onMessagesLost(long timestampNanos, GapCause cause) {
            context.counters().messagesLost++;
            pending.responsesLost(cause);
        }

        @Override
        public void onUnneededBytes(long fromPosition, long toPosition) {
            skip(requestDirection().opposite(), fromPosition, toPosition);
        }

        /** Its response is missing; the pairing noted that and why ({@link PendingRequests}). */
        private void responseLost(PendingRequest request) {
            emit(request, null);
        }
    }

    private void addOutcomeNotes(Message message, boolean request, List<String> notes) {
        switch (message.outcome) {
            case CUT_BY_GAP -> notes.add(message.cutBy.isLoss() ? Notes.CAPTURE_GAP : Notes.endNotCaptured(request));
            case MALFORMED -> {
                context.counters().parseErrors++;
                notes.add(Notes.malformed(request, message.malformation));
            }
            case ENDED -> {
                notes.add(Notes.incomplete(endReason));
                if (endReason.afterLoss()) {
                    notes.add(Notes.CAPTURE_GAP);
                }
            }
            default -> {
            }
        }
    }
}
