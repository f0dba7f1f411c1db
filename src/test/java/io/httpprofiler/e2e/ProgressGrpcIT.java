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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A streaming gRPC call over HTTP/2 (python3-grpcio, both ends traced) that lasts 4 s, one reply every 100 ms: reported
 * in progress per stream, with the replies counted so far, then whole with every reply and its grpc-status.
 */
@Tag("root")
class ProgressGrpcIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static final int REPLIES = 40;
    private static final Pattern SO_FAR = Pattern.compile(
            "POST /demo\\.Greeter/Ticks → 200, request body \\d+ bytes \\(1 message\\) so far, response body \\d+"
                    + " bytes \\((\\d+) messages?\\) so far");

    @TempDir
    static Path dir;
    private static Process server;
    private static int port;
    private static Path script;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        script = dir.resolve("grpc_demo.py");
        try (InputStream in = ProgressGrpcIT.class.getResourceAsStream("/h2/grpc_demo.py")) {
            Files.write(script, in.readAllBytes());
        }
        if (!Files.isExecutable(Path.of(PYTHON))
                || new ProcessBuilder(PYTHON, "-c", "import grpc").start().waitFor() != 0) {
            System.err.println("SKIPPED: python3-grpcio missing (scripts/setup.sh installs it)");
            Assumptions.abort("python3-grpcio missing");
        }
        port = E2e.freePort();
        server = E2e.startListening(dir.resolve("grpc.out"), port, PYTHON, script.toString(), "server",
                Integer.toString(port));
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port), "--progress-after", "1");
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        });
    }

    @Test
    void aStreamingCallIsReportedPerStreamWithItsMessagesSoFar() throws Exception {
        E2e.run(dir.resolve("grpc-client.log"), Duration.ofSeconds(60L * E2e.SLOWDOWN), PYTHON, script.toString(),
                "ticks", Integer.toString(port), Integer.toString(REPLIES));
        List<JsonNode> records = profiler.awaitExchanges(list -> list.stream()
                .filter(r -> "/demo.Greeter/Ticks".equals(E2e.target(r))).count() == 2, E2e.WAIT);
        String transcript = profiler.transcript();
        List<TranscriptBlocks.Block> blocks = TranscriptBlocks.parse(transcript);
        for (String role : List.of("client", "server")) {
            List<TranscriptBlocks.Block> first = blocks.stream().filter(b -> b.inProgress() && b.soFar() == null
                    && b.role().equals(role) && "POST /demo.Greeter/Ticks HTTP/2".equals(b.requestLine())).toList();
            assertEquals(1, first.size(), () -> role + " first report:\n" + transcript);
            first.get(0).assertContains("  HTTP/2 stream ");
            first.get(0).assertContains("gRPC: ");
            List<Long> counts = blocks.stream().filter(b -> b.inProgress() && b.soFar() != null
                    && b.role().equals(role)).map(b -> {
                        Matcher m = SO_FAR.matcher(b.soFar());
                        assertTrue(m.find(), b.text());
                        return Long.parseLong(m.group(1));
                    }).toList();
            assertFalse(counts.isEmpty(), () -> role + " progress lines:\n" + transcript);
            for (long count : counts) {
                assertTrue(count > 0 && count < REPLIES, () -> "messages so far " + counts);
            }
            JsonNode record = E2e.single(records, role, "/demo.Greeter/Ticks");
            assertEquals(REPLIES, record.at("/grpc/response_messages").asInt(), record::toString);
            assertEquals(0, record.at("/grpc/status").asInt());
            assertTrue(E2e.notes(record).stream().anyMatch(n -> n.startsWith("completes in-progress report from ")),
                    record::toString);
            TranscriptBlocks.Block last = blocks.stream().filter(b -> !b.inProgress() && b.role().equals(role)
                    && "POST /demo.Greeter/Ticks HTTP/2".equals(b.requestLine())).findFirst().orElseThrow();
            last.assertContains("grpc-status 0");
            last.assertContains("gRPC: " + REPLIES + " messages");
        }
    }
}
