package io.httpprofiler.redact;

import java.util.List;
import java.util.Locale;

/**
 * Redacts one header value, keeping what helps debugging and gives nothing away: the scheme of an {@code Authorization}
 * ({@code Bearer [redacted 812 bytes]}), the cookie names of a {@code Cookie}, the name and attributes of a {@code
 * Set-Cookie}, and the path of a URL in {@code Location} or {@code Referer} (its secret query parameters go, and the
 * password of a {@code user:password@host}, or a lone user part, which is often a token).
 */
final class HeaderValues {
    private final RedactionRules rules;
    private final FormFields form;

    HeaderValues(RedactionRules rules, FormFields form) {
        this.rules = rules;
        this.form = form;
    }

    /** Headers whose value is a URL (or a request target): its query string is redacted like a request target's. */
    static final List<String> URL_HEADERS = List.of("location", "content-location", "referer", ":path");

    static boolean holdsUrl(String lowerName) {
        return URL_HEADERS.contains(lowerName);
    }

    boolean isSecret(String name) {
        return rules.isSecretHeader(name);
    }

    /** The value with its secrets replaced, or null when there is nothing to replace. */
    String redact(String name, String value, Count count) {
        if (value.isEmpty()) {
            return null;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (holdsUrl(lower)) {
            return url(value, count);
        }
        if (!rules.isSecretHeader(lower)) {
            return null;
        }
        count.values++;
        return switch (lower) {
            case "authorization", "proxy-authorization" -> credentials(value);
            case "cookie" -> cookies(value);
            case "set-cookie" -> setCookie(value);
            default -> Marker.of(Marker.utf8Length(value));
        };
    }

    /** {@code Scheme secret} keeps the scheme; a value without one goes whole. */
    private static String credentials(String value) {
        int space = value.indexOf(' ');
        if (space <= 0 || !isToken(value, 0, space)) {
            return Marker.of(Marker.utf8Length(value));
        }
        String secret = value.substring(space + 1).strip();
        return value.substring(0, space) + " " + Marker.of(Marker.utf8Length(secret));
    }

    /** {@code a=1; b=2}: each cookie keeps its name. */
    private static String cookies(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (String pair : value.split(";", -1)) {
            if (!out.isEmpty()) {
                out.append(';');
            }
            out.append(cookie(pair));
        }
        return out.toString();
    }

    /** {@code name=value; Path=/; HttpOnly}: the attributes are the server's settings, not secrets. */
    private static String setCookie(String value) {
        int semicolon = value.indexOf(';');
        return semicolon < 0 ? cookie(value) : cookie(value.substring(0, semicolon)) + value.substring(semicolon);
    }

    private static String cookie(String pair) {
        int equals = pair.indexOf('=');
        if (equals < 0) {
            return pair.isBlank() ? pair : Marker.of(Marker.utf8Length(pair.strip()));
        }
        String secret = pair.substring(equals + 1);
        return secret.isEmpty() ? pair : pair.substring(0, equals + 1) + Marker.of(Marker.utf8Length(secret));
    }

    private String url(String url, Count count) {
        String withoutUserInfo = userInfo(url, count);
        String redacted = query(withoutUserInfo == null ? url : withoutUserInfo, count);
        return redacted != null ? redacted : withoutUserInfo;
    }

    /** {@code scheme://user:secret@host} keeps the user; {@code scheme://secret@host} keeps nothing of it. */
    private static String userInfo(String url, Count count) {
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return null;
        }
        int start = scheme + 3;
        int end = start;
        while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        int at = url.lastIndexOf('@', end - 1);
        if (at < start) {
            return null;
        }
        int colon = url.indexOf(':', start);
        int secretStart = colon >= 0 && colon < at ? colon + 1 : start;
        if (secretStart == at) {
            return null;
        }
        count.values++;
        return url.substring(0, secretStart) + Marker.of(Marker.utf8Length(url.substring(secretStart, at)))
                + url.substring(at);
    }

    private String query(String url, Count count) {
        int question = url.indexOf('?');
        if (question < 0) {
            return null;
        }
        int hash = url.indexOf('#', question);
        String query = url.substring(question + 1, hash < 0 ? url.length() : hash);
        String redacted = form.redact(query, count);
        String fragment = hash < 0 ? "" : url.substring(hash);
        String redactedFragment = fragment.isEmpty() ? null : form.redact(fragment.substring(1), count);
        if (redacted == null && redactedFragment == null) {
            return null;
        }
        return url.substring(0, question + 1) + (redacted == null ? query : redacted)
                + (redactedFragment == null ? fragment : "#" + redactedFragment);
    }

    private static boolean isToken(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }
}
