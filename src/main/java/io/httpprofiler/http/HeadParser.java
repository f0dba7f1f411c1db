package io.httpprofiler.http;

import java.util.List;
import java.util.Locale;

/**
 * Parses a complete head (start line, header lines, empty line) or trailer section lying contiguously in a byte array,
 * in place. Returns null on malformed input and says why in {@link #error()}; never throws on any input.
 */
final class HeadParser {
    /** The longest decimal Content-Length accepted: 18 digits always fit a long. */
    private static final int MAX_LENGTH_DIGITS = 18;

    private String error;
    private long contentLength;
    private boolean chunked;
    private boolean transferCoded;
    private String contentEncoding;
    private String upgrade;
    /** Where the fields of the section being parsed are collected. */
    private final HeaderFields.Builder fields = new HeaderFields.Builder();

    /** Why the last parse returned null. */
    String error() {
        return error;
    }

    MessageHead parseRequest(byte[] bytes, int from, int to) {
        resetFraming();
        int lineEnd = SwarBytes.indexOf(bytes, from, to, Ascii.LF);
        int end = withoutCr(bytes, from, lineEnd);
        int firstSpace = SwarBytes.indexOf(bytes, from, end, Ascii.SP);
        int lastSpace = lastIndexOf(bytes, firstSpace + 1, end, Ascii.SP);
        if (firstSpace <= from || lastSpace <= firstSpace + 1 || !isToken(bytes, from, firstSpace)) {
            return fail("invalid request line");
        }
        String version = version(bytes, lastSpace + 1, end);
        if (version == null || !isTarget(bytes, firstSpace + 1, lastSpace)) {
            return fail("invalid request line");
        }
        String method = method(bytes, from, firstSpace);
        String target = Ascii.string(bytes, firstSpace + 1, lastSpace);
        List<HttpHeader> headers = parseFields(bytes, lineEnd + 1, to, true);
        if (headers == null) {
            return null;
        }
        return new MessageHead(method, target, version, -1, null, headers, contentLength, chunked, transferCoded,
                contentEncoding, upgrade);
    }

    MessageHead parseResponse(byte[] bytes, int from, int to) {
        resetFraming();
        int lineEnd = SwarBytes.indexOf(bytes, from, to, Ascii.LF);
        int end = withoutCr(bytes, from, lineEnd);
        String version = end - from >= 8 ? version(bytes, from, from + 8) : null;
        int codeStart = from + 9;
        if (version == null || end < codeStart + 3 || bytes[from + 8] != Ascii.SP
                || (end > codeStart + 3 && bytes[codeStart + 3] != Ascii.SP)) {
            return fail("invalid status line");
        }
        int status = 0;
        for (int i = codeStart; i < codeStart + 3; i++) {
            byte b = bytes[i];
            if (b < '0' || b > '9') {
                return fail("invalid status code");
            }
            status = status * 10 + (b - '0');
        }
        if (status < 100) {
            return fail("invalid status code");
        }
        String reason = end > codeStart + 4 ? reason(bytes, codeStart + 4, end) : "";
        List<HttpHeader> headers = parseFields(bytes, lineEnd + 1, to, true);
        if (headers == null) {
            return null;
        }
        return new MessageHead(null, null, version, status, reason, headers, contentLength, chunked, transferCoded,
                contentEncoding, upgrade);
    }

    /** Trailer lines up to and including the empty line; framing headers in trailers mean nothing and are not read. */
    List<HttpHeader> parseTrailers(byte[] bytes, int from, int to) {
        resetFraming();
        return parseFields(bytes, from, to, false);
    }

    private List<HttpHeader> parseFields(byte[] bytes, int from, int to, boolean framing) {
        fields.clear();
        int i = from;
        while (i < to) {
            int lineFeed = SwarBytes.indexOf(bytes, i, to, Ascii.LF);
            if (lineFeed < 0) {
                lineFeed = to;
            }
            int end = withoutCr(bytes, i, lineFeed);
            if (end == i) {
                break;
            }
            if (Ascii.isWhitespace(bytes[i])) {
                // obs-fold: a continuation of the previous field's value
                if (fields.isEmpty()) {
                    return fail("continuation line without a header");
                }
                int valueStart = skipWhitespace(bytes, i, end);
                fields.continueLast(bytes, valueStart, trimEnd(bytes, valueStart, end));
            } else {
                int colon = SwarBytes.indexOf(bytes, i, end, (byte) ':');
                if (colon < 0) {
                    return fail("header line without colon");
                }
                if (colon == i || !isToken(bytes, i, colon)) {
                    return fail("invalid header name");
                }
                int valueStart = skipWhitespace(bytes, colon + 1, end);
                int valueEnd = trimEnd(bytes, valueStart, end);
                if (framing && !readFraming(bytes, i, colon - i, valueStart, valueEnd)) {
                    return null;
                }
                fields.add(HeaderNames.sharedIndex(bytes, i, colon), bytes, i, colon, valueStart, valueEnd);
            }
            i = lineFeed + 1;
        }
        return fields.isEmpty() ? List.of() : fields.build();
    }

