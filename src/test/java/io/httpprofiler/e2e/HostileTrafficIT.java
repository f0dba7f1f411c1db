package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.target;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile traffic on traced ports, in a bounded loop, with the profiler's heap capped at 64 MiB (what a small container
 * gives it): random bytes, a real TLS ClientHello, Redis, a 20 KB request line and a 20 KB header line, a head that never
 * ends, Content-Length 10^15, chunk size ffffffffffffffff, responses out of order and one too many, thousands of idle
 * connections (more than the heap lets it track: some are shed), and a 200 MiB upload. Normal exchanges with a JDK
 * HttpServer run between all of it, on other connections, and must come out exact; every anomaly must show in the
 * totals; the profiler must never die, print a stack trace or run out of memory.
 */
@Tag("root")
class HostileTrafficIT {
    /** This test loads the machine itself; on a slow or busy one its waits get more room (what it checks is unchanged). */
    private static final Duration SLOW_WAIT = Duration.ofSeconds(60);

    private static final int ROUNDS = 3;
    private static final String HEAP = "64m";
    private static final long UPLOAD_BYTES = 200L << 20;
    private static final long HUGE_LENGTH = 1_000_000_000_000_000L;
    private static final int HUGE_SENT = 256 * 1024;
    private static final int WANTED_IDLE = 4500;

