package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.EventScript.Splitter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which request a response answers, and what happens to requests whose response never comes. */
class PairingTest {

    private static String text(Body body) {
        return new String(body.content(), StandardCharsets.UTF_8);
    }

    @Test
    void exchangeIsDeliveredAsSoonAsItsResponseCompletes() {
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/a", "", "Host: x"))
                .response(Fixtures.response("200 OK", "a"));
        List<CaptureEvent> events = EventScript.server(7).events(conversation, Splitter.whole());
        Recorder recorder = new Recorder(PipelineSettings.defaults());
        recorder.feed(events.subList(0, 2));
        assertEquals(0, recorder.exchanges.size());
        recorder.feed(events.subList(2, 3));
        assertEquals(1, recorder.exchanges.size(), "before the connection closes");
    }

    @Test
    void tooManyPendingRequestsAreReportedAndLaterPairingStaysRight() {
        PipelineSettings settings = new PipelineSettings(1024, 100, 1 << 20, 1 << 24, 2, Duration.ofMinutes(1),
                Duration.ofMillis(100));
        StringBuilder requests = new StringBuilder();
        StringBuilder responses = new StringBuilder();
        for (char c = 'a'; c <= 'e'; c++) {
            requests.append(Fixtures.request("GET", "/" + c, "", "Host: x"));
            responses.append(Fixtures.response("200 OK", String.valueOf(c)));
        }
        Conversation conversation = new Conversation().request(requests.toString()).response(responses.toString());
        Recorder recorder = Recorder.run(settings, EventScript.server(7).events(conversation, Splitter.fragments(9)));
        assertEquals(5, recorder.exchanges.size(), recorder.describe());
        for (int i = 0; i < 3; i++) {
            Exchange evicted = recorder.exchanges.get(i);
            assertEquals("/" + (char) ('a' + i), evicted.request().target());
            assertNull(evicted.response());
            assertEquals(List.of(Notes.RESPONSE_NOT_AWAITED), evicted.notes());
        }
        assertEquals("/d", recorder.exchanges.get(3).request().target());
        assertEquals("d", text(recorder.exchanges.get(3).response().body()));
        assertEquals("e", text(recorder.exchanges.get(4).response().body()));
        assertEquals(3, recorder.pipeline.stats().pendingOverflows());
    }

