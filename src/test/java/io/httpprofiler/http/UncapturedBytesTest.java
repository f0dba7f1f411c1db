package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.MarkerReason;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.httpprofiler.http.DamagedConversation.serverEvents;
import static io.httpprofiler.http.DamagedConversation.threeExchanges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes the kernel saw pass but did not copy (a marker record says why): each gets one note that says what happened,
 * never the "capture gap" of lost bytes, and is not counted again as "not kept".
 */
class UncapturedBytesTest {
    private static final long LAG = PipelineSettings.DEFAULT_REORDER_WINDOW.toNanos() + 1;
    private static final String BODY_1000 = "0123456789".repeat(100);

    private static Recorder run(PipelineSettings settings, List<CaptureEvent> events) {
        Recorder recorder = new Recorder(settings).feedExpiring(events, LAG);
        recorder.pipeline.finish();
        assertEquals(0, recorder.pipeline.bufferedBytes());
        return recorder;
    }

    private static Recorder run(List<CaptureEvent> events) {
        return run(PipelineSettings.defaults(), events);
    }

    /** nginx with sendfile on: the head is written, the file's bytes are sent from the file. */
    @Test
    void aBodySentWithSendfileGetsOneNoteSayingSo() {
        String response = Fixtures.response("200 OK", BODY_1000);
        Recorder recorder = run(serverEvents(threeExchanges(response), MarkerReason.SENDFILE, 3, 1,
                response.length() - 1000));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange second = recorder.exchanges.get(1);
        assertEquals("/2", second.request().target());
        Body body = second.response().body();
        assertEquals(1000, body.size());
        assertEquals(0, body.keptBytes());
        assertTrue(body.truncated(), "the body field still lacks bytes");
        assertEquals(List.of("response body not captured: 1000 bytes sent with sendfile"), second.notes());
        assertEquals(List.of(), recorder.exchanges.get(2).notes(), "framing and pairing stay exact");
        PipelineStats stats = recorder.pipeline.stats();
        assertEquals(0, stats.gaps());
        assertEquals(0, stats.gapBytes());
        assertEquals(1000, stats.uncopiedBytes());
        assertEquals(0, stats.messagesLost());
    }

    /** The same bytes lost in a full ring buffer (no record at all): that, and only that, is a capture gap. */
    @Test
    void theSameBytesLostAreACaptureGap() {
        String response = Fixtures.response("200 OK", BODY_1000);
        Recorder recorder = run(serverEvents(threeExchanges(response), MarkerReason.NONE, 3, 1,
                response.length() - 1000));
        assertEquals(List.of("capture gap in response body: 1000 bytes missing"), recorder.exchanges.get(1).notes());
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
        assertEquals(1000, recorder.pipeline.stats().gapBytes());
    }

    @Test
    void bytesPastThePerCallCaptureLimitAreSaidToBe() {
        String response = Fixtures.response("200 OK", BODY_1000);
        Recorder recorder = run(serverEvents(threeExchanges(response), MarkerReason.CAPTURE_LIMIT, 3, 1,
                response.length() - 700));
        Exchange second = recorder.exchanges.get(1);
        assertEquals(300, second.response().body().keptBytes());
        assertEquals(BODY_1000.substring(0, 300),
                new String(second.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of("response body not captured: 700 bytes past the per-call capture limit"),
                second.notes());
    }

    @Test
    void unreadableRequestBodyBytesAreSaidToBe() {
        String request = Fixtures.request("POST", "/2", BODY_1000, "Host: x");
        Recorder recorder = run(serverEvents(threeExchanges(request, Fixtures.response("200 OK", "B")),
                MarkerReason.UNREADABLE, 2, 1, request.length() - 1000));
        Exchange second = recorder.exchanges.get(1);
        assertEquals(1000, second.request().body().size());
        assertEquals(List.of("request body not captured: 1000 bytes unreadable"), second.notes());
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
    }

    /** Bytes the kernel skips lie past --max-body, outside what is kept: not kept by choice, as without the skip. */
    @Test
    void bytesSkippedPastMaxBodyAreOnlyNotKept() {
        String response = Fixtures.response("200 OK", BODY_1000);
        PipelineSettings settings = PipelineSettings.defaults().withMaxBody(100);
        Recorder recorder = run(settings, serverEvents(threeExchanges(response), MarkerReason.SKIPPED, 3, 1,
                response.length() - 900));
        Exchange second = recorder.exchanges.get(1);
        assertEquals(100, second.response().body().keptBytes());
        assertEquals(List.of("response body truncated: 900 of 1000 bytes not kept"), second.notes());
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
    }

    /** A whole request not captured: the pairing after it is inferred, and says why without claiming a loss. */
    @Test
    void aWholeMessageNotCapturedInfersThePairingWithoutACaptureGap() {
        Recorder recorder = run(serverEvents(threeExchanges(Fixtures.response("200 OK", "B")),
                MarkerReason.CAPTURE_LIMIT, 2, 0));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange orphan = recorder.exchanges.get(1);
        assertEquals(List.of(Notes.REQUEST_NOT_SEEN, Notes.PAIRING_INFERRED), orphan.notes());
        assertEquals("/3", recorder.exchanges.get(2).request().target());
        recorder.exchanges.forEach(e -> assertFalse(e.notes().contains(Notes.CAPTURE_GAP), recorder::describe));
        assertEquals(0, recorder.pipeline.stats().gaps());
    }

    /** Chunk framing in bytes not copied: where the response ends is unknown, and the note says it was not captured. */
    @Test
    void chunkFramingNotCapturedCutsTheResponseWithoutACaptureGap() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        int secondChunk = chunked.indexOf("world");
        Recorder recorder = run(serverEvents(threeExchanges(chunked), MarkerReason.CAPTURE_LIMIT, 3, 1, secondChunk - 5,
                secondChunk + 2));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange cut = recorder.exchanges.get(1);
        assertEquals("hello", new String(cut.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of("response end not captured"), cut.notes());
        assertEquals(List.of(Notes.PAIRING_INFERRED), recorder.exchanges.get(2).notes());
        assertEquals("C", new String(recorder.exchanges.get(2).response().body().content(), StandardCharsets.US_ASCII));
    }
}
