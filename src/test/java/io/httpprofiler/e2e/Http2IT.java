package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 between real peers, beside the profiler: curl with prior knowledge against nghttpd, h2load with many concurrent
 * streams on one connection, nginx with {@code listen ... http2} (h2c), node's http2 module with a server push, and a
 * python3-grpcio server and client doing unary, server-streaming, bidirectional and failing calls. Both ends of every
 * loopback exchange are recorded, one record per stream.
 */
@Tag("root")
class Http2IT {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path dir;
    private static final List<Process> servers = new ArrayList<>();
    private static int nghttpdPort;
    private static int nginxPort;
    private static int nodePort;
    private static int grpcPort;
    private static Path grpcScript;
    private static Process nghttpd;
    private static Process nginx;
    private static Process node;
    private static Process grpcServer;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        for (String tool : List.of("/usr/sbin/nghttpd", "/usr/bin/h2load", NginxProcess.BINARY, "/usr/bin/node", PYTHON)) {
            if (!Files.isExecutable(Path.of(tool))) {
                System.err.println("SKIPPED: " + tool + " missing (scripts/setup.sh installs it)");
                Assumptions.abort(tool + " missing");
            }
        }
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hello from nghttpd\n");
        Files.writeString(www.resolve("users.json"), "{\"id\":1,\"name\":\"alice\"}");
        nghttpdPort = E2e.freePort();
        nghttpd = server("nghttpd", "/usr/sbin/nghttpd", "--no-tls", "-d", www.toString(),
                Integer.toString(nghttpdPort));
        E2e.awaitListening(nghttpdPort, nghttpd, Duration.ofSeconds(20));

        nginxPort = E2e.freePort();
        nginx = NginxProcess.start(dir, """
                default_type application/json;
                server {
                    listen 127.0.0.1:%2$d http2;
                    root %1$s/www;
                    sendfile off;
                }
                """.formatted(dir, nginxPort), nginxPort);
        servers.add(nginx);

        nodePort = E2e.freePort();
        node = server("node", "/usr/bin/node", "-e", """
                const http2 = require('http2');
                const server = http2.createServer();
                server.on('stream', (stream, headers) => {
                  if (headers[':path'] === '/push') {
                    stream.pushStream({':path': '/pushed.css'}, (err, push) => {
                      if (!err) { push.respond({':status': 200, 'content-type': 'text/css'}); push.end('body{}'); }
                    });
                  }
                  stream.respond({':status': 200, 'content-type': 'text/plain'});
                  stream.end('hello from node ' + headers[':path']);
                });
                server.listen(%d, '127.0.0.1');
                """.formatted(nodePort));
        E2e.awaitListening(nodePort, node, Duration.ofSeconds(20));

        grpcScript = dir.resolve("grpc_demo.py");
        try (InputStream in = Http2IT.class.getResourceAsStream("/h2/grpc_demo.py")) {
            Files.write(grpcScript, in.readAllBytes());
        }
        if (new ProcessBuilder(PYTHON, "-c", "import grpc").start().waitFor() != 0) {
            System.err.println("SKIPPED: python3-grpcio missing (scripts/setup.sh installs it)");
            Assumptions.abort("python3-grpcio missing");
        }
        grpcPort = E2e.freePort();
        grpcServer = server("grpc", PYTHON, grpcScript.toString(), "server", Integer.toString(grpcPort));
        E2e.awaitListening(grpcPort, grpcServer, Duration.ofSeconds(20));

