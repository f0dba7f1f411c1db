package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.EventScript.Splitter;
import io.httpprofiler.http.Fixtures.Expected;
import io.httpprofiler.http.Fixtures.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every fixture must give its expected exchanges, and exactly the same exchanges however its bytes are cut into
 * records, interleaved between the two directions, reordered, or repeated (the approach of Netty's
 * HttpRequestDecoderTest, which re-feeds the same bytes at every fragment size).
 */
class FixtureTest {

    static List<Fixture> all() {
        return Fixtures.all();
    }

    static List<Fixture> small() {
        return Fixtures.small();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void serverSideGivesTheExpectedExchanges(Fixture fixture) {
        EventScript script = EventScript.server(7);
        Recorder recorder = Recorder.run(fixture.settings(), script.events(fixture.conversation(), Splitter.whole()));
        assertMatches(fixture, recorder.exchanges);
        for (Exchange exchange : recorder.exchanges) {
            assertEquals(Role.SERVER, exchange.role());
            assertEquals("demo", exchange.command());
            assertEquals(EventScript.PID, exchange.pid());
            assertEquals(EventScript.TID, exchange.tid());
            assertEquals(7, exchange.fd());
            assertEquals(EventScript.SERVER_ADDRESS, exchange.local());
            assertEquals(EventScript.CLIENT_ADDRESS, exchange.remote());
        }
        assertClean(recorder);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void clientSideGivesTheSameExchanges(Fixture fixture) {
        EventScript script = EventScript.client(9);
        Recorder recorder = Recorder.run(fixture.settings(), script.events(fixture.conversation(), Splitter.whole()));
        assertMatches(fixture, recorder.exchanges);
        recorder.exchanges.forEach(exchange -> {
            assertEquals(Role.CLIENT, exchange.role());
            assertEquals(EventScript.CLIENT_ADDRESS, exchange.local());
        });
        assertClean(recorder);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void roleIsInferredWhenTheStartWasNotSeen(Fixture fixture) {
        for (EventScript script : List.of(EventScript.server(3), EventScript.client(4))) {
            List<CaptureEvent> events = withoutOpen(script.events(fixture.conversation(), Splitter.fragments(5)));
            Recorder recorder = Recorder.run(fixture.settings(), events);
            assertMatches(fixture, recorder.exchanges);
            Role expected = script.directionOf(true) == Direction.INGRESS
                    ? Role.SERVER : Role.CLIENT;
            recorder.exchanges.forEach(exchange -> {
                assertEquals(expected, exchange.role());
                assertNull(exchange.command());
                assertNull(exchange.local());
            });
            assertClean(recorder);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("small")
    void everySplitPointGivesTheSameExchanges(Fixture fixture) {
        EventScript script = EventScript.server(7);
        String baseline = run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe();
        List<Conversation.Turn> turns = fixture.conversation().turns();
        for (int turn = 0; turn < turns.size(); turn++) {
            for (int at = 1; at < turns.get(turn).bytes().length; at++) {
                Recorder split = run(fixture, script.events(fixture.conversation(), Splitter.at(turn, at)));
                assertEquals(baseline, split.describe(), fixture + ": turn " + turn + " split at " + at);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("small")
    void everyFragmentSizeGivesTheSameExchanges(Fixture fixture) {
        EventScript script = EventScript.client(7);
        String baseline = run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe();
        int longest = fixture.conversation().turns().stream().mapToInt(t -> t.bytes().length).max().orElse(1);
        for (int size = 1; size <= longest; size++) {
            Recorder split = run(fixture, script.events(fixture.conversation(), Splitter.fragments(size)));
            assertEquals(baseline, split.describe(), fixture + ": fragments of " + size);
        }
    }

    @Test
    void largeBodiesGiveTheSameExchangesAtSampledSplitPoints() {
        Fixture fixture = Fixtures.largeBodies();
        EventScript script = EventScript.server(7);
        String baseline = run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe();
        List<Conversation.Turn> turns = fixture.conversation().turns();
        for (int turn = 0; turn < turns.size(); turn++) {
            int length = turns.get(turn).bytes().length;
            for (int at = 1; at < length; at = nextSampledSplit(at, length)) {
                Recorder split = run(fixture, script.events(fixture.conversation(), Splitter.at(turn, at)));
                assertEquals(baseline, split.describe(), "turn " + turn + " split at " + at);
            }
        }
        for (int size : new int[] {1000, 4096, 65536, 100_000}) {
            assertEquals(baseline, run(fixture, script.events(fixture.conversation(), Splitter.fragments(size)))
                    .describe(), "fragments of " + size);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void randomSplitsAndInterleavingsGiveTheSameExchanges(Fixture fixture) {
        EventScript script = EventScript.server(7);
        String baseline = run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe();
        Random random = new Random(20261122);
        int rounds = fixture.totalBytes() > 100_000 ? 5 : 200;
        for (int round = 0; round < rounds; round++) {
            int maxRecord = 1 + random.nextInt(fixture.totalBytes() > 100_000 ? 70_000 : 64);
            List<CaptureEvent> events = script.interleaved(fixture.conversation(),
                    Splitter.random(random, maxRecord), random);
            assertEquals(baseline, run(fixture, events).describe(), fixture + " round " + round);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("small")
    void reorderedAndRepeatedRecordsGiveTheSameExchanges(Fixture fixture) {
        EventScript script = EventScript.server(7);
        String baseline = run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe();
        Random random = new Random(99);
        for (int round = 0; round < 100; round++) {
            List<CaptureEvent> events = script.events(fixture.conversation(), Splitter.random(random, 16));
            List<CaptureEvent> disturbed = disturb(events, random);
            Recorder recorder = run(fixture, disturbed);
            assertEquals(baseline, recorder.describe(), fixture + " round " + round);
            assertEquals(0, recorder.pipeline.stats().gaps(), "reordering within limits must not become a gap");
        }
    }

    @Test
    void connectionsInterleavedWithEachOtherStayApart() {
        List<Fixture> fixtures = Fixtures.small();
        List<List<CaptureEvent>> perConnection = new ArrayList<>();
        List<String> baselines = new ArrayList<>();
        for (int i = 0; i < fixtures.size(); i++) {
            EventScript script = i % 2 == 0 ? EventScript.server(10 + i) : EventScript.client(10 + i);
            Fixture fixture = fixtures.get(i);
            baselines.add(run(fixture, script.events(fixture.conversation(), Splitter.whole())).describe());
            perConnection.add(script.events(fixture.conversation(), Splitter.random(new Random(i), 24)));
        }
        Random random = new Random(5);
        List<CaptureEvent> merged = new ArrayList<>();
        int[] next = new int[perConnection.size()];
        while (merged.size() < perConnection.stream().mapToInt(List::size).sum()) {
            int connection = random.nextInt(perConnection.size());
            if (next[connection] < perConnection.get(connection).size()) {
                merged.add(perConnection.get(connection).get(next[connection]++));
            }
        }
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), merged);
        for (int i = 0; i < fixtures.size(); i++) {
            int fd = 10 + i;
            StringBuilder mine = new StringBuilder();
            recorder.exchanges.stream().filter(e -> e.fd() == fd)
                    .forEach(e -> mine.append(ExchangeText.describe(e)).append('\n'));
            assertEquals(baselines.get(i), mine.toString(), fixtures.get(i).name());
        }
        assertEquals(0, recorder.pipeline.bufferedBytes());
    }

    @Test
    void binaryBodyIsKeptAsBytes() {
        Fixture fixture = Fixtures.binaryBody();
        Recorder recorder = Recorder.run(fixture.settings(),
                EventScript.server(7).events(fixture.conversation(), Splitter.fragments(7)));
        Body body = recorder.exchanges.get(0).response().body();
        assertFalse(body.text());
        assertFalse(body.truncated());
        assertNull(body.decodedFrom());
        assertArrayEquals(Fixtures.binaryBytes(300), body.content());
    }

    @Test
    void gzipBodyIsDecodedForDisplayButSizedAsSent() {
        Fixture fixture = Fixtures.gzipBody();
        Recorder recorder = Recorder.run(fixture.settings(),
                EventScript.server(7).events(fixture.conversation(), Splitter.whole()));
        Body body = recorder.exchanges.get(0).response().body();
        assertEquals("gzip", body.decodedFrom());
        assertTrue(body.text());
        assertEquals(Fixtures.gzip(Fixtures.GZIP_TEXT.getBytes(StandardCharsets.UTF_8)).length, body.size());
        assertEquals(Fixtures.GZIP_TEXT, new String(body.content(), StandardCharsets.UTF_8));
    }

    @Test
    void chunkTrailersAndDuplicateHeadersKeepTheirOrder() {
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), EventScript.server(7)
                .events(Fixtures.chunkedWithTrailers().conversation(), Splitter.whole()));
        HttpResponse chunked = recorder.exchanges.get(0).response();
        assertEquals(List.of(new HttpHeader("Transfer-Encoding", "chunked"), new HttpHeader("Trailer", "X-Checksum")),
                chunked.headers());
        assertEquals(List.of(new HttpHeader("X-Checksum", "abc")), chunked.trailers());

        recorder = Recorder.run(PipelineSettings.defaults(), EventScript.server(7)
                .events(Fixtures.keepAliveGets().conversation(), Splitter.whole()));
        assertEquals(List.of(new HttpHeader("Set-Cookie", "a=1"), new HttpHeader("Set-Cookie", "b=2"),
                new HttpHeader("Content-Length", "7")), recorder.exchanges.get(2).response().headers());
    }

    @Test
    void unusualButValidHeadersAreRead() {
        Recorder recorder = Recorder.run(PipelineSettings.defaults(), EventScript.server(7)
                .events(Fixtures.unusualHeaders().conversation(), Splitter.whole()));
        HttpRequest options = recorder.exchanges.get(0).request();
        assertEquals(List.of(new HttpHeader("Host", "x"), new HttpHeader("X-Empty", ""),
                new HttpHeader("X-Folded", "first second"), new HttpHeader("x-lower", "spaced value")),
                options.headers());
        assertEquals("", recorder.exchanges.get(0).response().reason());
    }

    /** Every point near the ends of a turn (where heads and framing are), a few in the middle. */
    private static int nextSampledSplit(int at, int length) {
        int edge = 200;
        return at < edge || at >= length - edge ? at + 1 : Math.min(at + 65_521, length - edge);
    }

    private static Recorder run(Fixture fixture, List<CaptureEvent> events) {
        Recorder recorder = Recorder.run(fixture.settings(), events);
        assertEquals(0, recorder.pipeline.bufferedBytes(), "everything released at the end");
        return recorder;
    }

    /** Swaps neighbouring records of the same direction, repeats some, and adds records overlapping two others. */
    private static List<CaptureEvent> disturb(List<CaptureEvent> events, Random random) {
        List<CaptureEvent> out = new ArrayList<>(events);
        for (int i = 1; i + 1 < out.size() - 1; i++) {
            if (out.get(i) instanceof DataEvent a && out.get(i + 1) instanceof DataEvent b
                    && a.direction() == b.direction() && random.nextInt(3) == 0) {
                out.set(i, b);
                out.set(i + 1, a);
                i++;
            }
        }
        for (int i = out.size() - 2; i > 1; i--) {
            if (out.get(i) instanceof DataEvent a && random.nextInt(6) == 0) {
                out.add(i + 1 + random.nextInt(Math.min(3, out.size() - 1 - i)), a);
            }
        }
        for (int i = 1; i + 1 < out.size(); i++) {
            if (out.get(i) instanceof DataEvent a && out.get(i + 1) instanceof DataEvent b
                    && a.direction() == b.direction() && a.end() == b.position() && random.nextInt(5) == 0) {
                byte[] overlap = Conversation.concat(a.data(), b.data());
                int from = random.nextInt(Math.max(1, a.data().length));
                byte[] middle = Arrays.copyOfRange(overlap, from, overlap.length);
                out.add(i + 2, new DataEvent(b.timestampNanos(), b.connection(), b.tid(), b.direction(),
                        a.position() + from, middle.length, middle));
            }
        }
        return out;
    }

    static List<CaptureEvent> withoutOpen(List<CaptureEvent> events) {
        return events.stream().filter(e -> !(e instanceof ConnectionOpened)).toList();
    }

    static void assertMatches(Fixture fixture, List<Exchange> exchanges) {
        StringBuilder all = new StringBuilder();
        exchanges.forEach(e -> all.append(ExchangeText.describe(e)));
        assertEquals(fixture.expected().size(), exchanges.size(), all.toString());
        for (int i = 0; i < exchanges.size(); i++) {
            Expected expected = fixture.expected().get(i);
            Exchange exchange = exchanges.get(i);
            String context = fixture + " #" + i + "\n" + ExchangeText.describe(exchange);
            assertNotNull(exchange.request(), context);
            assertNotNull(exchange.response(), context);
            assertEquals(expected.method(), exchange.request().method(), context);
            assertEquals(expected.target(), exchange.request().target(), context);
            assertEquals(expected.status(), exchange.response().status(), context);
            assertEquals(expected.requestBodySize(), exchange.request().body().size(), context);
            assertEquals(expected.responseBodySize(), exchange.response().body().size(), context);
            if (expected.responseBody() != null) {
                assertTrue(exchange.response().body().text(), context);
                assertEquals(expected.responseBody(),
                        new String(exchange.response().body().content(), StandardCharsets.UTF_8), context);
            }
            assertEquals(expected.notes(), exchange.notes(), context);
            assertTrue(exchange.durationNanos() >= 0, context);
        }
    }

    private static void assertClean(Recorder recorder) {
        PipelineStats stats = recorder.pipeline.stats();
        assertEquals(0, stats.parseErrors(), "parse errors");
        assertEquals(0, stats.gaps(), "gaps");
        assertEquals(0, stats.incompleteExchanges(), "incomplete");
        assertEquals(recorder.exchanges.size(), stats.exchanges());
        assertEquals(0, recorder.pipeline.bufferedBytes(), "buffered bytes after the end");
    }
}
