package io.httpprofiler.http;

/**
 * HTTP/2 frame layout (RFC 9113 section 4) and the checks that recognise frames in bytes of unknown meaning.
 */
final class Http2Frames {
    static final int HEADER_BYTES = 9;
    /** Largest payload a peer may send before it has been told otherwise (SETTINGS_MAX_FRAME_SIZE's initial value). */
    static final int DEFAULT_MAX_FRAME_SIZE = 16_384;
    /** Largest payload the 24-bit length field can say. */
    static final int LARGEST_FRAME_SIZE = (1 << 24) - 1;

    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int PRIORITY = 0x2;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PUSH_PROMISE = 0x5;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;

    static final int FLAG_END_STREAM = 0x1;
    static final int FLAG_ACK = 0x1;
    static final int FLAG_END_HEADERS = 0x4;
    static final int FLAG_PADDED = 0x8;
    static final int FLAG_PRIORITY = 0x20;

    static final int SETTINGS_HEADER_TABLE_SIZE = 0x1;
    static final int SETTINGS_MAX_FRAME_SIZE = 0x5;

    /** Frames a record must hold, whole, to be taken for HTTP/2 when nothing else says so. */
    private static final int PLAUSIBLE_FRAMES = 2;

    private Http2Frames() {
    }

    static int length(byte[] header, int at) {
        return (header[at] & 0xff) << 16 | (header[at + 1] & 0xff) << 8 | header[at + 2] & 0xff;
    }

    static int type(byte[] header, int at) {
        return header[at + 3] & 0xff;
    }

    static int flags(byte[] header, int at) {
        return header[at + 4] & 0xff;
    }

    /** The stream identifier; the reserved bit is masked off. */
    static int stream(byte[] header, int at) {
        return int31(header, at + 5);
    }

    static int int31(byte[] bytes, int at) {
        return int32(bytes, at) & 0x7fff_ffff;
    }

    static int int32(byte[] bytes, int at) {
        return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8
                | bytes[at + 3] & 0xff;
    }

    /**
     * What is wrong with a frame header, or null if nothing: stream 0 where a stream is needed and the reverse, and
     * fixed-size frames of another size. Unknown types are fine (they are to be ignored).
     */
    static String problem(byte[] header, int at, int maxFrameSize) {
        int length = length(header, at);
        int type = type(header, at);
        int stream = stream(header, at);
        if (length > maxFrameSize) {
            return "frame larger than the maximum frame size";
        }
        return switch (type) {
            case DATA, HEADERS, CONTINUATION, PUSH_PROMISE -> stream == 0 ? "stream frame on stream 0" : null;
            case PRIORITY -> stream == 0 ? "stream frame on stream 0" : length != 5 ? "PRIORITY of wrong size" : null;
            case RST_STREAM -> stream == 0 ? "stream frame on stream 0" : length != 4 ? "RST_STREAM of wrong size" : null;
            case SETTINGS -> stream != 0 ? "SETTINGS on a stream" : length % 6 != 0 ? "SETTINGS of wrong size"
                    : (flags(header, at) & FLAG_ACK) != 0 && length != 0 ? "SETTINGS ack with payload" : null;
            case PING -> stream != 0 ? "PING on a stream" : length != 8 ? "PING of wrong size" : null;
            case GOAWAY -> stream != 0 ? "GOAWAY on a stream" : length < 8 ? "GOAWAY too short" : null;
            case WINDOW_UPDATE -> length != 4 ? "WINDOW_UPDATE of wrong size" : null;
            default -> null;
        };
    }

    /**
     * Whether a record, read from its first byte, is a run of HTTP/2 frames: known types only, every header valid with
     * the default frame size limit, and either ending exactly at the record's end or holding {@value #PLAUSIBLE_FRAMES}
     * whole frames before one that runs past it. Used to find frames when a connection's start was not seen.
     */
    static boolean plausibleRun(byte[] data, int offset, int length) {
        int end = offset + length;
        int at = offset;
        int frames = 0;
        while (end - at >= HEADER_BYTES) {
            int type = type(data, at);
            if (type > CONTINUATION || problem(data, at, DEFAULT_MAX_FRAME_SIZE) != null
                    || (data[at + 5] & 0x80) != 0) {
                return false;
            }
            at += HEADER_BYTES + length(data, at);
            if (at <= end) {
                frames++;
            }
        }
        return at == end ? frames > 0 : frames >= PLAUSIBLE_FRAMES;
    }
}
