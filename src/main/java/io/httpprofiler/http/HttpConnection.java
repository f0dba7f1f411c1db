package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamControl;
import io.httpprofiler.stream.StreamEnd;
import io.httpprofiler.stream.StreamListener;

/**
 * One connection, seen from one process: decides which protocol it speaks and hands its bytes to that protocol's
 * session. HTTP/2 is recognised by the client's connection preface at the start of a stream, by an HTTP/1.1 upgrade to
 * {@code h2c}, or, when the connection's start was not seen, by a record that reads as a run of HTTP/2 frames before any
 * HTTP/1.x message parsed; everything else goes to HTTP/1.x (which also gives up on connections that are neither).
 */
final class HttpConnection implements StreamListener {
    private final ConnectionId id;
    private final StreamControl control;
    private final PipelineContext context;
    private final ExchangeAssembler assembler;
    private final Http2Preface egressPreface = new Http2Preface();
    private final Http2Preface ingressPreface = new Http2Preface();
    /** Null until the first bytes decide; then the session of the protocol spoken. */
    private ProtocolSession session;
    /** The HTTP/1.x session, while it is the one in charge. */
    private Http1Session http1;
    // Where the HTTP/2 session took over (bytes before these belonged to HTTP/1.x and are not fed to it again).
    private long egressFrom;
    private long ingressFrom;

    HttpConnection(ConnectionId id, StreamControl control, PipelineContext context) {
        this.id = id;
        this.control = control;
        this.context = context;
        this.assembler = new ExchangeAssembler(id, context);
    }

    @Override
    public void onOpened(ConnectionOpened event) {
        assembler.opened = event;
        if (http1 != null) {
            http1.opened(event);
        }
    }

    @Override
    public void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                       int tid) {
        if (session == null && !decide(direction, data, offset, length, position, timestampNanos, tid)) {
            return;
        }
        if (http1 != null && http1.undecided() && !startSeen() && Http2Frames.plausibleRun(data, offset, length)) {
            startHttp2(null, false, null, 0, 0);
        }
        long from = direction == Direction.EGRESS ? egressFrom : ingressFrom;
        if (position + length <= from) {
            return; // HTTP/1.x bytes from before an upgrade to HTTP/2
        }
        int skip = (int) Math.max(0, from - position);
        ProtocolSession current = session;
        current.onData(direction, data, offset + skip, length - skip, position + skip, timestampNanos, tid);
        if (session != current) { // upgraded to HTTP/2 within this record: the rest of it is HTTP/2
            from = direction == Direction.EGRESS ? egressFrom : ingressFrom;
            if (from > position + skip && from < position + length) {
                int at = (int) (from - position);
                session.onData(direction, data, offset + at, length - at, from, timestampNanos, tid);
            }
        }
    }

    /**
     * Reads the first bytes of a direction for the HTTP/2 preface. Returns true once a session is chosen; false while
     * the bytes so far are the start of a preface (they are held until it is complete or ruled out).
     */
    private boolean decide(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                           int tid) {
        Http2Preface preface = direction == Direction.EGRESS ? egressPreface : ingressPreface;
        Http2Preface other = direction == Direction.EGRESS ? ingressPreface : egressPreface;
        Http2Preface.Match match = position == preface.length() ? preface.add(data, offset, length)
                : Http2Preface.Match.NO;
        if (match == Http2Preface.Match.NEED_MORE
                || match == Http2Preface.Match.SERVER_START && !other.waiting()) {
            return false; // held: the next record, or the other direction, decides
        }
        boolean heldNow = match == Http2Preface.Match.SERVER_START; // both directions hold a SETTINGS frame
        if (match == Http2Preface.Match.YES) {
            startHttp2(direction, true, null, 0, 0);
        } else {
            startHttp1();
        }
        replayHeld(direction, preface, timestampNanos, tid);
        replayHeld(direction.opposite(), other, timestampNanos, tid);
        return !heldNow;
    }

    /** Feeds the bytes of earlier records held while undecided (they start the stream, at position 0). */
    private void replayHeld(Direction direction, Http2Preface preface, long timestampNanos, int tid) {
        int held = preface.heldLength();
        if (held > 0) {
            session.onData(direction, preface.held(), 0, held, 0, timestampNanos, tid);
        }
        preface.clear();
    }

    private void startHttp1() {
        http1 = new Http1Session(id, control, context, assembler, this::upgradedToHttp2);
        session = http1;
        if (assembler.opened != null) {
            http1.opened(assembler.opened);
        }
    }

    private boolean startSeen() {
        return assembler.opened != null && assembler.opened.role() != Role.UNKNOWN;
    }

    private void upgradedToHttp2(PendingRequest request, long responseDirectionFrom, long requestDirectionFrom) {
        Direction requestDirection = assembler.role == Role.SERVER ? Direction.INGRESS : Direction.EGRESS;
        long egress = requestDirection == Direction.EGRESS ? requestDirectionFrom : responseDirectionFrom;
        long ingress = requestDirection == Direction.EGRESS ? responseDirectionFrom : requestDirectionFrom;
        startHttp2(requestDirection, true, request, egress, ingress);
    }

    /**
     * @param clientDirection the direction the client's frames travel, or null when not known yet
     * @param startSeen       each direction starts at a frame boundary (the preface or the upgrade was seen)
     * @param upgrade         the HTTP/1.1 request that upgraded the connection (answered on stream 1), or null
     */
    private void startHttp2(Direction clientDirection, boolean startSeen, PendingRequest upgrade, long egressStart,
                            long ingressStart) {
        if (http1 != null) {
            http1.abandon();
            http1 = null;
        }
        egressFrom = egressStart;
        ingressFrom = ingressStart;
        if (clientDirection != null && assembler.role == Role.UNKNOWN) {
            assembler.role = clientDirection == Direction.EGRESS ? Role.CLIENT : Role.SERVER;
        }
        context.counters().http2Connections++;
        session = new Http2Session(id, control, context, assembler, clientDirection, startSeen, upgrade);
    }

    @Override
    public void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos) {
        if (session == null) {
            startHttp1();
            replayHeld(Direction.EGRESS, egressPreface, timestampNanos, 0);
            replayHeld(Direction.INGRESS, ingressPreface, timestampNanos, 0);
        }
        long from = direction == Direction.EGRESS ? egressFrom : ingressFrom;
        if (position + length > from) {
            long start = Math.max(position, from);
            session.onGap(direction, start, position + length - start, cause, timestampNanos);
        }
    }

    @Override
    public void onRecordsLost(Direction direction, long timestampNanos) {
        if (session == null) { // as for a gap: the protocol is not decided yet, and bytes are missing from the start
            startHttp1();
            replayHeld(Direction.EGRESS, egressPreface, timestampNanos, 0);
            replayHeld(Direction.INGRESS, ingressPreface, timestampNanos, 0);
        }
        session.onRecordsLost(direction, timestampNanos);
    }

    @Override
    public void onEnd(StreamEnd reason, long timestampNanos) {
        assembler.endReason = reason;
        if (session != null) {
            session.onEnd(reason, timestampNanos);
        }
    }
}