    private boolean readFraming(byte[] bytes, int name, int nameLength, int value, int valueEnd) {
        switch (nameLength) {
            case 14 -> {
                if (Ascii.equalsIgnoreCase(bytes, name, nameLength, "content-length")) {
                    return readContentLength(bytes, value, valueEnd);
                }
            }
            case 17 -> {
                if (Ascii.equalsIgnoreCase(bytes, name, nameLength, "transfer-encoding")) {
                    transferCoded = true;
                    int lastComma = lastIndexOf(bytes, value, valueEnd, (byte) ',');
                    int coding = skipWhitespace(bytes, lastComma < 0 ? value : lastComma + 1, valueEnd);
                    chunked = Ascii.equalsIgnoreCase(bytes, coding, valueEnd - coding, "chunked");
                }
            }
            case 16 -> {
                if (Ascii.equalsIgnoreCase(bytes, name, nameLength, "content-encoding") && valueEnd > value) {
                    String coding = Ascii.string(bytes, value, valueEnd).toLowerCase(Locale.ROOT);
                    contentEncoding = contentEncoding == null ? coding : contentEncoding + ", " + coding;
                }
            }
            case 7 -> {
                if (Ascii.equalsIgnoreCase(bytes, name, nameLength, "upgrade") && valueEnd > value) {
                    upgrade = Ascii.string(bytes, value, valueEnd);
                }
            }
            default -> {
            }
        }
        return true;
    }

    /**
     * Accepts repeated and list-form values ({@code 5, 5}) only when they all agree, as RFC 9110 section 8.6 allows.
     */
    private boolean readContentLength(byte[] bytes, int from, int to) {
        int i = from;
        do {
            int elementEnd = SwarBytes.indexOf(bytes, i, to, (byte) ',');
            if (elementEnd < 0) {
                elementEnd = to;
            }
            int start = skipWhitespace(bytes, i, elementEnd);
            int end = trimEnd(bytes, start, elementEnd);
            if (end == start || end - start > MAX_LENGTH_DIGITS) {
                fail("invalid Content-Length");
                return false;
            }
            long length = 0;
            for (int j = start; j < end; j++) {
                byte b = bytes[j];
                if (b < '0' || b > '9') {
                    fail("invalid Content-Length");
                    return false;
                }
                length = length * 10 + (b - '0');
            }
            if (contentLength >= 0 && contentLength != length) {
                fail("conflicting Content-Length");
                return false;
            }
            contentLength = length;
            i = elementEnd + 1;
        } while (i < to);
        return true;
    }

    private void resetFraming() {
        error = null;
        contentLength = -1;
        chunked = false;
        transferCoded = false;
        contentEncoding = null;
        upgrade = null;
    }

    private <T> T fail(String reason) {
        error = reason;
        return null;
    }

    private static String method(byte[] bytes, int from, int to) {
        int length = to - from;
        if (length == 3 && bytes[from] == 'G' && bytes[from + 1] == 'E' && bytes[from + 2] == 'T') {
            return "GET";
        }
        if (length == 4 && bytes[from] == 'P' && bytes[from + 1] == 'O' && bytes[from + 2] == 'S'
                && bytes[from + 3] == 'T') {
            return "POST";
        }
        return Ascii.string(bytes, from, to);
    }

    /**
     * {@code HTTP/1.0} and {@code HTTP/1.1} as shared constants, other {@code HTTP/1.x} as read, anything else null.
     */
    private static String version(byte[] bytes, int from, int to) {
        if (to - from != 8 || !StartLines.isVersion(bytes, from)) {
            return null;
        }
        return switch (bytes[from + 7]) {
            case '1' -> "HTTP/1.1";
            case '0' -> "HTTP/1.0";
            default -> Ascii.string(bytes, from, to);
        };
    }

    private static String reason(byte[] bytes, int from, int to) {
        if (to - from == 2 && bytes[from] == 'O' && bytes[from + 1] == 'K') {
            return "OK";
        }
        return Ascii.string(bytes, from, to);
    }

    private static boolean isToken(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Ascii.isTokenChar(bytes[i])) {
                return false;
            }
        }
        return to > from;
    }

    /** No spaces or controls; bytes above 0x7f are tolerated (some clients send raw UTF-8). */
    private static boolean isTarget(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b == Ascii.SP || Ascii.isControl(b)) {
                return false;
            }
        }
        return to > from;
    }

    private static int withoutCr(byte[] bytes, int from, int lineFeed) {
        return lineFeed > from && bytes[lineFeed - 1] == Ascii.CR ? lineFeed - 1 : lineFeed;
    }

    private static int skipWhitespace(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to && Ascii.isWhitespace(bytes[i])) {
            i++;
        }
        return i;
    }

    private static int trimEnd(byte[] bytes, int from, int to) {
        int end = to;
        while (end > from && Ascii.isWhitespace(bytes[end - 1])) {
            end--;
        }
        return end;
    }

    private static int lastIndexOf(byte[] bytes, int from, int to, byte value) {
        for (int i = to - 1; i >= from; i--) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
