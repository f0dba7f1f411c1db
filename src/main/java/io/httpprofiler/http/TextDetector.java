package io.httpprofiler.http;

/**
 * Decides whether bytes are text a person can read: well-formed UTF-8 without control characters other than tab, line
 * feed, form feed and carriage return.
 */
final class TextDetector {
    private TextDetector() {
    }

    /**
     * The length of {@code bytes} that is text, or -1 for binary. When {@code mayBeCut}, an incomplete UTF-8 sequence
     * at the very end is tolerated (the body was cut there) and excluded from the returned length.
     */
    static int textLength(byte[] bytes, boolean mayBeCut) {
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int stop = n;
            if (i + Long.BYTES <= n) {
                long word = SwarBytes.word(bytes, i);
                if (isPrintableAscii(word) || isAsciiText(word)) {
                    i += Long.BYTES;
                    continue;
                }
                // Look at this word's bytes one by one, then go back to whole words: testing the word at every
                // following byte would look at each byte up to eight times around every line feed.
                stop = i + Long.BYTES;
            }
            while (i < stop) {
                int b = bytes[i];
                if (b >= 0) {
                    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' || b == 0x7f) {
                        return -1;
                    }
                    i++;
                    continue;
                }
                int length = sequenceLength(b & 0xff);
                if (length == 0) {
                    return -1;
                }
                if (i + length > n) {
                    return mayBeCut && continuationsValid(bytes, i + 1, n) ? i : -1;
                }
                if (!continuationsValid(bytes, i + 1, i + length) || !shortestForm(bytes, i, length)) {
                    return -1;
                }
                i += length;
            }
        }
        return n;
    }

    /** All eight bytes are in 0x20..0x7e: the common case, decided without looking at each byte. */
    private static boolean isPrintableAscii(long word) {
        long belowSpace = word - 0x2020202020202020L;
        long delete = word + SwarBytes.ONES; // 0x7f becomes 0x80
        return ((word | belowSpace | delete) & SwarBytes.HIGH_BITS) == 0;
    }

    /**
     * All eight bytes are ASCII text, line feeds and the like included: the word that ends a line, which would otherwise
     * be looked at byte by byte once a line. Only the bytes flagged as below 0x20 are looked at.
     */
    private static boolean isAsciiText(long word) {
        if ((word & SwarBytes.HIGH_BITS) != 0 || ((word + SwarBytes.ONES) & SwarBytes.HIGH_BITS) != 0) {
            return false; // not ASCII, or a DEL (with no high bits set, adding one carries into no other byte)
        }
        // Every byte below 0x20 is flagged; a borrow may flag the byte above one too, which the check then passes.
        long below = (word - 0x2020202020202020L) & SwarBytes.HIGH_BITS;
        while (below != 0) {
            int b = (int) (word >>> (Long.numberOfTrailingZeros(below) - 7)) & 0xff;
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f') {
                return false;
            }
            below &= below - 1;
        }
        return true;
    }

    private static int sequenceLength(int lead) {
        if (lead >= 0xc2 && lead <= 0xdf) {
            return 2;
        }
        if (lead >= 0xe0 && lead <= 0xef) {
            return 3;
        }
        if (lead >= 0xf0 && lead <= 0xf4) {
            return 4;
        }
        return 0;
    }

    private static boolean continuationsValid(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if ((bytes[i] & 0xc0) != 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Rejects overlong forms, UTF-16 surrogates and code points above U+10FFFF. */
    private static boolean shortestForm(byte[] bytes, int at, int length) {
        int lead = bytes[at] & 0xff;
        int second = bytes[at + 1] & 0xff;
        return switch (length) {
            case 3 -> !(lead == 0xe0 && second < 0xa0) && !(lead == 0xed && second >= 0xa0);
            case 4 -> !(lead == 0xf0 && second < 0x90) && !(lead == 0xf4 && second >= 0x90);
            default -> true;
        };
    }
}
