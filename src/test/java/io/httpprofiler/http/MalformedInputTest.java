package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.http.EventScript.Splitter;
import io.httpprofiler.http.Fixtures.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Garbage, truncated and oversized input: never an exception, memory within bounds, honest notes and counters. */
class MalformedInputTest {
    /**
     * What one connection may hold at most while parsing: two partial heads and two kept bodies, with room to spare.
     */
    private static final long PARSER_MEMORY_BOUND = 2L * MessageParser.MAX_HEAD + 4L * PipelineSettings.DEFAULT_MAX_BODY;

    private static final int[] FRAGMENT_SIZES = {1, 7, 100, 1000, 65536, Integer.MAX_VALUE};

    private static Recorder runFragmented(Conversation conversation, int fragment, PipelineSettings settings) {
        Splitter splitter = fragment == Integer.MAX_VALUE ? Splitter.whole() : Splitter.fragments(fragment);
        Recorder recorder = Recorder.run(settings, EventScript.server(7).events(conversation, splitter));
        assertTrue(recorder.maxBuffered <= PARSER_MEMORY_BOUND, "held " + recorder.maxBuffered + " bytes");
        assertEquals(0, recorder.pipeline.bufferedBytes());
        return recorder;
    }

    @Test
    void overlongRequestLineIsReportedAndItsResponseStillPaired() {
        Conversation conversation = new Conversation()
                .request("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .response("HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n")
                .request(Fixtures.request("GET", "/fine", "", "Host: x"))
                .response(Fixtures.response("200 OK", "ok"));
        for (int fragment : FRAGMENT_SIZES) {
            Recorder recorder = runFragmented(conversation, fragment, PipelineSettings.defaults());
            assertEquals(2, recorder.exchanges.size(), recorder.describe());
            Exchange rejected = recorder.exchanges.get(0);
            assertNull(rejected.request());
            assertEquals(414, rejected.response().status());
            assertEquals(List.of("malformed request: request line longer than 16384 bytes"), rejected.notes());
            assertEquals("/fine", recorder.exchanges.get(1).request().target());
            assertEquals(List.of(), recorder.exchanges.get(1).notes());
            assertEquals(1, recorder.pipeline.stats().parseErrors());
        }
    }

    @Test
    void headerBlockThatNeverEndsIsCutAtTheLimits() {
        String manyLines = "X-Filler: yyyyyyyyyy\r\n".repeat(5_000);
        String longLines = ("X-Long: " + "z".repeat(1_000) + "\r\n").repeat(200);
        for (String[] input : new String[][] {{manyLines, "more than 256 header lines"},
                {longLines, "head longer than 65536 bytes"}}) {
            Conversation conversation = new Conversation().request("GET / HTTP/1.1\r\n" + input[0]);
            for (int fragment : FRAGMENT_SIZES) {
                Recorder recorder = runFragmented(conversation, fragment, PipelineSettings.defaults());
                assertEquals(1, recorder.exchanges.size(), recorder.describe());
                assertEquals(List.of("malformed request: " + input[1], Notes.RESPONSE_NOT_SEEN,
                        "incomplete: connection closed"), recorder.exchanges.get(0).notes());
                assertEquals(1, recorder.pipeline.stats().parseErrors());
            }
        }
    }

    @Test
    void hugeContentLengthIsCountedNotBuffered() {
        byte[] body = new byte[300_000];
        Arrays.fill(body, (byte) 'b');
        Conversation conversation = new Conversation().request(Conversation.concat(Conversation.bytes(
                "POST /big HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\n"), body));
        List<long[]> skips = new ArrayList<>();
        Recorder recorder = new Recorder(PipelineSettings.defaults(),
                (connection, direction, from, to) -> skips.add(new long[] {from, to}));
        recorder.feed(EventScript.server(7).events(conversation, Splitter.fragments(4096)));
        recorder.pipeline.finish();
        assertTrue(recorder.maxBuffered <= PARSER_MEMORY_BOUND);
        Exchange exchange = recorder.exchanges.get(0);
        assertEquals(300_000, exchange.request().body().size());
        assertEquals(PipelineSettings.DEFAULT_MAX_BODY, exchange.request().body().keptBytes());
        assertNull(exchange.response());
        assertTrue(exchange.notes().contains("incomplete: connection closed"), exchange.notes().toString());
        long bodyStart = conversation.turns().get(0).bytes().length - body.length;
        assertEquals(1, skips.size());
        assertEquals(bodyStart + PipelineSettings.DEFAULT_MAX_BODY, skips.get(0)[0]);
        assertEquals(bodyStart + 1_000_000_000_000_000L, skips.get(0)[1]);
    }

    @Test
    void headsBeyondTheConnectionBudgetAreNotKeptButPairingHolds() {
        long cap = 8 * 1024;
        PipelineSettings tight = new PipelineSettings(1024, 100, cap, 1 << 20, 64, Duration.ofMinutes(1),
                Duration.ofMillis(100));
        StringBuilder requests = new StringBuilder();
        StringBuilder responses = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            requests.append(Fixtures.request("GET", "/" + i, "", "X-Padding: " + "p".repeat(1000)));
            responses.append(Fixtures.response("200 OK", "answer " + i));
        }
        Conversation conversation = new Conversation().request(requests.toString()).response(responses.toString());
        // In one record each head is parsed in place: only its header lines are dropped. Split across records a head
        // must be held while it arrives: past the limit the whole request is lost.
        for (Splitter splitter : List.of(Splitter.whole(), Splitter.fragments(700))) {
            Recorder recorder = Recorder.run(tight, EventScript.server(7).events(conversation, splitter));
            assertTrue(recorder.maxBuffered <= cap, "held " + recorder.maxBuffered);
            assertEquals(20, recorder.exchanges.size());
            int degraded = 0;
            for (int i = 0; i < 20; i++) {
                Exchange exchange = recorder.exchanges.get(i);
                assertEquals("answer " + i, new String(exchange.response().body().content(),
                        StandardCharsets.US_ASCII), "paired with its own response");
                assertTrue(List.of("request headers not kept: buffer limit", "request not kept: buffer limit",
                        "response headers not kept: buffer limit").containsAll(exchange.notes()), exchange::toString);
                if (exchange.notes().contains("request headers not kept: buffer limit")) {
                    assertEquals("/" + i, exchange.request().target());
                    assertEquals(List.of(), exchange.request().headers());
                    degraded++;
                } else if (exchange.notes().contains("request not kept: buffer limit")) {
                    assertNull(exchange.request());
                    degraded++;
                } else {
                    assertEquals("/" + i, exchange.request().target());
                    assertEquals(1, exchange.request().headers().size());
                }
            }
            assertTrue(degraded > 10, "20 KB of pipelined heads cannot all be held in 8 KB: " + degraded);
            assertEquals(0, recorder.pipeline.stats().parseErrors(), "a full buffer is not malformed input");
            assertEquals(0, recorder.pipeline.bufferedBytes());
        }
    }

