package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Header names common enough on the wire to be worth one shared String each, spelled exactly as sent (both the usual
 * capitalisation and the all-lower-case one many clients send). The parser hands these out instead of a new String per
 * header, and the writers, seeing the very same objects again and again, can keep their rendering of each.
 */
public final class HeaderNames {
    /** Every shared name; the writers render these once. */
    public static final List<String> SHARED = sharedNames();
    private static final int SLOTS = 512;
    /** Open addressing on {@link #hash} to indexes in {@link #SHARED}, filled once; lookups only read it. */
    private static final int[] TABLE = table();
    private static final byte[][] TABLE_BYTES = tableBytes();

    private HeaderNames() {
    }

    /** The shared String for {@code bytes[from, to)} when it is one of {@link #SHARED}, exactly; otherwise null. */
    static String shared(byte[] bytes, int from, int to) {
        int index = sharedIndex(bytes, from, to);
        return index >= 0 ? SHARED.get(index) : null;
    }

    /** The index in {@link #SHARED} of {@code bytes[from, to)} when it is one of them, exactly; otherwise -1. */
    static int sharedIndex(byte[] bytes, int from, int to) {
        int length = to - from;
        if (length == 0 || length > 40) {
            return -1;
        }
        for (int slot = hash(length, bytes[from], bytes[to - 1]); ; slot = (slot + 1) & (SLOTS - 1)) {
            byte[] candidate = TABLE_BYTES[slot];
            if (candidate == null) {
                return -1;
            }
            if (candidate.length == length && Arrays.equals(candidate, 0, length, bytes, from, to)) {
                return TABLE[slot];
            }
        }
    }

    /** The slot a name of this length, first and last byte starts its probe at. */
    private static int hash(int length, int first, int last) {
        return (length * 31 + (first & 0xff) * 7 + (last & 0xff)) & (SLOTS - 1);
    }

    private static List<String> sharedNames() {
        String[] usual = {"Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Accept-Charset",
                "Accept-Ranges", "Connection", "Keep-Alive", "Content-Type", "Content-Length", "Content-Encoding",
                "Content-Language", "Content-Disposition", "Content-Range", "Transfer-Encoding", "Server", "Date",
                "Last-Modified", "ETag", "Expires", "Age", "Vary", "Via", "Cache-Control", "Pragma", "Cookie",
                "Set-Cookie", "Authorization", "WWW-Authenticate", "Referer", "Origin", "Location", "Upgrade",
                "If-Modified-Since", "If-None-Match", "If-Match", "Range", "X-Forwarded-For", "X-Forwarded-Proto",
                "X-Real-IP", "X-Request-ID", "X-Requested-With", "Strict-Transport-Security", "X-Content-Type-Options",
                "X-Frame-Options", "Access-Control-Allow-Origin", "Upgrade-Insecure-Requests", "DNT", "TE", "Trailer",
                "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Priority", "Alt-Svc",
                "Expect", "Forwarded", "Link", "Retry-After", "Traceparent"};
        String[] all = new String[usual.length * 2];
        for (int i = 0; i < usual.length; i++) {
            all[2 * i] = usual[i];
            all[2 * i + 1] = usual[i].toLowerCase(Locale.ROOT);
        }
        return List.of(Arrays.stream(all).distinct().toArray(String[]::new));
    }

    private static int[] table() {
        int[] table = new int[SLOTS];
        Arrays.fill(table, -1);
        for (int index = 0; index < SHARED.size(); index++) {
            String name = SHARED.get(index);
            int slot = hash(name.length(), name.charAt(0), name.charAt(name.length() - 1));
            while (table[slot] >= 0) {
                slot = (slot + 1) & (SLOTS - 1);
            }
            table[slot] = index;
        }
        return table;
    }

    private static byte[][] tableBytes() {
        byte[][] bytes = new byte[SLOTS][];
        for (int slot = 0; slot < SLOTS; slot++) {
            if (TABLE[slot] >= 0) {
                bytes[slot] = SHARED.get(TABLE[slot]).getBytes(StandardCharsets.US_ASCII);
            }
        }
        return bytes;
    }
}
