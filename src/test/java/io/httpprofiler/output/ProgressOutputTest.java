package io.httpprofiler.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeProgress;
import io.httpprofiler.http.GrpcCall;
import io.httpprofiler.http.GrpcMessage;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import io.httpprofiler.http.Notes;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;

import static io.httpprofiler.output.Samples.START;
import static io.httpprofiler.output.Samples.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How reports of exchanges in progress read in the transcript and in JSON Lines. */
class ProgressOutputTest {
    private static final long S = 1_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Exchange waiting() {
        HttpRequest request = new HttpRequest("GET", "/poll?wait=30", "HTTP/1.1",
                List.of(new HttpHeader("Host", "localhost:8080")), List.of(), Body.EMPTY);
        return new Exchange(new ConnectionId(1234, 7, 1), 1235, "node", Role.SERVER,
                new InetSocketAddress(ip("127.0.0.1"), 8080), new InetSocketAddress(ip("127.0.0.1"), 51234),
                START, START + 2 * S, request, null, List.of());
    }

    private static Exchange streaming(String soFar) {
        return streaming(soFar, START + 4 * S);
    }

    /** @param nowNanos the exchange so far ends now (as a snapshot's does) */
    private static Exchange streaming(String soFar, long nowNanos) {
        HttpRequest request = new HttpRequest("GET", "/events", "HTTP/1.1",
                List.of(new HttpHeader("Host", "localhost:8080")), List.of(), Body.EMPTY);
        HttpResponse response = new HttpResponse("HTTP/1.1", 200, "OK",
                List.of(new HttpHeader("Content-Type", "text/event-stream")), List.of(), Samples.text(soFar));
        return new Exchange(new ConnectionId(1234, 7, 1), 1235, "node", Role.SERVER,
                new InetSocketAddress(ip("127.0.0.1"), 8080), new InetSocketAddress(ip("127.0.0.1"), 51234),
                START, nowNanos, request, response, List.of());
    }

    private static Exchange grpcStream() {
        byte[] requestBytes = {0, 0, 0, 0, 2, 0x0a, 0};
        HttpRequest request = new HttpRequest("POST", "/chat.Chat/Listen", "HTTP/2",
                List.of(new HttpHeader(":method", "POST"), new HttpHeader("content-type", "application/grpc")),
                List.of(), new Body(7, 7, requestBytes, false, null, false));
        HttpResponse response = new HttpResponse("HTTP/2", 200, "",
                List.of(new HttpHeader(":status", "200")), List.of(), new Body(7 * 24, 0, new byte[0], false, null,
                true));
        GrpcCall grpc = new GrpcCall(-1, null, List.of(new GrpcMessage(2, false, "1: \"\"")), 1, List.of(), 24);
        return new Exchange(new ConnectionId(77, 9, 1), 78, "server", Role.SERVER,
                new InetSocketAddress(ip("127.0.0.1"), 50051), new InetSocketAddress(ip("127.0.0.1"), 40000),
                START, START + 8 * S, request, response, List.of(), null, 3, grpc);
    }

    private static String transcript(ExchangeProgress... reports) throws IOException {
        StringWriter out = new StringWriter();
        TranscriptWriter writer = new TranscriptWriter(out);
        for (ExchangeProgress report : reports) {
            writer.writeProgress(report);
        }
        return out.toString();
    }

    @Test
    void firstReportOfARequestWaitingForItsResponse() throws IOException {
        assertEquals("""
                [2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7  in progress 2.00 s
                  → GET /poll?wait=30 HTTP/1.1
                     Host: localhost:8080
                  ← (waiting for response, 2.00 s)
                  [in progress at 11:30:02.123: written in full when it ends]

                """, transcript(new ExchangeProgress(waiting(), START + 2 * S, 1, START + 2 * S)));
    }

    @Test
    void laterReportsAreOneLineEach() throws IOException {
        assertEquals("""
                [2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7  in progress 4.00 s: GET /poll?wait=30, waiting for response

                [2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7  in progress 8.00 s: GET /events → 200, response body 18 bytes (2 events) so far

                """, transcript(new ExchangeProgress(waiting(), START + 4 * S, 2, START + 2 * S),
                new ExchangeProgress(streaming("data: 1\n\ndata: 2\n\n"), START + 8 * S, 3,
                        START + 2 * S, 2)));
    }

    @Test
    void firstReportOfAStreamShowsItsBodySoFar() throws IOException {
        String text = transcript(new ExchangeProgress(streaming("data: 1\n\ndata: 2\n\n"), START + 2 * S, 1,
                START + 2 * S, 2));
        assertTrue(text.startsWith("[2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 <- 127.0.0.1:51234"
                + " fd 7  in progress 2.00 s\n"), text);
        assertTrue(text.contains("  ← HTTP/1.1 200 OK\n     Content-Type: text/event-stream\n     Body (18 bytes):\n"
                + "       data: 1\n"), text);
        assertTrue(text.endsWith("  [in progress at 11:30:02.123 (2 events so far): written in full when it ends]\n\n"),
                text);
    }

