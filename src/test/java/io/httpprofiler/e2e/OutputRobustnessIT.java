package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.WAIT;
import static io.httpprofiler.e2e.E2e.notes;
import static io.httpprofiler.e2e.E2e.target;
import static io.httpprofiler.e2e.E2e.targetIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outputs and lifecycle under trouble: size rotation, a full disk, the output directory removed while running, SIGTERM in
 * the middle of a large response, two profilers at once, and no BPF program left behind after any exit.
 */
@Tag("root")
class OutputRobustnessIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SLOW_BODY = 50L << 20;
    private static final int FULL = 10;

    @TempDir
    Path dir;
    private HttpServer server;
    private ExecutorService threads;
    private int port;
    private int sequence;

    @BeforeEach
    void startServer() throws IOException {
        E2e.assumeCanTrace();
        threads = Executors.newCachedThreadPool();
        server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 64);
        server.createContext("/small/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int size = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
            byte[] body = (path + " " + "x".repeat(size)).substring(0, size).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/slow", exchange -> {
            exchange.sendResponseHeaders(200, SLOW_BODY);
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream out = exchange.getResponseBody()) {
                for (long sent = 0; sent < SLOW_BODY; sent += chunk.length) {
                    out.write(chunk);
                    out.flush();
                    Thread.sleep(10); // ~6 MB/s: the whole body would take ~8 s
                }
            } catch (InterruptedException | IOException stopped) {
                // the test is over
            }
        });
        server.setExecutor(threads);
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
            threads.shutdownNow();
        }
    }

    @Test
    void rotatesBySizeKeepingWholeBlocks() throws Exception {
        try (ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port),
                "--max-file-size", "4k", "--max-files", "2")) {
            for (int i = 0; i < 40; i++) {
                get("/small/" + i + "/300");
            }
            profiler.awaitExchanges(all -> all.stream().anyMatch(targetIs("server", "/small/39/300")), WAIT);
            profiler.stopAndExpectCleanExit();
        }
        for (String name : List.of("http-trace.txt", "http-trace.jsonl")) {
            for (String suffix : List.of("", ".1", ".2")) {
                Path file = dir.resolve(name + suffix);
                assertTrue(Files.exists(file), () -> file + " missing; files: " + list(dir));
                long size = Files.size(file);
                assertTrue(size > 0 && size <= 4096, () -> file + " has " + size + " bytes");
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (name.endsWith(".jsonl")) {
                    assertTrue(text.endsWith("\n"), () -> file + " ends inside a line");
                    for (String line : text.split("\n")) {
                        JSON.readTree(line); // whole lines only
                    }
                } else {
                    assertTrue(text.startsWith("["), () -> file + " starts inside a block: " + text.substring(0, 80));
                    assertTrue(text.endsWith("\n\n"), () -> file + " ends inside a block");
                }
            }
            assertFalse(Files.exists(dir.resolve(name + ".3")), "only --max-files old files are kept");
        }
        // The newest exchange is in the live file; nothing was written twice.
        String live = Files.readString(dir.resolve("http-trace.jsonl"));
        assertTrue(live.contains("/small/39/300"), live);
    }

    @Test
    void fullDiskIsReportedOnceAndWritingResumesWhenSpaceIsFreed() throws Exception {
        Path disk = Files.createDirectories(dir.resolve("disk"));
        Robustness.sh("mount -t tmpfs -o size=64k tmpfs " + disk);
        try {
            try (ProfilerProcess profiler = ProfilerProcess.start(disk, "--port", Integer.toString(port))) {
                get("/small/first/100");
                profiler.awaitExchanges(all -> all.stream().anyMatch(targetIs("server", "/small/first/100")), WAIT);
                // Fill the disk, then make exchanges of ~1 KiB per record (x2 ends x2 files), 44 KiB in all: they
                // must wait, then fit once the filler is gone.
                Robustness.sh("dd if=/dev/zero of=" + disk.resolve("filler") + " bs=1k count=200 2>/dev/null; true");
                for (int i = 0; i < 5; i++) {
                    get("/small/full" + i + "/600");
                }
                awaitStderr(profiler, "cannot write ");
                for (int i = 5; i < FULL; i++) {
                    get("/small/full" + i + "/600");
                }
                Thread.sleep(500);
                Robustness.assertHealthy(profiler);
                long reports = profiler.stderr().stream().filter(l -> l.startsWith("http-profiler: cannot write "))
                        .count();
                // One episode per file at most: the transcript and the JSON Lines fail alike.
                assertTrue(reports >= 1 && reports <= 2, () -> "reported once per file: " + profiler.stderr());
                Files.delete(disk.resolve("filler"));
                awaitStderr(profiler, "works again"); // retried on a timer, no new exchange needed
                get("/small/after/100");
                List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                        .anyMatch(targetIs("server", "/small/after/100")), Duration.ofSeconds(20));
                // Nothing was lost (the blocks were held while the disk was full), nothing is half written.
                for (int i = 0; i < FULL; i++) {
                    E2e.single(all, "server", "/small/full" + i + "/600");
                    E2e.single(all, "client", "/small/full" + i + "/600");
                }
                String transcript = profiler.transcript();
                assertTrue(transcript.endsWith("\n\n"), "transcript ends with a whole block");
                assertEquals(count(transcript, "  → GET "), all.size(), "one transcript block per JSON line");
                assertEquals(reports, profiler.stderr().stream()
                        .filter(l -> l.startsWith("http-profiler: cannot write ")).count(), "no new reports");
                profiler.stopAndExpectCleanExit();
                Robustness.Totals totals = Robustness.stopped(profiler.stderr());
                assertEquals(0, totals.outputLostBytes(), totals::line);
            }
        } finally {
            Robustness.sh("umount -l " + disk); // lazy: a profiler killed just now may still hold files there
        }
    }

    @Test
    void outputDirectoryRemovedWhileRunningIsReportedAndCreatedAgain() throws Exception {
        Path out = dir.resolve("out");
        try (ProfilerProcess profiler = ProfilerProcess.start(out, "--port", Integer.toString(port))) {
            get("/small/before/50");
            profiler.awaitExchanges(all -> all.stream().anyMatch(targetIs("server", "/small/before/50")), WAIT);
            Robustness.sh("rm -rf " + out);
            Thread.sleep(200);
            for (int i = 0; i < 5; i++) {
                get("/small/gone" + i + "/50");
                Thread.sleep(50);
            }
            awaitStderr(profiler, "was removed while being written");
            List<JsonNode> after = profiler.awaitExchanges(all -> all.stream()
                    .anyMatch(targetIs("server", "/small/gone4/50")), WAIT);
            assertTrue(after.stream().noneMatch(targetIs("server", "/small/before/50")), "a new file");
            assertTrue(Files.exists(out.resolve("http-trace.txt")));
            Robustness.assertHealthy(profiler);
            profiler.stopAndExpectCleanExit();
            long reports = profiler.stderr().stream().filter(l -> l.contains("was removed while being written"))
                    .count();
            assertTrue(reports >= 1 && reports <= 2, () -> "once per file: " + profiler.stderr());
        }
    }

    @Test
    void sigtermInTheMiddleOfALargeResponseFlushesItAsIncompleteAndUnloadsEverything() throws Exception {
        ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", Integer.toString(port));
        try (profiler; Robustness.ProgramWatcher programs = new Robustness.ProgramWatcher(profiler.pid())) {
            // A deadline, not a fixed sleep: on a loaded machine the watcher's first look came after 200 ms (CI run).
            assertFalse(programs.awaitSeen(WAIT).isEmpty(), "the profiler holds its BPF programs");
            Future<Long> download = threads.submit(() -> {
                try (Socket socket = new Socket(LOOPBACK, port)) {
                    socket.getOutputStream().write(("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[64 * 1024];
                    long total = 0;
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        total += n;
                    }
                    return total;
                }
            });
            Thread.sleep(1500); // a few MB into the 50 MB body
            long start = System.nanoTime();
            assertEquals(0, profiler.stop(), () -> "exit code after SIGTERM; stderr: " + profiler.stderr());
            long stopMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(stopMillis < 10_000, "stopped in " + stopMillis + " ms");
            List<JsonNode> all = profiler.exchanges();
            for (String role : List.of("client", "server")) {
                JsonNode slow = E2e.single(all, role, "/slow");
                assertEquals(200, slow.path("response").path("status").asInt(), slow::toString);
                assertTrue(notes(slow).contains("incomplete: profiler stopped"), slow::toString);
                assertTrue(slow.path("response").path("body_size").asLong() < SLOW_BODY, slow::toString);
            }
            Robustness.Totals totals = Robustness.stopped(profiler.stderr());
            assertTrue(totals.incomplete() >= 2, totals::line);
            programs.assertAllUnloaded();
            System.err.println("[sigterm] stopped in " + stopMillis + " ms; programs " + programs.seen()
                    + " unloaded; " + totals.line());
            download.cancel(true);
        }
    }

    @Test
    void twoProfilersAtOnceRecordTheSameExchangeIndependently() throws Exception {
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        try (ProfilerProcess one = ProfilerProcess.start(first, "--port", Integer.toString(port));
             ProfilerProcess two = ProfilerProcess.start(second, "--port", Integer.toString(port));
             Robustness.ProgramWatcher programsOne = new Robustness.ProgramWatcher(one.pid());
             Robustness.ProgramWatcher programsTwo = new Robustness.ProgramWatcher(two.pid())) {
            get("/small/both/42");
            for (ProfilerProcess p : List.of(one, two)) {
                List<JsonNode> all = p.awaitExchanges(list -> list.stream().filter(e -> "/small/both/42".equals(
                        target(e))).count() >= 2, WAIT);
                for (String role : List.of("client", "server")) {
                    JsonNode e = E2e.single(all, role, "/small/both/42");
                    assertEquals(42, e.path("response").path("body_size").asInt(), e::toString);
                    assertTrue(notes(e).isEmpty(), e::toString);
                }
            }
            one.stopAndExpectCleanExit();
            // The second keeps going after the first left.
            get("/small/second/43");
            two.awaitExchanges(list -> list.stream().anyMatch(targetIs("server", "/small/second/43")), WAIT);
            two.stopAndExpectCleanExit();
            programsOne.assertAllUnloaded();
            programsTwo.assertAllUnloaded();
        }
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /** GET on a connection of its own; the response is read whole. */
    private void get(String path) throws IOException {
        sequence++;
        try (Socket socket = new Socket(LOOPBACK, port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response response = RawHttp.readResponse(socket.getInputStream(), false);
            assertEquals(200, response.status(), response::head);
        }
    }

    private static void awaitStderr(ProfilerProcess profiler, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (profiler.stderr().stream().noneMatch(l -> l.contains(fragment))) {
            assertTrue(System.nanoTime() < deadline, () -> "no '" + fragment + "' in stderr: " + profiler.stderr());
            Thread.sleep(50);
        }
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            count++;
        }
        return count;
    }

    private static List<String> list(Path dir) {
        try {
            return Robustness.filesBelow(dir);
        } catch (IOException e) {
            return new ArrayList<>(List.of(e.toString()));
        }
    }

    @SuppressWarnings("unused")
    private static void await(Future<?> future) throws Exception {
        future.get(30, TimeUnit.SECONDS);
    }
}
