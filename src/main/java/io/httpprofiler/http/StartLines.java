package io.httpprofiler.http;

/**
 * Recognises the first bytes of HTTP/1.x start lines without parsing them: used to tell garbage from a message quickly,
 * to find the next message after lost data, and to infer a connection's role from who sends a request.
 */
final class StartLines {
    /** Longest method accepted (the longest registered ones, like {@code UPDATEREDIRECTREF}, are 17). */
    static final int MAX_METHOD_LENGTH = 20;
    /** Bytes that always suffice to decide. */
    static final int PREFIX_BYTES = MAX_METHOD_LENGTH + 1;

    private static final byte[] VERSION_PREFIX = {'H', 'T', 'T', 'P', '/', '1', '.'};

    enum Match { YES, NO, NEED_MORE }

    enum Kind { REQUEST, RESPONSE }

    enum Shape { REQUEST, RESPONSE, NEITHER, UNDECIDED }

    private StartLines() {
    }

    static Match prefix(Kind kind, byte[] bytes, int from, int to) {
        return kind == Kind.REQUEST ? requestPrefix(bytes, from, to) : responsePrefix(bytes, from, to);
    }

    /** A method (upper-case letters, '-' and '_', as every registered method is spelled) followed by a space. */
    static Match requestPrefix(byte[] bytes, int from, int to) {
        int limit = Math.min(to, from + MAX_METHOD_LENGTH + 1);
        for (int i = from; i < limit; i++) {
            byte b = bytes[i];
            if (b == Ascii.SP) {
                return i > from ? Match.YES : Match.NO;
            }
            if (!(b >= 'A' && b <= 'Z' || b == '-' || b == '_')) {
                return Match.NO;
            }
        }
        return limit - from > MAX_METHOD_LENGTH ? Match.NO : Match.NEED_MORE;
    }

    /** {@code HTTP/1.<digit> }. */
    static Match responsePrefix(byte[] bytes, int from, int to) {
        int available = to - from;
        int i = 0;
        for (; i < VERSION_PREFIX.length; i++) {
            if (i == available) {
                return Match.NEED_MORE;
            }
            if (bytes[from + i] != VERSION_PREFIX[i]) {
                return Match.NO;
            }
        }
        if (i == available) {
            return Match.NEED_MORE;
        }
        byte minor = bytes[from + i++];
        if (minor < '0' || minor > '9') {
            return Match.NO;
        }
        if (i == available) {
            return Match.NEED_MORE;
        }
        return bytes[from + i] == Ascii.SP ? Match.YES : Match.NO;
    }

    /** Whether the 8 bytes at {@code from} read {@code HTTP/1.<digit>}. */
    static boolean isVersion(byte[] bytes, int from) {
        for (int i = 0; i < VERSION_PREFIX.length; i++) {
            if (bytes[from + i] != VERSION_PREFIX[i]) {
                return false;
            }
        }
        byte minor = bytes[from + VERSION_PREFIX.length];
        return minor >= '0' && minor <= '9';
    }

    /** Which kind of start line {@code bytes[from, to)} begins, as far as these bytes tell. */
    static Shape classify(byte[] bytes, int from, int to) {
        Match request = requestPrefix(bytes, from, to);
        if (request == Match.YES) {
            return Shape.REQUEST;
        }
        Match response = responsePrefix(bytes, from, to);
        if (response == Match.YES) {
            return Shape.RESPONSE;
        }
        return request == Match.NEED_MORE || response == Match.NEED_MORE ? Shape.UNDECIDED : Shape.NEITHER;
    }
}
