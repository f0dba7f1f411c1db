package io.httpprofiler.http;

import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamEnd;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The notes an {@link Exchange} may carry. Users search transcripts for them, so their wording is stable. */
public final class Notes {
    public static final String RESPONSE_NOT_SEEN = "response not seen";
    public static final String REQUEST_NOT_SEEN = "request not seen";
    /** Data was lost around this exchange: it may be incomplete, or its pairing inferred from timing. */
    public static final String CAPTURE_GAP = "capture gap";
    /**
     * Bytes that were not captured by design (sendfile, the capture limit...) held whole messages: the pairing around them
     * is inferred. Bytes lost say {@link #CAPTURE_GAP} instead.
     */
    public static final String PAIRING_INFERRED = "pairing inferred: messages not captured";
    public static final String RESPONSE_NOT_AWAITED = "response not awaited: too many pending requests";
    public static final String TUNNEL_ESTABLISHED = "tunnel established";
    public static final String REQUEST_UNFINISHED = "request incomplete when response completed";
    public static final String INCOMPLETE_PREFIX = "incomplete: ";

    public static final String COMPLETES_PROGRESS_PREFIX = "completes in-progress report from ";
    /** Wall-clock time of day, as the transcript's header line shows it (UTC). */
    private static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);

    private Notes() {
    }

    /**
     * {@code completes in-progress report from 11:30:02.125}: the exchange was reported in progress while it lasted
     * (first at that time, UTC); this is the whole of it.
     */
    public static String completesProgress(long firstReportNanos) {
        return COMPLETES_PROGRESS_PREFIX + TIME_OF_DAY.format(Instant.ofEpochSecond(0, firstReportNanos));
    }

    /** {@code incomplete: connection closed}, {@code incomplete: profiler stopped}, ... */
    public static String incomplete(StreamEnd reason) {
        return INCOMPLETE_PREFIX + switch (reason) {
            case CLOSED, CLOSE_LOST -> "connection closed";
            case STOPPED -> "profiler stopped";
            case IDLE -> "connection idle";
            case SHED -> "connection dropped (tracking limit)";
        };
    }

    /** {@code upgraded to websocket}. */
    public static String upgraded(String protocol) {
        return "upgraded to " + (protocol == null ? "another protocol" : protocol.toLowerCase(Locale.ROOT));
    }

    /** {@code malformed request: invalid request line}. */
    public static String malformed(boolean request, String reason) {
        return (request ? "malformed request: " : "malformed response: ") + reason;
    }

    /**
     * {@code response body truncated: 983040 of 1048576 bytes not kept}: bytes seen but not kept (past --max-body, a
     * buffer limit, or after a gap, since only a prefix is kept); bytes a gap note already accounts for are not counted.
     */
    public static String bodyTruncated(boolean request, long notKept, long size) {
        return (request ? "request" : "response") + " body truncated: " + notKept + " of " + size + " bytes not kept";
    }

    /** {@code request not kept: buffer limit}: a head that could not be held while it arrived. */
    public static String notKept(boolean request) {
        return (request ? "request" : "response") + " not kept: buffer limit";
    }

    /** {@code request headers not kept: buffer limit}. */
    public static String headersNotKept(boolean request) {
        return (request ? "request" : "response") + " headers not kept: buffer limit";
    }

    /** {@code capture gap in response body: 4096 bytes missing}: bytes lost (ring buffer full), only those. */
    public static String bodyGap(boolean request, long missing) {
        return "capture gap in " + (request ? "request" : "response") + " body: " + missing + " bytes missing";
    }

    /**
     * {@code response body not captured: 1024 bytes sent with sendfile}: bytes the kernel saw pass but did not copy, and
     * why. Not a loss: {@code cause} is never {@link GapCause#LOST} (that is {@link #bodyGap}).
     */
    public static String bodyNotCaptured(boolean request, long bytes, GapCause cause) {
        return (request ? "request" : "response") + " body not captured: " + bytes + " bytes " + switch (cause) {
            case SENDFILE -> "sent with sendfile";
            case CAPTURE_LIMIT -> "past the per-call capture limit";
            case SKIPPED -> "skipped past --max-body";
            case UNREADABLE -> "unreadable";
            case LOST -> throw new IllegalArgumentException("lost bytes are a capture gap");
        };
    }

    /** {@code response end not captured}: bytes not captured by design held its framing, so where it ends is unknown. */
    public static String endNotCaptured(boolean request) {
        return (request ? "request" : "response") + " end not captured";
    }

    /** The note for a pairing inferred across bytes missing for {@code cause}. */
    static String pairingInferred(GapCause cause) {
        return cause.isLoss() ? CAPTURE_GAP : PAIRING_INFERRED;
    }

    /** {@code interim response: 100 Continue}. */
    public static String interim(int status, String reason) {
        return "interim response: " + status + (reason.isEmpty() ? "" : " " + reason);
    }

    /** An HTTP/2 stream the server pushed: its request is the one the PUSH_PROMISE on {@code stream} promised. */
    public static String serverPush(int stream) {
        return "server push (promised on stream " + stream + ")";
    }

    /** Stream 1 after an h2c upgrade: its request is the HTTP/1.1 one that asked for the upgrade. */
    public static final String H2C_UPGRADE_REQUEST = "request sent as HTTP/1.1 with the upgrade to h2c";

    /** An HTTP/2 stream dropped from tracking because too many were open at once. */
    public static final String STREAM_NOT_FOLLOWED = "stream not followed: too many open streams";

    /**
     * {@code request header fields not decoded: 3 (HPACK table entries not seen)}: fields that refer to dynamic table
     * entries added before the capture started (or before lost bytes). They are left out, not guessed.
     */
    public static String headerFieldsNotDecoded(boolean request, boolean trailers, int fields) {
        return (request ? "request" : "response") + (trailers ? " trailer" : " header") + " fields not decoded: "
                + fields
                + " (HPACK table entries not seen)";
    }

    /** {@code response headers not decoded: HPACK error}. */
    public static String headersNotDecoded(boolean request, boolean trailers, String problem) {
        return (request ? "request" : "response") + (trailers ? " trailers" : " headers") + " not decoded: " + problem;
    }

    /** {@code stream reset by client: CANCEL}. */
    public static String streamReset(boolean byClient, long errorCode) {
        return "stream reset by " + (byClient ? "client" : "server") + ": " + http2Error(errorCode);
    }

    /** {@code GOAWAY from server: NO_ERROR, last stream 5}. */
    public static String goAway(boolean fromClient, long errorCode, int lastStream) {
        return "GOAWAY from " + (fromClient ? "client" : "server") + ": " + http2Error(errorCode) + ", last stream "
                + lastStream;
    }

    /** {@code HTTP/2 frames unreadable: frame larger than the maximum frame size}. */
    public static String framesUnreadable(String reason) {
        return "HTTP/2 frames unreadable: " + reason;
    }

    /** HTTP/2 error code names (RFC 9113 section 7). */
    static String http2Error(long code) {
        String[] names = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
                "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
                "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
        return code >= 0 && code < names.length ? names[(int) code] : "error 0x" + Long.toHexString(code);
    }
}
