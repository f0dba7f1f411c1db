package io.httpprofiler.output;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte scans that test eight bytes per step (SWAR): bodies are mostly long runs of printable ASCII, and deciding a whole
 * word at once is what lets the writers copy such runs in bulk instead of byte by byte.
 */
final class ByteWords {
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    private ByteWords() {
    }

    static long word(byte[] bytes, int index) {
        return (long) WORDS.get(bytes, index);
    }

    /** The index of the first {@code value} in {@code bytes[from, to)}, or -1. */
    static int indexOf(byte[] bytes, int from, int to, byte value) {
        int i = from;
        long pattern = ONES * (value & 0xff);
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long word = word(bytes, i) ^ pattern;
            // The lowest byte that was zero (equal to value) sets its high bit here; higher ones may be spurious.
            long found = (word - ONES) & ~word & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
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
     * Whether any byte of {@code word} may be below {@code 0x20}, a quote or a backslash: what a JSON string must
     * escape. Never misses one; may report a word that has none, so callers check bytes.
     */
    static boolean mayNeedJsonEscape(long word) {
        return jsonEscapeFlags(word) != 0;
    }

    /** The high bit of each byte that may need escaping (see {@link #mayNeedJsonEscape}). */
    private static long jsonEscapeFlags(long word) {
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

    /** The index of the first byte in {@code bytes[from, to)} a JSON string must escape, or {@code to}. */
    static int indexOfJsonEscape(byte[] bytes, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long flags = jsonEscapeFlags(word(bytes, i));
            if (flags != 0) {
                // The lowest flag is never spurious: borrows only spill upwards from a byte that truly needs escaping.
                return i + (Long.numberOfTrailingZeros(flags) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (needsJsonEscape(bytes[i])) {
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