    @Test
    void responseWithoutRequestIsReported() {
        Conversation conversation = new Conversation().response(Fixtures.response("200 OK", "surprise"));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole()));
        Exchange orphan = recorder.exchanges.get(0);
        assertNull(orphan.request());
        assertEquals("surprise", text(orphan.response().body()));
        assertEquals(List.of(Notes.REQUEST_NOT_SEEN), orphan.notes());
        assertEquals(EventScript.T0, orphan.startNanos());
        assertEquals(1, recorder.pipeline.stats().responsesWithoutRequest());
    }

    private static List<CaptureEvent> requestOnly() {
        Conversation conversation = new Conversation().request(Fixtures.request("GET", "/wait", "", "Host: x"));
        List<CaptureEvent> events = new ArrayList<>(EventScript.server(7).events(conversation, Splitter.whole()));
        events.remove(events.size() - 1);
        return events;
    }

    @Test
    void requestWithoutResponseIsReportedWhenTheConnectionCloses() {
        Conversation conversation = new Conversation().request(Fixtures.request("GET", "/wait", "", "Host: x"));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole()));
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, "incomplete: connection closed"),
                recorder.exchanges.get(0).notes());
        assertEquals(-1, recorder.exchanges.get(0).durationNanos());
        assertEquals(1, recorder.pipeline.stats().incompleteExchanges());
    }

    @Test
    void idleConnectionsAreGivenUpOn() {
        Recorder recorder = new Recorder(PipelineSettings.defaults()).feed(requestOnly());
        recorder.pipeline.expire(EventScript.T0 + Duration.ofSeconds(60).toNanos());
        assertEquals(0, recorder.exchanges.size());
        recorder.pipeline.expire(EventScript.T0 + Duration.ofMinutes(3).toNanos());
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, "incomplete: connection idle"),
                recorder.exchanges.get(0).notes());
        assertEquals(1, recorder.pipeline.stats().expiredConnections());
        assertEquals(0, recorder.pipeline.stats().openConnections());
    }

    @Test
    void finishFlushesPendingExchanges() {
        Recorder recorder = new Recorder(PipelineSettings.defaults()).feed(requestOnly());
        recorder.pipeline.finish();
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, "incomplete: profiler stopped"),
                recorder.exchanges.get(0).notes());
    }

    @Test
    void shedConnectionsFlushTheirPendingExchanges() {
        PipelineSettings settings = new PipelineSettings(1024, 1, 1 << 20, 1 << 24, 8, Duration.ofMinutes(1),
                Duration.ofMillis(100));
        Recorder recorder = new Recorder(settings).feed(requestOnly());
        recorder.feed(EventScript.server(8).events(new Conversation().request("GET"), Splitter.whole()).subList(0, 1));
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, "incomplete: connection dropped (tracking limit)"),
                recorder.exchanges.get(0).notes());
        assertEquals(1, recorder.pipeline.stats().shedConnections());
    }

    @Test
    void earlyResponseCompletesTheExchangeBeforeTheRequestBodyIsDone() {
        String head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
        Conversation conversation = new Conversation()
                .request(head + "x".repeat(40))
                .response("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .request("y".repeat(60));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole()));
        assertEquals(1, recorder.exchanges.size(), recorder.describe());
        Exchange exchange = recorder.exchanges.get(0);
        assertEquals(413, exchange.response().status());
        assertEquals(40, exchange.request().body().size());
        assertEquals(List.of(Notes.REQUEST_UNFINISHED), exchange.notes());
        assertEquals(0, recorder.pipeline.bufferedBytes());
    }

    @Test
    void refusedUpgradeKeepsParsingHttp() {
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/", "", "Host: x", "Connection: Upgrade, HTTP2-Settings",
                        "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA"))
                .response(Fixtures.response("200 OK", "plain"))
                .request(Fixtures.request("GET", "/again", "", "Host: x"))
                .response(Fixtures.response("200 OK", "still http"));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.client(7).events(conversation, Splitter.fragments(13)));
        assertEquals(2, recorder.exchanges.size(), recorder.describe());
        assertEquals("still http", text(recorder.exchanges.get(1).response().body()));
        assertEquals(List.of(), recorder.exchanges.get(1).notes());
        assertEquals(0, recorder.pipeline.stats().upgrades());
    }

    @Test
    void switchingToH2cIsNotedWithItsProtocol() {
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/", "", "Host: x", "Connection: Upgrade", "Upgrade: h2c"))
                .response("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                        + "\0\0\u0012\u0004\0\0\0\0\0")
                .request("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole()));
        assertEquals(1, recorder.exchanges.size());
        assertEquals(List.of("upgraded to h2c"), recorder.exchanges.get(0).notes());
        assertEquals(1, recorder.pipeline.stats().upgrades());
        assertEquals(0, recorder.pipeline.stats().parseErrors());
    }

    @Test
    void responseToHeadHasNoBodyWhateverItsFraming() {
        Conversation conversation = Fixtures.thenNextOk(Fixtures.request("HEAD", "/chunky", "", "Host: x"),
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(conversation, Splitter.whole()));
        assertEquals(2, recorder.exchanges.size(), recorder.describe());
        assertEquals("ok", text(recorder.exchanges.get(1).response().body()));
    }

    @Test
    void roleIsInferredFromAResponseSeenFirst() {
        Conversation conversation = new Conversation()
                .response(Fixtures.response("200 OK", "tail of an earlier exchange"))
                .request(Fixtures.request("GET", "/next", "", "Host: x"))
                .response(Fixtures.response("200 OK", "next"));
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                FixtureTest.withoutOpen(EventScript.client(7).events(conversation, Splitter.whole())));
        assertEquals(2, recorder.exchanges.size(), recorder.describe());
        assertEquals(List.of(Notes.REQUEST_NOT_SEEN), recorder.exchanges.get(0).notes());
        assertEquals(Role.CLIENT, recorder.exchanges.get(1).role());
        assertEquals("next", text(recorder.exchanges.get(1).response().body()));
    }

    @Test
    void openArrivingAfterDataFillsInTheConnectionDetails() {
        EventScript script = EventScript.server(7);
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/a", "", "Host: x"))
                .response(Fixtures.response("200 OK", "a"))
                .request(Fixtures.request("GET", "/b", "", "Host: x"))
                .response(Fixtures.response("200 OK", "b"));
        List<CaptureEvent> events = new ArrayList<>(script.events(conversation, Splitter.whole()));
        ConnectionOpened opened = (ConnectionOpened) events.remove(0);
        events.add(3, opened);
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), events);
        assertNull(recorder.exchanges.get(0).command());
        assertEquals("demo", recorder.exchanges.get(1).command());
        assertEquals(EventScript.CLIENT_ADDRESS, recorder.exchanges.get(1).remote());
        recorder.exchanges.forEach(e -> assertEquals(Role.SERVER, e.role()));
    }

    @Test
    void requestThreadIsTheOneThatMovedItsFirstBytes() {
        EventScript script = EventScript.server(7);
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/a", "", "Host: x"))
                .response(Fixtures.response("200 OK", "a"));
        List<CaptureEvent> events = new ArrayList<>();
        for (CaptureEvent event : script.events(conversation, Splitter.fragments(5))) {
            if (event instanceof DataEvent d) {
                int tid = d.position() == 0 && d.direction() == script.directionOf(true) ? 777 : 888;
                event = new DataEvent(d.timestampNanos(), d.connection(), tid, d.direction(), d.position(), d.callSize(),
                        d.data());
            }
            events.add(event);
        }
        Exchange exchange = Recorder.run(PipelineSettings.defaults(), events).exchanges.get(0);
        assertEquals(777, exchange.tid());
        assertNotNull(exchange.response());
        assertTrue(exchange.durationNanos() >= 0);
    }
}
