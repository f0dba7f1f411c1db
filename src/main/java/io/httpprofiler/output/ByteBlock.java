package io.httpprofiler.output;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reusable, growing byte buffer that one output record is built in as UTF-8, then written in one piece. What the
 * transcript block ({@link Utf8Block}) and the JSON line ({@link JsonLine}) share; each adds its own way of making
 * captured text safe for its reader.
 */
abstract class ByteBlock {
    protected byte[] bytes;
    protected int length;
    private char[] chars = new char[256];

    ByteBlock(int initialCapacity) {
        bytes = new byte[initialCapacity];
    }

    final void clear() {
        length = 0;
    }

    final int length() {
        return length;
    }

    final byte[] array() {
        return bytes;
    }

    @Override
    public final String toString() {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    /** Room for {@code more} bytes past {@code length}. */
    protected final void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(length + more, 2 * bytes.length));
        }
    }

    protected final void put(byte[] from) {
        put(from, 0, from.length);
    }

    protected final void put(byte[] from, int start, int end) {
        int n = end - start;
        ensure(n);
        System.arraycopy(from, start, bytes, length, n);
        length += n;
    }

    /**
     * A char of U+0080 to U+FFFF that is not a surrogate, as its two or three UTF-8 bytes at {@code out[at]}; returns
     * the index past them. Both writers' char loops encode all such chars alike and differ only in the rest.
     */
    protected static int putNonAsciiBmp(byte[] out, int at, char c) {
        if (c < 0x800) {
            out[at] = (byte) (0xc0 | c >> 6);
            out[at + 1] = (byte) (0x80 | c & 0x3f);
            return at + 2;
        }
        out[at] = (byte) (0xe0 | c >> 12);
        out[at + 1] = (byte) (0x80 | c >> 6 & 0x3f);
        out[at + 2] = (byte) (0x80 | c & 0x3f);
        return at + 3;
    }

    /** Our own ASCII (labels, numbers, timestamps): one byte per char, nothing to check. */
    protected final void putAscii(CharSequence text) {
        int n = text.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            bytes[length++] = (byte) text.charAt(i);
        }
    }

    protected final void putAscii(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
    }

    /**
     * The text's chars in a scratch array (valid up to {@code text.length()}): one bulk copy out of the String, then a
     * plain array loop, is cheaper than charAt's per-char checks.
     */
    protected final char[] charsOf(String text) {
        int n = text.length();
        if (chars.length < n) {
            chars = new char[Math.max(n, 2 * chars.length)];
        }
        text.getChars(0, n, chars, 0);
        return chars;
    }
}
