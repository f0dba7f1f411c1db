package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.PROMPT;
import static io.httpprofiler.e2e.E2e.TEST_PID;
import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.bodyBytes;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.headers;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static io.httpprofiler.e2e.E2e.targetStarts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JDK's own HTTP server and client in this JVM, traced by the packaged profiler in another process: one profiler for
 * the class (port filter on the server's port, {@code --max-body 4096}), every test with its own request targets. Each
 * exchange must be recorded once by each side (client and server), with the response paired with its own request: the
 * server echoes the request target in an {@code X-Target} header and usually in the body.
 */
@Tag("root")
class JdkServerIT {
    private static final int MAX_BODY = 4096;
    private static final int ONE_MIB = 1 << 20;

    @TempDir
    static Path dir;
    private static HttpServer server;
    /** The same handler on [::1], when this machine has IPv6 loopback. */
    private static HttpServer server6;
    private static ExecutorService executor;
    private static int port;
    private static int port6;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        executor = Executors.newFixedThreadPool(8);
        server = E2e.startHttpServer(LOOPBACK, 64, JdkServerIT::handle, executor);
        port = server.getAddress().getPort();
        String ports = Integer.toString(port);
        try {
            server6 = E2e.startHttpServer(InetAddress.getByName("::1"), 8, JdkServerIT::handle, executor);
            port6 = server6.getAddress().getPort();
            ports += "," + port6;
        } catch (IOException noIpv6) {
            System.err.println("no IPv6 loopback here: " + noIpv6);
            server6 = null;
        }
        profiler = ProfilerProcess.start(dir, "--port", ports, "--max-body", Integer.toString(MAX_BODY));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server6 != null) {
                server6.stop(0);
            }
            if (server != null) {
                server.stop(0);
                executor.shutdownNow();
            }
        });
    }

    // --- the server --------------------------------------------------------------------------------------------------

    static final byte[] BINARY = binaryBody();
    static final byte[] BIG = bigTextBody();

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String target = exchange.getRequestURI().toString();
            String method = exchange.getRequestMethod();
            byte[] requestBody = exchange.getRequestBody().readAllBytes();
            var headers = exchange.getResponseHeaders();
            headers.set("X-Target", target);
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith("/chunked/")) {
                headers.set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, 0); // length unknown: chunked
                OutputStream out = exchange.getResponseBody();
                for (int part = 1; part <= 3; part++) {
                    out.write(("part " + part + " of 3 for " + target + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } else if (path.startsWith("/head/")) {
                headers.set("Content-Type", "text/plain");
                headers.set("Content-Length", "1234"); // what a GET would carry; a HEAD response has no body anyway
                exchange.sendResponseHeaders(200, -1);
            } else if (path.startsWith("/cached/")) {
                headers.set("ETag", "\"v1\"");
                if ("\"v1\"".equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                    exchange.sendResponseHeaders(304, -1);
                } else {
                    send(exchange, 200, "fresh copy of " + target);
                }
            } else if (path.startsWith("/binary/")) {
                headers.set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, BINARY.length);
                exchange.getResponseBody().write(BINARY);
            } else if (path.startsWith("/gzip/")) {
                byte[] compressed = gzip(gzipText(target).getBytes(StandardCharsets.UTF_8));
                headers.set("Content-Type", "text/plain; charset=utf-8");
                headers.set("Content-Encoding", "gzip");
                exchange.sendResponseHeaders(200, compressed.length);
                exchange.getResponseBody().write(compressed);
            } else if (path.startsWith("/big/")) {
                headers.set("Content-Type", "text/plain");
                exchange.sendResponseHeaders(200, BIG.length);
                exchange.getResponseBody().write(BIG);
            } else if (path.startsWith("/paced-big/")) {
                headers.set("Content-Type", "text/plain");
                exchange.sendResponseHeaders(200, BIG.length); // the head goes out now, the body after a pause
                writePaced(exchange.getResponseBody(), BIG);
            } else if (path.startsWith("/dup/")) {
                headers.add("X-Dup-Out", "first");
                headers.add("X-Dup-Out", "second");
                send(exchange, 200, "echo " + method + " " + target);
            } else {
                send(exchange, 200, "echo " + method + " " + target
                        + (requestBody.length == 0 ? "" : " received " + requestBody.length + " bytes"));
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static byte[] binaryBody() {
        byte[] bytes = new byte[512];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    /** 1 MiB of numbered lines, so any kept prefix can be checked byte for byte. */
    private static byte[] bigTextBody() {
        StringBuilder text = new StringBuilder(ONE_MIB + 64);
        for (int line = 0; text.length() < ONE_MIB; line++) {
            text.append(String.format("line %07d of a one mebibyte body\n", line));
        }
        return text.substring(0, ONE_MIB).getBytes(StandardCharsets.US_ASCII);
    }

    private static String gzipText(String target) {
        return "gzip body for " + target + ": " + "lorem ipsum dolor sit amet ".repeat(100);
    }

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(plain);
        }
        return bytes.toByteArray();
    }

    // --- helpers -----------------------------------------------------------------------------------------------------

    private static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static URI uri(String target) {
        return URI.create("http://127.0.0.1:" + port + target);
    }

    private static HttpResponse<byte[]> get(HttpClient client, String target) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(target)).timeout(WAIT).build(), BodyHandlers.ofByteArray());
    }

    /** Both records of one exchange, checked as one loopback exchange of this JVM, each paired with its own response. */
    private record Pair(JsonNode client, JsonNode server) {
    }

    private static Pair awaitPair(String target) throws Exception {
        return awaitPair(target, WAIT);
    }

    private static Pair awaitPair(String target, Duration timeout) throws Exception {
        List<JsonNode> all = profiler.awaitExchanges(
                list -> list.stream().anyMatch(targetIs("client", target))
                        && list.stream().anyMatch(targetIs("server", target)), timeout);
        JsonNode client = single(all, "client", target);
        JsonNode server = single(all, "server", target);
        assertSameConnection(client, server);
        for (JsonNode record : List.of(client, server)) {
            assertEquals(TEST_PID, record.path("pid").asLong(), "pid");
            assertEquals("java", record.path("comm").asText(), "comm is the process's name, not a thread's");
            assertTrue(record.path("response").isObject(), () -> "no response in " + record);
            assertEquals(target, header(record.path("response"), "X-Target"),
                    () -> "response paired with another request: " + record);
        }
        return new Pair(client, server);
    }

    /** Both records hold the handler's plain echo of a GET of this target, and nothing went wrong on either side. */
    private static void assertBothSidesRecordedTheEchoOfGet(Pair pair, String target) {
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            assertEquals("echo GET " + target, record.path("response").path("body").asText(), record::toString);
            assertNoNotes(record);
        }
    }

    private static TranscriptBlocks.Block block(JsonNode record) throws IOException {
        JsonNode request = record.path("request");
        TranscriptBlocks.Block block = TranscriptBlocks.single(profiler.transcript(), record.path("role").asText(),
                request.path("method").asText() + " " + request.path("target").asText() + " "
                        + request.path("version").asText());
        assertEquals(record.path("pid").asLong(), block.pid());
        assertEquals(record.path("comm").asText(), block.comm());
        assertEquals(record.path("local").asText(), block.local());
        assertEquals(record.path("remote").asText(), block.remote());
        assertEquals(record.path("fd").asInt(), block.fd());
        assertEquals("server".equals(record.path("role").asText()) ? "<-" : "->", block.arrow());
        assertNotNull(block.duration(), () -> "no duration in " + block.text());
        return block;
    }

    // --- the tests ---------------------------------------------------------------------------------------------------

    @Test
    void keepAliveRequestsOnOneConnectionEachPairedWithItsOwnResponse() throws Exception {
        HttpClient client = newClient();
        List<String> targets = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String target = "/echo/keepalive-" + i + "?n=" + i;
            targets.add(target);
            HttpResponse<byte[]> response = get(client, target);
            assertEquals("echo GET " + target, new String(response.body(), StandardCharsets.UTF_8));
        }
        List<Pair> pairs = new ArrayList<>();
        for (String target : targets) {
            Pair pair = awaitPair(target);
            assertBothSidesRecordedTheEchoOfGet(pair, target);
            pairs.add(pair);
        }
        // one connection: the same fd and addresses on each side throughout
        for (Pair pair : pairs) {
            for (String field : List.of("fd", "local", "remote")) {
                assertEquals(pairs.get(0).client().path(field), pair.client().path(field), "client " + field);
                assertEquals(pairs.get(0).server().path(field), pair.server().path(field), "server " + field);
            }
        }
        // in order, without overlap: each request starts after the previous response
        for (int i = 1; i < pairs.size(); i++) {
            assertTrue(pairs.get(i).server().path("time").asText()
                    .compareTo(pairs.get(i - 1).server().path("time").asText()) > 0, "server records in order");
        }
        for (String target : targets) {
            for (String role : List.of("client", "server")) {
                TranscriptBlocks.Block block = block(single(profiler.exchanges(), role, target));
                assertEquals("HTTP/1.1 200 OK", block.statusLine());
                block.assertContains("     Body (" + ("echo GET " + target).length() + " bytes): echo GET " + target);
                block.assertContains("     X-target: " + target);
            }
        }
    }

    @Test
    void postBodiesAreRecordedExactlyOnBothSides() throws Exception {
        HttpClient client = newClient();
        String form = "name=alice&id=42&note=caf%C3%A9";
        String json = "{\"name\":\"zoë\",\"city\":\"Zürich\",\"tags\":[\"a\",\"b\"]}"; // multi-byte UTF-8
        byte[] streamed = "streamed body without a length, sent chunked by the client".getBytes(StandardCharsets.UTF_8);
        client.send(HttpRequest.newBuilder(uri("/echo/post-form")).header("Content-Type",
                "application/x-www-form-urlencoded").POST(BodyPublishers.ofString(form)).build(), BodyHandlers.ofString());
        client.send(HttpRequest.newBuilder(uri("/echo/post-json")).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(), BodyHandlers.ofString());
        client.send(HttpRequest.newBuilder(uri("/echo/post-chunked")).header("Content-Type", "text/plain")
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(streamed))).build(),
                BodyHandlers.ofString());

        record Expected(String target, String body, String transferHeader) {
        }
        for (Expected expected : List.of(new Expected("/echo/post-form", form, "Content-Length"),
                new Expected("/echo/post-json", json, "Content-Length"),
                new Expected("/echo/post-chunked", new String(streamed, StandardCharsets.UTF_8), "Transfer-Encoding"))) {
            Pair pair = awaitPair(expected.target());
            int size = expected.body().getBytes(StandardCharsets.UTF_8).length;
            for (JsonNode record : List.of(pair.client(), pair.server())) {
                JsonNode request = record.path("request");
                assertEquals("POST", request.path("method").asText());
                assertNotNull(header(request, expected.transferHeader()), () -> "request " + request);
                assertEquals(size, request.path("body_size").asLong(), "request body_size " + expected.target());
                assertEquals(expected.body(), request.path("body").asText());
                assertEquals("text", request.path("body_encoding").asText());
                assertFalse(request.path("body_truncated").asBoolean());
                assertEquals("echo POST " + expected.target() + " received " + size + " bytes",
                        record.path("response").path("body").asText());
                assertNoNotes(record);
                block(record).assertContains("     Body (" + size + " bytes): " + expected.body());
            }
        }
    }

    @Test
    void chunkedResponseIsDechunked() throws Exception {
        String target = "/chunked/1?id=c1";
        HttpResponse<byte[]> response = get(newClient(), target);
        String expected = "part 1 of 3 for " + target + "\npart 2 of 3 for " + target + "\npart 3 of 3 for " + target
                + "\n";
        assertEquals(expected, new String(response.body(), StandardCharsets.UTF_8));
        Pair pair = awaitPair(target);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode resp = record.path("response");
            assertEquals("chunked", header(resp, "Transfer-Encoding"));
            assertEquals(expected.length(), resp.path("body_size").asLong(), "body_size after de-chunking");
            assertEquals(expected, resp.path("body").asText());
            assertFalse(resp.path("body_truncated").asBoolean());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            block.assertContains("     Body (" + expected.length() + " bytes):\n       part 1 of 3 for " + target
                    + "\n       part 2 of 3 for " + target + "\n       part 3 of 3 for " + target);
            block.assertLacks("\n       0\n"); // no chunk framing in the preview
            block.assertLacks(target + "\n       \n"); // the body's final line feed ends its last line, nothing more
        }
    }

    @Test
    void headResponseHasNoBodyDespiteContentLengthAndTheNextExchangePairs() throws Exception {
        HttpClient client = newClient();
        HttpResponse<String> head = client.send(HttpRequest.newBuilder(uri("/head/1"))
                .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        get(client, "/echo/after-head");
        Pair pair = awaitPair("/head/1");
        Pair after = awaitPair("/echo/after-head");
        assertEquals(pair.server().path("fd"), after.server().path("fd"), "same connection");
        assertEquals(pair.server().path("remote"), after.server().path("remote"), "same connection");
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            assertEquals("HEAD", record.path("request").path("method").asText());
            JsonNode resp = record.path("response");
            assertEquals(200, resp.path("status").asInt());
            assertEquals("1234", header(resp, "Content-Length"));
            assertEquals(0, resp.path("body_size").asLong());
            assertEquals("", resp.path("body").asText());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            block.assertContains("     Content-length: 1234");
            block.assertLacks("Body (");
        }
        assertBothSidesRecordedTheEchoOfGet(after, "/echo/after-head");
    }

    @Test
    void notModifiedHasNoBodyAndTheNextExchangePairs() throws Exception {
        HttpClient client = newClient();
        HttpResponse<String> cached = client.send(HttpRequest.newBuilder(uri("/cached/1"))
                .header("If-None-Match", "\"v1\"").build(), BodyHandlers.ofString());
        assertEquals(304, cached.statusCode());
        get(client, "/echo/after-304");
        Pair pair = awaitPair("/cached/1");
        Pair after = awaitPair("/echo/after-304");
        assertEquals(pair.client().path("local"), after.client().path("local"), "same connection");
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode resp = record.path("response");
            assertEquals(304, resp.path("status").asInt());
            assertEquals("Not Modified", resp.path("reason").asText());
            assertEquals("\"v1\"", header(resp, "ETag"));
            assertEquals(List.of("If-None-Match", "\"v1\""), headers(record.path("request")).stream()
                    .filter(h -> h.get(0).equalsIgnoreCase("If-None-Match")).findFirst().orElseThrow());
            assertEquals(0, resp.path("body_size").asLong());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            assertEquals("HTTP/1.1 304 Not Modified", block.statusLine());
            block.assertLacks("Body (");
        }
        assertBothSidesRecordedTheEchoOfGet(after, "/echo/after-304");
    }

    @Test
    void binaryBodyIsBase64InJsonAndHexInTheTranscript() throws Exception {
        HttpResponse<byte[]> response = get(newClient(), "/binary/1");
        assertArrayEquals(BINARY, response.body());
        Pair pair = awaitPair("/binary/1");
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode resp = record.path("response");
            assertEquals("base64", resp.path("body_encoding").asText());
            assertEquals(Base64.getEncoder().encodeToString(BINARY), resp.path("body").asText());
            assertEquals(BINARY.length, resp.path("body_size").asLong());
            assertFalse(resp.path("body_truncated").asBoolean());
            assertNoNotes(record);
            TranscriptBlocks.Block block = block(record);
            block.assertContains("     Body (512 bytes, binary): 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
            block.assertLacks("\u0001"); // no raw control bytes reach the reader's terminal
        }
    }

    @Test
    void gzipBodyIsDecodedForDisplayAndSizedCompressed() throws Exception {
        String target = "/gzip/1?id=g1";
        HttpResponse<byte[]> response = get(newClient(), target);
        String plain = gzipText(target);
        byte[] compressed = response.body(); // HttpClient does not decode: these are the wire bytes
        assertTrue(compressed.length < plain.length());
        Pair pair = awaitPair(target);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode resp = record.path("response");
            assertEquals("gzip", header(resp, "Content-Encoding"));
            assertEquals(compressed.length, resp.path("body_size").asLong(), "body_size is the compressed size");
            assertEquals(plain, resp.path("body").asText(), "body decoded for display");
            assertEquals("text", resp.path("body_encoding").asText());
            assertEquals("gzip", resp.path("body_decoded").asText());
            assertFalse(resp.path("body_truncated").asBoolean());
            assertNoNotes(record);
            block(record).assertContains("     Body (" + compressed.length + " bytes, gzip decoded to " + plain.length()
                    + "): gzip body for " + target + ": lorem ipsum");
        }
    }

    @Test
    void oneMebibyteResponseHasExactSizeAndIsCutToMaxBody() throws Exception {
        HttpResponse<byte[]> response = get(newClient(), "/big/1");
        assertArrayEquals(BIG, response.body());
        assertBigResponse(awaitPair("/big/1"));
    }

    @Test
    void oneMebibyteRequestHasExactSizeAndIsCutToMaxBody() throws Exception {
        HttpResponse<String> response = newClient().send(HttpRequest.newBuilder(uri("/echo/upload-1"))
                .POST(BodyPublishers.ofByteArray(BIG)).build(), BodyHandlers.ofString());
        assertEquals("echo POST /echo/upload-1 received " + ONE_MIB + " bytes", response.body());
        assertBigRequest(awaitPair("/echo/upload-1"));
    }

    /**
     * The same download, but the way a slow producer sends it: the head first, then the body in 64 KiB writes a little
     * apart. The profiler has parsed the head (and decided what to skip) before the body's first byte moves, and the
     * client's last reads all fall in the skipped range; the exchange must still come out, exact and promptly, while the
     * keep-alive connection stays open.
     */
    @Test
    void pacedOneMebibyteResponseHasExactSizeAndIsWrittenWhileTheConnectionStaysOpen() throws Exception {
        HttpResponse<byte[]> response = get(newClient(), "/paced-big/1");
        assertArrayEquals(BIG, response.body());
        assertBigResponse(awaitPair("/paced-big/1", PROMPT));
    }

    /** A 1 MiB upload written slowly from a raw socket: head, pause, then 64 KiB pieces. */
    @Test
    void pacedOneMebibyteUploadHasExactSizeAndIsPairedWithItsResponse() throws Exception {
        String target = "/echo/paced-upload-1";
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: " + ONE_MIB
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            writePaced(out, BIG);
            RawHttp.Response response = RawHttp.readResponse(socket.getInputStream(), false);
            assertEquals("echo POST " + target + " received " + ONE_MIB + " bytes", response.bodyText());
            assertBigRequest(awaitPair(target, PROMPT)); // while the connection is still open
        }
    }

    /** Pauses, then writes the bytes in 64 KiB pieces 10 ms apart. */
    private static void writePaced(OutputStream out, byte[] bytes) throws IOException {
        sleep(300);
        for (int at = 0; at < bytes.length; at += 64 * 1024) {
            out.write(bytes, at, Math.min(64 * 1024, bytes.length - at));
            out.flush();
            sleep(10);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final String TRUNCATED_NOTE = "body truncated: " + (ONE_MIB - MAX_BODY) + " of " + ONE_MIB
            + " bytes not kept";

    private static void assertBigResponse(Pair pair) throws IOException {
        String prefix = new String(BIG, 0, MAX_BODY, StandardCharsets.US_ASCII);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode resp = record.path("response");
            assertEquals(ONE_MIB, resp.path("body_size").asLong(), () -> "exact size of the whole body: " + record);
            assertTrue(resp.path("body_truncated").asBoolean());
            assertEquals(prefix, resp.path("body").asText(), () -> "the first --max-body bytes, exactly: " + record);
            assertEquals(List.of("response " + TRUNCATED_NOTE), notes(record));
            TranscriptBlocks.Block block = block(record);
            block.assertContains("     Body (1048576 bytes, 4096 kept):\n       line 0000000 of a one mebibyte body\n");
            block.assertContains("  [response " + TRUNCATED_NOTE + "]");
        }
    }

    private static void assertBigRequest(Pair pair) throws IOException {
        String prefix = new String(BIG, 0, MAX_BODY, StandardCharsets.US_ASCII);
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            JsonNode request = record.path("request");
            assertEquals(ONE_MIB, request.path("body_size").asLong(), () -> "exact size of the whole body: " + record);
            assertTrue(request.path("body_truncated").asBoolean());
            assertEquals(prefix, request.path("body").asText(), () -> "the first --max-body bytes, exactly: " + record);
            assertEquals(List.of("request " + TRUNCATED_NOTE), notes(record));
            block(record).assertContains("  [request " + TRUNCATED_NOTE + "]");
        }
    }

    /** Addresses are ip:port, IPv6 as [addr]:port, in JSON and in the transcript. */
    @Test
    void ipv6AddressesAreBracketed() throws Exception {
        Assumptions.assumeTrue(server6 != null, "no IPv6 loopback");
        String target = "/echo/ipv6?id=6";
        HttpResponse<byte[]> response = newClient().send(HttpRequest.newBuilder(
                URI.create("http://[::1]:" + port6 + target)).build(), BodyHandlers.ofByteArray());
        assertEquals("echo GET " + target, new String(response.body(), StandardCharsets.UTF_8));
        Pair pair = awaitPair(target);
        assertEquals("[::1]:" + port6, pair.server().path("local").asText());
        assertEquals("[::1]:" + port6, pair.client().path("remote").asText());
        assertTrue(pair.client().path("local").asText().matches("\\[::1]:\\d+"), pair.client().path("local").asText());
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            assertNoNotes(record);
            block(record);
        }
    }

    /** Three requests written at once on one socket, three responses read back: responses pair FIFO. */
    @Test
    void pipelinedRequestsPairInOrder() throws Exception {
        List<String> targets = List.of("/echo/pipe-1?a=1", "/echo/pipe-2?b=2", "/echo/pipe-3?c=3");
        List<RawHttp.Response> responses = new ArrayList<>();
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            StringBuilder requests = new StringBuilder();
            for (String target : targets) {
                requests.append("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
                        .append("\r\n\r\n");
            }
            socket.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII)); // one write
            InputStream in = socket.getInputStream();
            for (int i = 0; i < targets.size(); i++) {
                responses.add(RawHttp.readResponse(in, false));
            }
        }
        for (int i = 0; i < targets.size(); i++) {
            assertEquals("echo GET " + targets.get(i), responses.get(i).bodyText(), "the server answered in order");
        }
        List<JsonNode> all = profiler.awaitExchanges(list -> targets.stream().allMatch(
                t -> list.stream().anyMatch(targetIs("server", t)) && list.stream().anyMatch(targetIs("client", t))),
                WAIT);
        for (String role : List.of("client", "server")) {
            List<JsonNode> records = all.stream().filter(targetStarts(role, "/echo/pipe-")).toList();
            assertEquals(targets, records.stream().map(E2e::target).toList(), role + " records, in request order");
            for (JsonNode record : records) {
                assertEquals("echo GET " + E2e.target(record), record.path("response").path("body").asText(),
                        () -> "FIFO pairing broken: " + record);
                assertEquals(records.get(0).path("fd"), record.path("fd"), "one connection");
                assertTrue(notes(record).stream().noneMatch(n -> n.contains("gap") || n.contains("not seen")),
                        () -> "notes " + notes(record));
            }
        }
    }

    /** Every field of the JSON Lines contract (README, "JSON Lines") on one exchange sent from a raw socket. */
    @Test
    void jsonRecordHasEveryContractFieldWithTheRightType() throws Exception {
        String target = "/dup/contract?x=1&y=two%20words";
        List<List<String>> requestHeaders = List.of(List.of("Host", "127.0.0.1:" + port),
                List.of("User-Agent", "e2e-raw/1.0"), List.of("X-Dup", "first"), List.of("Accept", "*/*"),
                List.of("X-Dup", "second"));
        StringBuilder request = new StringBuilder("GET " + target + " HTTP/1.1\r\n");
        requestHeaders.forEach(h -> request.append(h.get(0)).append(": ").append(h.get(1)).append("\r\n"));
        request.append("\r\n");
        Instant before = Instant.now();
        RawHttp.Response wire;
        int clientTid;
        String clientLocal;
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            clientTid = E2e.currentTid();
            clientLocal = "127.0.0.1:" + socket.getLocalPort();
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            wire = RawHttp.readResponse(socket.getInputStream(), false);
        }
        Instant after = Instant.now();
        List<List<String>> responseHeaders = wire.head().lines().skip(1)
                .map(l -> List.of(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 1).trim())).toList();
        assertEquals(2, responseHeaders.stream().filter(h -> h.get(0).equalsIgnoreCase("X-Dup-Out")).count(),
                "the server sent a duplicate header: " + wire.head());

        Pair pair = awaitPair(target);
        assertEquals(clientLocal, pair.client().path("local").asText());
        assertEquals("127.0.0.1:" + port, pair.client().path("remote").asText());
        assertEquals(clientTid, pair.client().path("tid").asInt(), "tid of the thread that wrote the request");
        for (JsonNode record : List.of(pair.client(), pair.server())) {
            List<String> fields = new ArrayList<>();
            record.fieldNames().forEachRemaining(fields::add);
            assertTrue(fields.containsAll(List.of("time", "duration_ms", "pid", "tid", "comm", "fd", "role", "local",
                    "remote", "request", "response", "notes")), () -> "fields " + fields);

            String time = record.path("time").asText();
            assertTrue(time.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), () -> "time " + time);
            Instant at = Instant.parse(time);
            assertFalse(at.isBefore(before.minusSeconds(1)) || at.isAfter(after.plusSeconds(1)),
                    () -> "time " + at + " outside [" + before + ", " + after + "]");
            assertTrue(record.path("duration_ms").isNumber(), "duration_ms");
            double duration = record.path("duration_ms").asDouble();
            assertTrue(duration >= 0 && duration <= Duration.between(before, after).toNanos() / 1e6 + 1000,
                    () -> "duration_ms " + duration);
            for (String number : List.of("pid", "tid", "fd")) {
                assertTrue(record.path(number).isIntegralNumber() && record.path(number).asLong() > 0, number);
            }
            assertTrue(record.path("comm").isTextual());
            assertTrue(record.path("role").isTextual());
            for (String address : List.of("local", "remote")) {
                assertTrue(record.path(address).asText().matches("127\\.0\\.0\\.1:\\d{1,5}"), address);
            }
            assertTrue(record.path("notes").isArray() && record.path("notes").isEmpty(), "notes");

            JsonNode req = record.path("request");
            assertEquals("GET", req.path("method").asText());
            assertEquals(target, req.path("target").asText());
            assertEquals("HTTP/1.1", req.path("version").asText());
            assertEquals(requestHeaders, headers(req), "request headers in wire order, duplicates kept");
            assertMessageBodyFields(req, 0, "");

            JsonNode resp = record.path("response");
            assertEquals("HTTP/1.1", resp.path("version").asText());
            assertTrue(resp.path("status").isIntegralNumber());
            assertEquals(200, resp.path("status").asInt());
            assertEquals("OK", resp.path("reason").asText());
            assertEquals(responseHeaders, headers(resp), "response headers exactly as on the wire");
            assertMessageBodyFields(resp, wire.body().length, wire.bodyText());

            TranscriptBlocks.Block block = block(record);
            assertEquals(time.substring(0, 10) + " " + time.substring(11, 23), block.time(),
                    "transcript time is the JSON time to the millisecond (both UTC)");
            block.assertContains("  → GET " + target + " HTTP/1.1\n     Host: 127.0.0.1:" + port
                    + "\n     User-Agent: e2e-raw/1.0\n     X-Dup: first\n     Accept: */*\n     X-Dup: second\n");
            block.assertContains("     X-dup-out: first\n     X-dup-out: second\n");
        }
    }

    private static void assertMessageBodyFields(JsonNode message, long size, String body) {
        assertTrue(message.path("headers").isArray(), "headers");
        assertTrue(message.path("body_size").isIntegralNumber(), "body_size");
        assertEquals(size, message.path("body_size").asLong());
        assertTrue(message.path("body").isTextual(), "body");
        assertEquals(body, message.path("body").asText());
        assertEquals("text", message.path("body_encoding").asText());
        assertTrue(message.path("body_truncated").isBoolean(), "body_truncated");
        assertFalse(message.path("body_truncated").asBoolean());
    }
}
