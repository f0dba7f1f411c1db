package io.httpprofiler.redact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which header values and which fields (query parameters, form and JSON body fields) hold secrets.
 *
 * <p>Headers: the names in {@link #DEFAULT_HEADERS}, any name containing one of {@link #HEADER_NAME_PARTS}, and the
 * names added with {@code --redact-header}; compared without regard to case.
 *
 * <p>Fields: a name is split into words (at {@code _ - . [ ]}, spaces and lower-to-upper case changes, so that
 * {@code access_token}, {@code accessToken} and {@code user[password]} all hold the word they should); it is secret
 * when one of its words is in {@link #FIELD_WORDS}, when two adjacent words read {@code api key}, or when the whole
 * name is one added with {@code --redact-field} (without regard to case). Whole words, not substrings: {@code
 * prompt_tokens} (a count) stays, {@code csrf_token} goes. A name whose last word says it describes the secret rather
 * than holds it ({@link #DESCRIBING_WORDS}: {@code token_type}, {@code token_type_hint}, {@code password_policy}) stays.
 */
public record RedactionRules(Set<String> headers, Set<String> fields) {
    public static final List<String> DEFAULT_HEADERS = List.of("authorization", "proxy-authorization", "cookie",
            "set-cookie", "x-api-key", "x-auth-token");
    public static final List<String> HEADER_NAME_PARTS = List.of("token", "secret", "password", "api-key");
    public static final List<String> FIELD_WORDS = List.of("password", "passwd", "secret", "token", "apikey");
    public static final List<String> DESCRIBING_WORDS = List.of("type", "hint", "count", "expires", "expiry", "ttl",
            "length", "endpoint", "url", "uri", "policy");

    public RedactionRules {
        headers = lowerCase(headers);
        fields = lowerCase(fields);
    }

    /** The defaults, plus these header and field names. */
    public static RedactionRules withExtra(List<String> extraHeaders, List<String> extraFields) {
        Set<String> headers = new TreeSet<>(DEFAULT_HEADERS);
        headers.addAll(extraHeaders);
        return new RedactionRules(headers, new TreeSet<>(extraFields));
    }

    public static RedactionRules defaults() {
        return withExtra(List.of(), List.of());
    }

    public boolean isSecretHeader(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (headers.contains(lower)) {
            return true;
        }
        for (String part : HEADER_NAME_PARTS) {
            if (lower.contains(part)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@link #isSecretHeader(String)} for a name given as ASCII bytes, without making a String of it: the test every
     * header not among the shared names goes through, for every exchange.
     */
    public boolean isSecretHeader(byte[] text, int from, int to) {
        for (String name : headers) {
            if (AsciiNames.equalsIgnoreCase(text, from, to, name)) {
                return true;
            }
        }
        for (String part : HEADER_NAME_PARTS) {
            if (AsciiNames.containsIgnoreCase(text, from, to, part)) {
                return true;
            }
        }
        return false;
    }

    public boolean isSecretField(String name) {
        if (name.isEmpty()) {
            return false;
        }
        if (!fields.isEmpty() && fields.contains(name.toLowerCase(Locale.ROOT))) {
            return true;
        }
        List<String> words = words(name);
        if (words.size() > 1 && DESCRIBING_WORDS.contains(words.get(words.size() - 1))) {
            return false;
        }
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (FIELD_WORDS.contains(word)) {
                return true;
            }
            if (word.equals("api") && i + 1 < words.size() && words.get(i + 1).equals("key")) {
                return true;
            }
        }
        return false;
    }

    /** Lower-case words of a field name: split at separators and where a lower-case letter or digit meets an upper. */
    static List<String> words(String name) {
        List<String> words = new ArrayList<>(4);
        StringBuilder word = new StringBuilder();
        char previous = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!Character.isLetterOrDigit(c)) {
                flush(words, word);
            } else {
                if (Character.isUpperCase(c) && (Character.isLowerCase(previous) || Character.isDigit(previous))) {
                    flush(words, word);
                }
                word.append(Character.toLowerCase(c));
            }
            previous = c;
        }
        flush(words, word);
        return words;
    }

    private static void flush(List<String> words, StringBuilder word) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }

    private static Set<String> lowerCase(Set<String> names) {
        Set<String> lower = new TreeSet<>();
        for (String name : names) {
            lower.add(name.trim().toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(lower);
    }
}
