package io.httpprofiler.redact;

import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Redacts {@code name=value&...} text: a query string, or an {@code application/x-www-form-urlencoded} body. A secret
 * field keeps its name and {@code =}; its value becomes {@code [redacted N bytes]}, N counting the value as sent (still
 * percent-encoded). Names are percent-decoded before they are judged.
 */
final class FormFields {
    private final RedactionRules rules;

    FormFields(RedactionRules rules) {
        this.rules = rules;
    }

    /** The text with secret values replaced, or null when there is nothing to replace. */
    String redact(String text, Count count) {
        StringBuilder out = null;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('&', start);
            if (end < 0) {
                end = text.length();
            }
            int equals = text.indexOf('=', start);
            if (equals >= 0 && equals < end - 1 && rules.isSecretField(decode(text.substring(start, equals)))) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, start);
                }
                out.append(text, start, equals + 1).append(Marker.of(Marker.utf8Length(text.substring(equals + 1, end))));
                count.values++;
            } else if (out != null) {
                out.append(text, start, end);
            }
            if (out != null && end < text.length()) {
                out.append('&');
            }
            start = end + 1;
        }
        return out == null ? null : out.toString();
    }

    /** A form body's bytes with secret values replaced, or null when there is nothing to replace. */
    byte[] redact(byte[] body, Count count) {
        String text = new String(body, StandardCharsets.UTF_8);
        // Non-UTF-8 bytes would not survive the round trip: judge on the text, but cut and copy the bytes.
        if (!java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), body)) {
            return redactBytes(body, count);
        }
        String redacted = redact(text, count);
        return redacted == null ? null : redacted.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] redactBytes(byte[] body, Count count) {
        ByteArrayOutputStream out = null;
        int start = 0;
        while (start <= body.length) {
            int end = indexOf(body, (byte) '&', start, body.length);
            int equals = indexOf(body, (byte) '=', start, end);
            if (equals < end - 1 && rules.isSecretField(decode(
                    new String(body, start, equals - start, StandardCharsets.ISO_8859_1)))) {
                if (out == null) {
                    out = new ByteArrayOutputStream(body.length);
                    out.write(body, 0, start);
                }
                out.write(body, start, equals + 1 - start);
                out.writeBytes(Marker.bytesOf(end - equals - 1));
                count.values++;
            } else if (out != null) {
                out.write(body, start, end - start);
            }
            if (out != null && end < body.length) {
                out.write('&');
            }
            start = end + 1;
        }
        return out == null ? null : out.toByteArray();
    }

    private static int indexOf(byte[] bytes, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return to;
    }

    private static String decode(String name) {
        try {
            return URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return name; // a stray % : judge the name as sent
        }
    }
}
