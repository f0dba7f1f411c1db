package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.TEST_PID;
import static io.httpprofiler.e2e.E2e.header;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.target;
import static io.httpprofiler.e2e.E2e.targetStarts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hundreds of requests over many connections at once against the JDK server: every single one must be recorded exactly
 * once per side, paired with its own response (each request carries a unique id that the server echoes in the body),
 * with the two sides agreeing on the connection.
 */
@Tag("root")
class ConcurrencyIT {
    private static final int THREADS = 20;
    private static final int REQUESTS_PER_THREAD = 15; // 300 in all
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;
    private static HttpServer server;
    private static ExecutorService serverThreads;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        serverThreads = Executors.newFixedThreadPool(16);
        server = E2e.startHttpServer(LOOPBACK, 128, ConcurrencyIT::handle, serverThreads);
        port = server.getAddress().getPort();
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.stop(0);
                serverThreads.shutdownNow();
            }
        });
    }

    /** Echoes the target in the body, padded to a size that depends on the id so messages differ in length. */
    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String target = exchange.getRequestURI().toString();
            byte[] body = responseBody(target).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("X-Target", target);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private static String responseBody(String target) {
        int id = Integer.parseInt(target.substring(target.lastIndexOf('=') + 1));
        return "answer to " + target + " " + "x".repeat(id * 37 % 1500);
    }

    /** 20 threads share one HttpClient (so up to 20 pooled keep-alive connections), 15 requests each, all at once. */
    @Test
    void threeHundredConcurrentRequestsOverPooledConnectionsAreEachRecordedOncePerSide() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        List<String> targets = runConcurrently("/pooled", (thread, targetsOfThread) -> {
            for (String target : targetsOfThread) {
                String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                        .timeout(WAIT).build(), BodyHandlers.ofString()).body();
                assertEquals(responseBody(target), body);
            }
        });
        assertEveryExchangeRecordedOncePerSide("/pooled", targets, 2);
    }

    /** 20 threads, each with its own raw socket, 15 keep-alive requests each written with one write and read back. */
    @Test
    void threeHundredConcurrentRequestsOverTwentyRawKeepAliveSocketsAreEachRecordedOncePerSide() throws Exception {
        List<String> targets = runConcurrently("/raw", (thread, targetsOfThread) -> {
            try (Socket socket = new Socket(LOOPBACK, port)) {
                socket.setSoTimeout((int) WAIT.toMillis());
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                for (String target : targetsOfThread) {
                    out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    assertEquals(responseBody(target), RawHttp.readResponse(in, false).bodyText());
                }
            }
        });
        assertEveryExchangeRecordedOncePerSide("/raw", targets, THREADS);
    }

    interface ClientWork {
        void run(int thread, List<String> targets) throws Exception;
    }

    /** Runs the work on THREADS threads released together; returns every target sent. */
    private static List<String> runConcurrently(String prefix, ClientWork work) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            List<String> all = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                List<String> targets = new ArrayList<>();
                for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                    int id = thread * REQUESTS_PER_THREAD + i;
                    targets.add(prefix + "/t" + thread + "/r" + i + "?id=" + id);
                }
                all.addAll(targets);
                int number = thread;
                done.add(clients.submit(() -> {
                    go.await();
                    work.run(number, targets);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
            return all;
        } finally {
            clients.shutdownNow();
        }
    }

    private static void assertEveryExchangeRecordedOncePerSide(String prefix, List<String> targets, int minConnections)
            throws Exception {
        long start = System.nanoTime();
        profiler.awaitExchanges(list -> list.stream().filter(targetStarts("client", prefix + "/"))
                .count() >= targets.size() && list.stream().filter(targetStarts("server", prefix + "/"))
                .count() >= targets.size(), WAIT);
        System.err.printf("%s: all %d exchanges written %d ms after the last response%n", prefix, 2 * targets.size(),
                (System.nanoTime() - start) / 1_000_000);
        Thread.sleep(300); // anything recorded twice would show up now
        List<JsonNode> all = profiler.exchanges();
        Map<String, JsonNode> clientByTarget = new HashMap<>();
        for (String role : List.of("client", "server")) {
            List<JsonNode> records = all.stream().filter(targetStarts(role, prefix + "/")).toList();
            Map<String, Long> counts = records.stream().collect(Collectors.groupingBy(E2e::target,
                    Collectors.counting()));
            List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .toList();
            assertEquals(List.of(), duplicated, role + " exchanges recorded more than once");
            assertEquals(new HashSet<>(targets), counts.keySet(), role + " exchanges recorded");
            List<String> mispaired = new ArrayList<>();
            Set<String> connections = new HashSet<>();
            for (JsonNode record : records) {
                String target = target(record);
                JsonNode response = record.path("response");
                if (!response.isObject() || !responseBody(target).equals(response.path("body").asText())
                        || !target.equals(header(response, "X-Target")) || !notes(record).isEmpty()
                        || record.path("pid").asLong() != TEST_PID) {
                    mispaired.add(record.toString());
                }
                connections.add(record.path("local").asText() + " " + record.path("remote").asText());
                if (role.equals("client")) {
                    clientByTarget.put(target, record);
                } else {
                    JsonNode client = clientByTarget.get(target);
                    assertEquals(client.path("local").asText(), record.path("remote").asText(),
                            () -> "the two sides of " + target + " disagree on the connection");
                }
            }
            assertEquals(List.of(), mispaired, role + " records not paired with their own response (or with notes)");
            assertTrue(connections.size() >= minConnections, role + ": only " + connections.size() + " connections");
        }
        Map<String, List<TranscriptBlocks.Block>> transcript = TranscriptBlocks.index(profiler.transcript());
        for (String target : targets) {
            for (String role : List.of("client", "server")) {
                TranscriptBlocks.Block block = TranscriptBlocks.single(transcript, role, "GET " + target + " HTTP/1.1");
                block.assertContains("): answer to " + target + " ");
            }
        }
    }
}