        profiler = ProfilerProcess.start(dir, "--port",
                nghttpdPort + "," + nginxPort + "," + nodePort + "," + grpcPort);
    }

    private static Process server(String name, String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".out").toFile()).start();
        servers.add(process);
        return process;
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            for (Process server : servers) {
                server.destroy();
                if (!server.waitFor(10, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        });
    }

    private static List<JsonNode> await(Predicate<List<JsonNode>> done) throws Exception {
        return profiler.awaitExchanges(done, WAIT);
    }

    private static long count(List<JsonNode> all, String role, String target) {
        return all.stream().filter(targetIs(role, target)).count();
    }

    @Test
    void curlWithPriorKnowledgeAgainstNghttpd() throws Exception {
        Process curl = E2e.curl(dir, "--http2-prior-knowledge", "-o", "/dev/null",
                "http://127.0.0.1:" + nghttpdPort + "/index.html");
        List<JsonNode> all = await(list -> count(list, "client", "/index.html") == 1
                && count(list, "server", "/index.html") == 1);
        JsonNode client = single(all, "client", "/index.html");
        JsonNode server = single(all, "server", "/index.html");
        assertSameConnection(client, server);
        assertEquals(curl.pid(), client.path("pid").asLong());
        assertEquals(nghttpd.pid(), server.path("pid").asLong());
        for (JsonNode exchange : List.of(client, server)) {
            assertEquals(1, exchange.path("stream").asInt(), exchange::toString);
            assertEquals("HTTP/2", exchange.at("/request/version").asText());
            assertEquals("GET", exchange.at("/request/method").asText());
            assertEquals(":method", exchange.at("/request/headers/0/0").asText());
            assertEquals(200, exchange.at("/response/status").asInt());
            assertEquals("hello from nghttpd\n", exchange.at("/response/body").asText());
            assertEquals(19, exchange.at("/response/body_size").asInt());
            assertNoNotes(exchange);
        }
        String transcript = profiler.transcript();
        assertTrue(transcript.contains("HTTP/2 stream 1  ") && transcript.contains("  → GET /index.html HTTP/2\n")
                && transcript.contains("  ← HTTP/2 200\n"), transcript);
    }

    @Test
    void h2loadManyConcurrentStreamsOnFewConnectionsAreEachRecordedAndPaired() throws Exception {
        E2e.run(dir.resolve("h2load.log"), Duration.ofSeconds(60), "/usr/bin/h2load", "-n", "200", "-c", "2", "-m",
                "20", "http://127.0.0.1:" + nghttpdPort + "/users.json");
        List<JsonNode> all = await(list -> count(list, "client", "/users.json") == 200
                && count(list, "server", "/users.json") == 200);
        for (String role : List.of("client", "server")) {
            List<JsonNode> records = all.stream().filter(targetIs(role, "/users.json")).toList();
            assertEquals(200, records.size());
            assertEquals(200, records.stream().map(r -> r.path("fd").asInt() + "/" + r.path("stream").asInt()
                    + "/" + r.path("local").asText()).distinct().count(), "one record per stream");
            for (JsonNode record : records) {
                assertEquals(200, record.at("/response/status").asInt());
                assertEquals("{\"id\":1,\"name\":\"alice\"}", record.at("/response/body").asText());
                assertNoNotes(record);
            }
        }
    }

    @Test
    void nginxSpeaksH2cWithPriorKnowledge() throws Exception {
        E2e.curl(dir, "--http2-prior-knowledge", "-o", "/dev/null", "http://127.0.0.1:" + nginxPort + "/users.json?curl");
        // several streams on one connection (curl 7.88 and nginx 1.22 disagree on a second request: h2load instead)
        E2e.run(dir.resolve("h2load-nginx.log"), Duration.ofSeconds(60), "/usr/bin/h2load", "-n", "6", "-c", "1",
                "-m", "3", "http://127.0.0.1:" + nginxPort + "/users.json?h2load");
        List<JsonNode> all = await(list -> count(list, "server", "/users.json?curl") == 1
                && count(list, "client", "/users.json?curl") == 1 && count(list, "server", "/users.json?h2load") == 6);
        JsonNode curl = single(all, "server", "/users.json?curl");
        assertEquals("nginx", curl.path("comm").asText());
        assertEquals(nginx.pid(), curl.path("pid").asLong());
        assertEquals(1, curl.path("stream").asInt());
        assertEquals("{\"id\":1,\"name\":\"alice\"}", curl.at("/response/body").asText());
        assertNoNotes(curl);
        List<JsonNode> h2load = all.stream().filter(targetIs("server", "/users.json?h2load")).toList();
        assertEquals(1, h2load.stream().map(r -> r.path("remote").asText()).distinct().count(), "one connection");
        assertEquals(6, h2load.stream().map(r -> r.path("stream").asInt()).distinct().count(), "six streams");
    }

    @Test
    void nodeHttp2WithAServerPush() throws Exception {
        E2e.run(dir.resolve("node-client.log"), Duration.ofSeconds(30), "/usr/bin/node", "-e", """
                const http2 = require('http2');
                const c = http2.connect('http://127.0.0.1:%d');
                c.on('stream', (push) => { push.resume(); });
                let n = 0;
                for (const p of ['/push', '/plain']) {
                  const r = c.request({':path': p});
                  r.resume();
                  r.on('end', () => { if (++n === 2) setTimeout(() => c.close(), 300); });
                }
                """.formatted(nodePort));
        List<JsonNode> all = await(list -> count(list, "server", "/pushed.css") == 1
                && count(list, "server", "/plain") == 1 && count(list, "client", "/pushed.css") == 1);
        JsonNode pushed = single(all, "server", "/pushed.css");
        assertEquals("body{}", pushed.at("/response/body").asText());
        assertEquals(0, pushed.path("stream").asInt() % 2, "pushed streams are even");
        assertTrue(notes(pushed).contains("server push (promised on stream 1)"), pushed::toString);
        assertEquals("hello from node /plain", single(all, "client", "/plain").at("/response/body").asText());
    }

    @Test
    void grpcUnaryStreamingBidirectionalAndFailingCalls() throws Exception {
        E2e.run(dir.resolve("grpc-client.log"), Duration.ofSeconds(60), PYTHON, grpcScript.toString(), "client",
                Integer.toString(grpcPort), "1");
        List<JsonNode> all = await(list -> count(list, "server", "/demo.Greeter/Fail") == 1
                && count(list, "client", "/demo.Greeter/Fail") == 1);
        for (String role : List.of("client", "server")) {
            JsonNode unary = single(all, role, "/demo.Greeter/SayHello");
            assertEquals(0, unary.at("/grpc/status").asInt(), unary::toString);
            assertEquals("1: \"alice\" 2: 42", unary.at("/grpc/messages/0/fields").asText());
            assertEquals("1: \"hello alice\" 2: 42", unary.at("/grpc/messages/1/fields").asText());
            JsonNode countdown = single(all, role, "/demo.Greeter/Countdown");
            assertEquals(3, countdown.at("/grpc/response_messages").asInt());
            JsonNode chat = single(all, role, "/demo.Greeter/Chat");
            assertEquals(2, chat.at("/grpc/request_messages").asInt());
            assertEquals(2, chat.at("/grpc/response_messages").asInt());
            JsonNode failed = single(all, role, "/demo.Greeter/Fail");
            assertEquals(5, failed.at("/grpc/status").asInt());
            assertEquals("no such user: bob", failed.at("/grpc/message").asText());
        }
        String transcript = profiler.transcript();
        assertTrue(transcript.contains("grpc-status 5 \"no such user: bob\""), transcript);
        assertTrue(transcript.contains("message 1 (15 bytes): 1: \"hello alice\" 2: 42"), transcript);
    }
}
