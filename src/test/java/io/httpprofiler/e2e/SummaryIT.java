package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-endpoint summary over a traffic mix with known counts, statuses and delays (the JDK's HttpServer sleeping a
 * known time): the counts are exact, the percentiles match the exact ones computed from the JSON Lines durations within
 * the histogram's precision (1%), and many distinct ids are one route. Read from {@code --summary} JSON, the text file
 * beside the transcript and the table on stderr at exit.
 */
@Tag("root")
class SummaryIT {
    private static final int FAST = 30;
    private static final int SLOW = 10;
    private static final long SLOW_MILLIS = 150;
    private static final int MISSING = 5;
    private static final int FAILING = 3;
    private static final int UUIDS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static HttpServer server;
    private static ExecutorService executor;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        executor = Executors.newFixedThreadPool(4);
        server = E2e.startHttpServer(LOOPBACK, 16, SummaryIT::handle, executor);
    }

    @AfterAll
    static void stop() {
        E2e.stopHttpServer(server, executor);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            int status = 200;
            if (path.startsWith("/slow/")) {
                try {
                    Thread.sleep(SLOW_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (path.startsWith("/missing/")) {
                status = 404;
            } else if (path.startsWith("/fail")) {
                status = 500;
            }
            byte[] body = ("answer for " + path + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    @Test
    void countsStatusesAndPercentilesPerEndpoint() throws Exception {
        int port = server.getAddress().getPort();
        Path out = dir.resolve("out");
        Path summaryJson = out.resolve("summary.json");
        List<String> stderr;
        List<JsonNode> exchanges;
        try (ProfilerProcess profiler = ProfilerProcess.start(out, "--port", Integer.toString(port), "--summary",
                summaryJson.toString(), "--summary-interval", "0")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < FAST; i++) {
                paths.add("/items/" + (1000 + i * 7) + "?view=full");
            }
            for (int i = 0; i < SLOW; i++) {
                paths.add("/slow/" + Long.toHexString(0xabcdef0123456789L + i)); // 16 hex digits: an id
            }
            for (int i = 0; i < MISSING; i++) {
                paths.add("/missing/" + i);
            }
            for (int i = 0; i < FAILING; i++) {
                paths.add("/fail");
            }
            for (int i = 0; i < UUIDS; i++) {
                paths.add("/orders/" + UUID.randomUUID() + "/lines/" + i);
            }
            for (String path : paths) {
                var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(), BodyHandlers.ofString());
                assertTrue(response.statusCode() >= 200);
            }
            exchanges = profiler.awaitMatching(e -> "server".equals(E2e.role(e)), paths.size(), WAIT);
            profiler.stopAndExpectCleanExit();
            stderr = profiler.stderr();
        }
        JsonNode summary = JSON.readTree(summaryJson.toFile());
        assertEquals(2L * (FAST + SLOW + MISSING + FAILING + UUIDS), summary.path("exchanges").asLong(),
                "client and server side of every exchange");
        JsonNode items = endpoint(summary, "server", "GET", "/items/{id}");
        assertEquals(FAST, items.path("count").asInt());
        assertEquals(FAST, items.path("status").path("2xx").asInt());
        JsonNode slow = endpoint(summary, "server", "GET", "/slow/{id}");
        assertEquals(SLOW, slow.path("count").asInt());
        assertTrue(slow.path("duration_ms").path("p50").asDouble() >= SLOW_MILLIS, slow::toString);
        JsonNode missing = endpoint(summary, "server", "GET", "/missing/{id}");
        assertEquals(MISSING, missing.path("status").path("4xx").asInt());
        assertEquals(0, missing.path("status").path("2xx").asInt());
        JsonNode failing = endpoint(summary, "server", "GET", "/fail");
        assertEquals(FAILING, failing.path("status").path("5xx").asInt());
        assertEquals(UUIDS, endpoint(summary, "server", "GET", "/orders/{id}/lines/{id}").path("count").asInt());
        assertEquals(10, summary.path("endpoints").size(), "five routes, each seen from both sides: " + summary);
        for (JsonNode endpoint : summary.path("endpoints")) {
            assertEquals(0, endpoint.path("incomplete").asInt());
            assertEquals(0, endpoint.path("request_bytes").asInt());
        }

        // Percentiles against the exact ones from the same exchanges' durations in the JSON Lines.
        for (String[] route : new String[][]{{"/items/", "/items/{id}"}, {"/slow/", "/slow/{id}"}}) {
            List<Double> durations = exchanges.stream()
                    .filter(e -> "server".equals(E2e.role(e)) && E2e.target(e).startsWith(route[0]))
                    .map(e -> e.path("duration_ms").asDouble()).sorted().toList();
            JsonNode reported = endpoint(summary, "server", "GET", route[1]).path("duration_ms");
            long bytes = exchanges.stream().filter(e -> "server".equals(E2e.role(e)) && E2e.target(e).startsWith(route[0]))
                    .mapToLong(e -> e.path("response").path("body_size").asLong()).sum();
            assertEquals(bytes, endpoint(summary, "server", "GET", route[1]).path("response_bytes").asLong());
            for (String p : List.of("p50", "p90", "p99", "max")) {
                double percentile = p.equals("max") ? 100 : Double.parseDouble(p.substring(1));
                int rank = (int) Math.ceil(percentile / 100 * durations.size());
                double exact = durations.get(Math.max(0, rank - 1));
                double value = reported.path(p).asDouble();
                assertTrue(value >= exact - 0.001 && value <= exact * 1.01 + 0.002,
                        () -> route[1] + " " + p + ": reported " + value + " ms, exact " + exact + " ms of " + durations);
            }
        }

        String text = Files.readString(out.resolve("http-summary.txt"));
        assertTrue(text.startsWith("http-profiler summary "), text);
        assertTrue(text.lines().anyMatch(l -> l.matches("server\\s+GET\\s+/items/\\{id}\\s+" + FAST + "\\s+" + FAST
                + "\\s+0\\s+0\\s+0\\s+0\\s.*")), text);
        assertTrue(stderr.stream().anyMatch(l -> l.matches("server\\s+GET\\s+/slow/\\{id}\\s+" + SLOW + "\\s.*")),
                () -> "the table on stderr at exit: " + stderr);
    }

    private static JsonNode endpoint(JsonNode summary, String role, String method, String route) {
        for (JsonNode endpoint : summary.path("endpoints")) {
            if (role.equals(endpoint.path("role").asText()) && method.equals(endpoint.path("method").asText())
                    && route.equals(endpoint.path("route").asText())) {
                return endpoint;
            }
        }
        throw new AssertionError("no endpoint " + role + " " + method + " " + route + " in " + summary);
    }
}
