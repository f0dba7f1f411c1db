package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.assertSameConnection;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.single;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the profiler ends: on SIGTERM or SIGINT, and at the end of --duration, it drains, writes every pending exchange
 * marked incomplete, prints its totals and exits 0.
 */
@Tag("root")
class ShutdownIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void requireBpf() {
        E2e.assumeCanTrace();
    }

    /** A server that accepts and reads the request but never answers: only the stop can end that exchange. */
    @Test
    void sigtermFlushesAnUnansweredRequestAndExitsZeroWithTotals() throws Exception {
        assertUnansweredRequestFlushedOn("TERM");
    }

    @Test
    void sigintDoesTheSame() throws Exception {
        assertUnansweredRequestFlushedOn("INT");
    }

    private void assertUnansweredRequestFlushedOn(String signal) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            int port = listener.getLocalPort();
            String target = "/never-answered?signal=" + signal;
            String request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
            CountDownLatch requestRead = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try (Socket accepted = listener.accept()) {
                    InputStream in = accepted.getInputStream();
                    byte[] expected = request.getBytes(StandardCharsets.US_ASCII);
                    assertEquals(request, new String(in.readNBytes(expected.length), StandardCharsets.US_ASCII));
                    requestRead.countDown();
                    release.await(60, TimeUnit.SECONDS); // never answers while the profiler runs
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
                 Socket client = new Socket(LOOPBACK, port)) {
                client.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                assertTrue(requestRead.await(10, TimeUnit.SECONDS), "the server read the request");
                Thread.sleep(300); // let the profiler take the events in (it polls every 50 ms)
                assertTrue(profiler.exchanges().isEmpty(), "nothing complete yet, nothing written yet");

                assertEquals(0, profiler.stopWith(signal), "exit code after SIG" + signal + "; " + profiler.stderr());

                List<String> stderr = profiler.stderr();
                String totals = stderr.stream().filter(l -> l.contains("stopped")).findFirst().orElse(null);
                assertTrue(totals != null, () -> "no totals line on stderr: " + stderr);
                for (String count : List.of("events ", "bytes ", "exchanges 2", "incomplete 2", "drops")) {
                    assertTrue(totals.contains(count), () -> "totals line lacks '" + count + "': " + totals);
                }
                String json = profiler.jsonLinesText();
                assertTrue(json.endsWith("\n"), "the JSON Lines file ends with a complete line");
                List<JsonNode> all = profiler.exchanges();
                assertEquals(2, all.size(), () -> "one record per side: " + all);
                JsonNode clientRecord = single(all, "client", target);
                JsonNode serverRecord = single(all, "server", target);
                assertSameConnection(clientRecord, serverRecord);
                for (JsonNode record : List.of(clientRecord, serverRecord)) {
                    assertTrue(record.path("response").isNull(), () -> "response must be null: " + record);
                    assertTrue(record.path("duration_ms").isNull(), () -> "no duration without a response: " + record);
                    assertEquals(List.of("response not seen", "incomplete: profiler stopped"), notes(record));
                    assertEquals("GET", record.path("request").path("method").asText());

                    TranscriptBlocks.Block block = TranscriptBlocks.single(profiler.transcript(),
                            record.path("role").asText(), "GET " + target + " HTTP/1.1");
                    assertEquals(null, block.duration(), "no duration without a response");
                    block.assertContains("  ← (no response)\n");
                    block.assertContains("  [response not seen]\n  [incomplete: profiler stopped]");
                }
                assertTrue(profiler.transcript().endsWith("\n\n"), "the transcript ends with a complete block");
            } finally {
                release.countDown();
                server.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void durationEndsTheRunCleanly() throws Exception {
        long start = System.nanoTime();
        try (ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(E2e.freePort()),
                "--duration", "1")) {
            assertEquals(0, profiler.awaitExit("--duration 1"), () -> "exit code; " + profiler.stderr());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 20, "ended by itself in " + seconds + " s");
            assertTrue(profiler.stderr().stream().anyMatch(l -> l.contains("stopped") && l.contains("exchanges 0")),
                    () -> "totals: " + profiler.stderr());
        }
    }
}
