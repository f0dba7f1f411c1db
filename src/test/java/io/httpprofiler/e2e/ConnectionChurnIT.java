package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.notes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection churn through a ring that overflows: ab without keep-alive against nginx, one short connection per
 * request, thousands per second, with a ring of 32 KiB. Whole records of every kind are lost: opens, requests,
 * responses, closes. Every record nginx's side produces must then either be right (the request ab sent, the 200 with
 * the file's exact size, nginx's name and both addresses) or say that data was lost around it: a server record never
 * reads as if nginx had not answered, and never shows an unknown process or address for a connection whose start
 * record was lost.
 */
@Tag("root")
class ConnectionChurnIT {
    private static final int FILE_SIZE = 4321;
    private static final int REQUESTS = 3000;
    private static final String RING = "32k";

    @TempDir
    Path dir;

    @Test
    void everyServerRecordIsRightOrSaysDataWasLost() throws Exception {
        E2e.assumeCanTrace();
        E2e.assumeCommand("ab", "apache2-utils");
        if (!Files.isExecutable(Path.of(NginxProcess.BINARY))) {
            System.err.println("SKIPPED: " + NginxProcess.BINARY + " missing (apt-get install -y nginx-light)");
            org.junit.jupiter.api.Assumptions.abort("nginx not installed");
        }
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("www/churn.txt"), "x".repeat(FILE_SIZE - 1) + "\n");
        int port = E2e.freePort();
        Process nginx = NginxProcess.start(dir, """
                types { text/plain txt; }
                sendfile off;
                server { listen 127.0.0.1:%2$d; root %1$s/www; }
                """.formatted(dir, port), port);
        try {
            try (ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port),
                    "--ring-size", RING)) {
                Process ab = E2e.run(dir.resolve("ab.log"), Duration.ofSeconds(120), "ab", "-q", "-n",
                        Integer.toString(REQUESTS), "-c", "20", "http://127.0.0.1:" + port + "/churn.txt");
                assertEquals(0, ab.exitValue(), "ab's exit code (see ab.log)");
                Thread.sleep(1000); // the last closes reach the profiler
                profiler.stopAndExpectCleanExit();
                Robustness.Totals totals = Robustness.stopped(profiler.stderr());
                List<JsonNode> servers = profiler.exchanges().stream().filter(e -> E2e.role(e).equals("server"))
                        .toList();
                long flagged = servers.stream().filter(ConnectionChurnIT::saysDataWasLost).count();
                System.err.printf("[churn] %d requests through a %s ring: %d server records, %d with a loss note; %s%n",
                        REQUESTS, RING, servers.size(), flagged, totals.line());
                assertTrue(totals.ringFullRecords() > 0, () -> "the ring never overflowed: " + totals.line());
                for (JsonNode e : servers) {
                    assertTrue(saysDataWasLost(e) || isRight(e, nginx.pid()),
                            () -> "a server record that is wrong and says nothing of a loss: " + e);
                    assertEquals("nginx", e.path("comm").asText(), () -> "the process is known: " + e);
                    assertEquals("127.0.0.1:" + port, e.path("local").asText(), () -> "the address is known: " + e);
                    assertTrue(e.path("remote").asText().startsWith("127.0.0.1:"), () -> "the peer is known: " + e);
                }
            }
        } finally {
            nginx.destroy();
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
    }

    private static boolean saysDataWasLost(JsonNode exchange) {
        return notes(exchange).stream().anyMatch(n -> n.startsWith("capture gap"));
    }

    /** What ab sent and nginx answered, complete, with nothing to note. */
    private static boolean isRight(JsonNode e, long nginxPid) {
        JsonNode response = e.path("response");
        return notes(e).isEmpty() && e.path("pid").asLong() == nginxPid
                && "/churn.txt".equals(E2e.target(e)) && "GET".equals(e.path("request").path("method").asText())
                && response.path("status").asInt() == 200 && response.path("body_size").asLong() == FILE_SIZE;
    }
}
