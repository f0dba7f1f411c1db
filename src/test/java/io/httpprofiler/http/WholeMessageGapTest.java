package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.http.EventScript.Splitter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gaps that swallow whole messages and end exactly at a message boundary: the parser resumes at the next message start,
 * so nothing but the pairing can go wrong. Every exchange must be paired right or carry {@code capture gap}.
 */
class WholeMessageGapTest {
    private static final long LAG = PipelineSettings.DEFAULT_REORDER_WINDOW.toNanos() + 1;

    /** The conversation's records, whole turns, with the turns in {@code lost} dropped. */
    private static Recorder run(EventScript script, Conversation conversation, Set<Integer> lost) {
        List<CaptureEvent> events = new ArrayList<>();
        events.add(script.opened());
        List<List<DataEvent>> turns = script.records(conversation, Splitter.whole());
        for (int t = 0; t < turns.size(); t++) {
            if (!lost.contains(t)) {
                events.addAll(turns.get(t));
            }
        }
        events.add(script.closed(conversation));
        Recorder recorder = new Recorder(PipelineSettings.defaults()).feedExpiring(events, LAG);
        recorder.pipeline.finish();
        return recorder;
    }

    /** Each response body names its request's target: a paired exchange is right, or says it may not be. */
    private static void assertPairedRightOrNoted(Recorder recorder) {
        for (Exchange e : recorder.exchanges) {
            if (e.request() != null && e.response() != null) {
                String body = new String(e.response().body().content(), StandardCharsets.US_ASCII);
                assertTrue(body.equals(e.request().target()) || e.notes().contains(Notes.CAPTURE_GAP),
                        () -> "mis-paired without a note: " + ExchangeText.describe(e) + "\n" + recorder.describe());
            }
        }
    }

    private static String request(String target) {
        return Fixtures.request("GET", target, "", "Host: x");
    }

    private static String response(String target) {
        return Fixtures.response("200 OK", target);
    }

    @Test
    void pipelinedResponseLostEntirely() {
        for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
            Conversation c = new Conversation().request(request("/a")).request(request("/b"))
                    .responseAfter(1, response("/a")).response(response("/b"))
                    .request(request("/c")).response(response("/c"));
            assertPairedRightOrNoted(run(script, c, Set.of(2)));
        }
    }

    @Test
    void requestLostEntirelyThenTwoResponses() {
        for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
            Conversation c = new Conversation().request(request("/a")).request(request("/b"))
                    .responseAfter(1, response("/a")).response(response("/b"))
                    .request(request("/c")).response(response("/c"));
            assertPairedRightOrNoted(run(script, c, Set.of(0)));
        }
    }

    @Test
    void keepAliveRequestLostEntirelyThenLaterExchanges() {
        for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
            Conversation c = new Conversation();
            for (String t : List.of("/1", "/2", "/3", "/4", "/5")) {
                c.request(request(t)).response(response(t));
            }
            for (int lost = 0; lost < 10; lost++) {
                assertPairedRightOrNoted(run(script, c, Set.of(lost)));
                for (int second = lost + 1; second < 10; second++) {
                    assertPairedRightOrNoted(run(script, c, Set.of(lost, second)));
                }
            }
        }
    }
}