    @TempDir
    Path dir;
    private final List<Closeable> cleanup = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-server");
        t.setDaemon(true);
        return t;
    });
    private int normalCount;
    /** Accept loops, started once the profiler is ready. */
    private final List<Runnable> accepting = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (IOException | RuntimeException ignored) {
                // best effort
            }
        }
        threads.shutdownNow();
    }

    @Test
    void survivesHostileTrafficInSixtyFourMegabytesAndCountsEveryAnomaly() throws Exception {
        E2e.assumeCanTrace();
        int sink = rawServer(this::sinkReply);
        int outOfOrder = rawServer(null);
        IdleHolder idle = new IdleHolder();
        HttpServer normal = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 64);
        normal.createContext("/", exchange -> {
            byte[] body = ("hello " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Target", exchange.getRequestURI().getPath());
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        normal.setExecutor(threads);
        cleanup.add(() -> normal.stop(0));
        int normalPort = normal.getAddress().getPort();

        long peakHwmKb = 0;
        long peakHeapUsedKb = 0;
        try (ProfilerProcess profiler = ProfilerProcess.start(dir, "-J-Xmx" + HEAP,
                "-J-Xlog:gc:file=" + dir.resolve("gc.log"), "--stats-interval", "0.5",
                "--port", sink + "," + outOfOrder + "," + idle.port + "," + normalPort)) {
            // Servers accept only now: an accept() already waiting when the probes attach is not seen as one, and its
            // connection's role would be unknown (see HttpRoleUnknownTest for what that does to non-HTTP traffic).
            accepting.forEach(Runnable::run);
            normal.start();
            long started = System.nanoTime();
            int expectedNonHttp = 0;
            int expectedTls = 0;
            int expectedParseErrors = 0;
            for (int round = 0; round < ROUNDS; round++) {
                // Not HTTP at all: each connection is seen from both ends, so it counts twice.
                send(sink, randomBytes(round));
                send(sink, tlsClientHello());
                send(sink, ascii("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"));
                // The ClientHello is TLS no library call carries (--tls auto): counted as not decrypted instead.
                expectedNonHttp += 2 * 2;
                expectedTls += 2;
                normal(normalPort);
                // Over the parser's limits: a 20 KB request line, a head that never ends, an absurd chunk size.
                send(sink, ascii("GET /" + "a".repeat(20 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                send(sink, endlessHead());
                send(sink, ascii("POST /chunk/" + round + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "ffffffffffffffff\r\nabc\r\n0\r\n\r\n"));
                expectedParseErrors += 3 * 2;
                normal(normalPort);
                // Legal but unusual: a 20 KB header line; a Content-Length of 10^15 of which 256 KiB come.
                send(sink, ascii("GET /bigheader/" + round + " HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20 * 1024)
                        + "\r\n\r\n"));
                byte[] huge = ascii("POST /huge/" + round + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + HUGE_LENGTH
                        + "\r\n\r\n");
                send(sink, concat(huge, new byte[HUGE_SENT]));
                // A misbehaving server: three pipelined requests answered c, b, a, then a response nobody asked for.
                send(outOfOrder, ascii(pipelined(round)));
                normal(normalPort);
                Robustness.assertHealthy(profiler);
            }

            // Thousands of idle connections: more than a 64 MiB heap may track (both ends count), so some are shed.
            int idleCount = idleConnectionsAllowed();
            List<Socket> idleSockets = idle.open(idleCount);
            for (int i = 0; i < 5; i++) {
                normal(normalPort);
            }
            // 200 MiB up, while the idle connections are still open.
            String uploadReply = new String(upload(sink), StandardCharsets.UTF_8);
            assertTrue(uploadReply.startsWith("HTTP/1.1 200 "), uploadReply);
            for (int i = 0; i < 5; i++) {
                normal(normalPort);
            }
            Robustness.assertHealthy(profiler);
            peakHwmKb = Robustness.statusKb(profiler.pid(), "VmHWM");
            String heap = Robustness.heapInfo(profiler.pid());
            peakHeapUsedKb = Robustness.heapUsedKb(heap);
            System.err.println("[hostile] after idle+upload: VmHWM " + peakHwmKb + " kB, VmRSS "
                    + Robustness.statusKb(profiler.pid(), "VmRSS") + " kB, " + heap);
            for (Socket socket : idleSockets) {
                socket.close();
            }
            for (int i = 0; i < 3; i++) {
                normal(normalPort);
            }

            // Every normal exchange, from both ends, exactly as sent.
            int normals = normalCount;
            List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                    .filter(e -> target(e) != null && target(e).startsWith("/normal/")).count() >= 2L * normals, SLOW_WAIT);
            for (int n = 0; n < normals; n++) {
                for (String role : List.of("client", "server")) {
                    String path = "/normal/" + n;
                    List<JsonNode> found = all.stream().filter(targetIs(role, path)).toList();
                    assertEquals(1, found.size(), () -> role + " " + path + ": " + found);
                    JsonNode e = found.get(0);
                    assertEquals("GET", e.path("request").path("method").asText());
                    assertEquals(200, e.path("response").path("status").asInt(), e::toString);
                    assertEquals("hello " + path, e.path("response").path("body").asText(), e::toString);
                    assertEquals(path, header(e.path("response"), "X-Target"), e::toString);
                    assertTrue(notes(e).isEmpty(), e::toString);
                }
            }
            // The legal oddities are recorded as what they are.
            for (int round = 0; round < ROUNDS; round++) {
                JsonNode big = E2e.single(all, "server", "/bigheader/" + round);
                assertEquals(20 * 1024, header(big.path("request"), "X-Big").length());
                assertEquals(200, big.path("response").path("status").asInt());
                JsonNode huge = E2e.single(all, "server", "/huge/" + round);
                assertTrue(notes(huge).contains("request incomplete when response completed"), huge::toString);
                assertTrue(huge.path("request").path("body_size").asLong() <= HUGE_SENT, huge::toString);
                JsonNode chunk = E2e.single(all, "server", "/chunk/" + round);
                assertTrue(notes(chunk).contains("malformed request: chunk size too large"), chunk::toString);
                // HTTP/1.1 pairs by order: a server answering out of order is recorded as it answered.
                for (String[] pair : new String[][] {{"a", "c"}, {"b", "b"}, {"c", "a"}}) {
                    JsonNode e = E2e.single(all, "server", "/ooo/" + round + "/" + pair[0]);
                    assertEquals(pair[1], e.path("response").path("body").asText(), e::toString);
                }
            }
            List<JsonNode> uploads = all.stream().filter(targetIs("server", "/upload")).toList();
            assertEquals(1, uploads.size(), uploads::toString);
            assertEquals(UPLOAD_BYTES, uploads.get(0).path("request").path("body_size").asLong(),
                    () -> "upload size (exact even when bytes were not copied): " + uploads.get(0));
            assertEquals(200, uploads.get(0).path("response").path("status").asInt());

            List<String> statsLines = awaitStatsLines(profiler, 3);
            Robustness.assertHealthy(profiler);
            profiler.stopAndExpectCleanExit();
            Robustness.assertNoCrashSigns(profiler.stderr());
            Robustness.Totals totals = Robustness.stopped(profiler.stderr());
            double seconds = (System.nanoTime() - started) / 1e9;
            long[] gc = Robustness.gcPeaksMb(dir.resolve("gc.log"));
            System.err.println("[hostile] " + seconds + " s, peak VmHWM " + peakHwmKb + " kB, heap used "
                    + peakHeapUsedKb + " kB after the upload; GC log: most heap before a GC " + gc[0]
                    + " MB, most left after a GC " + gc[1] + " MB; totals: " + totals.line());
            assertTrue(statsLines.size() >= 3, () -> "periodic stats lines: " + statsLines);
            long previousEvents = 0;
            for (String line : statsLines) { // every stats line carries all the totals, and they only grow
                Robustness.Totals stats = Robustness.Totals.parse(line);
                assertTrue(stats.events() >= previousEvents, line);
                previousEvents = stats.events();
            }
            assertTrue(totals.events() >= previousEvents && totals.bytes() > 0 && totals.incomplete() >= 0,
                    totals::line);
            assertTrue(totals.nonHttpConnections() >= expectedNonHttp, totals::line);
            assertTrue(totals.tlsNotDecrypted() >= expectedTls, totals::line);
            assertTrue(totals.parseErrors() >= expectedParseErrors, totals::line);
            assertTrue(totals.responsesWithoutRequest() >= 2L * ROUNDS, totals::line);
            assertTrue(totals.shedConnections() >= 2L * idleCount - maxConnectionsFor64m(), totals::line);
            assertTrue(totals.notCopiedBytes() > 0, totals::line); // body bytes past --max-body were not copied
            assertTrue(totals.exchanges() >= 2L * normals, totals::line);
        }
    }

    /** Tracked connections a 64 MiB heap allows (Session: a quarter of the heap at 2 KiB each). */
    private static long maxConnectionsFor64m() {
        return (64L << 20) / 4 / 2048;
    }

    /** Both ends of each idle connection live in this JVM: keep well within its file limit. */
    private static int idleConnectionsAllowed() throws IOException {
        long limit = 1024;
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                limit = Long.parseLong(line.split("\\s+")[3]);
            }
        }
        int allowed = (int) Math.min(WANTED_IDLE, (limit - 1000) / 2);
        assertTrue(allowed >= 2000, "ulimit -n is " + limit + ": need room for 2000 idle connections (both ends)");
        return allowed;
    }

    // --- the servers -----------------------------------------------------------------------------------------------

    /**
     * A raw server: reads each connection to its end (the client shuts its output), then answers by the first byte: Redis
     * gets +PONG, TLS an alert, anything starting with a letter an HTTP 200, the rest random bytes. With no reply function
     * it is the out-of-order server.
     */
    private int rawServer(Function<byte[], byte[]> reply) throws IOException {
        ServerSocket server = new ServerSocket(0, 4096, LOOPBACK);
        cleanup.add(server);
        accepting.add(() -> threads.submit(() -> E2e.acceptEach(server, threads, socket -> {
            if (reply == null) {
                answerOutOfOrder(socket);
            } else {
                byte[] first = new byte[64];
                long total = readAll(socket.getInputStream(), first);
                OutputStream out = socket.getOutputStream();
                out.write(reply.apply(withTotal(first, total)));
                out.flush();
            }
        })));
        return server.getLocalPort();
    }

    private byte[] sinkReply(byte[] firstAndTotal) {
        byte first = firstAndTotal[0];
        long total = ByteBuffer.wrap(firstAndTotal, 64, 8).getLong();
        if (first == '*') {
            return ascii("+PONG\r\n+OK\r\n");
        }
        if (first == 0x16) {
            return new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
        }
        if (first >= 'A' && first <= 'Z') {
            String body = "got " + total;
            return ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
        }
        byte[] noise = new byte[512];
        new Random(total).nextBytes(noise);
        noise[0] = (byte) 0x9c;
        return noise;
    }

    private static byte[] withTotal(byte[] first, long total) {
        return ByteBuffer.allocate(72).put(first).putLong(total).array();
    }

    /** Reads until end of stream; keeps the first bytes; returns the count. */
    private static long readAll(InputStream in, byte[] first) throws IOException {
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            if (total < first.length) {
                System.arraycopy(buffer, 0, first, (int) total, (int) Math.min(n, first.length - total));
            }
            total += n;
        }
        return total;
    }

    /** Reads three requests, answers them c, b, a, adds one unasked-for response, closes. */
    private static void answerOutOfOrder(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        while (count(seen.toString(StandardCharsets.ISO_8859_1), "\r\n\r\n") < 3) {
            int n = in.read(buffer);
            if (n < 0) {
                return;
            }
            seen.write(buffer, 0, n);
        }
        StringBuilder replies = new StringBuilder();
        for (String body : List.of("c", "b", "a", "extra")) {
            replies.append("HTTP/1.1 200 OK\r\nContent-Length: ").append(body.length()).append("\r\n\r\n").append(body);
        }
        OutputStream out = socket.getOutputStream();
        out.write(ascii(replies.toString()));
        out.flush();
        socket.shutdownOutput();
        readAll(in, new byte[64]);
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            count++;
        }
        return count;
    }

    /** Accepts and holds connections, reading nothing. */
    private final class IdleHolder {
        final int port;
        private final ServerSocket server;
        private final List<Socket> accepted = new ArrayList<>();

        IdleHolder() throws IOException {
            server = new ServerSocket(0, 4096, LOOPBACK);
            port = server.getLocalPort();
            cleanup.add(server);
            cleanup.add(() -> {
                synchronized (accepted) {
                    for (Socket s : accepted) {
                        s.close();
                    }
                }
            });
            accepting.add(() -> threads.submit(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    } catch (IOException closed) {
                        return;
                    }
                }
            }));
        }

        List<Socket> open(int count) throws IOException, InterruptedException {
            List<Socket> sockets = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Socket s = new Socket(LOOPBACK, port);
                sockets.add(s);
                cleanup.add(s);
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                synchronized (accepted) {
                    if (accepted.size() >= count) {
                        return sockets;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "idle connections not all accepted");
                Thread.sleep(20);
            }
        }
    }

    // --- the clients -----------------------------------------------------------------------------------------------

    /** Sends the bytes on a new connection, shuts output, reads the reply to its end. */
    private static byte[] send(int port, byte[] payload) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(payload);
            out.flush();
            socket.shutdownOutput();
            return socket.getInputStream().readAllBytes();
        }
    }

    private static byte[] upload(int port) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(ascii("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + UPLOAD_BYTES + "\r\n\r\n"));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'u');
            for (long sent = 0; sent < UPLOAD_BYTES; sent += chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, UPLOAD_BYTES - sent));
            }
            out.flush();
            socket.shutdownOutput();
            return socket.getInputStream().readAllBytes();
        }
    }

    /**
     * One normal exchange with the JDK server on a connection of its own, checked on the client side. A raw socket, not
     * HttpURLConnection: that one silently retries a failed GET on a new connection, which would be a second exchange.
     */
    private void normal(int port) throws IOException {
        String path = "/normal/" + normalCount++;
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(ascii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUser-Agent: hostile-it\r\n\r\n"));
            out.flush();
            RawHttp.Response response = RawHttp.readResponse(socket.getInputStream(), false);
            assertEquals(200, response.status(), response::head);
            assertEquals("hello " + path, response.bodyText());
        }
    }

    // --- payloads --------------------------------------------------------------------------------------------------

    private static byte[] randomBytes(int round) {
        byte[] bytes = new byte[4096];
        new Random(round).nextBytes(bytes);
        bytes[0] = (byte) 0x80; // random, but never by chance the start of a request line
        return bytes;
    }

    /** A real ClientHello, as the JDK's TLS engine writes it. */
    private static byte[] tlsClientHello() throws Exception {
        SSLEngine engine = SSLContext.getDefault().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        assertEquals(0x16, hello[0], "TLS handshake record");
        return hello;
    }

    /** A request head that never ends: header lines up to 1 MiB, then the client gives up. */
    private static byte[] endlessHead() {
        StringBuilder head = new StringBuilder("GET /endless HTTP/1.1\r\nHost: x\r\n");
        while (head.length() < (1 << 20)) {
            head.append("X-More: yes\r\n");
        }
        return ascii(head.toString());
    }

    private static String pipelined(int round) {
        StringBuilder requests = new StringBuilder();
        for (String name : List.of("a", "b", "c")) {
            requests.append("GET /ooo/").append(round).append('/').append(name).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        return requests.toString();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * The periodic stats lines so far, once there are at least {@code atLeast} of them or {@link #SLOW_WAIT} has passed
     * (the assertion on their number stays with the caller).
     */
    private static List<String> awaitStatsLines(ProfilerProcess profiler, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + SLOW_WAIT.toNanos();
        while (true) {
            List<String> lines = Robustness.startingWith(profiler.stderr(), "http-profiler stats: ");
            if (lines.size() >= atLeast || System.nanoTime() > deadline) {
                return lines;
            }
            Thread.sleep(100);
        }
    }
}
