package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.Role;
import io.httpprofiler.stream.StreamEnd;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Turns a request and its response, as either protocol's session parsed them, into an {@link Exchange}: renders the
 * bodies, gathers the notes, counts, and hands it on. One per connection; it also holds what every exchange of the
 * connection is stamped with (who opened it, the traced process's role, why it ended).
 */
final class ExchangeAssembler {
    private final ConnectionId id;
    private final PipelineContext context;
    ConnectionOpened opened;
    Role role = Role.UNKNOWN;
    StreamEnd endReason;

    ExchangeAssembler(ConnectionId id, PipelineContext context) {
        this.id = id;
        this.context = context;
    }

    /** An HTTP/1.x exchange. */
    void emit(PendingRequest request, Message response) {
        emit(request, response, 0, null);
    }

    /**
     * Delivers the exchange and releases both messages' buffers.
     *
     * @param stream the HTTP/2 stream, 0 for HTTP/1.x
     * @param grpc   the gRPC call the exchange carried, or null
     */
    void emit(PendingRequest request, Message response, int stream, GrpcCall grpc) {
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
        if (request.open != null) {
            long reported = context.progress().close(request.open);
            request.open = null;
            if (reported >= 0) {
                notes.add(Notes.completesProgress(reported));
            }
        }
        long endNanos = response == null ? request.startNanos : response.endNanos;
        context.completed().accept(exchange(request, httpRequest, httpResponse, notes, endNanos, stream, grpc));
    }

    /**
     * The exchange as far as it got, for a progress report: what both messages hold so far, bodies rendered from the
     * bytes kept so far. Nothing is released or counted; {@code endNanos} is now.
     */
    Exchange snapshot(PendingRequest request, Message response, int stream, GrpcCall grpc, long nowNanos) {
        List<String> notes = new ArrayList<>(request.notes);
        HttpRequest httpRequest = null;
        if (request.message != null) {
            Message message = request.message;
            httpRequest = new HttpRequest(message.head.method(), message.head.target(), message.head.version(),
                    message.head.headers(), message.trailers, render(message, true, notes));
        }
        HttpResponse httpResponse = null;
        if (response != null) {
            httpResponse = new HttpResponse(response.head.version(), response.head.status(), response.head.reason(),
                    response.head.headers(), response.trailers, render(response, false, notes));
        }
        return exchange(request, httpRequest, httpResponse, notes, Math.max(nowNanos, request.startNanos), stream,
                grpc);
    }

    /** The connection's identity and the process's, stamped on the messages. */
    private Exchange exchange(PendingRequest request, HttpRequest httpRequest, HttpResponse httpResponse,
                              List<String> notes, long endNanos, int stream, GrpcCall grpc) {
        InetSocketAddress local = opened == null ? null : opened.local();
        InetSocketAddress remote = opened == null ? null : opened.remote();
        String command = opened == null ? null : opened.command();
        String tlsLibrary = opened == null || opened.tls() == null || !opened.tls().decrypted() ? null
                : opened.tls().library();
        return new Exchange(id, request.tid, command, role, local, remote, request.startNanos, endNanos, httpRequest,
                httpResponse, distinct(notes), tlsLibrary, stream, grpc);
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

    /** Notes for a message that did not end complete. */
    void addOutcomeNotes(Message message, boolean request, List<String> notes) {
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
