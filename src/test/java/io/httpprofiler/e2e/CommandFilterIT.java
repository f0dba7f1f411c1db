package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --comm}: curl talks to python3's http.server; with {@code --comm curl} only curl's side is recorded, although
 * the kernel sees both ends on the same port.
 */
class CommandFilterIT {
    @TempDir
    Path dir;

    @Test
    void onlyTheNamedProcessesExchangesAreRecorded() throws Exception {
        E2e.assumeCanTrace();
        int port = E2e.freePort();
        Process server = new ProcessBuilder("python3", "-m", "http.server", String.valueOf(port), "--bind", "127.0.0.1")
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        try {
            E2e.awaitListening(port, server, E2e.WAIT);
            try (ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", String.valueOf(port), "--comm", "curl")) {
                for (int i = 0; i < 2; i++) {
                    E2e.run(dir.resolve("curl.log"), E2e.WAIT, "curl", "-sS", "-o", "/dev/null",
                            "http://127.0.0.1:" + port + "/?n=" + i);
                }
                List<JsonNode> exchanges = profiler.awaitExchanges(all -> all.size() >= 2, E2e.WAIT);
                // A server record would come with the same request: give it the time it would need to arrive.
                Thread.sleep(E2e.PROMPT.toMillis());
                exchanges = profiler.exchanges();
                profiler.stopAndExpectCleanExit();

                assertEquals(2, exchanges.size(), "one record per curl request, none for python3: " + exchanges);
                for (JsonNode exchange : exchanges) {
                    assertEquals("curl", exchange.get("comm").asText());
                    assertEquals("client", exchange.get("role").asText());
                    assertEquals(200, exchange.get("response").get("status").asInt());
                }
                String transcript = profiler.transcript();
                assertTrue(transcript.contains("(curl) client"), transcript);
                assertFalse(transcript.contains("(python3)"), "python3's side must be filtered out: " + transcript);
            }
        } finally {
            server.destroyForcibly().waitFor();
        }
    }
}
