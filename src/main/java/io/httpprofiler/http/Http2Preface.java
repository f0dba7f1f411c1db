package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Matches the first bytes of a direction against the HTTP/2 client connection preface, holding the bytes of records
 * that are still a prefix of it (at most the preface's 24 bytes).
 */
final class Http2Preface {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    enum Match { YES, NO, NEED_MORE }

    private final byte[] held = new byte[PREFACE.length];
    private int heldLength;

    /** Adds the next record of the direction: YES once the preface is complete, NO as soon as a byte differs. */
    Match add(byte[] data, int offset, int length) {
        int compared = Math.min(length, PREFACE.length - heldLength);
        if (!Arrays.equals(data, offset, offset + compared, PREFACE, heldLength, heldLength + compared)) {
            return Match.NO;
        }
        if (heldLength + compared == PREFACE.length) {
            return Match.YES;
        }
        System.arraycopy(data, offset, held, heldLength, compared);
        heldLength += compared;
        return Match.NEED_MORE;
    }

    /** Bytes of the direction's earlier records, held while they were a prefix of the preface. */
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
    }
}
