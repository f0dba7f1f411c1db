package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
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
    private final Thread stderrReader;

    /** Where the outputs are copied when the profiler is closed, for reading after a failure (the temp dir is deleted). */
    private final Path keepDir;

    private ProfilerProcess(Process process, Path transcript, Path jsonLines, Path keepDir) {
        this.keepDir = keepDir;
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
        reader.setName("profiler-stderr");
        reader.start();
        this.stderrReader = reader;
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("profiler.jar", "target/http-profiler.jar"));
        assertTrue(Files.isRegularFile(jar), "the packaged jar is missing: " + jar + " (run mvn package first)");
        return jar;
    }

    /** Starts the profiler writing into dir, with extra arguments, and waits until it is ready. */
    public static ProfilerProcess start(Path dir, String... args) throws IOException, InterruptedException {
        return launch(List.of(), Map.of(), caller(), dir, true, args);
    }

    /**
     * As {@link #startWithEnvironment}, but as a user types it: {@code java -jar} without the test heap setting (or any
     * other JVM option), so that the JVM is sized the way the profiler sizes it itself.
     */
    public static ProfilerProcess startPlain(Map<String, String> environment, Path dir, String... args)
            throws IOException, InterruptedException {
        return launch(List.of(), environment, caller(), dir, false, args);
    }

    /** As {@link #start(Path, String...)}, with these variables added to the profiler's environment. */
    public static ProfilerProcess startWithEnvironment(Map<String, String> environment, Path dir, String... args)
            throws IOException, InterruptedException {
        return launch(List.of(), environment, caller(), dir, true, args);
    }

    /**
     * As {@link #start(Path, String...)}, with the java command run through a launcher, e.g. {@code ip netns exec NS} to
     * run the profiler inside another network namespace. The launcher must exec the command (not fork it), so that
     * signals reach the profiler itself.
     */
    public static ProfilerProcess startVia(List<String> launcher, Path dir, String... args)
            throws IOException, InterruptedException {
        return launch(launcher, Map.of(), caller(), dir, true, args);
    }

    /** The test class that called start/startVia (the method calling this one is called by it). */
    private static String caller() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.skip(2).findFirst()).map(f -> f.getDeclaringClass().getSimpleName())
                .orElse("ProfilerProcess");
    }

    private static ProfilerProcess launch(List<String> launcher, Map<String, String> environment, String caller,
                                          Path dir, boolean testHeap, String... args)
            throws IOException, InterruptedException {
        Path transcript = dir.resolve("http-trace.txt");
        Path jsonLines = dir.resolve("http-trace.jsonl");
        // "-J<option>" arguments are JVM options (as with javac); the heap is -Xmx128m unless one says otherwise.
        List<String> jvm = new ArrayList<>();
        List<String> profilerArgs = new ArrayList<>();
        for (String arg : args) {
            (arg.startsWith("-J") ? jvm : profilerArgs).add(arg.startsWith("-J") ? arg.substring(2) : arg);
        }
        if (testHeap && jvm.stream().noneMatch(option -> option.startsWith("-Xmx"))) {
            jvm.add("-Xmx" + System.getProperty("profiler.heap", "128m"));
        }
        args = profilerArgs.toArray(String[]::new);
        List<String> command = new ArrayList<>(launcher);
        command.add(javaBinary());
        command.addAll(jvm);
        command.addAll(List.of("-jar", jar().toString(), "-o", transcript.toString(), "--json", jsonLines.toString()));
        String attach = System.getProperty("httpprofiler.attach");
        if (attach != null && List.of(args).stream().noneMatch(a -> a.startsWith("--attach"))) {
            command.add("--attach=" + attach);
        }
        command.addAll(List.of(args));
        // stdout stays empty unless a thread dump is asked for (see threadDump). Not in dir: the profiler makes that
        // directory itself, and some tests watch what it does there.
        Path stdout = Files.createTempFile("profiler-stdout", ".txt");
        stdout.toFile().deleteOnExit();
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        Path keep = Path.of(System.getProperty("e2e.traces", "target/e2e-traces")).resolve(caller);
        ProfilerProcess profiler = new ProfilerProcess(process, transcript, jsonLines, keep);
        long readySeconds = 60L * E2e.SLOWDOWN;
        if (!profiler.ready.await(readySeconds, TimeUnit.SECONDS)) {
            String state = process.isAlive() ? "still running; its threads:\n" + threadDump(process.pid(), stdout)
                    : "exited with " + process.exitValue();
            process.destroyForcibly();
            fail("profiler did not become ready within " + readySeconds + " s (" + state + "); stderr: "
                    + profiler.stderr);
        }
        return profiler;
    }

    /**
     * What a stuck profiler is doing, for the failure message: SIGQUIT makes the JVM print its threads to stdout (which
     * goes to a file for this); works with a bare JRE, where there is no jcmd.
     */
    private static String threadDump(long pid, Path stdout) {
        try {
            new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(2000);
            return Files.readString(stdout, StandardCharsets.UTF_8);
        } catch (IOException | InterruptedException e) {
            return "(no thread dump: " + e + ")";
        }
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

    /**
     * Every exchange written so far. Only complete lines count: the profiler may be in the middle of writing the last one
     * (a line is valid JSON once its newline is written, and the writer flushes whole lines).
     */
    public List<JsonNode> exchanges() throws IOException {
        List<JsonNode> result = new ArrayList<>();
        if (!Files.exists(jsonLines)) {
            return result;
        }
        String text = Files.readString(jsonLines, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return result;
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (!line.isBlank()) {
                result.add(JSON.readTree(line));
            }
        }
        return result;
    }

    /** Waits until at least {@code count} exchanges match the predicate and returns those that match. */
    public List<JsonNode> awaitMatching(Predicate<JsonNode> match, int count, Duration timeout)
            throws IOException, InterruptedException {
        return awaitExchanges(all -> all.stream().filter(match).count() >= count, timeout).stream().filter(match)
                .toList();
    }

    /** The raw JSON Lines file as written. */
    public String jsonLinesText() throws IOException {
        return Files.exists(jsonLines) ? Files.readString(jsonLines, StandardCharsets.UTF_8) : "";
    }

    public Path transcriptPath() {
        return transcript;
    }

    public Path jsonLinesPath() {
        return jsonLines;
    }

    public String transcript() throws IOException {
        return Files.exists(transcript) ? Files.readString(transcript, StandardCharsets.UTF_8) : "";
    }

    public List<String> stderr() {
        return List.copyOf(stderr);
    }

    /** SIGTERM, like a container stop: the profiler must flush, print totals and exit 0. */
    public int stop() throws InterruptedException {
        assertRunning();
        // Process.destroy() would also close our end of the stderr pipe, losing the totals line: signal the handle only.
        process.toHandle().destroy();
        return awaitExit("SIGTERM");
    }

    /** Sends a signal by name (INT, TERM, ...) with kill(1), as a shell user would, and waits for the exit. */
    public int stopWith(String signal) throws InterruptedException, IOException {
        assertRunning();
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
        return awaitExit("SIG" + signal);
    }

    /** The profiler must still run when a test is done with it: it never ends by itself without --duration. */
    public void assertRunning() throws InterruptedException {
        if (!process.isAlive()) {
            stderrReader.join(5_000);
            fail("the profiler ended by itself with exit code " + process.exitValue() + "; stderr: " + stderr);
        }
    }

    /** Waits for the process to end on its own (e.g. --duration) and returns its exit code. */
    public int awaitExit(String cause) throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("profiler did not exit within 30 s of " + cause);
        }
        stderrReader.join(5_000); // the last lines (the totals) may still be in the pipe
        return process.exitValue();
    }

    public void stopAndExpectCleanExit() throws InterruptedException {
        assertEquals(0, stop(), "exit code after SIGTERM; stderr: " + stderr);
        assertTrue(stderr().stream().anyMatch(l -> l.contains("stopped") && l.contains("exchanges")),
                () -> "no totals line after SIGTERM; stderr: " + stderr);
    }

    /** What a suite's servers need done once the profiler is down (each checks for itself whether it started). */
    @FunctionalInterface
    interface Teardown {
        void run() throws Exception;
    }

    /**
     * The {@code @AfterAll} of a suite that shares one profiler: a clean exit is asserted, but the profiler's outputs are
     * kept and the suite's servers stopped even when it is not, or when the profiler never started (a skipped suite).
     */
    static void stopCleanlyThen(ProfilerProcess profiler, Teardown servers) throws Exception {
        try {
            if (profiler != null) {
                profiler.stopAndExpectCleanExit();
            }
        } finally {
            if (profiler != null) {
                profiler.close();
            }
            servers.run();
        }
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the profiler if it still runs, and keeps a copy of its outputs under target/e2e-traces/TestClass/. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            Files.createDirectories(keepDir);
            for (Path file : List.of(transcript, jsonLines)) {
                if (Files.exists(file)) {
                    Files.copy(file, keepDir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.write(keepDir.resolve("stderr.txt"), stderr(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("could not keep profiler outputs in " + keepDir + ": " + e);
        }
    }
}
