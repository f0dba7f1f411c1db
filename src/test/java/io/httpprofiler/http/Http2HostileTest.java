package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.http.EventScript.Splitter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile HTTP/2: each case runs beside a normal connection (the recorded curl one) in the same pipeline, which must
 * come out exactly as it does alone; the hostile one is counted, bounded, never crashes.
 */
class Http2HostileTest {
    private static final byte[] CLIENT_SETTINGS = frame(Http2Frames.SETTINGS, 0, 0, new byte[0]);
    private static final byte[] SERVER_SETTINGS = frame(Http2Frames.SETTINGS, 0, 0, new byte[0]);

    @Test
    void aFrameLengthOf2To24Minus1IsAFrameErrorNotAnAllocation() {
        byte[] header = {(byte) 0xff, (byte) 0xff, (byte) 0xff, Http2Frames.HEADERS, 0x4, 0, 0, 0, 1};
        Result result = beside(client(header, new byte[4096]));
        assertEquals(1, result.stats.http2FrameErrors(), result.describe);
        assertTrue(result.maxBuffered < 64 * 1024, () -> "buffered " + result.maxBuffered);
    }

    @Test
    void anHpackIndexPastTheTableIsNotedAndTheTableForgotten() {
        byte[] block = {(byte) 0xff, (byte) 0xf0, (byte) 0x7f}; // indexed field 127 + 0x3ff0: far past any table
        Result result = beside(client(frame(Http2Frames.HEADERS, 0x5, 1, block)));
        assertEquals(1, result.stats.http2HeadersNotDecoded(), result.describe);
        assertTrue(result.describe.contains("request headers not decoded: HPACK error"), result.describe);
    }

    @Test
    void aContinuationFloodIsDroppedPastTheBlockLimit() {
        ByteArrayOutputStream flood = new ByteArrayOutputStream();
        byte[] headers = encode(1, "GET", "/flood");
        flood.writeBytes(frame(Http2Frames.HEADERS, 0x1, 1, headers)); // END_STREAM, no END_HEADERS
        byte[] filler = new byte[1000];
        for (int i = 0; i < 2000; i++) { // 2 MB of continuation
            flood.writeBytes(frame(Http2Frames.CONTINUATION, 0, 1, filler));
        }
        flood.writeBytes(frame(Http2Frames.CONTINUATION, 0x4, 1, new byte[0]));
        Result result = beside(client(flood.toByteArray()));
        assertTrue(result.maxBuffered < 2 * Http2FrameReader.MAX_HEADER_BLOCK + 64 * 1024,
                () -> "buffered " + result.maxBuffered);
        assertTrue(result.describe.contains("request headers not decoded: header block over 65536 bytes"),
                result.describe);
        assertEquals(1, result.stats.http2HeadersNotDecoded());
    }

    @Test
    void aWindowUpdateOverflowIsCounted() {
        byte[] toTheMaximum = {0x7f, (byte) 0xff, 0, 0}; // 65535 + 0x7fff0000 = 2^31 - 1: allowed
        byte[] one = {0, 0, 0, 1};
        Result result = beside(client(frame(Http2Frames.WINDOW_UPDATE, 0, 0, toTheMaximum),
                frame(Http2Frames.WINDOW_UPDATE, 0, 0, one)));
        assertEquals(1, result.stats.http2FrameErrors(), result.describe);
    }

    @Test
    void garbageAfterThePrefaceIsCountedAndIgnored() {
        byte[] garbage = new byte[8192];
        new Random(5).nextBytes(garbage);
        garbage[3] = Http2Frames.SETTINGS; // a SETTINGS on stream 0 whose length is no multiple of 6...
        garbage[0] = 0;
        garbage[1] = 0;
        garbage[2] = 7;
        garbage[5] = garbage[6] = garbage[7] = garbage[8] = 0;
        Result result = beside(client(garbage));
        assertEquals(1, result.stats.http2FrameErrors(), result.describe);
        assertEquals(1, result.hostileExchanges, result.describe); // only the good connection's exchange
    }

    @Test
    void tooManyOpenStreamsAreBounded() {
        ByteArrayOutputStream streams = new ByteArrayOutputStream();
        DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
        for (int i = 0; i < Http2Session.MAX_OPEN_STREAMS + 100; i++) {
            int id = 2 * i + 1;
            streams.writeBytes(frame(Http2Frames.HEADERS, 0x4, id, encode(encoder, id, "POST", "/open")));
        }
        Result result = beside(client(streams.toByteArray()));
        assertEquals(Http2Session.MAX_OPEN_STREAMS + 100 + 1, result.stats.exchanges(), result.stats::toString);
        assertEquals(100, result.stats.pendingOverflows());
    }

    /** The client's bytes of a hostile connection: preface, SETTINGS, then {@code parts}. */
    private static Conversation client(byte[]... parts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(Http2Preface.PREFACE);
        bytes.writeBytes(CLIENT_SETTINGS);
        for (byte[] part : parts) {
            bytes.writeBytes(part);
        }
        return new Conversation().request(bytes.toByteArray()).response(SERVER_SETTINGS);
    }

    private record Result(PipelineStats stats, long maxBuffered, String describe, long hostileExchanges) {
    }

    /** Runs the hostile conversation interleaved with the recorded curl one; checks the curl one is untouched. */
    private static Result beside(Conversation hostile) {
        Conversation good = H2Fixtures.load("curl-prior-knowledge.bin");
        EventScript goodScript = EventScript.server(7);
        String alone = Recorder.run(PipelineSettings.defaults(), goodScript.events(good, Splitter.whole())).describe();
        List<CaptureEvent> goodEvents = goodScript.events(good, Splitter.fragments(50));
        List<CaptureEvent> badEvents = EventScript.server(9).events(hostile, Splitter.fragments(1500));
        List<CaptureEvent> all = new ArrayList<>();
        for (int i = 0; i < Math.max(goodEvents.size(), badEvents.size()); i++) {
            if (i < goodEvents.size()) {
                all.add(goodEvents.get(i));
            }
            if (i < badEvents.size()) {
                all.add(badEvents.get(i));
            }
        }
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), all);
        List<Exchange> goodOnes = recorder.exchanges.stream().filter(e -> e.fd() == 7).toList();
        StringBuilder goodText = new StringBuilder();
        goodOnes.forEach(e -> goodText.append(ExchangeText.describe(e)).append('\n'));
        assertEquals(alone, goodText.toString());
        return new Result(recorder.pipeline.stats(), recorder.maxBuffered, recorder.describe(),
                recorder.exchanges.stream().filter(e -> e.fd() == 7).count());
    }

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(Http2Frames.HEADER_BYTES + payload.length);
        frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return frame.array();
    }

    private static byte[] encode(int stream, String method, String path) {
        return encode(new DefaultHttp2HeadersEncoder(), stream, method, path);
    }

    static byte[] encode(DefaultHttp2HeadersEncoder encoder, int stream, String method, String path) {
        return hpack(encoder, stream,
                new DefaultHttp2Headers().method(method).path(path).scheme("http").authority("x"));
    }

    /** A header block as Netty's HPACK encoder writes it, its dynamic table carried over from earlier blocks. */
    static byte[] hpack(DefaultHttp2HeadersEncoder encoder, int stream, Http2Headers headers) {
        ByteBuf out = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, headers, out);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }
}
