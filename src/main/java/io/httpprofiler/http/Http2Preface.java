package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the first bytes of one direction of a connection for the start of HTTP/2, holding the records that are still
 * undecided. The client's direction starts with the connection preface. The server's starts with a SETTINGS frame,
 * which some servers (nghttpd) write before they read the client's preface: such a start does not decide by itself,
 * it is held (up to {@link #MAX_HELD} bytes) until the other direction does.
 */
final class Http2Preface {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Most bytes held while a SETTINGS frame waits for the other direction to decide. */
    static final int MAX_HELD = 1024;

    enum Match {
        /** The client connection preface. */
        YES,
        /** Not the start of HTTP/2. */
        NO,
        /** A prefix of the preface so far. */
        NEED_MORE,
        /** Starts like the server's SETTINGS frame: the other direction decides. */
        SERVER_START
    }

    private byte[] held = new byte[PREFACE.length];
    private int heldLength;
    private Match state;

    /** Adds the next record of the direction (which continues the held bytes). */
    Match add(byte[] data, int offset, int length) {
        if (state == Match.SERVER_START) {
            return hold(data, offset, length) ? Match.SERVER_START : (state = Match.NO);
        }
        if (state != Match.NEED_MORE || heldLength == 0 || held[0] == PREFACE[0]) {
            int compared = Math.min(length, PREFACE.length - heldLength);
            if (Arrays.equals(data, offset, offset + compared, PREFACE, heldLength, heldLength + compared)) {
                if (heldLength + compared == PREFACE.length) {
                    return state = Match.YES;
                }
                hold(data, offset, compared);
                return state = Match.NEED_MORE;
            }
        }
        int settings = settingsHeader(data, offset, length);
        if (settings != 0 && hold(data, offset, length)) {
            return state = settings > 0 ? Match.SERVER_START : Match.NEED_MORE;
        }
        return state = Match.NO;
    }

    /**
     * Whether the held bytes and these start a SETTINGS frame header that fits the default limits: 1 when the header is
     * complete, -1 while it is still a prefix of one, 0 when not.
     */
    private int settingsHeader(byte[] data, int offset, int length) {
        byte[] header = new byte[Http2Frames.HEADER_BYTES];
        int fromHeld = Math.min(heldLength, header.length);
        System.arraycopy(held, 0, header, 0, fromHeld);
        int available = fromHeld + Math.min(length, header.length - fromHeld);
        System.arraycopy(data, offset, header, fromHeld, available - fromHeld);
        for (int i = 0; i < available; i++) {
            int b = header[i] & 0xff;
            boolean fits = switch (i) {
                case 1 -> b <= Http2Frames.DEFAULT_MAX_FRAME_SIZE >> 8;
                case 3 -> b == Http2Frames.SETTINGS;
                case 2 -> true;
                default -> b == 0; // length's high byte, flags, stream 0
            };
            if (!fits) {
                return 0;
            }
        }
        if (available < header.length) {
            return -1;
        }
        return Http2Frames.problem(header, 0, Http2Frames.DEFAULT_MAX_FRAME_SIZE) == null ? 1 : 0;
    }

    /** This direction is waiting for the other one to decide. */
    boolean waiting() {
        return state == Match.SERVER_START;
    }

    private boolean hold(byte[] data, int offset, int length) {
        if (heldLength + length > MAX_HELD) {
            return false;
        }
        if (heldLength + length > held.length) {
            held = Arrays.copyOf(held, Math.min(MAX_HELD, Math.max(heldLength + length, 2 * held.length)));
        }
        System.arraycopy(data, offset, held, heldLength, length);
        heldLength += length;
        return true;
    }

    /** Bytes of the direction's earlier records, held undecided. */
    byte[] held() {
        return held;
    }

    int heldLength() {
        return heldLength;
    }

    /** Stream position the next record must start at to continue the held bytes. */
    long length() {
        return heldLength;
    }

    void clear() {
        heldLength = 0;
        held = new byte[0];
        state = Match.NO;
    }
}
