package io.httpprofiler.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;

import java.util.ArrayList;
import java.util.List;

/**
 * HPACK decompression for one direction of one HTTP/2 connection (RFC 7541): the header blocks of a direction share one
 * dynamic table, so each direction has its own reader, fed every block in order.
 *
 * <p>The decoding is Netty's ({@link DefaultHttp2HeadersDecoder}), with validation off: a profiler shows what was sent,
 * valid or not. Fields are kept in wire order (pseudo-headers included) by recording them as the decoder adds them.
 *
 * <p>When the table's past was not seen (the connection's start, or bytes lost since), entries added before cannot be
 * known. The table is then filled with placeholders: as many of the smallest possible entries as the default table
 * holds, so that every index into the unseen part resolves to a placeholder instead of failing the block, while
 * entries added since are found at their true index (the newest entries come first; eviction takes the oldest, the
 * placeholders, first). A field that resolves to a placeholder is not guessed: it is left out and counted.
 */
final class HpackReader {
    /** Most bytes a decoded header list may hold (names, values and 32 bytes per field, as RFC 7541 counts). */
    static final int MAX_HEADER_LIST = 64 * 1024;
    /**
     * Largest dynamic table an encoder may switch to (with a size update at the start of a block) and be followed. The
     * limit the decoding peer announced (SETTINGS_HEADER_TABLE_SIZE) is not enforced: it may not have been seen (an
     * h2c upgrade carries it in a header, a connection's start may predate the capture), and an observer decodes what
     * was sent. Tables start at {@link #INITIAL_TABLE_SIZE} bytes as RFC 7541 says; a larger table is an error, and
     * the direction's table is then taken as unknown.
     */
    static final int MAX_TABLE_SIZE = 64 * 1024;
    /** Every peer's table starts at this size (SETTINGS_HEADER_TABLE_SIZE's initial value). */
    static final int INITIAL_TABLE_SIZE = 4096;
    /** A name no valid field has (not a token): marks a placeholder entry. 33 bytes per entry, the least a field takes. */
    private static final String PLACEHOLDER_NAME = "?";

    /** What one block decoded to. */
    record Decoded(List<HttpHeader> fields, int unseenFields, String problem) {
        boolean complete() {
            return unseenFields == 0 && problem == null;
        }
    }

    private RecordingDecoder decoder;
    private boolean tableKnown;

    /** @param tableKnown the direction's first header block will be seen (its start was) */
    HpackReader(boolean tableKnown) {
        reset(tableKnown);
    }

    /** Whether every entry of the table is known. */
    boolean tableKnown() {
        return tableKnown;
    }

    /** Blocks were missed: what the table holds from now on is partly unknown. */
    void lostTable() {
        reset(false);
    }

    Decoded decode(byte[] block, int length) {
        OrderedHeaders headers = new OrderedHeaders();
        decoder.headers = headers;
        ByteBuf buffer = Unpooled.wrappedBuffer(block, 0, length);
        String problem = null;
        try {
            decoder.decodeHeaders(1, buffer);
        } catch (Http2Exception e) {
            if (e instanceof Http2Exception.StreamException) {
                problem = "header list over " + MAX_HEADER_LIST + " bytes"; // the table is still in step
            } else {
                problem = "HPACK error";
                lostTable();
            }
        } catch (RuntimeException e) {
            problem = "HPACK error";
            lostTable();
        }
        int unseen = 0;
        List<HttpHeader> fields = new ArrayList<>(headers.fields.size());
        for (HttpHeader field : headers.fields) {
            if (PLACEHOLDER_NAME.equals(field.name())) {
                unseen++;
            } else {
                fields.add(field);
            }
        }
        return new Decoded(problem == null ? fields : List.of(), problem == null ? unseen : 0, problem);
    }

    private void reset(boolean known) {
        tableKnown = known;
        decoder = new RecordingDecoder();
        try {
            decoder.maxHeaderTableSize(MAX_TABLE_SIZE);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e); // a size within the limits is always accepted
        }
        if (!known) {
            fillWithPlaceholders();
        }
    }

    /** Adds as many 33-byte placeholder entries as the table holds, through the decoder's own instructions. */
    private void fillWithPlaceholders() {
        int entries = INITIAL_TABLE_SIZE / (32 + PLACEHOLDER_NAME.length());
        byte[] instructions = new byte[entries * 4];
        for (int i = 0; i < entries; i++) {
            instructions[4 * i] = 0x40; // literal with incremental indexing, new name
            instructions[4 * i + 1] = 1; // name: 1 byte, not Huffman coded
            instructions[4 * i + 2] = (byte) PLACEHOLDER_NAME.charAt(0);
            instructions[4 * i + 3] = 0; // value: empty
        }
        decoder.headers = new OrderedHeaders();
        try {
            decoder.decodeHeaders(1, Unpooled.wrappedBuffer(instructions));
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Netty's decoder, handing out headers that remember the order fields were added in. */
    private static final class RecordingDecoder extends DefaultHttp2HeadersDecoder {
        OrderedHeaders headers;

        RecordingDecoder() {
            super(false, false, MAX_HEADER_LIST);
        }

        @Override
        protected Http2Headers newHeaders() {
            return headers;
        }
    }

    /** Netty's headers without validation, recording every field in wire order as well. */
    private static final class OrderedHeaders extends DefaultHttp2Headers {
        final List<HttpHeader> fields = new ArrayList<>();

        OrderedHeaders() {
            super(false, false, 16);
        }

        @Override
        public Http2Headers add(CharSequence name, CharSequence value) {
            fields.add(new HttpHeader(name.toString(), value.toString()));
            return this;
        }
    }
}
