package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.PROMPT;
import static io.httpprofiler.e2e.E2e.TEST_PID;
import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static io.httpprofiler.e2e.E2e.targetStarts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx from Debian, run as root in the foreground ({@code daemon off; master_process off}) with its own configuration in
 * a temporary directory, serving static files. {@code /copy/} has {@code sendfile off} (file bytes are read into user
 * memory and written: the profiler sees them), {@code /sf/} has {@code sendfile on} (the kernel moves file bytes straight
 * to the socket: the profiler can only count them, so body_size must be exact and a note must say the bytes were not
 * captured). nginx also pipelines: requests written at once are answered in order.
 */
@Tag("root")
class NginxIT {

    @TempDir
    static Path dir;
    private static Path www;
    private static Process nginx;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        if (!Files.isExecutable(Path.of(NginxProcess.BINARY))) {
            // Debian's nginx is part of the test environment (scripts/setup installs it); say so loudly if absent
            System.err.println("SKIPPED: " + NginxProcess.BINARY + " missing (apt-get install -y nginx-light)");
            Assumptions.abort("nginx not installed");
        }
        www = Files.createDirectories(dir.resolve("www"));
        Files.createDirectories(www.resolve("copy"));
        Files.createDirectories(www.resolve("sf"));
        for (String name : List.of("a", "b", "c")) {
            Files.writeString(www.resolve("copy/" + name + ".txt"), ("file " + name + " served by nginx\n").repeat(10));
        }
        Files.writeString(www.resolve("copy/page.txt"), page("copied"));
        Files.writeString(www.resolve("sf/page.txt"), page("sendfile"));
        port = E2e.freePort();
        nginx = NginxProcess.start(dir, """
                types { text/plain txt; }
                default_type application/octet-stream;
                keepalive_requests 1000;
                server {
                    listen 127.0.0.1:%2$d;
                    root %1$s/www;
                    location /copy/ { sendfile off; }
                    location /sf/ { sendfile on; }
                }
                """.formatted(dir, port), port);
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (nginx != null) {
                nginx.destroy();
                if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                    nginx.destroyForcibly();
                }
            }
        });
    }

    private static String page(String how) {
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < 100; line++) {
            text.append(String.format("%s page, line %03d%n", how, line));
        }
        return text.toString();
    }

    private static Process curl(String... args) throws Exception {
        return E2e.curl(dir, args);
    }

    private static String url(String target) {
        return "http://127.0.0.1:" + port + target;
    }

    private record Pair(JsonNode client, JsonNode server) {
    }

    /** Both records of one exchange: the client (curl, or this JVM) and nginx. */
    private static Pair awaitPair(String target, long clientPid, String clientComm) throws Exception {
        return awaitPair(target, clientPid, clientComm, WAIT);
    }

    private static Pair awaitPair(String target, long clientPid, String clientComm, Duration timeout) throws Exception {
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", target))
                && list.stream().anyMatch(targetIs("server", target)), timeout);
        JsonNode client = single(all, "client", target);
        JsonNode server = single(all, "server", target);
        assertSameConnection(client, server);
        assertEquals(clientPid, client.path("pid").asLong());
        assertEquals(clientComm, client.path("comm").asText());
        assertEquals(nginx.pid(), server.path("pid").asLong(), "nginx's pid");
        assertEquals("nginx", server.path("comm").asText());
        assertEquals("127.0.0.1:" + port, server.path("local").asText());
        return new Pair(client, server);
    }

    /** curl saves the file to dir/outName, which must be exactly the expected text; then both records of the exchange. */
    private static Pair curlSavesExactly(String target, String expected, String outName) throws Exception {
        Path out = dir.resolve(outName);
        Process curl = curl("-o", out.toString(), url(target));
        assertEquals(expected, Files.readString(out));
        return awaitPair(target, curl.pid(), "curl");
    }

    private static TranscriptBlocks.Block block(JsonNode record) throws Exception {
        TranscriptBlocks.Block block = TranscriptBlocks.single(profiler.transcript(), record.path("role").asText(),
                "GET " + record.path("request").path("target").asText() + " HTTP/1.1");
        assertEquals(record.path("comm").asText(), block.comm());
        assertEquals(record.path("pid").asLong(), block.pid());
        return block;
    }

    @Test
    void staticFileWithSendfileOffIsCapturedInFull() throws Exception {
        String target = "/copy/page.txt?id=copy-1";
        String expected = page("copied");
        Pair pair = curlSavesExactly(target, expected, "copy.out");
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode response = record.path("response");
            assertEquals(200, response.path("status").asInt());
            assertEquals("nginx", header(response, "Server"));
            assertEquals(Integer.toString(expected.length()), header(response, "Content-Length"));
            assertEquals(expected.length(), response.path("body_size").asLong());
            assertEquals(expected, response.path("body").asText());
            assertFalse(response.path("body_truncated").asBoolean());
            assertNoNotes(record);
            block(record).assertContains("     Body (" + expected.length() + " bytes):\n       copied page, line 000\n");
        }
    }

    /**
     * With sendfile the file bytes never pass through nginx's memory: its record must still have the exact body size,
     * say (once, and without claiming a loss) that the bytes were sent with sendfile, and come out promptly. curl's side
     * sees every byte.
     */
    @Test
    void staticFileWithSendfileOnHasExactSizeAndSaysBytesWereNotCaptured() throws Exception {
        String target = "/sf/page.txt?id=sendfile-1";
        String expected = page("sendfile");
        Pair pair = curlSavesExactly(target, expected, "sf.out");
        JsonNode clientResponse = pair.client().path("response");
        assertEquals(expected.length(), clientResponse.path("body_size").asLong());
        assertEquals(expected, clientResponse.path("body").asText());
        assertNoNotes(pair.client());

        JsonNode server = pair.server();
        JsonNode response = server.path("response");
        assertEquals(200, response.path("status").asInt());
        assertEquals(Integer.toString(expected.length()), header(response, "Content-Length"));
        assertEquals(expected.length(), response.path("body_size").asLong(), "exact size though not copied");
        assertTrue(response.path("body_truncated").asBoolean(), "the body shown is not the whole body");
        assertEquals(List.of(sendfileNote(expected.length())), notes(server),
                "one note, saying why the bytes are not there; no 'capture gap' (nothing was lost)");
        TranscriptBlocks.Block block = block(server);
        block.assertContains("     Body (" + expected.length() + " bytes");
        assertTrue(notes(server).stream().allMatch(n -> block.contains("  [" + n + "]")), "notes in the transcript");
    }

    /**
     * The last response on a keep-alive connection that stays open, sent with sendfile: no later byte and no close tells
     * the profiler where the body ended, only the sendfile call itself can. The exchange must still be written promptly.
     */
    @Test
    void sendfileResponseOnAConnectionThatStaysOpenIsWrittenPromptly() throws Exception {
        String target = "/sf/page.txt?id=open-1";
        String expected = page("sendfile");
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertEquals(expected, RawHttp.readResponse(socket.getInputStream(), false).bodyText());
            Pair pair = awaitPair(target, TEST_PID, "java", PROMPT); // the connection is still open
            assertEquals(expected, pair.client().path("response").path("body").asText());
            JsonNode response = pair.server().path("response");
            assertEquals(expected.length(), response.path("body_size").asLong(), "exact size though not copied");
            assertTrue(notes(pair.server()).stream().noneMatch(n -> n.startsWith("incomplete")),
                    () -> "complete, not cut: " + pair.server());
        }
    }

    /** curl fetches several URLs over one keep-alive connection, a sendfile one in the middle. */
    @Test
    void keepAliveConnectionMixingCopiedAndSendfileResponsesPairsEveryExchange() throws Exception {
        List<String> targets = List.of("/copy/a.txt?id=ka-1", "/sf/page.txt?id=ka-2", "/copy/b.txt?id=ka-3",
                "/copy/c.txt?id=ka-4");
        List<String> args = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            args.addAll(List.of("-o", dir.resolve("ka-" + i + ".out").toString(), url(targets.get(i))));
        }
        Process curl = curl(args.toArray(String[]::new));
        List<Pair> pairs = new ArrayList<>();
        for (String target : targets) {
            pairs.add(awaitPair(target, curl.pid(), "curl"));
        }
        for (Pair pair : pairs) {
            assertEquals(pairs.get(0).server().path("remote"), pair.server().path("remote"), "one connection");
            assertEquals(pairs.get(0).server().path("fd"), pair.server().path("fd"), "one connection");
        }
        for (int i = 0; i < targets.size(); i++) {
            String target = targets.get(i);
            String file = target.substring(0, target.indexOf('?'));
            String expected = Files.readString(www.resolve(file.substring(1)));
            for (JsonNode record : List.of(pairs.get(i).client(), pairs.get(i).server())) {
                JsonNode response = record.path("response");
                assertEquals(expected.length(), response.path("body_size").asLong(), target);
                if (!(file.startsWith("/sf/") && record.path("role").asText().equals("server"))) {
                    assertEquals(expected, response.path("body").asText(), () -> "paired with its own response: "
                            + record);
                    assertNoNotes(record);
                } else {
                    assertEquals(List.of(sendfileNote(expected.length())), notes(record), target);
                }
            }
        }
    }

    /** Three requests in one write on a raw socket; nginx answers them in order; both sides pair them FIFO. */
    @Test
    void pipelinedRequestsPairInOrder() throws Exception {
        assertPipelined(List.of("/copy/a.txt?pipe=1", "/copy/b.txt?pipe=2", "/copy/c.txt?pipe=3"));
    }

    /** The same with a sendfile response in the middle: the uncaptured body must not shift the pairing. */
    @Test
    void pipelinedRequestsWithASendfileResponseInTheMiddlePairInOrder() throws Exception {
        assertPipelined(List.of("/copy/a.txt?pipe=4", "/sf/page.txt?pipe=5", "/copy/c.txt?pipe=6"));
    }

    private static void assertPipelined(List<String> targets) throws Exception {
        List<RawHttp.Response> responses = new ArrayList<>();
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            StringBuilder requests = new StringBuilder();
            for (String target : targets) {
                requests.append("GET ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
            }
            socket.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            for (int i = 0; i < targets.size(); i++) {
                responses.add(RawHttp.readResponse(in, false));
            }
            List<JsonNode> all = profiler.awaitExchanges(list -> targets.stream().allMatch(
                    t -> list.stream().anyMatch(targetIs("server", t)) && list.stream().anyMatch(targetIs("client", t))),
                    WAIT);
            for (String role : List.of("client", "server")) {
                List<JsonNode> records = all.stream().filter(e -> E2e.target(e) != null
                        && targets.contains(E2e.target(e)) && role.equals(E2e.role(e))).toList();
                assertEquals(targets, records.stream().map(E2e::target).toList(), role + " records in request order");
                for (int i = 0; i < targets.size(); i++) {
                    JsonNode record = records.get(i);
                    String target = targets.get(i);
                    String expected = responses.get(i).bodyText();
                    assertEquals(Files.readString(www.resolve(target.substring(1, target.indexOf('?')))), expected);
                    JsonNode response = record.path("response");
                    assertEquals(expected.length(), response.path("body_size").asLong(), target);
                    if (role.equals("client")) {
                        assertEquals(TEST_PID, record.path("pid").asLong());
                    }
                    if (role.equals("client") || target.startsWith("/copy/")) {
                        assertEquals(expected, response.path("body").asText(), () -> "FIFO pairing: " + record);
                        assertNoNotes(record);
                    } else {
                        assertEquals(List.of(sendfileNote(expected.length())), notes(record), target);
                    }
                    assertEquals(records.get(0).path("fd"), record.path("fd"), "one connection");
                }
            }
        }
    }

    /** What nginx's side of a sendfile response says about its body, and all it says. */
    private static String sendfileNote(int bodyBytes) {
        return "response body not captured: " + bodyBytes + " bytes sent with sendfile";
    }
}
