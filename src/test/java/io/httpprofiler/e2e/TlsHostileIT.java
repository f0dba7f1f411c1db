package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.assertNoNotes;
import static io.httpprofiler.e2e.E2e.bodyBytes;
import static io.httpprofiler.e2e.E2e.single;
import static io.httpprofiler.e2e.E2e.targetIs;
import static io.httpprofiler.e2e.E2e.targetStarts;
import static io.httpprofiler.e2e.TlsFixtures.assertTls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS traffic meant to hurt: a server that answers garbage after the handshake, one that closes in the middle of a TLS
 * record, a client reading its plaintext 7 bytes at a time (most reads are served from OpenSSL's buffer, with no
 * socket call to tell the connection by), and 1000 short TLS connections. Each must be counted and bounded, and what
 * follows still recorded right.
 */
@Tag("root")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TlsHostileIT {
    private static final String LIBSSL = "libssl.so.3";
    /** Fewer under emulation (the kernel matrix's guest): a TLS handshake there costs a hundred times more. */
    private static final int MANY = E2e.SLOWDOWN > 1 ? 100 : 1000;

    /** A TLS server that reads a request head, then per path: garbage (random bytes) or half a TLS record, and closes. */
    private static final String HOSTILE_SERVER = """
            import os, socket, ssl, sys
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            listener = socket.create_server(('127.0.0.1', int(sys.argv[1])))
            while True:
                raw, _ = listener.accept()
                try:
                    tls = context.wrap_socket(raw, server_side=True)
                    head = b''
                    while b'\\r\\n\\r\\n' not in head:
                        chunk = tls.recv(4096)
                        if not chunk:
                            break
                        head += chunk
                    if b'/garbage' in head:
                        tls.sendall(os.urandom(3000))
                    elif b'/cut' in head:
                        tls.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nfirst part')
                        os.write(tls.fileno(), b'\\x17\\x03\\x03\\x40\\x00' + b'z' * 100)  # a record cut short
                    tls.close()
                except (OSError, ssl.SSLError):
                    raw.close()
            """;

    /** One TLS connection per request; reads the answer `step` bytes at a time. */
    private static final String CLIENT = """
            import socket, ssl, sys
            context = ssl._create_unverified_context()
            port, step, count, prefix = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
            for i in range(count):
                target = prefix if count == 1 else prefix + str(i)
                with context.wrap_socket(socket.create_connection(('127.0.0.1', port))) as tls:
                    tls.sendall(('GET ' + target + ' HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n').encode())
                    try:
                        while tls.recv(step):
                            pass
                    except (OSError, ssl.SSLError):
                        pass
            """;

    @TempDir
    static Path dir;
    private static Process server;
    private static Process hostile;
    private static int port;
    private static int hostilePort;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        TlsFixtures.assumeCommand(TlsFixtures.PYTHON);
        TlsFixtures.makeCertificate(dir);
        port = E2e.freePort();
        server = TlsFixtures.startPythonServer(dir, port);
        hostilePort = E2e.freePort();
        hostile = TlsFixtures.startScript(dir, TlsFixtures.PYTHON, "hostile.py", HOSTILE_SERVER,
                Integer.toString(hostilePort), dir.resolve("cert.pem").toString(), dir.resolve("key.pem").toString());
        E2e.awaitListening(hostilePort, hostile, Duration.ofSeconds(20L * E2e.SLOWDOWN));
        profiler = ProfilerProcess.start(dir, "--port", port + "," + hostilePort);
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            TlsFixtures.stop(server);
            TlsFixtures.stop(hostile);
        });
    }

    private static void client(int toPort, int step, int count, String target) throws Exception {
        TlsFixtures.runScript(dir, TlsFixtures.PYTHON, "client.py", CLIENT, Integer.toString(toPort),
                Integer.toString(step), Integer.toString(count), target);
    }

    /** An exchange after the hostile one, on the well-behaved server, recorded exactly. */
    private static void assertStillRight(String target) throws Exception {
        client(port, 4096, 1, target);
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", target))
                && list.stream().anyMatch(targetIs("server", target)), WAIT);
        for (String role : List.of("client", "server")) {
            JsonNode exchange = single(all, role, target);
            assertTls(exchange, LIBSSL);
            assertEquals("python saw " + target + "\n", new String(bodyBytes(exchange.path("response"))));
            assertNoNotes(exchange);
        }
    }

    @Test
    @Order(1)
    void garbageAfterTheHandshakeIsNotAnExchange() throws Exception {
        client(hostilePort, 4096, 1, "/garbage");
        assertStillRight("/after-garbage");
        for (JsonNode exchange : profiler.exchanges()) {
            if ("/garbage".equals(E2e.target(exchange))) {
                assertTrue(exchange.path("response").isNull(), () -> "garbage taken for a response: " + exchange);
            }
        }
        profiler.assertRunning();
    }

    @Test
    @Order(2)
    void connectionClosedInTheMiddleOfARecord() throws Exception {
        client(hostilePort, 4096, 1, "/cut");
        assertStillRight("/after-cut");
        List<JsonNode> cut = profiler.exchanges().stream().filter(targetIs("client", "/cut")).toList();
        assertEquals(1, cut.size(), () -> "the cut exchange, once: " + cut);
        JsonNode response = cut.get(0).path("response");
        assertEquals("first part", new String(bodyBytes(response)), "the plaintext that did arrive");
        assertTrue(E2e.notes(cut.get(0)).stream().anyMatch(note -> note.contains("incomplete")
                        || note.contains("ended") || note.contains("closed")),
                () -> "the cut body is said to be cut: " + cut.get(0));
    }

    @Test
    @Order(3)
    void plaintextReadSevenBytesAtATime() throws Exception {
        client(port, 7, 1, "/size/5000");
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().anyMatch(targetIs("client", "/size/5000")),
                WAIT);
        JsonNode exchange = single(all, "client", "/size/5000");
        assertTls(exchange, LIBSSL);
        assertEquals(5000, exchange.path("response").path("body_size").asInt());
        assertEquals("x".repeat(5000), new String(bodyBytes(exchange.path("response"))));
        assertNoNotes(exchange);
    }

    @Test
    @Order(4)
    void aThousandShortConnections() throws Exception {
        client(port, 4096, MANY, "/many-");
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().filter(targetStarts("client", "/many-"))
                .count() >= MANY && list.stream().filter(targetStarts("server", "/many-")).count() >= MANY,
                Duration.ofSeconds(60L * E2e.SLOWDOWN));
        List<JsonNode> many = all.stream().filter(e -> E2e.target(e) != null && E2e.target(e).startsWith("/many-"))
                .toList();
        assertEquals(2 * MANY, many.size(), "each connection once per side");
        for (JsonNode exchange : many) {
            assertTls(exchange, LIBSSL);
            assertEquals(200, exchange.path("response").path("status").asInt());
        }
        assertStillRight("/after-many");
    }
}