    @Test
    void http2ReportsNameTheStreamAndCountGrpcMessages() throws IOException {
        String first = transcript(new ExchangeProgress(grpcStream(), START + 2 * S, 1, START + 2 * S));
        assertTrue(first.startsWith("[2026-11-22 11:30:00.123] PID 77 (server) server 127.0.0.1:50051 <-"
                + " 127.0.0.1:40000 fd 9  HTTP/2 stream 3  in progress 2.00 s\n"), first);
        assertTrue(first.contains("Body (168 bytes, gRPC: 24 messages)"), first);
        String later = transcript(new ExchangeProgress(grpcStream(), START + 8 * S, 3, START + 2 * S));
        assertEquals("[2026-11-22 11:30:00.123] PID 77 (server) server 127.0.0.1:50051 <- 127.0.0.1:40000 fd 9"
                + "  HTTP/2 stream 3  in progress 8.00 s: POST /chat.Chat/Listen → 200, request body 7 bytes"
                + " (1 message) so far, response body 168 bytes (24 messages) so far\n\n", later);
    }

    @Test
    void controlCharactersFromTheWireCannotDriveTheTerminalInAProgressLine() throws IOException {
        HttpRequest request = new HttpRequest("GET", "/x\u001b[2J", "HTTP/1.1", List.of(), List.of(), Body.EMPTY);
        Exchange exchange = waiting().withMessages(request, null);
        String line = transcript(new ExchangeProgress(exchange, START + 4 * S, 2, START + 2 * S));
        assertFalse(line.contains("\u001b"), line);
        assertTrue(line.contains("GET /x?[2J, waiting for response"), line);
    }

    @Test
    void theFinalBlockNamesTheReportItCompletes() throws IOException {
        Exchange done = new Exchange(waiting().connection(), 1235, "node", Role.SERVER, waiting().local(),
                waiting().remote(), START, START + 9 * S, waiting().request(), streaming("x").response(),
                List.of(Notes.completesProgress(START + 2 * S)));
        StringWriter out = new StringWriter();
        new TranscriptWriter(out).write(done);
        assertTrue(out.toString().contains("  [completes in-progress report from 11:30:02.123]\n"), out::toString);
    }

    @Test
    void jsonProgressRecordIsTheFinalRecordsShapeMarkedPartial() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonLinesWriter writer = new JsonLinesWriter(bytes);
        writer.writeProgress(new ExchangeProgress(waiting(), START + 2 * S, 1, START + 2 * S));
        writer.writeProgress(new ExchangeProgress(streaming("data: 1\n\n", START + 4 * S + 1_234_000),
                START + 4 * S + 1_234_000, 2, START + 2 * S, 1));
        writer.writeProgress(new ExchangeProgress(grpcStream(), START + 8 * S, 3, START + 2 * S));
        writer.write(streaming("data: 1\n\ndata: 2\n\n"));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length);

        JsonNode waiting = JSON.readTree(lines[0]);
        assertTrue(waiting.path("partial").asBoolean());
        assertTrue(waiting.path("response").isNull());
        assertTrue(waiting.path("duration_ms").isNull(), "no response yet");
        assertEquals(1, waiting.path("progress").path("report").asInt());
        assertEquals("2026-11-22T11:30:02.123456Z", waiting.path("progress").path("at").asText());
        assertEquals(2000.0, waiting.path("progress").path("open_ms").asDouble());
        assertTrue(waiting.path("progress").path("events").isNull(), "not an event stream");

        JsonNode streaming = JSON.readTree(lines[1]);
        assertEquals(9, streaming.path("response").path("body_size").asInt());
        assertEquals("data: 1\n\n", streaming.path("response").path("body").asText());
        assertEquals(4001.234, streaming.path("duration_ms").asDouble());
        assertEquals(4001.234, streaming.path("progress").path("open_ms").asDouble());
        assertEquals(1, streaming.path("progress").path("events").asInt());

        JsonNode grpc = JSON.readTree(lines[2]);
        assertEquals(3, grpc.path("stream").asInt());
        assertEquals(24, grpc.path("grpc").path("response_messages").asInt());
        assertTrue(grpc.path("grpc").path("status").isNull());

        JsonNode last = JSON.readTree(lines[3]);
        assertFalse(last.has("partial"), "final records are unchanged");
        assertFalse(last.has("progress"));
        // Same identity: a tool pairs the partial records with the final one by these.
        for (String member : List.of("time", "pid", "fd", "role", "local", "remote")) {
            assertEquals(last.path(member), streaming.path(member), member);
        }
        // Every member of the final record is in the partial one, in the same order, then the two partial ones.
        Iterator<String> finalNames = last.fieldNames();
        Iterator<String> partialNames = streaming.fieldNames();
        while (finalNames.hasNext()) {
            assertEquals(finalNames.next(), partialNames.next());
        }
        assertEquals("partial", partialNames.next());
        assertEquals("progress", partialNames.next());
        assertFalse(partialNames.hasNext());
    }

    @Test
    void progressAfterAFinalRecordReusesNothingOfIt() throws IOException {
        // The writer builds every line in one buffer: a report right after a final record must not carry its tail.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonLinesWriter writer = new JsonLinesWriter(bytes);
        writer.write(Samples.serverGet());
        writer.writeProgress(new ExchangeProgress(waiting(), START + 2 * S, 1, START + 2 * S));
        writer.write(Samples.serverGet());
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(lines[0], lines[2]);
        assertEquals("/poll?wait=30", JSON.readTree(lines[1]).path("request").path("target").asText());
    }
}
