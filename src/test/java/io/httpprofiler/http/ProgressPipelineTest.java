package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exchanges in progress through the whole pipeline (real parsers, both protocols), on a fake clock: events carry their
 * timestamps and {@link HttpPipeline#expire(long)} is called every 100 ms of that clock, as the capture loop does.
 */
class ProgressPipelineTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final long T0 = 1_795_000_000L * S;
    private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 8080);

    /** A pipeline reporting progress after 2 s (or as given), with what it delivered and reported. */
    private static final class Run {
        final List<Exchange> exchanges = new ArrayList<>();
        final List<ExchangeProgress> reports = new ArrayList<>();
        final HttpPipeline pipeline;
        long clock = T0;

        Run() {
            this(new ProgressSettings(Duration.ofSeconds(2), ProgressSettings.MAX_IN_PROGRESS));
        }

        Run(ProgressSettings settings) {
            pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add, BodySkipListener.NONE, settings,
                    reports::add);
        }

        /** Lets the clock run to {@code nanos}, expiring every 100 ms on the way. */
        void until(long nanos) {
            while (clock + 100 * MS <= nanos) {
                clock += 100 * MS;
                pipeline.expire(clock);
            }
        }

        List<ExchangeProgress> reportsFor(String target) {
            return reports.stream().filter(r -> r.exchange().request() != null
                    && r.exchange().request().target().equals(target)).toList();
        }
    }

    /** One connection of a server process: bytes in are requests, bytes out responses. */
    private static final class Connection {
        final ConnectionId id;
        final Role role;
        long egress;
        long ingress;

        Connection(int fd, Role role) {
            this.id = new ConnectionId(4242, fd, 1_000 + fd);
            this.role = role;
        }

        ConnectionOpened opened(long nanos) {
            InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40_000 + id.fd());
            return new ConnectionOpened(nanos, id, 4243, "demo", role, role == Role.SERVER ? SERVER : client,
                    role == Role.SERVER ? client : SERVER);
        }

        DataEvent request(long nanos, byte[] bytes) {
            return data(nanos, role == Role.SERVER ? Direction.INGRESS : Direction.EGRESS, bytes);
        }

        DataEvent response(long nanos, byte[] bytes) {
            return data(nanos, role == Role.SERVER ? Direction.EGRESS : Direction.INGRESS, bytes);
        }

        DataEvent request(long nanos, String text) {
            return request(nanos, ascii(text));
        }

        DataEvent response(long nanos, String text) {
            return response(nanos, ascii(text));
        }

        private DataEvent data(long nanos, Direction direction, byte[] bytes) {
            long position = direction == Direction.EGRESS ? egress : ingress;
            if (direction == Direction.EGRESS) {
                egress += bytes.length;
            } else {
                ingress += bytes.length;
            }
            return new DataEvent(nanos, id, 4243, direction, position, bytes.length, bytes);
        }

        ConnectionClosed closed(long nanos) {
            return new ConnectionClosed(nanos, id, 4243, egress, ingress);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aLongPollIsReportedWaitingThenCompletedWithANoteNamingItsFirstReport() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.until(T0 + 8 * S + 50 * MS);
        run.pipeline.accept(c.response(T0 + 8 * S + 50 * MS, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nanswer"));
        run.until(T0 + 12 * S);

        List<ExchangeProgress> reports = run.reportsFor("/poll");
        assertEquals(List.of(1, 2, 3), reports.stream().map(ExchangeProgress::report).toList());
        assertEquals(List.of(T0 + 2 * S, T0 + 4 * S, T0 + 8 * S),
                reports.stream().map(ExchangeProgress::atNanos).toList());
        for (ExchangeProgress report : reports) {
            assertNull(report.exchange().response(), "waiting for response");
            assertEquals(-1, report.events(), "no event stream");
            assertEquals(T0, report.exchange().startNanos(), "the same identity as the final record");
            assertEquals(c.id, report.exchange().connection());
            assertEquals(T0 + 2 * S, report.firstReportNanos());
        }
        assertEquals(4 * S, reports.get(1).openNanos());
        assertEquals(1, run.exchanges.size());
        Exchange last = run.exchanges.get(0);
        assertEquals(200, last.response().status());
        assertEquals(List.of(Notes.completesProgress(T0 + 2 * S)), last.notes());
        assertTrue(last.notes().get(0).matches("completes in-progress report from \\d\\d:\\d\\d:\\d\\d\\.\\d{3}"));
        assertEquals(new ProgressStats(0, 0, 3, 0), run.pipeline.progressStats());
    }

    @Test
    void aStreamedResponseIsReportedWithTheBytesSoFarAndEndsWithItsExactSize() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"));
        long size = 0;
        for (int i = 0; i < 100; i++) { // an event every 100 ms for 10 s
            long at = T0 + (i + 1) * 100 * MS - MS;
            run.until(at);
            String event = "data: " + i + "\n\n";
            size += event.length();
            run.pipeline.accept(c.response(at, Integer.toHexString(event.length()) + "\r\n" + event + "\r\n"));
        }
        run.pipeline.accept(c.response(T0 + 10 * S, "0\r\n\r\n"));
        run.until(T0 + 11 * S);

        List<ExchangeProgress> reports = run.reportsFor("/events");
        assertEquals(3, reports.size(), "at 2, 4 and 8 s");
        long previous = 0;
        for (ExchangeProgress report : reports) {
            HttpResponse response = report.exchange().response();
            assertNotNull(response, "the response head was seen");
            assertEquals(200, response.status());
            assertTrue(response.body().size() > previous, "the body grows from report to report");
            previous = response.body().size();
            assertTrue(new String(response.body().content(), StandardCharsets.UTF_8).startsWith("data: 0\n\ndata: 1"));
        }
        // events 0-9 (9 bytes each) and 10-19 (10 bytes) came before the 2 s tick
        assertEquals(10 * 9 + 10 * 10, reports.get(0).exchange().response().body().size());
        assertEquals(List.of(20L, 40L, 80L), reports.stream().map(ExchangeProgress::events).toList(),
                "Server-Sent Events so far");
        Exchange last = run.exchanges.get(0);
        assertEquals(size, last.response().body().size());
        assertEquals(List.of(Notes.completesProgress(T0 + 2 * S)), last.notes());
    }

    @Test
    void eventsAreCountedPastMaxBodyOnceTheStreamIsReported() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /feed HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"));
        String event = "data: " + "x".repeat(1000) + "\n\n"; // 1008 bytes: 65 events pass --max-body (64 KiB)
        for (int i = 0; i < 200; i++) {
            long at = T0 + (i + 1) * 50 * MS;
            run.until(at);
            run.pipeline.accept(c.response(at, event));
        }
        run.until(T0 + 10_100 * MS);
        List<ExchangeProgress> reports = run.reportsFor("/feed");
        assertEquals(List.of(39L, 79L, 159L), reports.stream().map(ExchangeProgress::events).toList());
        assertEquals(159L * 1008, reports.get(2).exchange().response().body().size());
        assertTrue(reports.get(2).exchange().response().body().truncated(), "past --max-body: counted, not kept");
    }

    @Test
    void aStreamIsCountedFromItsHeadWhateverItKeeps() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /feed HTTP/1.1\r\nHost: x\r\n\r\n"));
        // 100 KB of events before the first report: far past --max-body, all counted
        run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                + ("data: " + "x".repeat(1000) + "\n\n").repeat(100)));
        run.until(T0 + 5 * S);
        assertEquals(List.of(100L, 100L), run.reportsFor("/feed").stream().map(ExchangeProgress::events).toList());
    }

    @Test
    void anEventStreamOfAnnouncedLengthIsCountedOnlyWhenItsBytesSoFarWereKept() {
        // Counting from the head is for bodies of unannounced length (the others cost no look at the headers): one
        // with a Content-Length is counted from its first report, from the bytes kept, if they are all there is.
        for (int events : new int[] {5, 100}) {
            Run run = new Run();
            Connection c = new Connection(7, Role.SERVER);
            run.pipeline.accept(c.opened(T0 - MS));
            run.pipeline.accept(c.request(T0, "GET /feed HTTP/1.1\r\nHost: x\r\n\r\n"));
            run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Content-Length: 1000000\r\n\r\n" + ("data: " + "x".repeat(1000) + "\n\n").repeat(events)));
            run.until(T0 + 5 * S);
            long expected = events * 1008L <= PipelineSettings.DEFAULT_MAX_BODY ? events : -1;
            assertEquals(List.of(expected, expected),
                    run.reportsFor("/feed").stream().map(ExchangeProgress::events).toList(), events + " events");
        }
    }

    @Test
    void aRequestStillUploadingIsReportedWithItsBodySoFar() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "POST /upload HTTP/1.1\r\nContent-Length: 100000\r\n\r\n"));
        for (int i = 1; i <= 30; i++) {
            run.until(T0 + i * 100 * MS);
            run.pipeline.accept(c.request(T0 + i * 100 * MS, "x".repeat(1000)));
        }
        run.until(T0 + 3 * S);
        ExchangeProgress report = run.reportsFor("/upload").get(0);
        assertEquals(19_000, report.exchange().request().body().size(), "the 2 s tick came before the 20th write");
        assertNull(report.exchange().response());
    }

    @Test
    void idleKeepAliveConnectionsBetweenRequestsAreNotInProgress() {
        Run run = new Run();
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            Connection c = new Connection(10 + i, Role.SERVER);
            connections.add(c);
            run.pipeline.accept(c.opened(T0));
            run.pipeline.accept(c.request(T0 + MS, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
            run.pipeline.accept(c.response(T0 + 2 * MS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        }
        run.until(T0 + 60 * S); // many progress periods, all connections open and idle
        assertEquals(2000, run.exchanges.size());
        assertEquals(List.of(), run.reports);
        assertEquals(new ProgressStats(0, 0, 0, 0), run.pipeline.progressStats());
        assertEquals(2000, run.pipeline.stats().openConnections());
    }

    @Test
    void aResponseWhoseRequestWasNotSeenIsFollowedFromItsHead() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        // no opening seen: the stream is caught in the middle, at a response head
        run.pipeline.accept(c.response(T0, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
        run.until(T0 + 3 * S);
        assertEquals(1, run.reports.size(), run.reports::toString);
        Exchange soFar = run.reports.get(0).exchange();
        assertNull(soFar.request());
        assertEquals(5, soFar.response().body().size());
        assertTrue(soFar.notes().contains(Notes.REQUEST_NOT_SEEN));
    }

    @Test
    void pipelinedRequestsAreEachFollowedAndTheAnsweredOneShowsItsResponse() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));
        run.until(T0 + 3 * S);
        assertEquals(200, run.reportsFor("/a").get(0).exchange().response().status());
        assertEquals(4, run.reportsFor("/a").get(0).exchange().response().body().size());
        assertNull(run.reportsFor("/b").get(0).exchange().response());
        assertEquals(2, run.pipeline.progressStats().reportedNow());
    }

    @Test
    void anInterimResponseIsNotTakenForTheAnswer() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "POST /slow HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
        run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 100 Continue\r\n\r\n"));
        run.pipeline.accept(c.request(T0 + 2 * MS, "ok"));
        run.until(T0 + 3 * S);
        assertNull(run.reportsFor("/slow").get(0).exchange().response(), "still waiting for the final response");
        run.pipeline.accept(c.response(T0 + 3 * S, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(201, run.exchanges.get(0).response().status());
        assertTrue(run.exchanges.get(0).notes().contains(Notes.completesProgress(T0 + 2 * S)));
    }

    @Test
    void aConnectionThatEndsWhileWaitingCompletesItsReportIncomplete() {
        Run run = new Run();
        Connection c = new Connection(7, Role.CLIENT);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.until(T0 + 5 * S);
        run.pipeline.accept(c.closed(T0 + 5 * S));
        assertEquals(2, run.reports.size());
        assertEquals(List.of(Notes.RESPONSE_NOT_SEEN, "incomplete: connection closed",
                Notes.completesProgress(T0 + 2 * S)), run.exchanges.get(0).notes());
        assertEquals(0, run.pipeline.progressStats().openExchanges());
    }

    @Test
    void stoppingTheProfilerCompletesEveryReportedExchange() {
        Run run = new Run();
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.until(T0 + 3 * S);
        run.pipeline.finish();
        assertTrue(run.exchanges.get(0).notes().contains("incomplete: profiler stopped"));
        assertTrue(run.exchanges.get(0).notes().contains(Notes.completesProgress(T0 + 2 * S)));
    }

    @Test
    void beyondTheCapExchangesAreCountedNotReported() {
        Run run = new Run(new ProgressSettings(Duration.ofSeconds(2), 5));
        for (int i = 0; i < 8; i++) {
            Connection c = new Connection(10 + i, Role.SERVER);
            run.pipeline.accept(c.opened(T0));
            run.pipeline.accept(c.request(T0 + i * MS, "GET /hang" + i + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        }
        run.until(T0 + 5 * S);
        assertEquals(10, run.reports.size(), "5 exchanges at 2 s and 4 s");
        assertEquals(new ProgressStats(8, 5, 10, 3), run.pipeline.progressStats());
        run.pipeline.finish();
        long completing = run.exchanges.stream()
                .filter(e -> e.notes().stream().anyMatch(n -> n.startsWith(Notes.COMPLETES_PROGRESS_PREFIX))).count();
        assertEquals(5, completing, "only the reported ones say they complete a report");
        assertEquals(8, run.exchanges.size());
    }

    @Test
    void offReportsNothingAndNotesNothing() {
        Run run = new Run(ProgressSettings.off());
        Connection c = new Connection(7, Role.SERVER);
        run.pipeline.accept(c.opened(T0 - MS));
        run.pipeline.accept(c.request(T0, "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n"));
        run.until(T0 + 10 * S);
        run.pipeline.accept(c.response(T0 + 10 * S, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(List.of(), run.reports);
        assertEquals(List.of(), run.exchanges.get(0).notes());
    }

    @Test
    void aProgressReportDoesNotDisturbTheExchangeItDescribes() {
        // The same conversation with and without reports in between: the final exchange differs only by the note.
        Exchange[] finals = new Exchange[2];
        for (int pass = 0; pass < 2; pass++) {
            Run run = new Run(pass == 0 ? ProgressSettings.off() : ProgressSettings.defaults());
            Connection c = new Connection(7, Role.SERVER);
            run.pipeline.accept(c.opened(T0 - MS));
            run.pipeline.accept(c.request(T0, "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"));
            run.pipeline.accept(c.response(T0 + MS, "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n"
                    + "Content-Length: 2000\r\n\r\n" + "y".repeat(1000)));
            run.until(T0 + 9 * S);
            run.pipeline.accept(c.response(T0 + 9 * S, "z".repeat(1000)));
            finals[pass] = run.exchanges.get(0);
        }
        assertEquals(ExchangeText.describe(finals[0]), ExchangeText.describe(finals[1]).replace(
                "notes: [" + Notes.completesProgress(T0 + 2 * S) + "]", "notes: []"));
        assertEquals(2000, finals[1].response().body().size());
    }

    // --- HTTP/2 -------------------------------------------------------------------------------------------------

    @Test
    void anHttp2GrpcStreamIsReportedPerStreamWithItsMessagesSoFar() {
        Run run = new Run();
        Connection c = new Connection(9, Role.SERVER);
        DefaultHttp2HeadersEncoder clientHpack = new DefaultHttp2HeadersEncoder();
        DefaultHttp2HeadersEncoder serverHpack = new DefaultHttp2HeadersEncoder();
        run.pipeline.accept(c.opened(T0 - MS));
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        client.writeBytes(Http2Preface.PREFACE);
        client.writeBytes(frame(Http2Frames.SETTINGS, 0, 0, new byte[0]));
        for (int stream : new int[] {1, 3}) {
            Http2Headers headers = new DefaultHttp2Headers().method("POST").path("/chat.Chat/Listen" + stream)
                    .scheme("http").authority("x").add("content-type", "application/grpc");
            client.writeBytes(frame(Http2Frames.HEADERS, Http2Frames.FLAG_END_HEADERS, stream,
                    hpack(clientHpack, stream, headers)));
            client.writeBytes(frame(Http2Frames.DATA, Http2Frames.FLAG_END_STREAM, stream, grpcMessage("hi")));
        }
        run.pipeline.accept(c.request(T0, client.toByteArray()));
        ByteArrayOutputStream server = new ByteArrayOutputStream();
        server.writeBytes(frame(Http2Frames.SETTINGS, 0, 0, new byte[0]));
        server.writeBytes(frame(Http2Frames.HEADERS, Http2Frames.FLAG_END_HEADERS, 1, hpack(
                serverHpack, 1, new DefaultHttp2Headers().status("200").add("content-type", "application/grpc"))));
        run.pipeline.accept(c.response(T0 + MS, server.toByteArray()));
        for (int i = 1; i <= 25; i++) { // stream 1 streams a message every 100 ms; stream 3 gets no answer
            run.until(T0 + i * 100 * MS);
            run.pipeline.accept(c.response(T0 + i * 100 * MS,
                    frame(Http2Frames.DATA, 0, 1, grpcMessage("message " + i))));
        }
        run.until(T0 + 2500 * MS);
        ExchangeProgress first = run.reportsFor("/chat.Chat/Listen1").get(0);
        assertEquals(1, first.exchange().stream());
        assertEquals(19, first.exchange().grpc().responseMessageCount(), "the 2 s tick came before the 20th");
        assertEquals(1, first.exchange().grpc().requestMessageCount());
        assertEquals(-1, first.exchange().grpc().status(), "no trailers yet");
        assertEquals(-1, first.events(), "gRPC counts messages, not events");
        assertEquals("HTTP/2", first.exchange().request().version());
        ExchangeProgress waiting = run.reportsFor("/chat.Chat/Listen3").get(0);
        assertEquals(3, waiting.exchange().stream());
        assertNull(waiting.exchange().response());

        run.pipeline.accept(c.response(T0 + 2600 * MS, frame(Http2Frames.HEADERS,
                Http2Frames.FLAG_END_HEADERS | Http2Frames.FLAG_END_STREAM, 1,
                hpack(serverHpack, 1, new DefaultHttp2Headers().add("grpc-status", "0")))));
        Exchange last = run.exchanges.get(0);
        assertEquals(1, last.stream());
        assertEquals(25, last.grpc().responseMessageCount());
        assertEquals(0, last.grpc().status());
        assertEquals(List.of(Notes.completesProgress(T0 + 2 * S)), last.notes());
        assertEquals(1, run.pipeline.progressStats().openExchanges(), "stream 3 is still open");
        assertFalse(run.pipeline.progressStats().reports() == 0);
    }

    private static byte[] grpcMessage(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        // field 1, length-delimited
        ByteBuffer message = ByteBuffer.allocate(5 + 2 + utf8.length);
        message.put((byte) 0).putInt(2 + utf8.length).put((byte) 0x0a).put((byte) utf8.length).put(utf8);
        return message.array();
    }

    private static byte[] hpack(DefaultHttp2HeadersEncoder encoder, int stream, Http2Headers headers) {
        return Http2HostileTest.hpack(encoder, stream, headers);
    }

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        return Http2HostileTest.frame(type, flags, stream, payload);
    }
}
