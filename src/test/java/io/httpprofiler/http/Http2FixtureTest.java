package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.EventScript.Splitter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HTTP/2 conversations recorded from real peers, read at every split point and in random interleavings. */
class Http2FixtureTest {

    @Test
    void curlPriorKnowledgeAgainstNghttpd() {
        for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
            Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                    script.events(H2Fixtures.load("curl-prior-knowledge.bin"), Splitter.whole()));
            assertEquals(1, recorder.exchanges.size(), recorder.describe());
            Exchange exchange = recorder.exchanges.get(0);
            assertEquals(1, exchange.stream());
            assertEquals("GET", exchange.request().method());
            assertEquals("/index.html", exchange.request().target());
            assertEquals("HTTP/2", exchange.request().version());
            assertEquals(":method", exchange.request().headers().get(0).name());
            assertTrue(exchange.request().headers().stream().anyMatch(h -> h.name().equals("user-agent")
                    && h.value().startsWith("curl/")), recorder.describe());
            assertEquals(200, exchange.response().status());
            assertEquals("HTTP/2", exchange.response().version());
            assertEquals("hello from nghttpd\n", text(exchange.response().body()));
            assertEquals(List.of(), exchange.notes(), recorder.describe());
            assertEquals(1, recorder.pipeline.stats().http2Connections());
            assertEquals(0, recorder.pipeline.stats().http2FrameErrors());
        }
    }

    @Test
    void everySplitPointReadsTheSame() {
        for (String fixture : List.of("curl-prior-knowledge.bin", "h2load.bin", "grpc.bin", "curl-h2c-upgrade.bin")) {
            Conversation conversation = H2Fixtures.load(fixture);
            String expected = Recorder.run(PipelineSettings.defaults(),
                    EventScript.server(7).events(conversation, Splitter.whole())).describe();
            for (int turn = 0; turn < conversation.turns().size(); turn++) {
                int length = conversation.turns().get(turn).bytes().length;
                for (int at = 1; at < length; at++) {
                    String actual = Recorder.run(PipelineSettings.defaults(),
                            EventScript.server(7).events(conversation, Splitter.at(turn, at))).describe();
                    if (!expected.equals(actual)) {
                        assertEquals(expected, actual, fixture + " turn " + turn + " cut at " + at);
                    }
                }
            }
        }
    }

    @Test
    void randomRecordsAndInterleavingsReadTheSame() {
        Random random = new Random(13);
        for (String fixture : List.of("curl-prior-knowledge.bin", "h2load.bin", "grpc.bin", "grpc-rounds.bin",
                "curl-post-big.bin", "curl-h2c-upgrade.bin")) {
            Conversation conversation = H2Fixtures.load(fixture);
            for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
                String expected = Recorder.run(PipelineSettings.defaults(),
                        script.events(conversation, Splitter.whole())).describe();
                for (int run = 0; run < 30; run++) {
                    int maxRecord = 1 + random.nextInt(run % 3 == 0 ? 16 : 3000);
                    String actual = Recorder.run(PipelineSettings.defaults(), script.interleaved(conversation,
                            Splitter.random(random, maxRecord), random)).describe();
                    assertEquals(expected, actual, fixture + " run " + run + " records up to " + maxRecord);
                }
            }
        }
    }

    @Test
    void h2loadStreamsAreEachRecordedAndPaired() {
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.server(7).events(H2Fixtures.load("h2load.bin"), Splitter.whole()));
        assertEquals(40, recorder.exchanges.size(), recorder.describe());
        for (int i = 0; i < 40; i++) {
            Exchange exchange = recorder.exchanges.get(i);
            assertEquals("/users.json", exchange.request().target(), recorder.describe());
            assertEquals(200, exchange.response().status());
            assertEquals("{\"id\":1,\"name\":\"alice\"}", text(exchange.response().body()));
            assertEquals(List.of(), exchange.notes());
        }
        assertEquals(40, recorder.exchanges.stream().mapToInt(Exchange::stream).distinct().count());
        assertEquals(40, recorder.pipeline.stats().http2Streams());
    }

    @Test
    void aLargeUploadKeepsItsExactSizeAndMaxBody() {
        PipelineSettings settings = PipelineSettings.defaults().withMaxBody(1000);
        Recorder recorder = Recorder.run(settings,
                EventScript.server(7).events(H2Fixtures.load("curl-post-big.bin"), Splitter.whole()));
        assertEquals(1, recorder.exchanges.size(), recorder.describe());
        Exchange exchange = recorder.exchanges.get(0);
        assertEquals("POST", exchange.request().method());
        assertEquals(54038, exchange.request().body().size(), recorder.describe());
        assertEquals(1000, exchange.request().body().keptBytes());
        assertNotNull(exchange.response());
        assertTrue(exchange.notes().contains("request body truncated: 53038 of 54038 bytes not kept"),
                exchange.notes()::toString);
    }

    @Test
    void grpcCallsShowTheirMessagesAndStatus() {
        Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                EventScript.client(7).events(H2Fixtures.load("grpc.bin"), Splitter.whole()));
        assertEquals(4, recorder.exchanges.size(), recorder.describe());
        Exchange unary = recorder.exchanges.get(0);
        assertEquals("/demo.Greeter/SayHello", unary.request().target());
        assertEquals("POST", unary.request().method());
        GrpcCall call = unary.grpc();
        assertNotNull(call, recorder.describe());
        assertEquals(0, call.status());
        assertEquals(List.of(new GrpcMessage(9, false, "1: \"alice\" 2: 42")), call.requestMessages());
        assertEquals(List.of(new GrpcMessage(15, false, "1: \"hello alice\" 2: 42")), call.responseMessages());
        assertTrue(unary.response().trailers().stream().anyMatch(h -> h.name().equals("grpc-status")));

        GrpcCall countdown = recorder.exchanges.get(1).grpc();
        assertEquals(3, countdown.responseMessageCount());
        assertEquals("1: \"countdown bob\" 2: 1", countdown.responseMessages().get(2).fields());

        GrpcCall chat = recorder.exchanges.get(2).grpc();
        assertEquals(2, chat.requestMessageCount());
        assertEquals(2, chat.responseMessageCount());
        assertEquals("1: \"echo dave\" 2: 2", chat.responseMessages().get(1).fields());

        GrpcCall failed = recorder.exchanges.get(3).grpc();
        assertEquals(5, failed.status(), recorder.describe());
        assertEquals("no such user: bob", failed.message());
        assertEquals(0, failed.responseMessageCount());
    }

    @Test
    void startedWhileTheConnectionWasBusyLaterStreamsAreRecordedAndUnseenHeadersMarked() {
        List<Conversation.Turn> turns = H2Fixtures.load("grpc-rounds.bin").turns();
        Conversation later = new Conversation();
        for (Conversation.Turn turn : turns.subList(20, turns.size())) { // from the second round of calls on
            if (turn.request()) {
                later.request(turn.bytes());
            } else {
                later.response(turn.bytes());
            }
        }
        EventScript script = new EventScript(new ConnectionId(EventScript.PID, 7, 1007), Role.UNKNOWN);
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), script.events(later, Splitter.whole()));
        assertEquals(8, recorder.exchanges.size(), recorder.describe());
        Exchange first = recorder.exchanges.get(0);
        assertEquals(9, first.stream());
        assertEquals(Role.SERVER, first.role());
        assertEquals("POST", first.request().method()); // from the static table
        assertTrue(first.notes().stream().anyMatch(n -> n.startsWith("request header fields not decoded: ")
                && n.endsWith("(HPACK table entries not seen)")), first.notes()::toString);
        assertEquals(200, first.response().status());
        assertEquals("1: \"alice\" 2: 42", first.grpc().requestMessages().get(0).fields(), recorder.describe());
        assertEquals("1: \"hello alice\" 2: 42", first.grpc().responseMessages().get(0).fields());
        // Nothing is guessed: no field of the unseen table is shown under a wrong name.
        for (Exchange exchange : recorder.exchanges) {
            assertTrue(exchange.request().headers().stream().noneMatch(h -> h.name().equals("?")));
        }
        // A literal field sent after the start is read: the failed call's message.
        Exchange failed = recorder.exchanges.get(3);
        assertEquals("no such user: bob", failed.grpc().message(), recorder.describe());
        assertEquals(0, recorder.pipeline.stats().http2FrameErrors());
        assertEquals(1, recorder.pipeline.stats().http2Connections());
    }

    @Test
    void curlUpgradingToH2cAgainstNetty() {
        Conversation recorded = H2Fixtures.load("curl-h2c-upgrade.bin");
        List<Conversation.Turn> turns = recorded.turns();
        // as recorded (the 101 and the first frames in two reads), and with both in one read
        Conversation joined = new Conversation().request(turns.get(0).bytes())
                .response(Conversation.concat(turns.get(1).bytes(), turns.get(2).bytes()))
                .request(turns.get(3).bytes()).response(turns.get(4).bytes());
        for (Conversation conversation : List.of(recorded, joined)) {
            for (EventScript script : List.of(EventScript.server(7), EventScript.client(7))) {
                Recorder recorder = Recorder.run(PipelineSettings.defaults(),
                        script.events(conversation, Splitter.whole()));
                assertEquals(2, recorder.exchanges.size(), recorder.describe());
                Exchange upgrade = recorder.exchanges.get(0);
                assertEquals(101, upgrade.response().status());
                assertEquals(List.of("upgraded to h2c"), upgrade.notes());
                Exchange stream1 = recorder.exchanges.get(1);
                assertEquals(1, stream1.stream());
                assertEquals("GET", stream1.request().method());
                assertEquals("/hello", stream1.request().target());
                assertEquals("HTTP/1.1", stream1.request().version()); // as it was sent
                assertEquals("HTTP/2", stream1.response().version());
                assertEquals(200, stream1.response().status());
                assertEquals("h2c /hello", text(stream1.response().body()));
                assertEquals(List.of(Notes.H2C_UPGRADE_REQUEST), stream1.notes());
                assertEquals(1, recorder.pipeline.stats().upgrades());
                assertEquals(0, recorder.pipeline.stats().http2FrameErrors());
            }
        }
    }

    static String text(Body body) {
        return new String(body.content(), StandardCharsets.UTF_8);
    }
}