    @Test
    void overflowingChunkSizeCutsTheResponseAndParsingResumes() {
        Conversation conversation = Fixtures.thenNextOk(Fixtures.request("GET", "/chunks", "", "Host: x"),
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nzzzz\r\n");
        for (int fragment : FRAGMENT_SIZES) {
            Recorder recorder = runFragmented(conversation, fragment, PipelineSettings.defaults());
            assertEquals(2, recorder.exchanges.size(), recorder.describe());
            assertEquals(List.of("malformed response: chunk size too large"), recorder.exchanges.get(0).notes());
            assertEquals(200, recorder.exchanges.get(0).response().status());
            assertEquals("/next", recorder.exchanges.get(1).request().target());
            assertEquals(List.of(), recorder.exchanges.get(1).notes());
        }
    }

    @Test
    void otherMalformedFramingIsNoted() {
        String[][] cases = {
                {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                        "malformed request: conflicting Content-Length"},
                {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "malformed request: invalid Content-Length"},
                {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                        "malformed request: Transfer-Encoding without chunked"},
                {"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", "malformed request: invalid header name"},
                {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", "malformed request: header line without colon"},
                {"GET / HTTP/2.0\r\n\r\n", "malformed request: invalid request line"},
                {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;" + "e".repeat(5000) + "\r\nhello\r\n0\r\n\r\n",
                        "malformed request: chunk size line too long"},
                {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
                        "malformed request: no line break after chunk data"},
        };
        for (String[] c : cases) {
            Conversation conversation = new Conversation().request(Fixtures.request("GET", "/first", "", "Host: x"))
                    .response(Fixtures.response("200 OK", "1")).request(c[0])
                    .response("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            for (int fragment : FRAGMENT_SIZES) {
                Recorder recorder = runFragmented(conversation, fragment, PipelineSettings.defaults());
                assertEquals(2, recorder.exchanges.size(), c[1] + "\n" + recorder.describe());
                Exchange bad = recorder.exchanges.get(1);
                assertEquals(400, bad.response().status());
                assertEquals(List.of(c[1]), bad.notes(), c[1] + " in fragments of " + fragment);
                assertEquals(1, recorder.pipeline.stats().parseErrors(), c[1]);
            }
        }
    }

    @Test
    void malformedStatusLineLeavesItsRequestWithoutResponse() {
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/a", "", "Host: x"))
                .response("HTTP/1.1 2x0 Weird\r\nContent-Length: 0\r\n\r\n")
                .request(Fixtures.request("GET", "/b", "", "Host: x"))
                .response(Fixtures.response("200 OK", "b"));
        Recorder recorder = runFragmented(conversation, 3, PipelineSettings.defaults());
        assertEquals(2, recorder.exchanges.size(), recorder.describe());
        assertNull(recorder.exchanges.get(0).response());
        assertEquals(List.of("malformed response: invalid status code"), recorder.exchanges.get(0).notes());
        assertEquals(List.of(), recorder.exchanges.get(1).notes());
    }

    @Test
    void randomBytesFromTheStartMeanTheConnectionIsNotHttp() {
        byte[] random = new byte[64 * 1024];
        new Random(1).nextBytes(random);
        random[0] = 0x00;
        List<long[]> skips = new ArrayList<>();
        for (int fragment : FRAGMENT_SIZES) {
            Recorder recorder = new Recorder(PipelineSettings.defaults(),
                    (connection, direction, from, to) -> skips.add(new long[] {from, to}));
            Conversation conversation = new Conversation().request(random).response(random).request(random);
            Splitter splitter = fragment == Integer.MAX_VALUE ? Splitter.whole() : Splitter.fragments(fragment);
            recorder.feed(EventScript.server(7).events(conversation, splitter));
            recorder.pipeline.finish();
            assertEquals(List.of(), recorder.exchanges);
            assertEquals(1, recorder.pipeline.stats().nonHttpConnections());
            assertEquals(1, recorder.pipeline.stats().parseErrors());
            assertEquals(0, recorder.pipeline.bufferedBytes());
        }
        assertTrue(skips.stream().allMatch(range -> range[1] == Long.MAX_VALUE));
    }

    @Test
    void tlsClientHelloIsNotHttp() {
        byte[] hello = new byte[517];
        new Random(2).nextBytes(hello);
        byte[] header = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
        System.arraycopy(header, 0, hello, 0, header.length);
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), EventScript.server(7)
                .events(new Conversation().request(hello), Splitter.whole()));
        assertEquals(List.of(), recorder.exchanges);
        assertEquals(1, recorder.pipeline.stats().nonHttpConnections());
    }

