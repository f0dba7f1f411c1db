package io.httpprofiler.http;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Eight bytes per step (SWAR, "SIMD within a register"): the parser's line scans and the writers' body scans deal in
 * long runs of plain ASCII, and testing a whole word at once is what makes them cheap. One home for the word access and
 * the search both use; the tests each of them needs on top live with them.
 */
public final class SwarBytes {
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** 0x01 in every byte. */
    public static final long ONES = 0x0101010101010101L;
    /** The high bit of every byte. */
    public static final long HIGH_BITS = 0x8080808080808080L;

    private SwarBytes() {
    }

    /** The 8 bytes at {@code index}, little-endian: byte {@code index} is the lowest. */
    public static long word(byte[] bytes, int index) {
        return (long) WORDS.get(bytes, index);
    }

    /** Stores {@code word} as the 8 bytes at {@code index}, little-endian, as {@link #word} reads them. */
    public static void putWord(byte[] bytes, int index, long word) {
        WORDS.set(bytes, index, word);
    }

    /** The index of the first {@code value} in {@code bytes[from, to)}, or -1. */
    public static int indexOf(byte[] bytes, int from, int to, byte value) {
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

    /** The high bits of {@code bytes[from, to)} or-ed together (not only): zero exactly when every byte is ASCII. */
    public static long highBits(byte[] bytes, int from, int to) {
        long bits = 0;
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            bits |= word(bytes, i);
        }
        for (; i < to; i++) {
            bits |= bytes[i];
        }
        return bits & HIGH_BITS; // a tail byte above 0x7f is sign-extended, so it sets high bits too
    }
}
