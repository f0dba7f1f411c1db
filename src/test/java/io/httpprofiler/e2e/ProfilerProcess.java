package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The packaged profiler (target/http-profiler.jar) run as a user runs it, in its own process: the test JVM is then an
 * ordinary traced application. Waits for the ready line, collects stderr, stops with SIGTERM like Ctrl-C would.
 */
public final class ProfilerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path transcript;
    private final Path jsonLines;
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch ready = new CountDownLatch(1);

    private ProfilerProcess(Process process, Path transcript, Path jsonLines) {
        this.process = process;
        this.transcript = transcript;
        this.jsonLines = jsonLines;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    stderr.add(line);
                    System.err.println("[profiler] " + line);
                    if (line.contains("ready")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("profiler.jar", "target/http-profiler.jar"));
        assertTrue(Files.isRegularFile(jar), "the packaged jar is missing: " + jar + " (run mvn package first)");
        return jar;
    }

    /** Starts the profiler writing into dir, with extra arguments, and waits until it is ready. */
    public static ProfilerProcess start(Path dir, String... args) throws IOException, InterruptedException {
        Path transcript = dir.resolve("http-trace.txt");
        Path jsonLines = dir.resolve("http-trace.jsonl");
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-jar", jar().toString(),
                "-o", transcript.toString(), "--json", jsonLines.toString()));
        String attach = System.getProperty("httpprofiler.attach");
        if (attach != null && List.of(args).stream().noneMatch(a -> a.startsWith("--attach"))) {
            command.add("--attach=" + attach);
        }
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        ProfilerProcess profiler = new ProfilerProcess(process, transcript, jsonLines);
        if (!profiler.ready.await(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("profiler did not become ready within 60 s; stderr: " + profiler.stderr);
        }
        return profiler;
    }

    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Reads JSON Lines until the predicate holds over all exchanges so far (the profiler writes within ~50 ms). */
    public List<JsonNode> awaitExchanges(Predicate<List<JsonNode>> done, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> exchanges = exchanges();
        while (!done.test(exchanges)) {
            if (System.nanoTime() > deadline) {
                fail("expected exchanges not written within " + timeout + "; got " + exchanges.size() + ":\n"
                        + String.join("\n", exchanges.stream().map(JsonNode::toString).toList())
                        + "\nstderr: " + stderr);
            }
            Thread.sleep(50);
            exchanges = exchanges();
        }
        return exchanges;
    }

    public List<JsonNode> exchanges() throws IOException {
        List<JsonNode> result = new ArrayList<>();
        if (!Files.exists(jsonLines)) {
            return result;
        }
        for (String line : Files.readAllLines(jsonLines, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                result.add(JSON.readTree(line));
            }
        }
        return result;
    }

    public String transcript() throws IOException {
        return Files.exists(transcript) ? Files.readString(transcript, StandardCharsets.UTF_8) : "";
    }

    public List<String> stderr() {
        return List.copyOf(stderr);
    }

    /** SIGTERM, like a container stop: the profiler must flush, print totals and exit 0. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("profiler did not exit within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    public void stopAndExpectCleanExit() throws InterruptedException {
        assertEquals(0, stop(), "exit code after SIGTERM; stderr: " + stderr);
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
