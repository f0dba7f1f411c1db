package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processes other than this JVM: curl as the client, Python's http.server (HTTP/1.0, one request per connection) and a
 * small Python server whose responses have no Content-Length (the body ends when the server closes the connection).
 * Each side's record names its own process: comm curl / role client, comm python3 / role server.
 */
@Tag("root")
class CurlPythonIT {
    private static final String CLOSE_DELIMITED_SERVER = """
            import http.server, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.0"
                def answer(self, body):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.end_headers()  # no Content-Length: the body runs until the connection closes
                    self.wfile.write(body)
                def do_GET(self):
                    self.answer(("close-delimited line for %s\\n" % self.path).encode() * 40)
                def do_POST(self):
                    data = self.rfile.read(int(self.headers["Content-Length"]))
                    self.answer(("%s got %d bytes: " % (self.path, len(data))).encode() + data)
                def log_message(self, *args):
                    pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
            """;

    /**
     * Keep-alive HTTP/1.1 with every response (head and body) written by one blocking send(): a single system call that
     * moves megabytes, more than the probe copies from one call.
     */
    private static final String ONE_CALL_SERVER = """
            import socket, sys, threading
            def serve(conn):
                with conn:
                    data = b""
                    while True:
                        while b"\\r\\n\\r\\n" not in data:
                            more = conn.recv(65536)
                            if not more:
                                return
                            data += more
                        head, data = data.split(b"\\r\\n\\r\\n", 1)
                        size = int(head.split(b" ")[1].split(b"/")[-1])
                        body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
                        conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n"
                                     % size + body)
            listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()
            """;

