package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.httpprofiler.e2e.E2e.notes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Long-lived exchanges are visible while they last, with the profiler's defaults (reports from 2 s on): a Server-Sent
 * Events stream from node (an event every 100 ms for 10 s), a long poll node answers after 8 s, and a request node
 * reads and never answers, all at once, each fetched by curl. The transcript must show each of them (both ends) within
 * 3 s of its start, progress while they run, and the stream's exact size when it ends.
 */
@Tag("root")
class ProgressIT {
    private static final int EVENTS = 100;
    private static final String SERVER = """
            const http = require('http');
            http.createServer((req, res) => {
              if (req.url.startsWith('/hang')) return; // read, never answered
              if (req.url.startsWith('/poll')) {
                setTimeout(() => { res.writeHead(200, {'Content-Type': 'text/plain'}); res.end('poll answered'); }, 8000);
                return;
              }
              res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
              let n = 0;
              const tick = setInterval(() => {
                n++;
                res.write('id: ' + n + '\\ndata: {"tick":' + n + '}\\n\\n');
                if (n === %d) { clearInterval(tick); res.end(); }
              }, 100);
            }).listen(Number(process.argv[2]), '127.0.0.1');
            """.formatted(EVENTS);
    /** The stream's exact size: what the server writes. */
    private static final long STREAM_BYTES = streamBytes();
    /** A deadline for what the profiler shows on its own schedule (reports every 200 ms, written within 50 ms). */
    private static final Duration SHOWN_WITHIN = Duration.ofSeconds(3L * E2e.SLOWDOWN);
    private static final Pattern BODY_SO_FAR = Pattern.compile("response body (\\d+) bytes \\((\\d+) events?\\) so far");

