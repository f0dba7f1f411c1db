package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.httpprofiler.http.PipelineSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.bodyBytes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static io.httpprofiler.e2e.TlsFixtures.assertTls;
import static io.httpprofiler.e2e.TlsFixtures.assertTranscriptMarksTls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS in plaintext, end to end, with real TLS on both ends of loopback connections: curl and nginx (both on the
 * system's libssl.so.3), python's ssl module (server and urllib client), node's https (OpenSSL inside the node
 * executable, with its own socket handling: a memory BIO), a server started after the profiler, and a TLS server on a
 * port outside {@code --port}. Every exchange must appear once per side, marked TLS, with exact sizes.
 */
@Tag("root")
class TlsIT {
    private static final int BIG = 1024 * 1024;
    private static final String LIBSSL = "libssl.so.3";

    @TempDir
    static Path dir;
    private static Process nginx;
    private static Process python;
    private static Process node;
    private static Process late;
    private static Process unlisted;
    private static int nginxPort;
    private static int nginxHttp2Port;
    private static int pythonPort;
    private static int nodePort;
    private static int latePort;
    private static int unlistedPort;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        TlsFixtures.assumeCommand(NginxProcess.BINARY);
        TlsFixtures.assumeCommand("curl");
        TlsFixtures.assumeCommand(TlsFixtures.PYTHON);
        TlsFixtures.makeCertificate(dir);
        nginxPort = E2e.freePort();
        nginxHttp2Port = E2e.freePort();
        pythonPort = E2e.freePort();
        nodePort = E2e.freePort();
        latePort = E2e.freePort();
        startNginx();
        python = TlsFixtures.startPythonServer(dir, pythonPort);
        unlistedPort = E2e.freePort();
        unlisted = TlsFixtures.startPythonServer(dir, unlistedPort);
        if (Files.isExecutable(Path.of(TlsFixtures.NODE))) {
            node = TlsFixtures.startScript(dir, TlsFixtures.NODE, "server.js", TlsFixtures.NODE_SERVER,
                    Integer.toString(nodePort), dir.resolve("key.pem").toString(), dir.resolve("cert.pem").toString());
            E2e.awaitListening(nodePort, node, Duration.ofSeconds(20L * E2e.SLOWDOWN));
        }
        profiler = ProfilerProcess.start(dir, "--port",
                nginxPort + "," + nginxHttp2Port + "," + pythonPort + "," + nodePort + "," + latePort);
    }

    private static void startNginx() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("a.txt"), "file a over TLS\n".repeat(20));
        Files.writeString(www.resolve("b.txt"), "file b over TLS\n");
        byte[] big = new byte[BIG];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + i % 26);
        }
        Files.write(www.resolve("big.txt"), big);
        nginx = NginxProcess.start(dir, """
                types { text/plain txt; }
                server {
                    listen 127.0.0.1:%2$d ssl;
                    ssl_certificate %1$s/cert.pem;
                    ssl_certificate_key %1$s/key.pem;
                    root %1$s/www;
                    location = /post { client_body_buffer_size 64k; return 200 "nginx took it\\n"; }
                }
                server {
                    listen 127.0.0.1:%3$d ssl http2;
                    ssl_certificate %1$s/cert.pem;
                    ssl_certificate_key %1$s/key.pem;
                    root %1$s/www;
                }
                """.formatted(dir, nginxPort, nginxHttp2Port), nginxPort, nginxHttp2Port);
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            for (Process process : new Process[]{nginx, python, node, late, unlisted}) {
                TlsFixtures.stop(process);
            }
        });
    }

    private static String url(int port, String target) {
        return "https://127.0.0.1:" + port + target;
    }

    private record Pair(JsonNode client, JsonNode server) {
    }

    private static Pair awaitPair(String target) throws Exception {
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", target))
                && list.stream().anyMatch(targetIs("server", target)), WAIT);
        JsonNode client = single(all, "client", target);
        JsonNode server = single(all, "server", target);
        assertSameConnection(client, server);
        return new Pair(client, server);
    }

    @Test
    void curlToNginxKeepAliveLargeResponseAndPost() throws Exception {
        // One curl, three URLs: one TLS connection, three exchanges (keep-alive); ALPN offers http/1.1 only.
        Process curl = E2e.curl(dir, "-k", "-v", "--http1.1", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
                url(nginxPort, "/a.txt"), url(nginxPort, "/big.txt"), url(nginxPort, "/b.txt"));
        String curlLog = Files.readString(dir.resolve("curl.log"));
        assertTrue(curlLog.contains("ALPN: server accepted http/1.1") || curlLog.contains("ALPN, server accepted"),
                () -> "curl negotiated http/1.1 by ALPN: " + curlLog);
        Pair a = awaitPair("/a.txt");
        Pair big = awaitPair("/big.txt");
        Pair b = awaitPair("/b.txt");
        for (Pair pair : List.of(a, big, b)) {
            assertTls(pair.client(), LIBSSL);
            assertTls(pair.server(), LIBSSL);
            assertEquals(curl.pid(), pair.client().path("pid").asLong());
            assertEquals(nginx.pid(), pair.server().path("pid").asLong());
            assertEquals(200, pair.client().path("response").path("status").asInt());
        }
        assertEquals(a.client().path("local").asText(), big.client().path("local").asText(), "keep-alive: one connection");
        assertEquals(a.client().path("local").asText(), b.client().path("local").asText(), "keep-alive: one connection");
        assertEquals("file a over TLS\n".repeat(20), new String(bodyBytes(a.client().path("response"))));
        assertEquals("file b over TLS\n", new String(bodyBytes(b.server().path("response"))));
        assertNoNotes(a.client());
        assertNoNotes(b.server());
        for (JsonNode side : List.of(big.client(), big.server())) {
            JsonNode response = side.path("response");
            assertEquals(BIG, response.path("body_size").asInt(), "the body's exact size");
            assertTrue(response.path("body_truncated").asBoolean(), "kept up to --max-body only");
            assertEquals(PipelineSettings.DEFAULT_MAX_BODY, bodyBytes(response).length, "--max-body's default");
            assertTrue(new String(bodyBytes(response)).startsWith("abcdefghijklmnopqrstuvwxyzabc"));
        }

        String posted = "name=tls&payload=" + "p".repeat(3000);
        E2e.curl(dir, "-k", "--http1.1", "-o", "/dev/null", "--data-binary", posted, url(nginxPort, "/post"));
        Pair post = awaitPair("/post");
        for (JsonNode side : List.of(post.client(), post.server())) {
            assertTls(side, LIBSSL);
            assertEquals("POST", side.path("request").path("method").asText());
            assertEquals(posted.length(), side.path("request").path("body_size").asInt());
            assertEquals(posted, new String(bodyBytes(side.path("request"))));
            assertEquals("nginx took it\n", new String(bodyBytes(side.path("response"))));
        }
        String transcript = profiler.transcript();
        assertTranscriptMarksTls(transcript, "client", "/a.txt");
        assertTranscriptMarksTls(transcript, "server", "/post");
    }

    /** h2 over TLS: ALPN picks h2, and the plaintext the TLS library hands over is read as HTTP/2, a block per stream. */
    @Test
    void curlToNginxOverHttp2ByAlpn() throws Exception {
        Process curl = E2e.curl(dir, "-k", "-v", "--http2", "-o", "/dev/null", "-o", "/dev/null",
                url(nginxHttp2Port, "/a.txt?h2=1"), url(nginxHttp2Port, "/b.txt?h2=2"));
        String curlLog = Files.readString(dir.resolve("curl.log"));
        assertTrue(curlLog.contains("ALPN: server accepted h2") || curlLog.contains("ALPN, server accepted to use h2"),
                () -> "curl negotiated h2 by ALPN: " + curlLog);
        Pair a = awaitPair("/a.txt?h2=1");
        Pair b = awaitPair("/b.txt?h2=2");
        for (Pair pair : List.of(a, b)) {
            for (JsonNode side : List.of(pair.client(), pair.server())) {
                assertTls(side, LIBSSL);
                assertEquals("HTTP/2", side.path("request").path("version").asText(), side::toString);
                assertEquals("GET", side.path("request").path("method").asText());
                assertEquals(200, side.path("response").path("status").asInt());
                assertNoNotes(side);
            }
            assertEquals(curl.pid(), pair.client().path("pid").asLong());
            assertEquals(nginx.pid(), pair.server().path("pid").asLong());
        }
        assertEquals(1, a.client().path("stream").asInt(), "curl's first stream");
        assertEquals(3, b.client().path("stream").asInt(), "its second, on the same connection");
        assertEquals(a.client().path("local").asText(), b.client().path("local").asText(), "one connection");
        assertEquals("file a over TLS\n".repeat(20), new String(bodyBytes(a.client().path("response"))));
        assertEquals("file b over TLS\n", new String(bodyBytes(b.server().path("response"))));
        String transcript = profiler.transcript();
        assertTrue(transcript.lines().anyMatch(line -> line.contains("(nginx) server") && line.matches(".* fd \\d+  TLS .*")
                && line.contains("  HTTP/2 stream 1  ")), transcript);
    }

    @Test
    void pythonServerAndUrllibClient() throws Exception {
        Process client = TlsFixtures.runScript(dir, TlsFixtures.PYTHON, "client.py", TlsFixtures.PYTHON_CLIENT,
                Integer.toString(pythonPort), "/py-first", "/size/100000");
        Pair first = awaitPair("/py-first");
        Pair sized = awaitPair("/size/100000");
        for (Pair pair : List.of(first, sized)) {
            assertTls(pair.client(), LIBSSL);
            assertTls(pair.server(), LIBSSL);
            assertEquals(client.pid(), pair.client().path("pid").asLong());
            assertEquals(python.pid(), pair.server().path("pid").asLong());
        }
        assertEquals("python saw /py-first\n", new String(bodyBytes(first.client().path("response"))));
        assertNoNotes(first.server());
        assertEquals(100000, sized.client().path("response").path("body_size").asInt());
        assertEquals(100000, sized.server().path("response").path("body_size").asInt());
    }

    @Test
    void nodeHttpsServerAndClient() throws Exception {
        TlsFixtures.assumeCommand(TlsFixtures.NODE);
        Process client = TlsFixtures.runScript(dir, TlsFixtures.NODE, "client.js", TlsFixtures.NODE_CLIENT,
                Integer.toString(nodePort), "/node-one", "/node-two");
        // nodesource's node carries OpenSSL in its executable; Debian's links the system's libssl.so.3.
        String library = Files.readString(Path.of("/proc/" + node.pid() + "/maps")).contains("/libssl.so.3")
                ? LIBSSL : "node";
        for (String target : List.of("/node-one", "/node-two")) {
            Pair pair = awaitPair(target);
            assertTls(pair.client(), library);
            assertTls(pair.server(), library);
            assertEquals(client.pid(), pair.client().path("pid").asLong());
            assertEquals(node.pid(), pair.server().path("pid").asLong());
            String sent = "hello from node to " + target;
            assertEquals(sent, new String(bodyBytes(pair.server().path("request"))));
            assertEquals("node saw POST " + target + " with " + sent.length() + " bytes\n",
                    new String(bodyBytes(pair.client().path("response"))));
            assertNoNotes(pair.client());
            assertNoNotes(pair.server());
        }
    }

    /** One node event loop, eight TLS connections at once on each side: each plaintext must land on its own. */
    @Test
    void nodeConcurrentConnectionsKeepTheirOwnPlaintext() throws Exception {
        TlsFixtures.assumeCommand(TlsFixtures.NODE);
        List<String> targets = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            targets.add("/concurrent-" + i);
        }
        List<String> args = new java.util.ArrayList<>(List.of(dir.resolve("concurrent.js").toString(),
                Integer.toString(nodePort)));
        args.addAll(targets);
        Files.writeString(dir.resolve("concurrent.js"), TlsFixtures.NODE_CLIENT);
        List<String> command = new java.util.ArrayList<>(List.of(TlsFixtures.NODE));
        command.addAll(args);
        ProcessBuilder start = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("concurrent.log").toFile());
        start.environment().put("SOCKETS", "8");
        Process client = start.start();
        client.waitFor(60L * E2e.SLOWDOWN, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, client.exitValue(), () -> TlsFixtures.read(dir.resolve("concurrent.log")));
        for (String target : targets) {
            Pair pair = awaitPair(target);
            for (JsonNode side : List.of(pair.client(), pair.server())) {
                assertEquals("hello from node to " + target, new String(bodyBytes(side.path("request"))),
                        () -> "the request's own body: " + side);
                assertEquals("node saw POST " + target + " with " + ("hello from node to " + target).length()
                        + " bytes\n", new String(bodyBytes(side.path("response"))), () -> "its own answer: " + side);
                assertNoNotes(side);
            }
        }
    }

    /**
     * A copy of the node executable is a file no probe covers when the profiler starts: the client run from it must be
     * probed when it starts (exec), in time for its first request 300 ms later.
     */
    @Test
    void newExecutableCarryingTlsIsProbedWhenItStarts() throws Exception {
        TlsFixtures.assumeCommand(TlsFixtures.NODE);
        Path copy = dir.resolve("node-copy");
        Files.copy(Path.of(TlsFixtures.NODE), copy);
        copy.toFile().setExecutable(true);
        Path script = dir.resolve("exec_client.js");
        Files.writeString(script, TlsFixtures.NODE_CLIENT);
        ProcessBuilder start = new ProcessBuilder(copy.toString(), script.toString(), Integer.toString(nodePort),
                "/from-copy").redirectErrorStream(true).redirectOutput(dir.resolve("exec_client.log").toFile());
        start.environment().put("DELAY_MS", "300");
        Process client = start.start();
        client.waitFor(60L * E2e.SLOWDOWN, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, client.exitValue(), () -> TlsFixtures.read(dir.resolve("exec_client.log")));
        Pair pair = awaitPair("/from-copy");
        assertEquals(client.pid(), pair.client().path("pid").asLong());
        assertTrue(pair.client().path("tls").path("library").asText("").matches("node-copy|libssl\\.so\\.3"),
                () -> "the copy's own OpenSSL (or the system's, for a node that links it): " + pair.client());
        assertEquals("hello from node to /from-copy", new String(bodyBytes(pair.client().path("request"))));
    }

    @Test
    void serverStartedAfterTheProfilerIsCovered() throws Exception {
        late = TlsFixtures.startPythonServer(dir, latePort);
        TlsFixtures.runScript(dir, TlsFixtures.PYTHON, "late_client.py", TlsFixtures.PYTHON_CLIENT,
                Integer.toString(latePort), "/late");
        Pair pair = awaitPair("/late");
        assertTls(pair.server(), LIBSSL);
        assertEquals(late.pid(), pair.server().path("pid").asLong());
        assertEquals("python saw /late\n", new String(bodyBytes(pair.server().path("response"))));
    }

    @Test
    void tlsOnAPortOutsideThePortFilterIsNotCaptured() throws Exception {
        E2e.curl(dir, "-k", "-o", "/dev/null", url(unlistedPort, "/unlisted"));
        // A later exchange on a listed port shows the profiler has processed what came before it.
        E2e.curl(dir, "-k", "-o", "/dev/null", url(pythonPort, "/after-unlisted"));
        awaitPair("/after-unlisted");
        assertFalse(profiler.jsonLinesText().contains("/unlisted"), "nothing from the unlisted port");
        assertFalse(profiler.jsonLinesText().contains(":" + unlistedPort + "\""), "nothing from the unlisted port");
        assertTrue(profiler.stderr().stream().noneMatch(line -> line.contains("cannot see")),
                () -> "every TLS connection here is decrypted: " + profiler.stderr());
    }
}
