package io.httpprofiler.http;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Byte-level helpers for protocol text, working in place on the capture buffers. */
final class Ascii {
    static final byte CR = '\r';
    static final byte LF = '\n';
    static final byte SP = ' ';
    static final byte HT = '\t';

    private Ascii() {
    }

    /** Reads 8 bytes at once, for scans that test a whole word per step (SWAR). */
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final long ONES = 0x0101010101010101L;
    static final long HIGH_BITS = 0x8080808080808080L;

    static long word(byte[] bytes, int index) {
        return (long) WORDS.get(bytes, index);
    }

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

    static boolean isWhitespace(byte b) {
        return b == SP || b == HT;
    }

    /** RFC 9110 tchar. */
    static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
            return true;
        }
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20) || b == 0x7f;
    }

    /** Whether {@code bytes[from, from + lowerCase.length())} equals {@code lowerCase}, ignoring ASCII case. */
    static boolean equalsIgnoreCase(byte[] bytes, int from, int length, String lowerCase) {
        if (length != lowerCase.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            int b = bytes[from + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerCase.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Header text as a String: UTF-8, which is ASCII for nearly all of it (and then as cheap as Latin-1). */
    static String string(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }
}