    @TempDir
    static Path dir;
    private static Process server;
    private static int port;
    private static ProfilerProcess profiler;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        E2e.assumeCommand("node", "nodejs");
        E2e.assumeCommand("curl", "curl");
        Path script = Files.writeString(dir.resolve("progress_server.js"), SERVER);
        port = E2e.freePort();
        server = E2e.startListening(dir.resolve("node.log"), port, "node", script.toString(), Integer.toString(port));
        profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port), "--json-progress",
                "--stats-interval", "1");
    }

    @AfterAll
    static void stop() throws Exception {
        ProfilerProcess.stopCleanlyThen(profiler, () -> {
            if (server != null) {
                server.destroy();
                server.waitFor(5, TimeUnit.SECONDS);
            }
        });
    }

    private static long streamBytes() {
        return bytesOfEvents(EVENTS);
    }

    /** What the first {@code events} events take. */
    private static long bytesOfEvents(long events) {
        long bytes = 0;
        for (int n = 1; n <= events; n++) {
            bytes += ("id: " + n + "\ndata: {\"tick\":" + n + "}\n\n").length();
        }
        return bytes;
    }

    private static Process curl(String path, Path out, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-N", "-o", out.toString()));
        command.addAll(List.of(extra));
        command.add("http://127.0.0.1:" + port + path);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("curl.log").toFile())).start();
    }

    /** Reads the transcript until both ends (client and server) have a block matching, or fails at the deadline. */
    private static List<TranscriptBlocks.Block> awaitBothEnds(Predicate<TranscriptBlocks.Block> match, long deadline,
                                                             String what) throws IOException, InterruptedException {
        while (true) {
            List<TranscriptBlocks.Block> found = TranscriptBlocks.parse(profiler.transcript()).stream().filter(match)
                    .toList();
            if (found.stream().anyMatch(b -> b.role().equals("client"))
                    && found.stream().anyMatch(b -> b.role().equals("server"))) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                fail(what + " not in the transcript in time:\n" + profiler.transcript());
            }
            Thread.sleep(50);
        }
    }

    private static Predicate<TranscriptBlocks.Block> firstReport(String requestLine) {
        return b -> b.inProgress() && b.soFar() == null && requestLine.equals(b.requestLine());
    }

    private static Predicate<TranscriptBlocks.Block> laterReport(String prefix) {
        return b -> b.inProgress() && b.soFar() != null && b.soFar().startsWith(prefix);
    }

    private static Predicate<TranscriptBlocks.Block> finalBlock(String requestLine) {
        return b -> !b.inProgress() && requestLine.equals(b.requestLine());
    }

    @Test
    void streamsLongPollsAndHangingRequestsAreVisibleWhileTheyLast() throws Exception {
        Path events = dir.resolve("events.out");
        Path poll = dir.resolve("poll.out");
        long started = System.nanoTime();
        Process sse = curl("/events?id=sse", events);
        Process longPoll = curl("/poll?id=lp", poll);
        Process hanging = curl("/hang?id=silent", dir.resolve("hang.out"), "-m", "60");
        try {
            long shownBy = started + SHOWN_WITHIN.toNanos();
            // Within 3 s: a block for each, both ends, with what is known so far.
            for (TranscriptBlocks.Block block : awaitBothEnds(firstReport("GET /events?id=sse HTTP/1.1"), shownBy,
                    "the stream's first in-progress block")) {
                block.assertContains("  ← HTTP/1.1 200 OK\n");
                block.assertContains("Content-Type: text/event-stream");
                block.assertContains("data: {\"tick\":1}");
                block.assertContains("  [in progress at ");
                block.assertContains(" events so far): written in full when it ends]");
            }
            for (String target : List.of("/poll?id=lp", "/hang?id=silent")) {
                for (TranscriptBlocks.Block block : awaitBothEnds(firstReport("GET " + target + " HTTP/1.1"), shownBy,
                        target + " waiting")) {
                    block.assertContains("  ← (waiting for response, ");
                }
            }
            assertTrue(TranscriptBlocks.parse(profiler.transcript()).stream()
                    .noneMatch(finalBlock("GET /events?id=sse HTTP/1.1")), "the stream is not over yet");

            // Progress while they run: the stream's bytes so far grow; the others are still waiting.
            List<TranscriptBlocks.Block> progress = awaitBothEnds(laterReport("GET /events?id=sse → 200, "),
                    started + Duration.ofSeconds(6L * E2e.SLOWDOWN).toNanos(), "the stream's progress line");
            for (TranscriptBlocks.Block line : progress) {
                Matcher m = BODY_SO_FAR.matcher(line.soFar());
                assertTrue(m.find(), line.soFar());
                long soFar = Long.parseLong(m.group(1));
                long eventsSoFar = Long.parseLong(m.group(2));
                assertTrue(soFar > 0 && soFar < STREAM_BYTES, () -> "bytes so far: " + line.text());
                // The events counted are those the bytes so far hold whole.
                assertTrue(bytesOfEvents(eventsSoFar) <= soFar && soFar < bytesOfEvents(eventsSoFar + 1),
                        () -> "events so far: " + line.text());
            }
            awaitBothEnds(laterReport("GET /poll?id=lp, waiting for response"),
                    started + Duration.ofSeconds(6L * E2e.SLOWDOWN).toNanos(), "the long poll's progress line");
            awaitBothEnds(laterReport("GET /hang?id=silent, waiting for response"),
                    started + Duration.ofSeconds(6L * E2e.SLOWDOWN).toNanos(), "the silent upstream's progress line");

            // The long poll is answered after 8 s: its block completes the report.
            for (TranscriptBlocks.Block block : awaitBothEnds(finalBlock("GET /poll?id=lp HTTP/1.1"),
                    started + Duration.ofSeconds(20L * E2e.SLOWDOWN).toNanos(), "the long poll's final block")) {
                block.assertContains("Body (13 bytes): poll answered");
                block.assertContains("  [completes in-progress report from ");
                assertNotNull(block.duration());
            }
            // The stream ends after 10 s, with its exact size.
            assertEquals(0, sse.waitFor(30L * E2e.SLOWDOWN, TimeUnit.SECONDS) ? sse.exitValue() : -1, "curl");
            assertEquals(STREAM_BYTES, Files.size(events), "what curl received");
            for (TranscriptBlocks.Block block : awaitBothEnds(finalBlock("GET /events?id=sse HTTP/1.1"),
                    System.nanoTime() + E2e.WAIT.toNanos(), "the stream's final block")) {
                block.assertContains("Body (" + STREAM_BYTES + " bytes):");
                block.assertContains("  [completes in-progress report from ");
            }
            // The silent upstream is still shown as waiting, and has no final block.
            String transcript = profiler.transcript();
            assertTrue(TranscriptBlocks.parse(transcript).stream()
                    .noneMatch(finalBlock("GET /hang?id=silent HTTP/1.1")), transcript);
            assertTrue(hanging.isAlive(), "curl still waits");

            // JSON Lines (--json-progress): partial records with the final record's identity, then one final record.
            List<JsonNode> all = profiler.awaitExchanges(list -> list.stream().filter(r -> !r.path("partial")
                    .asBoolean()).filter(E2e.targetStarts("server", "/events")).count() == 1, E2e.WAIT);
            for (String role : List.of("client", "server")) {
                List<JsonNode> records = all.stream().filter(E2e.targetIs(role, "/events?id=sse")).toList();
                JsonNode last = records.get(records.size() - 1);
                assertFalse(last.has("partial"), () -> "the final record comes last: " + last);
                assertEquals(STREAM_BYTES, last.path("response").path("body_size").asLong());
                assertTrue(last.path("response").path("body").asText().endsWith("data: {\"tick\":100}\n\n"));
                assertTrue(notes(last).get(0).startsWith("completes in-progress report from "), notes(last)::toString);
                List<JsonNode> partial = records.subList(0, records.size() - 1);
                assertTrue(partial.size() >= 2, () -> "reports at 2, 4 and 8 s: " + partial);
                long previous = 0;
                for (int i = 0; i < partial.size(); i++) {
                    JsonNode record = partial.get(i);
                    assertTrue(record.path("partial").asBoolean());
                    assertEquals(i + 1, record.path("progress").path("report").asInt());
                    for (String member : List.of("time", "pid", "fd", "local", "remote")) {
                        assertEquals(last.path(member), record.path(member), member);
                    }
                    long size = record.path("response").path("body_size").asLong();
                    assertTrue(size > previous && size < STREAM_BYTES, () -> "bytes so far: " + record);
                    previous = size;
                }
                List<JsonNode> hang = all.stream().filter(E2e.targetIs(role, "/hang?id=silent")).toList();
                assertFalse(hang.isEmpty(), "the silent upstream has partial records");
                assertTrue(hang.stream().allMatch(r -> r.path("partial").asBoolean() && r.path("response").isNull()));
            }
            // The counters line says how many are open: the silent one, both ends.
            String stats = awaitStats(s -> s.contains("in progress 2 (progress reports "));
            assertTrue(stats.contains("in progress 2"), stats);
        } finally {
            for (Process curl : List.of(sse, longPoll, hanging)) {
                curl.destroy();
                curl.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static String awaitStats(Predicate<String> match) throws InterruptedException {
        long deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> lines = new ArrayList<>(profiler.stderr());
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("http-profiler stats: ") && match.test(lines.get(i))) {
                    return lines.get(i);
                }
            }
            Thread.sleep(100);
        }
        fail("no such stats line: " + profiler.stderr());
        return null;
    }
}
