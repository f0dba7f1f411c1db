package io.httpprofiler.output;

/**
 * A reusable byte buffer that one JSON line is built in, as UTF-8. Strings are escaped exactly as Jackson's UTF-8
 * generator escapes them (the output was Jackson's before, and stays byte for byte the same): {@code "} and {@code \},
 * the short forms {@code \b \t \n \f \r}, other controls as {@code &#92;u00XX} (upper-case hex), UTF-16 surrogates (paired
 * or not) as {@code &#92;uXXXX} each, everything else as its UTF-8 bytes. Runs that need no escaping are copied in bulk.
 *
 * <p>Separators are the caller's: {@link #comma()} before every member but the first, as the fixed shape of the record
 * dictates; field names are passed pre-encoded (quotes and colon included).
 */
final class JsonLine extends ByteBlock {
    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    /**
     * For each ASCII byte: 0 to copy it, the letter of its short escape ({@code \n}), or 'u' for {@code &#92;u00XX}.
     */
    private static final byte[] ESCAPES = escapes();

    JsonLine() {
        super(8192);
    }

    /** Bytes that are already JSON: field names with their colon, punctuation. */
    JsonLine raw(byte[] json) {
        put(json);
        return this;
    }

    JsonLine raw(char asciiPunctuation) {
        putAscii(asciiPunctuation);
        return this;
    }

    JsonLine comma() {
        return raw(',');
    }

    JsonLine nullValue() {
        return raw(NULL);
    }

    JsonLine bool(boolean value) {
        return raw(value ? TRUE : FALSE);
    }

    JsonLine number(long value) {
        ensure(20);
        if (value < 0) {
            if (value == Long.MIN_VALUE) {
                return ascii(Long.toString(value));
            }
            bytes[length++] = '-';
            value = -value;
        }
        int digits = digits(value);
        int end = length + digits;
        for (int i = end - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        length = end;
        return this;
    }

    /** Our own ASCII that needs no escaping (timestamps, numbers with a fraction), unquoted. */
    JsonLine ascii(CharSequence text) {
        putAscii(text);
        return this;
    }

    /** Our own timestamp, unquoted, as {@link Timestamps#isoUtcMicros} writes it. */
    JsonLine isoUtcMicros(Timestamps timestamps, long epochNanos) {
        ensure(Timestamps.MAX_LENGTH);
        length = timestamps.isoUtcMicros(epochNanos, bytes, length);
        return this;
    }

    /** A quoted, escaped string; null writes {@code null}. */
    JsonLine string(String text) {
        if (text == null) {
            return nullValue();
        }
        int n = text.length();
        char[] chars = charsOf(text);
        ensure(6 * n + 2); // at worst every char becomes a six-byte escape
        byte[] out = bytes;
        int at = length;
        out[at++] = '"';
        int i = 0;
        // The common case first, text that needs no escaping: a loop without an output index to carry.
        for (; i < n; i++) {
            char c = chars[i];
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                break;
            }
            out[at + i] = (byte) c;
        }
        at += i;
        for (; i < n; i++) {
            char c = chars[i];
            if (c < 0x80) {
                byte escape = ESCAPES[c];
                if (escape == 0) {
                    out[at++] = (byte) c;
                } else {
                    at = escape(out, at, c, escape);
                }
            } else if (Character.isSurrogate(c)) {
                at = unicodeEscape(out, at, c);
            } else {
                at = putNonAsciiBmp(out, at, c);
            }
        }
        out[at++] = '"';
        length = at;
        return this;
    }

    /**
     * A quoted string from bytes taken to be UTF-8: ASCII is escaped as in {@link #string}, every other byte is copied
     * as is (as Jackson's {@code writeUTF8String} does; a text body is valid UTF-8 already). One pass, a word at a
     * time: each word is stored to the output as it is tested, and only the bytes up to an escape are kept of it, so
     * runs that need no escaping cost neither a second scan nor a copy call per run.
     */
    JsonLine utf8String(byte[] utf8, int from, int to) {
        ensure(to - from + 2); // the bytes and the quotes; an escape makes room for itself
        byte[] out = bytes;
        int at = length;
        out[at++] = '"';
        int i = from;
        while (true) {
            for (; i + Long.BYTES <= to; i += Long.BYTES, at += Long.BYTES) {
                long word = ByteWords.word(utf8, i);
                ByteWords.putWord(out, at, word); // room: at least as many bytes left as input, plus the quote
                long flags = ByteWords.jsonEscapeFlags(word);
                if (flags != 0) {
                    // The lowest flag is never spurious: borrows only spill upwards from a byte that needs escaping.
                    int k = Long.numberOfTrailingZeros(flags) >>> 3;
                    i += k;
                    at += k;
                    break;
                }
            }
            if (i + Long.BYTES > to) {
                for (; i < to && !ByteWords.needsJsonEscape(utf8[i]); i++) {
                    out[at++] = utf8[i];
                }
                if (i == to) {
                    break;
                }
            }
            // utf8[i] needs escaping: up to six bytes where the input had one
            length = at;
            ensure(to - i + 6);
            out = bytes;
            int b = utf8[i];
            at = escape(out, at, (char) b, ESCAPES[b]);
            i++;
        }
        out[at++] = '"';
        length = at;
        return this;
    }

    private static int escape(byte[] out, int at, char c, byte escape) {
        if (escape == 'u') {
            return unicodeEscape(out, at, c);
        }
        out[at] = '\\';
        out[at + 1] = escape;
        return at + 2;
    }

    private static int unicodeEscape(byte[] out, int at, char c) {
        out[at] = '\\';
        out[at + 1] = 'u';
        out[at + 2] = HEX[c >> 12];
        out[at + 3] = HEX[c >> 8 & 0xf];
        out[at + 4] = HEX[c >> 4 & 0xf];
        out[at + 5] = HEX[c & 0xf];
        return at + 6;
    }

    private static int digits(long value) {
        int digits = 1;
        for (long limit = 10; digits < 19 && value >= limit; limit *= 10) {
            digits++;
        }
        return digits;
    }

    private static byte[] escapes() {
        byte[] table = new byte[128];
        for (int c = 0; c < 0x20; c++) {
            table[c] = 'u';
        }
        table['\b'] = 'b';
        table['\t'] = 't';
        table['\n'] = 'n';
        table['\f'] = 'f';
        table['\r'] = 'r';
        table['"'] = '"';
        table['\\'] = '\\';
        return table;
    }
}
