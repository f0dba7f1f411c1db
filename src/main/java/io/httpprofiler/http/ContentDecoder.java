package io.httpprofiler.http;

import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Undoes gzip and deflate content codings for display, with a hard cap on the output: a small body that inflates to
 * gigabytes stops at the cap. Truncated input decodes as far as it goes. The inflaters are reused across bodies.
 */
final class ContentDecoder {
    private static final int GZIP_MAGIC_1 = 0x1f;
    private static final int GZIP_MAGIC_2 = 0x8b;
    private static final int GZIP_DEFLATE = 8;
    private static final int GZIP_HEADER_BYTES = 10;
    private static final int GZIP_TRAILER_BYTES = 8;
    private static final int FLAG_HCRC = 2;
    private static final int FLAG_EXTRA = 4;
    private static final int FLAG_NAME = 8;
    private static final int FLAG_COMMENT = 16;

    /** The decoded bytes and whether more would have followed past the cap. */
    record Decoded(byte[] bytes, boolean cut) {
    }

    private final Inflater raw = new Inflater(true);
    private final Inflater zlib = new Inflater(false);

    /** Decodes {@code gzip}, {@code x-gzip} or {@code deflate}; null for other codings or undecodable input. */
    Decoded decode(String coding, byte[] input, int limit) {
        return switch (coding) {
            case "gzip", "x-gzip" -> gunzip(input, limit);
            case "deflate" -> inflateDeflate(input, limit);
            default -> null;
        };
    }

    private Decoded gunzip(byte[] input, int limit) {
        Output out = new Output(limit);
        int offset = 0;
        // A gzip body may hold several members one after another (RFC 1952 section 2.2).
        while (offset < input.length && !out.full()) {
            int dataStart = gzipDataStart(input, offset);
            if (dataStart < 0) {
                break;
            }
            int consumed = inflate(raw, input, dataStart, out);
            if (consumed < 0) {
                break;
            }
            offset = dataStart + consumed + GZIP_TRAILER_BYTES;
        }
        return out.length == 0 && !out.cut ? null : out.result();
    }

    /** "deflate" means zlib-wrapped by the RFC, but some servers send raw deflate: try zlib first. */
    private Decoded inflateDeflate(byte[] input, int limit) {
        Output out = new Output(limit);
        if (inflate(zlib, input, 0, out) < 0 && out.length == 0) {
            inflate(raw, input, 0, out);
        }
        return out.length == 0 && !out.cut ? null : out.result();
    }

    /** Inflates one stream into {@code out}; returns the input bytes used when the stream ended, else -1. */
    private static int inflate(Inflater inflater, byte[] input, int offset, Output out) {
        inflater.reset();
        inflater.setInput(input, offset, input.length - offset);
        try {
            while (!inflater.finished()) {
                if (out.full()) {
                    out.cut = true;
                    return -1;
                }
                int produced = inflater.inflate(out.bytes, out.length, out.room());
                out.length += produced;
                if (produced == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return -1; // truncated body: keep what was decoded
                }
                out.ensureRoom();
            }
            return (int) inflater.getBytesRead();
        } catch (DataFormatException e) {
            return -1;
        }
    }

    /** Where the deflate data of the gzip member at {@code offset} starts, or -1 if it is not a gzip member. */
    private static int gzipDataStart(byte[] input, int offset) {
        if (input.length - offset < GZIP_HEADER_BYTES || (input[offset] & 0xff) != GZIP_MAGIC_1
                || (input[offset + 1] & 0xff) != GZIP_MAGIC_2 || input[offset + 2] != GZIP_DEFLATE) {
            return -1;
        }
        int flags = input[offset + 3];
        int i = offset + GZIP_HEADER_BYTES;
        if ((flags & FLAG_EXTRA) != 0) {
            if (i + 2 > input.length) {
                return -1;
            }
            i += 2 + ((input[i] & 0xff) | (input[i + 1] & 0xff) << 8);
        }
        if ((flags & FLAG_NAME) != 0) {
            i = skipZeroTerminated(input, i);
        }
        if ((flags & FLAG_COMMENT) != 0) {
            i = skipZeroTerminated(input, i);
        }
        if ((flags & FLAG_HCRC) != 0) {
            i += 2;
        }
        return i <= input.length ? i : -1;
    }

    private static int skipZeroTerminated(byte[] input, int from) {
        int i = from;
        while (i < input.length && input[i] != 0) {
            i++;
        }
        return i + 1;
    }

    /** A growing output array that never exceeds its limit. */
    private static final class Output {
        private final int limit;
        byte[] bytes;
        int length;
        boolean cut;

        Output(int limit) {
            this.limit = limit;
            this.bytes = new byte[Math.min(limit, 4096)];
        }

        boolean full() {
            return length >= limit;
        }

        int room() {
            return bytes.length - length;
        }

        void ensureRoom() {
            if (length == bytes.length && length < limit) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit, 2L * bytes.length));
            }
        }

        Decoded result() {
            return new Decoded(length == bytes.length ? bytes : Arrays.copyOf(bytes, length), cut);
        }
    }
}
