package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;

/** Byte-level helpers for protocol text, working in place on the capture buffers. */
final class Ascii {
    static final byte CR = '\r';
    static final byte LF = '\n';
    static final byte SP = ' ';
    static final byte HT = '\t';

    private Ascii() {
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