    @Test
    void randomBytesOnAConnectionOfUnknownRoleProduceNothing() {
        Random random = new Random(3);
        for (int round = 0; round < 20; round++) {
            byte[] a = new byte[10_000];
            byte[] b = new byte[10_000];
            random.nextBytes(a);
            random.nextBytes(b);
            Conversation conversation = new Conversation().request(a).response(b).request(b).response(a);
            Recorder recorder = Recorder.run(PipelineSettings.defaults(), FixtureTest.withoutOpen(
                    EventScript.server(7).interleaved(conversation, Splitter.random(random, 300), random)));
            assertEquals(List.of(), recorder.exchanges);
            assertTrue(recorder.maxBuffered <= PARSER_MEMORY_BOUND);
            assertEquals(0, recorder.pipeline.bufferedBytes());
        }
    }

    @Test
    void garbageAfterValidTrafficIsReportedOnceAndParsingResumes() {
        byte[] garbage = new byte[5_000];
        new Random(4).nextBytes(garbage);
        garbage[0] = 0x01;
        for (int i = 0; i < garbage.length; i++) {
            if (garbage[i] == '\n') {
                garbage[i] = 0; // no line starts inside the garbage: only the record start is a candidate
            }
        }
        Conversation conversation = new Conversation()
                .request(Fixtures.request("GET", "/a", "", "Host: x"))
                .response(Fixtures.response("200 OK", "a"))
                .request(garbage)
                .request(Fixtures.request("GET", "/b", "", "Host: x"))
                .response("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .response(Fixtures.response("200 OK", "b"));
        Recorder recorder = runFragmented(conversation, Integer.MAX_VALUE, PipelineSettings.defaults());
        assertEquals(3, recorder.exchanges.size(), recorder.describe());
        assertEquals(List.of("malformed request: not a request line"), recorder.exchanges.get(1).notes());
        assertEquals(400, recorder.exchanges.get(1).response().status());
        assertEquals("/b", recorder.exchanges.get(2).request().target());
        assertEquals(1, recorder.pipeline.stats().parseErrors());
    }

    static List<Fixture> small() {
        return Fixtures.small();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("small")
    void connectionEndingAtAnyPointLeavesNothingBehind(Fixture fixture) {
        EventScript script = EventScript.server(7);
        List<List<DataEvent>> turns = script.records(fixture.conversation(), Splitter.fragments(1));
        int requests = fixture.expected().size();
        List<CaptureEvent> events = new ArrayList<>();
        events.add(script.opened());
        long[] positions = new long[2];
        for (List<DataEvent> turn : turns) {
            for (DataEvent record : turn) {
                events.add(record);
                positions[record.direction().ordinal()] = record.end();
                List<CaptureEvent> cut = new ArrayList<>(events);
                cut.add(new ConnectionClosed(record.timestampNanos() + 1, script.id(), 1,
                        positions[Direction.EGRESS.ordinal()], positions[Direction.INGRESS.ordinal()]));
                Recorder recorder = Recorder.run(fixture.settings(), cut);
                assertTrue(recorder.exchanges.size() <= requests + 1, recorder.describe());
                for (Exchange exchange : recorder.exchanges) {
                    assertTrue(exchange.request() != null || exchange.response() != null);
                    if (exchange.response() == null) {
                        assertTrue(exchange.notes().contains(Notes.RESPONSE_NOT_SEEN), recorder.describe());
                    }
                }
                assertEquals(0, recorder.pipeline.bufferedBytes());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("small")
    void mutatedFixturesNeverBreakThePipeline(Fixture fixture) {
        Random random = new Random(fixture.name().hashCode());
        for (int round = 0; round < 200; round++) {
            Conversation mutated = new Conversation();
            for (Conversation.Turn turn : fixture.conversation().turns()) {
                byte[] bytes = turn.bytes().clone();
                for (int flips = random.nextInt(4); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                if (turn.request()) {
                    mutated.request(bytes);
                } else {
                    mutated.response(bytes);
                }
            }
            List<CaptureEvent> events = EventScript.server(7).interleaved(mutated, Splitter.random(random, 32), random);
            if (random.nextBoolean()) {
                events = FixtureTest.withoutOpen(events);
            }
            Recorder recorder = Recorder.run(fixture.settings(), events);
            assertTrue(recorder.maxBuffered <= PARSER_MEMORY_BOUND);
            assertEquals(0, recorder.pipeline.bufferedBytes());
            recorder.exchanges.forEach(exchange -> assertNotNull(exchange.notes()));
        }
    }
}
