package io.httpprofiler.redact;

import java.nio.charset.StandardCharsets;

/** What stands in for a secret: {@code [redacted N bytes]}, N being the secret's length as it was on the wire. */
final class Marker {
    private Marker() {
    }

    static String of(long bytes) {
        return "[redacted " + bytes + " bytes]";
    }

    static byte[] bytesOf(long bytes) {
        return of(bytes).getBytes(StandardCharsets.US_ASCII);
    }

    static int utf8Length(String text) {
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
                length += 4;
                i++;
            } else {
                length += 3;
            }
        }
        return length;
    }
}
