package io.httpprofiler.output;

/**
 * A reusable byte buffer that one transcript block is built in, straight as UTF-8: bodies arrive as UTF-8 and are
 * copied, not decoded and encoded again. Everything from the wire goes through the "safe" appends, which show control
 * characters (but tab) as {@code ?} so that captured bytes cannot drive the reader's terminal.
 */
final class Utf8Block extends ByteBlock {
    private static final byte SAFE = '?';

    /** Each ASCII byte as shown: itself, or {@code ?} for a control. */
    private static final byte[] SHOWN_ASCII = shownAscii();

    Utf8Block() {
        super(4096);
    }

    /** Our own ASCII text (labels, numbers, indentation). */
    Utf8Block ascii(CharSequence text) {
        putAscii(text);
        return this;
    }

    Utf8Block ascii(char c) {
        putAscii(c);
        return this;
    }

    /** Bytes that are already UTF-8 and safe, such as the arrows. */
    Utf8Block raw(byte[] utf8) {
        put(utf8);
        return this;
    }

    Utf8Block number(long value) {
        return ascii(Long.toString(value));
    }

    /** A two-digit lower-case hex byte. */
    Utf8Block hex(int value) {
        ensure(2);
        bytes[length++] = (byte) Character.forDigit(value >> 4 & 0xf, 16);
        bytes[length++] = (byte) Character.forDigit(value & 0xf, 16);
        return this;
    }

    /** Text from the wire, encoded as UTF-8, controls neutralised. */
    Utf8Block safe(String text) {
        int n = text.length();
        char[] chars = charsOf(text);
        ensure(3 * n); // a surrogate pair takes 4 of its 6

        byte[] out = bytes;
        int at = length;
        int i = 0;
        // The common case first, header text that is all printable ASCII: a loop without an output index to carry.
        for (; i < n; i++) {
            char c = chars[i];
            if (c < 0x20 || c > 0x7e) {
                break;
            }
            out[at + i] = (byte) c;
        }
        at += i;
        for (; i < n; i++) {
            char c = chars[i];
            if (c < 0x80) {
                out[at++] = SHOWN_ASCII[c];
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(chars[i + 1])) {
                int codePoint = Character.toCodePoint(c, chars[++i]);
                out[at++] = (byte) (0xf0 | codePoint >> 18);
                out[at++] = (byte) (0x80 | codePoint >> 12 & 0x3f);
                out[at++] = (byte) (0x80 | codePoint >> 6 & 0x3f);
                out[at++] = (byte) (0x80 | codePoint & 0x3f);
            } else if (Character.isSurrogate(c)) {
                out[at++] = SAFE;
            } else {
                at = putNonAsciiBmp(out, at, c);
            }
        }
        length = at;
        return this;
    }

    /** Our own timestamp, as {@link Timestamps#localMillis} writes it. */
    Utf8Block localMillis(Timestamps timestamps, long epochNanos) {
        ensure(Timestamps.MAX_LENGTH);
        length = timestamps.localMillis(epochNanos, bytes, length);
        return this;
    }

    /**
     * Well-formed UTF-8 from the wire (a text body), copied as is but for controls: copied in bulk, then the copy is
     * checked a word at a time, since controls are rare in text.
     */
    Utf8Block safe(byte[] utf8, int from, int to) {
        int n = to - from;
        ensure(n);
        System.arraycopy(utf8, from, bytes, length, n);
        int end = length + n;
        int i = length;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            if (ByteWords.mayHoldControl(ByteWords.word(bytes, i))) {
                neutraliseControls(i, i + Long.BYTES);
            }
        }
        neutraliseControls(i, end);
        length = end;
        return this;
    }

    /**
     * Text split at its line feeds, each line written after {@code lineBreak} without the carriage return that ends it
     * (a CR at {@code to} counts as ending the last line). One scan for controls finds the line feeds too; the runs
     * between them are copied in bulk.
     */
    Utf8Block safeLines(byte[] utf8, int from, int to, byte[] lineBreak) {
        raw(lineBreak);
        int i = from;
        while (true) {
            int control = ByteWords.indexOfControl(utf8, i, to);
            put(utf8, i, control);
            if (control == to) {
                return this;
            }
            byte b = utf8[control];
            if (b == '\n') {
                raw(lineBreak);
            } else if (b != '\r' || control + 1 < to && utf8[control + 1] != '\n') {
                ascii((char) SAFE);
            } // else: the CR that ends a line, dropped
            i = control + 1;
        }
    }

    private void neutraliseControls(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (ByteWords.isControl(b)) {
                bytes[i] = SAFE;
            }
        }
    }

    private static byte[] shownAscii() {
        byte[] table = new byte[128];
        for (int c = 0; c < 128; c++) {
            table[c] = ByteWords.isControl((byte) c) ? SAFE : (byte) c;
        }
        return table;
    }
}
