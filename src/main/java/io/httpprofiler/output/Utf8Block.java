package io.httpprofiler.output;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reusable byte buffer that one transcript block is built in, straight as UTF-8: bodies arrive as UTF-8 and are
 * copied, not decoded and encoded again. Everything from the wire goes through the "safe" appends, which show control
 * characters (but tab) as {@code ?} so that captured bytes cannot drive the reader's terminal.
 */
final class Utf8Block {
    private static final byte SAFE = '?';

    private byte[] bytes = new byte[4096];
    private int length;

    void clear() {
        length = 0;
    }

    int length() {
        return length;
    }

    byte[] array() {
        return bytes;
    }

    @Override
    public String toString() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** Our own ASCII text (labels, numbers, indentation). */
    Utf8Block ascii(CharSequence text) {
        int n = text.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            bytes[length++] = (byte) text.charAt(i);
        }
        return this;
    }

    Utf8Block ascii(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
        return this;
    }

    /** Bytes that are already UTF-8 and safe, such as the arrows. */
    Utf8Block raw(byte[] utf8) {
        ensure(utf8.length);
        System.arraycopy(utf8, 0, bytes, length, utf8.length);
        length += utf8.length;
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
        ensure(3 * n);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes[length++] = isControl(c) ? SAFE : (byte) c;
            } else if (c < 0x800) {
                bytes[length++] = (byte) (0xc0 | c >> 6);
                bytes[length++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                ensure(1);
                int codePoint = Character.toCodePoint(c, text.charAt(++i));
                bytes[length++] = (byte) (0xf0 | codePoint >> 18);
                bytes[length++] = (byte) (0x80 | codePoint >> 12 & 0x3f);
                bytes[length++] = (byte) (0x80 | codePoint >> 6 & 0x3f);
                bytes[length++] = (byte) (0x80 | codePoint & 0x3f);
            } else if (Character.isSurrogate(c)) {
                bytes[length++] = SAFE;
            } else {
                bytes[length++] = (byte) (0xe0 | c >> 12);
                bytes[length++] = (byte) (0x80 | c >> 6 & 0x3f);
                bytes[length++] = (byte) (0x80 | c & 0x3f);
            }
        }
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
     * (a CR at {@code to} counts as ending the last line).
     */
    Utf8Block safeLines(byte[] utf8, int from, int to, byte[] lineBreak) {
        int lineStart = from;
        while (true) {
            int lineFeed = ByteWords.indexOf(utf8, lineStart, to, (byte) '\n');
            int lineEnd = lineFeed < 0 ? to : lineFeed;
            int textEnd = lineEnd > lineStart && utf8[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            raw(lineBreak).safe(utf8, lineStart, textEnd);
            if (lineFeed < 0) {
                return this;
            }
            lineStart = lineFeed + 1;
        }
    }

    private void neutraliseControls(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b >= 0 && isControl((char) b)) {
                bytes[i] = SAFE;
            }
        }
    }

    private static boolean isControl(char c) {
        return c < 0x20 && c != '\t' || c == 0x7f;
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(length + more, 2 * bytes.length));
        }
    }
}
