package io.httpprofiler.output;

/**
 * A request target as a route: the path without query or fragment (and without scheme and host when the target is an
 * absolute URL), with each segment that is an id written {@code {id}}: all digits, a UUID, or hex of 16 digits or more.
 * So {@code /users/42/orders/9f8e...} and {@code /users/7/orders/0a1b...} are one route, {@code /users/{id}/orders/{id}}.
 */
public final class RouteTemplate {
    /** Longer paths are cut here (with "…"): a route is a name, not a payload. */
    static final int MAX_LENGTH = 200;
    static final String ID = "{id}";
    private static final int LONG_HEX = 16;

    private RouteTemplate() {
    }

    public static String of(String target) {
        int start = 0;
        int scheme = target.indexOf("://");
        if (scheme > 0 && !target.startsWith("/")) {
            int slash = target.indexOf('/', scheme + 3);
            start = slash < 0 ? target.length() : slash;
        }
        int end = target.length();
        for (int i = start; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        if (start == end) {
            return "/";
        }
        StringBuilder route = new StringBuilder(Math.min(end - start, MAX_LENGTH + 1));
        int segment = start;
        while (segment <= end && route.length() <= MAX_LENGTH) {
            int next = target.indexOf('/', segment);
            if (next < 0 || next > end) {
                next = end;
            }
            if (isId(target, segment, next)) {
                route.append(ID);
            } else {
                route.append(target, segment, next);
            }
            if (next < end) {
                route.append('/');
            }
            segment = next + 1;
        }
        if (route.length() > MAX_LENGTH) {
            route.setLength(MAX_LENGTH);
            route.append('…');
        }
        return route.toString();
    }

    private static boolean isId(String text, int from, int to) {
        int length = to - from;
        if (length == 0) {
            return false;
        }
        boolean digits = true;
        boolean hex = true;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            digits &= c >= '0' && c <= '9';
            hex &= Character.digit(c, 16) >= 0 && c < 0x80;
        }
        return digits || hex && length >= LONG_HEX || isUuid(text, from, to);
    }

    /** 8-4-4-4-12 hex digits. */
    private static boolean isUuid(String text, int from, int to) {
        if (to - from != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(from + i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : Character.digit(c, 16) < 0 || c >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
