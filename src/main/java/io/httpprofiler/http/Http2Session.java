package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.stream.ConnectionBudget;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamControl;
import io.httpprofiler.stream.StreamEnd;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/2 on one connection, seen from one process: a frame reader and an HPACK reader per direction, and one exchange
 * per stream (request headers, body and trailers one way; response the other way), delivered when the response ends,
 * the stream is reset, or the connection ends. gRPC calls are recognised by their content type and their messages
 * counted and decoded.
 */
final class Http2Session implements ProtocolSession {
    /** Streams followed at once per connection; past it the oldest is delivered as it stands. */
    static final int MAX_OPEN_STREAMS = 512;
    /** Connection flow-control windows are counted to notice a peer that overflows one (RFC 9113 section 6.9.1). */
    static final long MAX_WINDOW = Integer.MAX_VALUE;
    private static final long INITIAL_WINDOW = 65_535;

    private final PipelineContext context;
    private final ExchangeAssembler assembler;
    private final ConnectionBudget budget;
    private final Side egress;
    private final Side ingress;
    private final Map<Integer, Http2Stream> streams = new LinkedHashMap<>();
    /** The direction the client's frames travel; null until known (the connection's start was not seen). */
    private Direction clientDirection;
    private long nanos;
    private int tid;

    /** One direction: its frames, its header compression, its connection flow-control window. */
    private final class Side implements Http2FrameReader.Events {
        final Direction direction;
        final Http2FrameReader frames;
        final HpackReader hpack;
        long window = INITIAL_WINDOW;

        Side(Direction direction, boolean startSeen, boolean expectPreface) {
            this.direction = direction;
            this.frames = new Http2FrameReader(this, budget, expectPreface, startSeen);
            this.hpack = new HpackReader(startSeen);
        }

        @Override
        public void onData(int stream, byte[] data, int offset, int length) {
            Http2Stream s = streams.get(stream);
            Message message = s == null ? null : s.message(direction);
            if (message != null && !message.isFinished()) {
                message.body.append(data, offset, length);
                GrpcFraming grpc = s.grpc(direction);
                if (grpc != null) {
                    grpc.append(data, offset, length);
                }
            }
        }

        @Override
        public void onDataGap(int stream, long length, GapCause cause) {
            Http2Stream s = streams.get(stream);
            Message message = s == null ? null : s.message(direction);
            if (message != null && !message.isFinished()) {
                message.body.gap(length, cause);
                GrpcFraming grpc = s.grpc(direction);
                if (grpc != null) {
                    grpc.gap(length);
                }
            }
        }

        @Override
        public void onDataEnd(int stream, int frameLength, boolean endStream) {
            window -= frameLength;
            Http2Stream s = streams.get(stream);
            if (s != null && endStream) {
                endOfStream(s, direction);
            }
        }

        @Override
        public void onHeaderBlock(int stream, byte[] block, int length, boolean endStream, int promisedStream) {
            HpackReader.Decoded decoded = hpack.decode(block, length);
            if (!decoded.complete()) {
                context.counters().http2HeadersNotDecoded++;
            }
            headers(this, stream, decoded, endStream, promisedStream);
        }

        @Override
        public void onHeaderBlockDropped(int stream, boolean endStream, int promisedStream) {
            hpack.lostTable(); // the block may have added entries
            context.counters().http2HeadersNotDecoded++;
            headers(this, stream, new HpackReader.Decoded(List.of(), 0,
                    "header block over " + Http2FrameReader.MAX_HEADER_BLOCK + " bytes"), endStream, promisedStream);
        }

        @Override
        public void onRstStream(int stream, long errorCode) {
            Http2Stream s = streams.get(stream);
            if (s != null) {
                s.request.notes.add(Notes.streamReset(direction == clientDirection, errorCode));
                deliver(s);
            }
        }

        @Override
        public void onSetting(int id, long value) {
            // SETTINGS_HEADER_TABLE_SIZE needs nothing: the encoder's size updates say what it uses (HpackReader)
            if (id == Http2Frames.SETTINGS_MAX_FRAME_SIZE) {
                other(this).frames.maxFrameSize(value);
            }
        }

