package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.MarkerReason;
import io.httpprofiler.http.EventScript.Splitter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.httpprofiler.http.DamagedConversation.serverEvents;
import static io.httpprofiler.http.DamagedConversation.threeExchanges;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lost bytes: exact body sizes, right pairing where it can be known, and a note wherever it cannot. */
class GapTest {
    /** Past the reorder window: a hole is given up on right after the event that shows it. */
    private static final long LAG = PipelineSettings.DEFAULT_REORDER_WINDOW.toNanos() + 1;

    private static final String BODY_1000 = "0123456789".repeat(100);

    /** The conversation's events with the record {@code dropped} of turn {@code turn} (cut at {@code cuts}) lost. */
    private static List<CaptureEvent> losing(Conversation conversation, int turn, int dropped, int... cuts) {
        return serverEvents(conversation, MarkerReason.NONE, turn, dropped, cuts);
    }

    private static Recorder run(List<CaptureEvent> events) {
        Recorder recorder = new Recorder(PipelineSettings.defaults()).feedExpiring(events, LAG);
        recorder.pipeline.finish();
        assertEquals(0, recorder.pipeline.bufferedBytes());
        return recorder;
    }

    @Test
    void gapInsideAContentLengthBodyKeepsTheSizeExactAndThePairingRight() {
        String response = Fixtures.response("200 OK", BODY_1000);
        int bodyStart = response.length() - 1000;
        Recorder recorder = run(losing(threeExchanges(response), 3, 1, bodyStart + 300, bodyStart + 500));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange second = recorder.exchanges.get(1);
        assertEquals("/2", second.request().target());
        Body body = second.response().body();
        assertEquals(1000, body.size());
        assertEquals(300, body.keptBytes());
        assertTrue(body.truncated());
        assertEquals(BODY_1000.substring(0, 300), new String(body.content(), StandardCharsets.US_ASCII));
        // The 500 bytes after the gap arrived but are not kept (the kept part is a prefix): only those are "not kept".
        assertEquals(List.of("capture gap in response body: 200 bytes missing",
                "response body truncated: 500 of 1000 bytes not kept"), second.notes());
        assertEquals("/3", recorder.exchanges.get(2).request().target());
        assertEquals("C", new String(recorder.exchanges.get(2).response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
        assertEquals(1, recorder.pipeline.stats().gaps());
        assertEquals(200, recorder.pipeline.stats().gapBytes());
        assertEquals(0, recorder.pipeline.stats().messagesLost());
    }

    @Test
    void gapEndingExactlyAtTheBodysEndNeedsNoResynchronisation() {
        String response = Fixtures.response("200 OK", BODY_1000);
        Recorder recorder = run(losing(threeExchanges(response), 3, 1, response.length() - 50));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        assertEquals(1000, recorder.exchanges.get(1).response().body().size());
        assertEquals(List.of("capture gap in response body: 50 bytes missing"), recorder.exchanges.get(1).notes(),
                "one note for one fact: the missing bytes are not also 'not kept'");
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
    }

    @Test
    void lostRequestStartResynchronisesAndMarksWhatFollows() {
        Recorder recorder = run(losing(threeExchanges(Fixtures.response("200 OK", "B")), 2, 0, 10));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        assertEquals("/1", recorder.exchanges.get(0).request().target());
        assertEquals(List.of(), recorder.exchanges.get(0).notes());
        Exchange orphan = recorder.exchanges.get(1);
        assertNull(orphan.request());
        assertEquals("B", new String(orphan.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of(Notes.REQUEST_NOT_SEEN, Notes.CAPTURE_GAP), orphan.notes());
        Exchange third = recorder.exchanges.get(2);
        assertEquals("/3", third.request().target());
        assertEquals("C", new String(third.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of(Notes.CAPTURE_GAP), third.notes());
        PipelineStats stats = recorder.pipeline.stats();
        assertEquals(1, stats.messagesLost());
        assertEquals(1, stats.responsesWithoutRequest());
        assertEquals(0, stats.parseErrors(), "what is seen after a gap is not malformed");
    }

    @Test
    void lostResponseStartResynchronisesAndMarksWhatFollows() {
        Recorder recorder = run(losing(threeExchanges(Fixtures.response("200 OK", "B")), 3, 0, 10));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange lost = recorder.exchanges.get(1);
        assertEquals("/2", lost.request().target());
        assertNull(lost.response());
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, Notes.CAPTURE_GAP), lost.notes());
        Exchange third = recorder.exchanges.get(2);
        assertEquals("/3", third.request().target());
        assertEquals("C", new String(third.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of(Notes.CAPTURE_GAP), third.notes());
        assertEquals(0, recorder.pipeline.stats().parseErrors());
    }

    @Test
    void lossInsideAHeadLosesThatMessageOnly() {
        String response = Fixtures.response("200 OK", "B", "X-Padding: " + "p".repeat(40));
        Recorder recorder = run(losing(threeExchanges(response), 3, 1, 20, 40));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        assertNull(recorder.exchanges.get(1).response());
        assertEquals("/3", recorder.exchanges.get(2).request().target());
        assertEquals(200, recorder.exchanges.get(2).response().status());
    }

    @Test
    void gapInsideAChunkKeepsTheBodySizeExact() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + BODY_1000 + "\r\n5\r\nextra\r\n"
                + "0\r\n\r\n";
        int dataStart = chunked.indexOf(BODY_1000);
        Recorder recorder = run(losing(threeExchanges(chunked), 3, 1, dataStart + 100, dataStart + 400));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Body body = recorder.exchanges.get(1).response().body();
        assertEquals(1005, body.size());
        assertEquals(100, body.keptBytes());
        assertEquals(List.of("capture gap in response body: 300 bytes missing",
                "response body truncated: 605 of 1005 bytes not kept"), recorder.exchanges.get(1).notes());
        assertEquals(List.of(), recorder.exchanges.get(2).notes());
    }

    @Test
    void gapAcrossAChunkBoundaryCutsTheResponse() {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        int secondChunk = chunked.indexOf("world");
        Recorder recorder = run(losing(threeExchanges(chunked), 3, 1, secondChunk - 5, secondChunk + 2));
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        Exchange cut = recorder.exchanges.get(1);
        assertEquals(200, cut.response().status());
        assertEquals("hello", new String(cut.response().body().content(), StandardCharsets.US_ASCII));
        assertEquals(List.of(Notes.CAPTURE_GAP), cut.notes());
        assertEquals(List.of(Notes.CAPTURE_GAP), recorder.exchanges.get(2).notes());
        assertEquals("C", new String(recorder.exchanges.get(2).response().body().content(), StandardCharsets.US_ASCII));
    }

    @Test
    void bytesLostAtTheEndOfACloseDelimitedBodyStillCount() {
        Conversation conversation = new Conversation()
                .request("GET / HTTP/1.0\r\n\r\n")
                .response("HTTP/1.0 200 OK\r\n\r\n" + BODY_1000);
        EventScript script = EventScript.server(7);
        List<CaptureEvent> events = new ArrayList<>();
        events.add(script.opened());
        script.records(conversation, Splitter.cuts(1, 19 + 600)).forEach(turn -> events.add(turn.get(0)));
        events.add(script.closed(conversation));
        Recorder recorder = run(events);
        Body body = recorder.exchanges.get(0).response().body();
        assertEquals(1000, body.size());
        assertEquals(600, body.keptBytes());
        assertEquals(List.of("capture gap in response body: 400 bytes missing"), recorder.exchanges.get(0).notes());
    }

    @Test
    void bytesTheCaptureSideSkipsOnRequestAreNotWaitedForNorReportedAsLoss() {
        Fixtures.Fixture fixture = Fixtures.largeBodies();
        EventScript script = EventScript.server(7);
        String baseline = Recorder.run(fixture.settings(), script.events(fixture.conversation(), Splitter.whole()))
                .describe();

        List<long[]> skipped = new ArrayList<>();
        Recorder recorder = new Recorder(fixture.settings(), (connection, direction, from, to) -> {
            assertEquals(script.id(), connection);
            skipped.add(new long[] {direction.ordinal(), from, to});
        });
        for (CaptureEvent event : script.events(fixture.conversation(), Splitter.fragments(4096))) {
            // As the capture side honours a request: nothing copied up to the range's last byte, which is, so that the
            // body's end is seen when it happens.
            if (!(event instanceof DataEvent data && insideSkippedRange(skipped, data))) {
                recorder.pipeline.accept(event);
            }
        }
        recorder.pipeline.finish();
        assertEquals(baseline, recorder.describe());
        assertEquals(2, skipped.size(), "one request per large body");
        PipelineStats stats = recorder.pipeline.stats();
        assertEquals(0, stats.gaps());
        assertEquals(0, stats.reorderedEvents());
        assertTrue(stats.skippedBytes() > 2 * (Fixtures.ONE_MIB - 8192), "skipped " + stats.skippedBytes());
        assertFalse(recorder.exchanges.get(0).notes().contains(Notes.CAPTURE_GAP));
    }

    private static boolean insideSkippedRange(List<long[]> skipped, DataEvent data) {
        for (long[] range : skipped) {
            if (range[0] == data.direction().ordinal() && data.position() >= range[1] && data.end() < range[2]) {
                return true;
            }
        }
        return false;
    }

    @Test
    void eventsFromAnotherConnectionDoNotDisturbAHeldHole() {
        ConnectionId other = new ConnectionId(1, 1, 1);
        Conversation conversation = threeExchanges(Fixtures.response("200 OK", "B"));
        EventScript script = EventScript.server(7);
        List<CaptureEvent> events = new ArrayList<>(script.events(conversation, Splitter.fragments(10)));
        // Move one record of the second request behind the next one: it arrives late but within the window.
        int index = 0;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) instanceof DataEvent d && d.direction() == Direction.INGRESS && d.position() > 60) {
                index = i;
                break;
            }
        }
        CaptureEvent late = events.remove(index);
        events.add(index + 1, late);
        events.add(index + 1, new DataEvent(EventScript.T0, other, 1, Direction.INGRESS, 0, 1, new byte[] {'x'}));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), events);
        assertEquals(3, recorder.exchanges.stream().filter(e -> e.fd() == 7).count());
        recorder.exchanges.stream().filter(e -> e.fd() == 7).forEach(e -> assertEquals(List.of(), e.notes()));
    }
}
