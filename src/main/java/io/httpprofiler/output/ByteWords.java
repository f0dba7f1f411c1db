package io.httpprofiler.output;

import io.httpprofiler.http.SwarBytes;

/**
 * The writers' byte scans, eight bytes per step ({@link SwarBytes}): bodies are mostly long runs of printable ASCII,
 * and deciding a whole word at once is what lets the writers copy such runs in bulk instead of byte by byte.
 */
final class ByteWords {
    private static final long ONES = SwarBytes.ONES;
    private static final long HIGH_BITS = SwarBytes.HIGH_BITS;

    private ByteWords() {
    }

    static long word(byte[] bytes, int index) {
        return SwarBytes.word(bytes, index);
    }

    /** Stores {@code word} as the 8 bytes at {@code index}, little-endian, as {@link #word} reads them. */
    static void putWord(byte[] bytes, int index, long word) {
        SwarBytes.putWord(bytes, index, word);
    }

    /**
     * Whether any byte of {@code word} may be below {@code 0x20} or be {@code 0x7f} (an ASCII control). Never misses
     * one; may report a word that has none (borrows and carries spill into higher bytes), so callers check bytes.
     */
    static boolean mayHoldControl(long word) {
        return controlFlags(word) != 0;
    }

    /** The high bit of each byte that may be a control (see {@link #mayHoldControl}). */
    private static long controlFlags(long word) {
        long belowSpace = word - 0x2020202020202020L;
        long delete = word + ONES; // 0x7f becomes 0x80
        return (belowSpace | delete) & ~word & HIGH_BITS;
    }

    /**
     * The high bit of each byte of {@code word} that may be below {@code 0x20}, a quote or a backslash: what a JSON
     * string must escape. Never misses one; a flag above a flagged byte may be spurious (a borrow), the lowest is not.
     */
    static long jsonEscapeFlags(long word) {
        long belowSpace = word - 0x2020202020202020L;
        long quote = word ^ 0x2222222222222222L;
        long backslash = word ^ 0x5c5c5c5c5c5c5c5cL;
        long zeroBytes = ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash);
        return ((belowSpace & ~word) | zeroBytes) & HIGH_BITS;
    }

    /**
     * The index of the first {@link #isControl control} in {@code bytes[from, to)}, or {@code to}: whole words are
     * skipped while {@link #mayHoldControl} clears them, a flagged word is looked at byte by byte.
     */
    static int indexOfControl(byte[] bytes, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            // Flags may be spurious (a tab; a carry out of 0xff), so each flagged byte is checked, lowest first.
            for (long flags = controlFlags(word(bytes, i)); flags != 0; flags &= flags - 1) {
                int k = i + (Long.numberOfTrailingZeros(flags) >>> 3);
                if (isControl(bytes[k])) {
                    return k;
                }
            }
        }
        for (; i < to; i++) {
            if (isControl(bytes[i])) {
                return i;
            }
        }
        return to;
    }

    /** An ASCII control character, tab excepted (a tab is harmless on a terminal). */
    static boolean isControl(byte b) {
        return b >= 0 && b < 0x20 && b != '\t' || b == 0x7f;
    }

    static boolean needsJsonEscape(byte b) {
        return b >= 0 && b < 0x20 || b == '"' || b == '\\';
    }
}
