package io.httpprofiler.http;

/**
 * A message body as the output shows it.
 *
 * @param size        exact body length after de-chunking and before content decoding, including bytes not captured
 * @param keptBytes   how many of those bytes were kept (at most the pipeline's max body, a prefix of the body)
 * @param content     what to show: the kept bytes, or their decoding when {@code decodedFrom} is set (never longer than
 *                    the max body either). Shared, not copied: do not modify.
 * @param text        {@code content} is UTF-8 text without control characters other than tab, CR, LF and form feed;
 *                    otherwise it is binary
 * @param decodedFrom the content coding that was undone for display ({@code gzip} or {@code deflate}), or null
 * @param truncated   {@code content} is not the whole body: bytes were not kept or not captured, or decoding stopped
 *                    at the size limit
 */
public record Body(long size, long keptBytes, byte[] content, boolean text, String decodedFrom, boolean truncated) {
    private static final byte[] NO_BYTES = new byte[0];

    /** No body at all. */
    public static final Body EMPTY = new Body(0, 0, NO_BYTES, true, null, false);

    /** Bytes of the body that were not kept. */
    public long notKeptBytes() {
        return size - keptBytes;
    }
}