        @Override
        public void onGoAway(int lastStream, long errorCode) {
            String note = Notes.goAway(direction == clientDirection, errorCode, lastStream);
            List<Http2Stream> refused = new ArrayList<>();
            for (Http2Stream s : streams.values()) {
                if (errorCode != 0 || s.id > lastStream) {
                    s.request.notes.add(note);
                    if (s.id > lastStream) {
                        refused.add(s); // the sender will not answer it
                    }
                }
            }
            refused.forEach(Http2Session.this::deliver);
        }

        @Override
        public void onWindowUpdate(int stream, int increment) {
            if (increment == 0) {
                context.counters().http2FrameErrors++;
            } else if (stream == 0) {
                Side sender = other(this);
                sender.window += increment;
                if (sender.window > MAX_WINDOW) {
                    context.counters().http2FrameErrors++; // FLOW_CONTROL_ERROR: the peer will end the connection
                    sender.window = MAX_WINDOW;
                }
            }
        }

        @Override
        public void onLostPlace(String reason, boolean bytesMissing) {
            if (!bytesMissing) {
                context.counters().http2FrameErrors++;
            }
            hpack.lostTable();
            String note = bytesMissing ? Notes.CAPTURE_GAP : Notes.framesUnreadable(reason);
            for (Http2Stream s : streams.values()) {
                s.request.notes.add(note);
            }
        }
    }

    /**
     * @param clientDirection the direction the client's frames travel, or null when not known
     * @param startSeen       both directions start at a frame boundary: the client's with the preface (unless the
     *                        connection was upgraded), the server's with its first frame
     * @param upgrade         the HTTP/1.1 request that upgraded the connection to h2c, answered on stream 1; or null
     */
    Http2Session(ConnectionId id, StreamControl control, PipelineContext context, ExchangeAssembler assembler,
                 Direction clientDirection, boolean startSeen, PendingRequest upgrade) {
        this.context = context;
        this.assembler = assembler;
        this.budget = control.budget();
        this.clientDirection = clientDirection;
        this.egress = new Side(Direction.EGRESS, startSeen, startSeen && clientDirection == Direction.EGRESS);
        this.ingress = new Side(Direction.INGRESS, startSeen, startSeen && clientDirection == Direction.INGRESS);
        if (upgrade != null && upgrade.message != null) {
            // The request was delivered with its 101; stream 1 carries its answer, shown with the request's head again.
            Message request = new Message(upgrade.message.head, 0, upgrade.startNanos, upgrade.tid, 0, budget);
            request.finish(Message.Outcome.COMPLETE, upgrade.message.endNanos);
            PendingRequest pending = new PendingRequest(request, upgrade.startNanos, upgrade.tid);
            pending.notes.add(Notes.H2C_UPGRADE_REQUEST);
            Http2Stream stream = new Http2Stream(1, clientDirection, pending);
            stream.quietUnlessAnswered = true;
            streams.put(1, stream);
        }
    }

