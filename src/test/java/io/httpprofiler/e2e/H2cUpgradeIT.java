package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 upgraded to HTTP/2 ({@code Upgrade: h2c}) by curl {@code --http2} and by the JDK's HttpClient with HTTP_2,
 * against Netty's h2c codec in this JVM: the upgrade request is reported with its 101, and its answer on stream 1 as
 * an HTTP/2 exchange; later requests on the connection are HTTP/2 streams.
 */
@Tag("root")
class H2cUpgradeIT {
    @TempDir
    static Path dir;
    private static H2cUpgradeServer server;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        port = E2e.freePort();
        server = new H2cUpgradeServer(port);
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.close();
            }
        });
    }

    private static void assertUpgraded(List<JsonNode> all, String role, String target) {
        List<JsonNode> records = all.stream().filter(targetIs(role, target)).toList();
        assertEquals(2, records.size(), () -> role + " " + target + ": " + records);
        JsonNode upgrade = records.stream().filter(r -> !r.has("stream")).findFirst().orElseThrow();
        assertEquals(101, upgrade.at("/response/status").asInt());
        assertEquals(List.of("upgraded to h2c"), notes(upgrade));
        JsonNode stream1 = records.stream().filter(r -> r.has("stream")).findFirst().orElseThrow();
        assertEquals(1, stream1.path("stream").asInt());
        assertEquals("HTTP/2", stream1.at("/response/version").asText());
        assertEquals(200, stream1.at("/response/status").asInt());
        assertEquals("h2c " + target, stream1.at("/response/body").asText());
        assertTrue(notes(stream1).contains("request sent as HTTP/1.1 with the upgrade to h2c"), stream1::toString);
    }

    @Test
    void curlUpgrades() throws Exception {
        E2e.curl(dir, "--http2", "-o", "/dev/null", "http://127.0.0.1:" + port + "/curl");
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().filter(targetIs("server", "/curl")).count()
                == 2 && list.stream().filter(targetIs("client", "/curl")).count() == 2, WAIT);
        assertUpgraded(all, "server", "/curl");
        assertUpgraded(all, "client", "/curl");
    }

    @Test
    void jdkHttpClientUpgradesThenUsesStreams() throws Exception {
        try (HttpClientCloser closer = new HttpClientCloser(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2).build())) {
            for (String target : List.of("/jdk", "/jdk-again")) {
                HttpResponse<String> response = closer.client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + target)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(HttpClient.Version.HTTP_2, response.version());
            }
        }
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().filter(targetIs("server", "/jdk")).count()
                == 2 && list.stream().filter(targetIs("server", "/jdk-again")).count() == 1, WAIT);
        assertUpgraded(all, "server", "/jdk");
        JsonNode again = all.stream().filter(targetIs("server", "/jdk-again")).findFirst().orElseThrow();
        assertEquals(3, again.path("stream").asInt());
        assertEquals("HTTP/2", again.at("/request/version").asText());
        assertEquals("h2c /jdk-again", again.at("/response/body").asText());
        assertEquals(List.of(), notes(again));
    }

    /** HttpClient is AutoCloseable only from Java 21. */
    private record HttpClientCloser(HttpClient client) implements AutoCloseable {
        @Override
        public void close() {
            // the client's connections close with it when it is garbage collected; nothing to wait for here
        }
    }
}
