package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamControl;
import io.httpprofiler.stream.StreamEnd;

import java.util.List;

/**
 * HTTP/1.x on one connection, seen from one process: a request parser on the direction that carries requests, a
 * response parser on the other, and the pairing between them. Until the role is known (from the connection's start, or
 * from which direction first carries a request line) both directions are only sniffed.
 */
final class Http1Session implements ProtocolSession {
    /** Where a session goes when the connection upgrades to HTTP/2 ({@code Upgrade: h2c} answered by 101). */
    interface UpgradeHandler {
        /**
         * @param request                 the upgrade request (already delivered with its 101), answered on stream 1
         * @param responseDirectionFrom   stream position where HTTP/2 starts in the direction that carried the 101
         * @param requestDirectionFrom    stream position where HTTP/2 starts in the request direction
         */
        void upgradedToHttp2(PendingRequest request, long responseDirectionFrom, long requestDirectionFrom);
    }

    /**
     * Bytes each direction may carry without a single message parsed before the connection is taken for another
     * protocol (TLS, a database...). Both directions must: an HTTP connection caught in the middle of a long upload or
     * download is quiet the other way, and parses as soon as its next request starts.
     */
    static final int NOT_HTTP_AFTER_BYTES = 64 * 1024;

    private final ConnectionId id;
    private final StreamControl control;
    private final PipelineContext context;
    private final ExchangeAssembler assembler;
    private final UpgradeHandler upgrades;
    private final PendingRequests pending;
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
    /** The request whose body the request parser is reading. */
    private PendingRequest reading;
    /** The request the response being read answers; null while discarding a response to an evicted request. */
    private PendingRequest answering;
    /** The request answered by an interim (1xx) response, whose final response is still to come. */
    private PendingRequest awaitingFinal;

    Http1Session(ConnectionId id, StreamControl control, PipelineContext context, ExchangeAssembler assembler,
                 UpgradeHandler upgrades) {
        this.id = id;
        this.control = control;
        this.context = context;
        this.assembler = assembler;
        this.upgrades = upgrades;
        this.pending = new PendingRequests(context.settings().maxPendingRequests());
    }

    /** The connection's start was seen (its role known from accept or connect). */
    void opened(ConnectionOpened event) {
        if (requestParser == null && !stopped && event.role() != Role.UNKNOWN) {
            startParsing(event.role(), true);
        }
    }

    /** No message has been parsed yet, nor has the connection been given up on: it may still be another protocol. */
    boolean undecided() {
        return !anyMessage && !stopped;
    }

    /** Another protocol takes the connection over: parsers let go of what they hold; the bytes are still wanted. */
    void abandon() {
        stopped = true;
        if (requestParser != null) {
            requestParser.stop();
            responseParser.stop();
        }
        // Whatever was still pending will not be delivered by this session: no longer followed for progress.
        for (PendingRequest request = pending.poll(); request != null; request = pending.poll()) {
            forgetProgress(request);
        }
        forgetProgress(answering);
        forgetProgress(awaitingFinal);
    }

    private void forgetProgress(PendingRequest request) {
        if (request != null && request.open != null) {
            context.progress().close(request.open);
            request.open = null;
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
        request.notes.add(Notes.incomplete(assembler.endReason));
        if (assembler.endReason.afterLoss()) {
            request.notes.add(Notes.CAPTURE_GAP);
        }
        assembler.emit(request, null);
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
        assembler.role = knownRole;
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
        return assembler.role == Role.SERVER ? Direction.INGRESS : Direction.EGRESS;
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

    /** The request direction's events. */
    private final class RequestEvents implements MessageEvents {
        @Override
        public boolean onHead(Message message) {
            anyMessage = true;
            context.counters().requests++;
            reading = PendingRequest.of(message);
            reading.open = context.progress().open(assembler, reading, null);
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
                assembler.emit(evicted, null);
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
            if (answering != null && !message.head.isInterim()) {
                follow(answering, message);
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
            long http2From = message.headEndPosition;
            assembler.emit(request, message);
            if (switched && requestHead != null
                    && isH2c(head.upgrade() != null ? head.upgrade() : requestHead.upgrade())) {
                context.counters().upgrades++;
                abandon();
                upgrades.upgradedToHttp2(request, http2From, position(requestDirection()));
                return;
            }
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
                assembler.emit(request, null);
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

        /**
         * Progress reports show the response being read from its head on; an exchange whose request was not seen is
         * followed from there.
         */
        private void follow(PendingRequest request, Message response) {
            if (request.open == null) {
                request.open = context.progress().open(assembler, request, null);
            }
            if (request.open != null) {
                request.open.response = response;
                EventStreamCounter.countIfEventStream(response);
            }
        }

        /** Its response is missing; the pairing noted that and why ({@link PendingRequests}). */
        private void responseLost(PendingRequest request) {
            assembler.emit(request, null);
        }
    }

    private static boolean isH2c(String upgrade) {
        return upgrade != null && upgrade.trim().equalsIgnoreCase("h2c");
    }

    private void addOutcomeNotes(Message message, boolean request, List<String> notes) {
        assembler.addOutcomeNotes(message, request, notes);
    }
}