    @TempDir
    static Path dir;
    private static Process oneCallServer;
    private static int oneCallPort;
    private static Process fileServer;
    private static Process streamServer;
    private static int filePort;
    private static int streamPort;
    private static ProfilerProcess profiler;
    private static Path www;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("hello.txt"), "Hello from python http.server\n".repeat(20));
        Path script = Files.writeString(dir.resolve("close_delimited_server.py"), CLOSE_DELIMITED_SERVER);
        filePort = E2e.freePort();
        streamPort = E2e.freePort();
        fileServer = new ProcessBuilder("python3", "-m", "http.server", Integer.toString(filePort), "--bind",
                "127.0.0.1", "--directory", www.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("http.server.log").toFile()).start();
        streamServer = new ProcessBuilder("python3", script.toString(), Integer.toString(streamPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("stream-server.log").toFile()).start();
        E2e.awaitListening(filePort, fileServer, Duration.ofSeconds(20));
        E2e.awaitListening(streamPort, streamServer, Duration.ofSeconds(20));
        Path oneCallScript = Files.writeString(dir.resolve("one_call_server.py"), ONE_CALL_SERVER);
        oneCallPort = E2e.freePort();
        oneCallServer = new ProcessBuilder("python3", oneCallScript.toString(), Integer.toString(oneCallPort))
                .redirectErrorStream(true).redirectOutput(dir.resolve("one-call-server.log").toFile()).start();
        E2e.awaitListening(oneCallPort, oneCallServer, Duration.ofSeconds(20));
        profiler = ProfilerProcess.start(dir, "--port", filePort + "," + streamPort + "," + oneCallPort);
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            for (Process server : new Process[]{fileServer, streamServer, oneCallServer}) {
                if (server != null) {
                    server.destroy();
                    server.waitFor(5, TimeUnit.SECONDS);
                }
            }
        });
    }

    private static Process curl(String... args) throws Exception {
        return E2e.curl(dir, args);
    }

    /** The client (curl) and server (python3) records of one exchange, each checked against its process. */
    private record Pair(JsonNode client, JsonNode server) {
    }

    private static Pair awaitPair(String target, Process curl, Process server) throws Exception {
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", target))
                && list.stream().anyMatch(targetIs("server", target)), WAIT);
        JsonNode client = single(all, "client", target);
        JsonNode server1 = single(all, "server", target);
        assertSameConnection(client, server1);
        assertEquals("curl", client.path("comm").asText());
        assertEquals(curl.pid(), client.path("pid").asLong(), "curl's pid");
        assertEquals(curl.pid(), client.path("tid").asLong(), "curl is single-threaded");
        assertEquals("python3", server1.path("comm").asText());
        assertEquals(server.pid(), server1.path("pid").asLong(), "the python server's pid");
        for (JsonNode record : List.of(client, server1)) {
            TranscriptBlocks.Block block = TranscriptBlocks.single(profiler.transcript(), record.path("role").asText(),
                    record.path("request").path("method").asText() + " " + target + " HTTP/1.1");
            assertEquals(record.path("pid").asLong(), block.pid());
            assertEquals(record.path("comm").asText(), block.comm());
            assertEquals(record.path("local").asText(), block.local());
            assertEquals(record.path("remote").asText(), block.remote());
        }
        return new Pair(client, server1);
    }

    private static TranscriptBlocks.Block block(JsonNode record) throws Exception {
        return TranscriptBlocks.single(profiler.transcript(), record.path("role").asText(),
                record.path("request").path("method").asText() + " " + record.path("request").path("target").asText()
                        + " HTTP/1.1");
    }

    @Test
    void curlFetchesAFileFromPythonHttpServer() throws Exception {
        String target = "/hello.txt?id=file-1";
        Path out = dir.resolve("hello.out");
        Process curl = curl("-o", out.toString(), "http://127.0.0.1:" + filePort + target);
        String expected = Files.readString(www.resolve("hello.txt"));
        assertEquals(expected, Files.readString(out));

        Pair pair = awaitPair(target, curl, fileServer);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode request = record.path("request");
            assertEquals("GET", request.path("method").asText());
            assertEquals("curl/", header(request, "User-Agent").substring(0, 5));
            JsonNode response = record.path("response");
            assertEquals("HTTP/1.0", response.path("version").asText());
            assertEquals(200, response.path("status").asInt());
            assertEquals(Integer.toString(expected.length()), header(response, "Content-Length"));
            assertEquals(expected.length(), response.path("body_size").asLong());
            assertEquals(expected, response.path("body").asText());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            assertEquals("HTTP/1.0 200 OK", block.statusLine());
            block.assertContains("     Body (" + expected.length() + " bytes):\n       Hello from python http.server\n");
        }
    }

    /** An HTTP/1.0 response without Content-Length: its body is everything until the server closes. */
    @Test
    void closeDelimitedResponseBodyEndsWithTheConnection() throws Exception {
        String target = "/stream?id=close-1";
        Path out = dir.resolve("stream.out");
        Process curl = curl("-o", out.toString(), "http://127.0.0.1:" + streamPort + target);
        String expected = ("close-delimited line for " + target + "\n").repeat(40);
        assertEquals(expected, Files.readString(out));

        Pair pair = awaitPair(target, curl, streamServer);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode response = record.path("response");
            assertEquals("HTTP/1.0", response.path("version").asText());
            assertNull(header(response, "Content-Length"));
            assertNull(header(response, "Transfer-Encoding"));
            assertEquals(expected.length(), response.path("body_size").asLong(), "close-delimited body, exact size");
            assertEquals(expected, response.path("body").asText());
            assertFalse(response.path("body_truncated").asBoolean());
            assertNoNotes(record);
            block(record).assertContains("     Body (" + expected.length() + " bytes):\n       close-delimited line for "
                    + target + "\n");
        }
    }

    @Test
    void curlPostsABodyToPython() throws Exception {
        String target = "/upload?id=post-1";
        String data = "{\"user\":\"ünïcødé\",\"items\":[1,2,3]}";
        Path file = Files.writeString(dir.resolve("post.json"), data);
        Path out = dir.resolve("post.out");
        Process curl = curl("-o", out.toString(), "-H", "Content-Type: application/json", "--data-binary",
                "@" + file, "http://127.0.0.1:" + streamPort + target);
        int size = data.getBytes(StandardCharsets.UTF_8).length;
        String expected = target + " got " + size + " bytes: " + data;
        assertEquals(expected, Files.readString(out));

        Pair pair = awaitPair(target, curl, streamServer);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode request = record.path("request");
            assertEquals("POST", request.path("method").asText());
            assertEquals(Integer.toString(size), header(request, "Content-Length"));
            assertEquals(size, request.path("body_size").asLong());
            assertEquals(data, request.path("body").asText());
            assertEquals(expected.getBytes(StandardCharsets.UTF_8).length,
                    record.path("response").path("body_size").asLong());
            assertEquals(expected, record.path("response").path("body").asText());
            assertNoNotes(record);
            block(record).assertContains("     Body (" + size + " bytes): " + data + "\n");
        }
    }

    /**
     * A 3 MiB response written by a single send() (what Python's sendall does on a blocking socket, and many servers do
     * with big buffers): the probe copies at most 1 MiB of one call and counts the rest. The server's record must still
     * come out promptly with the exact size while the keep-alive connection stays open, and a second exchange on the
     * connection must pair.
     */
    @Test
    void responseWrittenInOneHugeCallIsRecordedPromptlyWithExactSize() throws Exception {
        int size = 3 << 20;
        List<String> targets = List.of("/one-call/a/" + size, "/one-call/b/100");
        try (Socket socket = new Socket(E2e.LOOPBACK, oneCallPort)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            for (String target : targets) {
                socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                int expected = Integer.parseInt(target.substring(target.lastIndexOf('/') + 1));
                assertEquals(expected, RawHttp.readResponse(socket.getInputStream(), false).body().length);
                List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("server", target))
                        && list.stream().anyMatch(targetIs("client", target)), E2e.PROMPT); // connection still open
                JsonNode server = single(all, "server", target);
                JsonNode client = single(all, "client", target);
                assertSameConnection(client, server);
                assertEquals(oneCallServer.pid(), server.path("pid").asLong());
                assertEquals("python3", server.path("comm").asText());
                for (JsonNode record : List.of(client, server)) {
                    JsonNode response = record.path("response");
                    assertEquals(expected, response.path("body_size").asLong(), () -> "exact size: " + record);
                    assertTrue(response.path("body").asText().startsWith("0123456789abcdef"), () -> "body: " + record);
                    assertTrue(notes(record).stream().noneMatch(n -> n.startsWith("incomplete")
                            || n.contains("gap") || n.contains("not seen")), () -> "notes: " + notes(record));
                }
            }
        }
    }

    /** HEAD and a conditional GET answered 304 by http.server: headers only, Content-Length notwithstanding. */
    @Test
    void headAndNotModifiedFromPythonHaveNoBody() throws Exception {
        String head = "/hello.txt?id=head-1";
        Process curlHead = curl("-I", "-o", dir.resolve("head.out").toString(), "http://127.0.0.1:" + filePort + head);
        Pair headPair = awaitPair(head, curlHead, fileServer);
        for (JsonNode record : List.of(headPair.client(), headPair.server())) {
            assertEquals("HEAD", record.path("request").path("method").asText());
            JsonNode response = record.path("response");
            assertEquals(200, response.path("status").asInt());
            assertTrue(Long.parseLong(header(response, "Content-Length")) > 0);
            assertEquals(0, response.path("body_size").asLong());
            assertNoNotes(record);
            block(record).assertLacks("Body (");
        }

        String conditional = "/hello.txt?id=304-1";
        Process curl304 = curl("-o", dir.resolve("304.out").toString(), "-H",
                "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT", "http://127.0.0.1:" + filePort + conditional);
        Pair pair = awaitPair(conditional, curl304, fileServer);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode response = record.path("response");
            assertEquals(304, response.path("status").asInt());
            assertEquals(0, response.path("body_size").asLong());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            assertEquals("HTTP/1.0 304 Not Modified", block.statusLine());
            block.assertLacks("Body (");
        }
    }
}
