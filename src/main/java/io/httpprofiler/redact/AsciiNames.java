package io.httpprofiler.redact;

/** Case-insensitive comparisons of ASCII bytes with lower-case names, for header names kept as bytes. */
final class AsciiNames {
    private AsciiNames() {
    }

    static boolean equalsIgnoreCase(byte[] text, int from, int to, String lowerName) {
        return to - from == lowerName.length() && regionMatches(text, from, lowerName);
    }

    static boolean containsIgnoreCase(byte[] text, int from, int to, String lowerPart) {
        for (int i = from; i + lowerPart.length() <= to; i++) {
            if (regionMatches(text, i, lowerPart)) {
                return true;
            }
        }
        return false;
    }

    private static boolean regionMatches(byte[] text, int at, String lowerName) {
        for (int i = 0; i < lowerName.length(); i++) {
            int b = text[at + i];
            if (b >= 'A' && b <= 'Z') {
                b += 'a' - 'A';
            }
            if (b != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
