package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tracing backends that fail: one that is down (nothing listens), one that answers 500, one that accepts and never
 * answers. The capture and the files must not notice (every exchange written, promptly), and every span that did not
 * reach a backend is counted, in the stats line while running and in the totals at exit.
 */
@Tag("root")
class ExportBackendDownIT {
    private static final Pattern COUNTS = Pattern.compile(
            "(otlp|zipkin): exported (\\d+) spans, dropped (\\d+) \\(queue full (\\d+), failed (\\d+)(?:, unsent at exit (\\d+))?\\)");

    @TempDir
    Path dir;

    record Counts(String backend, long exported, long dropped, long queueFull, long failed, long unsent) {
    }

    @Test
    void downAndRefusingBackendsCostOnlyCountedSpans() throws Exception {
        E2e.assumeCanTrace();
        int nobody = E2e.freePort();
        try (OtlpReceiver refusing = new OtlpReceiver(500); SpanTraffic traffic = new SpanTraffic();
             ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", traffic.ports(), "--stats-interval", "1",
                     "--otlp-endpoint", refusing.endpoint(),
                     "--zipkin-endpoint", "http://127.0.0.1:" + nobody + "/api/v2/spans")) {
            traffic.sendExamples();
            traffic.sendMany(100);
            int records = awaitAllRecords(profiler, 2 * (SpanTraffic.EXAMPLE_TARGETS.size() + 100));
            awaitStatsLine(profiler, "otlp", "zipkin");
            profiler.stopAndExpectCleanExit();
            for (Counts counts : totals(profiler)) {
                assertEquals(0, counts.exported(), counts.toString());
                assertEquals(records, counts.dropped(), "every span not exported is counted: " + counts);
                assertTrue(counts.failed() > 0, "the backend was tried and failed: " + counts);
            }
            assertTrue(refusing.requests() > 0, "the refusing backend was asked");
        }
    }

    @Test
    void silentBackendFillsTheQueueAndNothingElse() throws Exception {
        E2e.assumeCanTrace();
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, LOOPBACK); SpanTraffic traffic = new SpanTraffic()) {
            Thread acceptor = new Thread(() -> {
                while (!silent.isClosed()) {
                    try {
                        held.add(silent.accept()); // accepted, never read, never answered
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            // A small queue (through the standard variables, as is the endpoint): 600 spans are more than the queue
            // and the batches sent in the meantime (each waiting the 5 s timeout) can hold, however slow the traffic.
            int requests = 300;
            Map<String, String> environment = Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + silent.getLocalPort(),
                    "OTEL_BSP_MAX_QUEUE_SIZE", "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "50");
            try (ProfilerProcess profiler = ProfilerProcess.startWithEnvironment(environment, dir,
                    "--port", traffic.ports(), "--stats-interval", "1")) {
                traffic.sendMany(requests);
                int records = awaitAllRecords(profiler, 2 * requests);
                awaitStatsLine(profiler, "otlp");
                long stopStart = System.nanoTime();
                profiler.stopAndExpectCleanExit();
                long stopMillis = (System.nanoTime() - stopStart) / 1_000_000;
                System.err.println("stop with a silent backend took " + stopMillis + " ms");
                Counts counts = totals(profiler).get(0);
                assertEquals(0, counts.exported(), counts.toString());
                assertEquals(records, counts.dropped(), "every span not exported is counted: " + counts);
                assertTrue(counts.queueFull() > 0, "the queue overflowed: " + counts);
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** Every record written while the backends fail (the files do not wait for them); returns how many. */
    private static int awaitAllRecords(ProfilerProcess profiler, int expected) throws Exception {
        List<JsonNode> all = profiler.awaitExchanges(records -> records.size() >= expected, E2e.WAIT);
        assertEquals(expected, all.size(), "one record per exchange and side");
        return all.size();
    }

    /** The periodic stats line names each backend's drops while the profiler runs. */
    private static void awaitStatsLine(ProfilerProcess profiler, String... backends) throws Exception {
        long deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (true) {
            List<String> stats = profiler.stderr().stream().filter(l -> l.contains("http-profiler stats:")).toList();
            if (!stats.isEmpty()) {
                String last = stats.get(stats.size() - 1);
                List<Counts> counts = parse(last);
                if (counts.size() == backends.length && counts.stream().allMatch(c -> c.dropped() > 0)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("no stats line with drops for " + List.of(backends) + ": " + stats);
            }
            Thread.sleep(200);
        }
    }

    private static List<Counts> totals(ProfilerProcess profiler) {
        String line = profiler.stderr().stream().filter(l -> l.contains("http-profiler stopped:")).findFirst()
                .orElseThrow();
        List<Counts> counts = parse(line);
        assertTrue(!counts.isEmpty(), line);
        return counts;
    }

    private static List<Counts> parse(String line) {
        List<Counts> result = new ArrayList<>();
        Matcher m = COUNTS.matcher(line);
        while (m.find()) {
            result.add(new Counts(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), Long.parseLong(m.group(5)),
                    m.group(6) == null ? 0 : Long.parseLong(m.group(6))));
        }
        return result;
    }
}
