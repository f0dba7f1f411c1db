package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.notes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The profiler started while a gRPC connection is already busy: the HTTP/2 preface and the first header blocks (and so
 * the HPACK tables' first entries) went by unseen. Later calls must still be recorded, one per stream, their messages
 * decoded; header fields that refer to the unseen table entries are marked as not decoded, never guessed.
 */
@Tag("root")
class Http2MidStreamIT {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path dir;
    private static Process server;
    private static Process client;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        if (!Files.isExecutable(Path.of(PYTHON))
                || new ProcessBuilder(PYTHON, "-c", "import grpc").start().waitFor() != 0) {
            System.err.println("SKIPPED: python3-grpcio missing (scripts/setup.sh installs it)");
            Assumptions.abort("python3-grpcio missing");
        }
        Path script = dir.resolve("grpc_demo.py");
        try (InputStream in = Http2MidStreamIT.class.getResourceAsStream("/h2/grpc_demo.py")) {
            Files.write(script, in.readAllBytes());
        }
        int port = E2e.freePort();
        server = new ProcessBuilder(PYTHON, script.toString(), "server", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.out").toFile()).start();
        E2e.awaitListening(port, server, Duration.ofSeconds(20));
        // One channel, a round of four calls every 0.25 s for long enough to outlast the profiler's start.
        client = new ProcessBuilder(PYTHON, script.toString(), "client", Integer.toString(port), "120", "0.25")
                .redirectErrorStream(true).redirectOutput(dir.resolve("client.out").toFile()).start();
        Thread.sleep(1500); // the connection's start and first rounds go by unseen
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            for (Process process : new Process[] {client, server}) {
                if (process != null) {
                    process.destroy();
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
            }
        });
    }

    @Test
    void laterCallsAreRecordedAndUnseenHeaderFieldsMarked() throws Exception {
        assertTrue(client.isAlive(), "the client must still be calling when the profiler is ready");
        // grpc-status is in the unseen table too (grpc-c indexes it): wait for calls, not for statuses
        List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                .filter(e -> "server".equals(e.path("role").asText()) && e.path("grpc").isObject())
                .count() >= 12, WAIT);
        List<JsonNode> server = all.stream().filter(e -> "server".equals(e.path("role").asText())).toList();
        assertTrue(server.stream().allMatch(e -> e.path("stream").asInt() > 1), "later streams only");
        assertTrue(server.stream().allMatch(e -> "HTTP/2".equals(e.at("/request/version").asText())));
        JsonNode unary = server.stream()
                .filter(e -> "1: \"alice\" 2: 42".equals(e.at("/grpc/messages/0/fields").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no SayHello call among " + server));
        assertEquals("POST", unary.at("/request/method").asText()); // static table: decodable
        assertEquals("1: \"hello alice\" 2: 42", unary.at("/grpc/messages/1/fields").asText());
        assertTrue(notes(unary).stream().anyMatch(n -> n.startsWith("request header fields not decoded: ")),
                unary::toString);
        for (JsonNode exchange : server) {
            for (JsonNode header : exchange.at("/request/headers")) {
                assertTrue(!header.get(0).asText().equals("?"), "no placeholder shown as a header: " + exchange);
            }
        }
        String transcript = profiler.transcript();
        assertTrue(transcript.contains("header fields not decoded"), transcript);
    }
}