    @Override
    public void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                       int tid) {
        this.nanos = timestampNanos;
        this.tid = tid;
        side(direction).frames.feed(data, offset, length);
    }

    @Override
    public void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos) {
        this.nanos = timestampNanos;
        side(direction).frames.gap(length, cause);
    }

    @Override
    public void onEnd(StreamEnd reason, long timestampNanos) {
        for (Http2Stream s : new ArrayList<>(streams.values())) {
            if (s.quietUnlessAnswered && s.response == null) {
                streams.remove(s.id);
                s.request.message.release();
                continue;
            }
            s.request.notes.add(Notes.incomplete(reason));
            if (s.response == null) {
                s.request.notes.add(Notes.RESPONSE_NOT_SEEN);
            }
            deliver(s);
        }
        egress.frames.release();
        ingress.frames.release();
    }

    private Side side(Direction direction) {
        return direction == Direction.EGRESS ? egress : ingress;
    }

    private Side other(Side side) {
        return side == egress ? ingress : egress;
    }

    private void headers(Side side, int id, HpackReader.Decoded decoded, boolean endStream, int promised) {
        Direction direction = side.direction;
        if (promised > 0) {
            promise(side, id, promised, decoded);
            return;
        }
        Http2Stream stream = streams.get(id);
        if (stream == null) {
            boolean response = clientDirection != null ? direction != clientDirection : has(decoded, ":status");
            if (clientDirection == null) {
                learnClientDirection(response ? direction.opposite() : direction);
            }
            stream = open(id, response ? PendingRequest.missing(nanos, tid, Notes.REQUEST_NOT_SEEN)
                    : new PendingRequest(message(decoded, true), nanos, tid));
            if (!response) {
                context.counters().requests++;
                noteDecoding(stream, decoded, true);
                stream.requestGrpc = grpcFraming(stream.request.message, decoded);
                if (endStream) {
                    endOfStream(stream, direction);
                }
                return;
            }
        }
        boolean request = direction == stream.requestDirection;
        Message message = stream.message(direction);
        if (message == null && !request) {
            String status = value(decoded, ":status");
            if (status != null && status.length() == 3 && status.charAt(0) == '1' && !status.equals("101")
                    && !endStream) {
                stream.request.notes.add(Notes.interim(Integer.parseInt(status), ""));
                return;
            }
            stream.response = message(decoded, false);
            if (stream.request.open != null) {
                EventStreamCounter.countIfEventStream(stream.response);
            }
            stream.responseGrpc = grpcFraming(stream.response, decoded);
            if (stream.responseGrpc == null && stream.requestGrpc != null) {
                stream.responseGrpc = new GrpcFraming(false);
            }
            noteDecoding(stream, decoded, false);
        } else if (message != null) {
            message.trailers = decoded.fields();
            noteDecoding(stream, decoded, request, true);
        }
        if (endStream) {
            endOfStream(stream, direction);
        }
    }

    /** A PUSH_PROMISE: the server opens {@code promised} with a request of its own making. */
    private void promise(Side side, int stream, int promised, HpackReader.Decoded decoded) {
        if (clientDirection == null) {
            learnClientDirection(side.direction.opposite());
        }
        if (streams.containsKey(promised)) {
            return;
        }
        Message request = message(decoded, true);
        request.finish(Message.Outcome.COMPLETE, nanos);
        Http2Stream pushed = open(promised, new PendingRequest(request, nanos, tid));
        pushed.request.notes.add(Notes.serverPush(stream));
        noteDecoding(pushed, decoded, true);
    }

    private void learnClientDirection(Direction direction) {
        clientDirection = direction;
        if (assembler.role == Role.UNKNOWN) {
            assembler.role = direction == Direction.EGRESS ? Role.CLIENT : Role.SERVER;
        }
    }

    private Http2Stream open(int id, PendingRequest request) {
        if (streams.size() >= MAX_OPEN_STREAMS) {
            Iterator<Http2Stream> oldest = streams.values().iterator();
            Http2Stream evicted = oldest.next();
            evicted.request.notes.add(Notes.STREAM_NOT_FOLLOWED);
            context.counters().pendingOverflows++;
            deliver(evicted);
        }
        Http2Stream stream = new Http2Stream(id, clientDirection, request);
        streams.put(id, stream);
        request.open = context.progress().open(assembler, request, stream);
        return stream;
    }

    private void noteDecoding(Http2Stream stream, HpackReader.Decoded decoded, boolean request) {
        noteDecoding(stream, decoded, request, false);
    }

    private void noteDecoding(Http2Stream stream, HpackReader.Decoded decoded, boolean request, boolean trailers) {
        if (decoded.problem() != null) {
            stream.request.notes.add(Notes.headersNotDecoded(request, trailers, decoded.problem()));
        } else if (decoded.unseenFields() > 0) {
            stream.request.notes.add(Notes.headerFieldsNotDecoded(request, trailers, decoded.unseenFields()));
        }
    }

    private void endOfStream(Http2Stream stream, Direction direction) {
        Message message = stream.message(direction);
        if (message != null && !message.isFinished()) {
            message.finish(Message.Outcome.COMPLETE, nanos);
        }
        if (direction != stream.requestDirection && message != null) {
            deliver(stream);
        }
    }

    /** The stream's exchange, as far as it got: delivered now, the stream forgotten. */
    private void deliver(Http2Stream stream) {
        streams.remove(stream.id);
        context.counters().http2Streams++;
        Message request = stream.request.message;
        Message response = stream.response;
        if (request != null && !request.isFinished() && response == null) {
            request.finish(Message.Outcome.ENDED, nanos);
        }
        if (response != null && !response.isFinished()) {
            response.finish(Message.Outcome.ENDED, nanos); // reset, refused or cut: the notes say which
        }
        if (response != null) {
            context.counters().responses++;
        }
        GrpcCall grpc = grpcCall(stream);
        assembler.emit(stream.request, response, stream.id, grpc);
    }

    /** The gRPC call the stream carries as far as it got, or null when it is not gRPC. */
    static GrpcCall grpcCall(Http2Stream stream) {
        if (!isGrpc(stream)) {
            return null;
        }
        Message request = stream.request.message;
        Message response = stream.response;
        int status = -1;
        String message = null;
        if (response != null) {
            String code = value(response.trailers, "grpc-status");
            String text = value(response.trailers, "grpc-message");
            if (code == null) { // a trailers-only response
                code = value(response.head.headers(), "grpc-status");
                text = value(response.head.headers(), "grpc-message");
            }
            status = parseStatus(code);
            message = text == null ? null : percentDecoded(text);
        }
        return new GrpcCall(status, message, messages(request), count(stream.requestGrpc), messages(response),
                count(stream.responseGrpc));
    }

    private static List<GrpcMessage> messages(Message message) {
        if (message == null) {
            return List.of();
        }
        BodyBuffer body = message.body;
        return GrpcFraming.decode(body.keptBytes(), body.keptLength());
    }

    private static long count(GrpcFraming framing) {
        return framing == null ? 0 : framing.count();
    }

    private static int parseStatus(String code) {
        if (code == null) {
            return -1;
        }
        try {
            return Integer.parseInt(code.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** grpc-message is percent-encoded UTF-8. */
    private static String percentDecoded(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    /**
     * Counts gRPC messages in a body whose content type says gRPC, and, as a candidate, in one whose content type could
     * not be decoded (the HPACK table was not seen): whether that was gRPC is decided from the framing at the end.
     */
    private static GrpcFraming grpcFraming(Message message, HpackReader.Decoded decoded) {
        if (message == null) {
            return null;
        }
        String contentType = value(message.head.headers(), "content-type");
        if (GrpcFraming.isGrpc(contentType)) {
            return new GrpcFraming(true);
        }
        return contentType == null && decoded.unseenFields() > 0 ? new GrpcFraming(false) : null;
    }

    /** gRPC when declared, or when undecided bodies both hold whole messages and at least one. */
    private static boolean isGrpc(Http2Stream stream) {
        GrpcFraming request = stream.requestGrpc;
        GrpcFraming response = stream.responseGrpc;
        if (request != null && request.declared || response != null && response.declared) {
            return true;
        }
        return request != null && response != null && request.atMessageBoundary() && response.atMessageBoundary()
                && request.count() + response.count() > 0;
    }

    /** A request or response from a decoded header list: pseudo-headers give its start line, and stay among the rest. */
    private Message message(HpackReader.Decoded decoded, boolean request) {
        List<HttpHeader> fields = decoded.fields();
        int bytes = 0;
        for (HttpHeader field : fields) {
            bytes += field.name().length() + field.value().length() + 4;
        }
        String status = value(fields, ":status");
        long contentLength = -1;
        String length = value(fields, "content-length");
        if (length != null) {
            try {
                contentLength = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                contentLength = -1;
            }
        }
        String encoding = value(fields, "content-encoding");
        MessageHead head = new MessageHead(
                request ? orUnknown(value(fields, ":method")) : null,
                request ? orUnknown(value(fields, ":path")) : null,
                "HTTP/2", request ? -1 : parseStatusCode(status), "", fields, contentLength, false, false,
                encoding == null ? null : encoding.trim().toLowerCase(Locale.ROOT), null);
        Message message = new Message(head, bytes, nanos, tid, context.settings().maxBody(), budget);
        if (contentLength > 0) {
            message.body.expect(contentLength);
        }
        return message;
    }

    private static String orUnknown(String value) {
        return value == null ? "?" : value;
    }

    private static int parseStatusCode(String status) {
        if (status == null) {
            return 0;
        }
        try {
            return Integer.parseInt(status.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean has(HpackReader.Decoded decoded, String name) {
        return value(decoded.fields(), name) != null;
    }

    private static String value(HpackReader.Decoded decoded, String name) {
        return value(decoded.fields(), name);
    }

    /** The first field so named (HTTP/2 names are lower case), or null. */
    private static String value(List<HttpHeader> fields, String name) {
        for (HttpHeader field : fields) {
            if (field.name().equalsIgnoreCase(name)) {
                return field.value();
            }
        }
        return null;
    }
}
