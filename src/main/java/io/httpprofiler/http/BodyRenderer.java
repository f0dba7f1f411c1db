package io.httpprofiler.http;

import java.util.Arrays;

/**
 * Turns a finished {@link BodyBuffer} into the {@link Body} the output shows: decoded when gzip/deflate, text or
 * binary.
 */
final class BodyRenderer {
    private final int maxBody;
    private final ContentDecoder decoder = new ContentDecoder();

    BodyRenderer(int maxBody) {
        this.maxBody = maxBody;
    }

    Body render(BodyBuffer buffer, String contentEncoding) {
        long size = buffer.size();
        if (size == 0) {
            return Body.EMPTY;
        }
        byte[] kept = buffer.keptBytes();
        boolean truncated = kept.length < size;
        byte[] content = kept;
        String decodedFrom = null;
        if (contentEncoding != null && kept.length > 0) {
            ContentDecoder.Decoded decoded = decoder.decode(contentEncoding, kept, maxBody);
            if (decoded != null) {
                content = decoded.bytes();
                decodedFrom = contentEncoding.equals("x-gzip") ? "gzip" : contentEncoding;
                truncated |= decoded.cut();
            }
        }
        int textLength = TextDetector.textLength(content, truncated);
        if (textLength >= 0 && textLength < content.length) {
            content = Arrays.copyOf(content, textLength); // drop a character cut in half at the end
        }
        return new Body(size, kept.length, content, textLength >= 0, decodedFrom, truncated);
    }
}
