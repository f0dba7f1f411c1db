package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.httpprofiler.bpf.Mounts;
import io.httpprofiler.capture.CaptureStartException;
import io.httpprofiler.capture.Preflight;
import io.httpprofiler.capture.Tracefs;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Small helpers shared by the end-to-end tests: preconditions, ports, child processes, reading exchange records. */
final class E2e {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** Only reached when something is wrong: the profiler writes an exchange within ~100 ms of its last byte. */
    /**
     * How much slower than this host the machine is: the kernel matrix runs these tests in a qemu guest without KVM, where
     * a JVM starts 4-6 times slower ({@code -Dhttpprofiler.slowdown=4}). Deadlines only: no assertion depends on it.
     */
    static final int SLOWDOWN = Integer.getInteger("httpprofiler.slowdown", 1);
    static final Duration WAIT = Duration.ofSeconds(15L * SLOWDOWN);
    /**
     * For exchanges whose completion only the profiler's own bookkeeping can reveal (no later byte, no close): the
     * contract says a second; the margin is for a loaded CI machine. A profiler that only writes them when an idle
     * timeout fires or at exit fails this.
     */
    static final Duration PROMPT = Duration.ofSeconds(3);
    static final long TEST_PID = ProcessHandle.current().pid();

    private E2e() {
    }

    /** Root (or CAP_BPF + CAP_PERFMON), BTF, tracefs: what the profiler itself checks, so a skip names the real cause. */
    static void assumeCanTrace() {
        String reason = null;
        try {
            new Preflight(Path.of("/")).check();
            Tracefs.ensureMounted(Mounts::mountTracefs);
        } catch (CaptureStartException e) {
            reason = e.getMessage();
        }
        if (reason != null) {
            System.err.println("SKIPPED (needs BPF): " + reason);
        }
        String why = reason;
        Assumptions.assumeTrue(reason == null, () -> "needs BPF: " + why);
    }

    /**
     * A peer program the test drives must be on the PATH (scripts/setup.sh installs it); skipped, saying so, where it
     * is not.
     */
    static void assumeCommand(String command, String debianPackage) {
        boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, command)));
        if (!found) {
            System.err.println("SKIPPED: " + command + " missing (apt-get install -y " + debianPackage + ")");
        }
        Assumptions.assumeTrue(found, () -> command + " not installed");
    }

    /** A port free right now on 127.0.0.1 (for servers that must be told their port before they start). */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            return socket.getLocalPort();
        }
    }

    /**
     * A JDK HttpServer on an ephemeral port of this address, already serving every path with the handler on the given
     * threads (the caller owns them: it may share them between servers and shuts them down itself).
     */
    static HttpServer startHttpServer(InetAddress address, int backlog, HttpHandler handler, Executor threads)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), backlog);
        server.createContext("/", handler);
        server.setExecutor(threads);
        server.start();
        return server;
    }

    /** Stops a server from {@link #startHttpServer} and its threads (null: it never started). */
    static void stopHttpServer(HttpServer server, ExecutorService threads) {
        if (server != null) {
            server.stop(0);
            threads.shutdownNow();
        }
    }

    /** What a raw test server does with one accepted connection (which is closed afterwards). */
    @FunctionalInterface
    interface ConnectionHandler {
        void serve(Socket connection) throws IOException;
    }

    /**
     * Accepts until the server socket is closed, each connection served on the pool so that a slow one holds up no other.
     * A handler's IOException ends only its own connection: the client may go away at any point.
     */
    static void acceptEach(ServerSocket server, ExecutorService pool, ConnectionHandler handler) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException closed) {
                return;
            }
            pool.submit(() -> {
                try (socket) {
                    handler.serve(socket);
                }
                return null;
            });
        }
    }

    /**
     * Starts a server process (output and errors to {@code log}) and waits until it accepts on 127.0.0.1:port (20 s,
     * times {@link #SLOWDOWN}). Call it before the profiler starts: the probes are traced.
     */
    static Process startListening(Path log, int port, String... command) throws IOException, InterruptedException {
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitListening(port, server, Duration.ofSeconds(20L * SLOWDOWN));
        return server;
    }

    /** Polls until something accepts on 127.0.0.1:port. Call it before the profiler starts: these probes are traced. */
    static void awaitListening(int port, Process process, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(LOOPBACK, port), 200);
                return;
            } catch (IOException notYet) {
                if (process != null && !process.isAlive()) {
                    fail("server process exited with " + process.exitValue() + " before listening on " + port);
                }
                if (System.nanoTime() > deadline) {
                    fail("nothing listening on 127.0.0.1:" + port + " after " + timeout);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Runs a short command to completion, output to the log file; returns the finished process (for pid and exit code). */
    static Process run(Path log, Duration timeout, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + timeout + "; output: " + Files.readString(log));
        }
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed: " + Files.readString(log));
        return process;
    }

    /** curl, silent but for errors, run to completion with its output appended to dir/curl.log. */
    static Process curl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS"));
        command.addAll(List.of(args));
        return run(dir.resolve("curl.log"), Duration.ofSeconds(20), command.toArray(String[]::new));
    }

    /** The native id of the calling thread (what the kernel and the profiler's {@code tid} call it). */
    static int currentTid() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "<pid>/task/<tid>"
            return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- reading exchange records -------------------------------------------------------------------------------

    static String role(JsonNode exchange) {
        return exchange.path("role").asText();
    }

    static String target(JsonNode exchange) {
        return exchange.path("request").path("target").asText(null);
    }

    /** Records of one role whose request target starts with the prefix. */
    static Predicate<JsonNode> targetStarts(String role, String prefix) {
        return e -> role.equals(role(e)) && target(e) != null && target(e).startsWith(prefix);
    }

    /** Records of one role whose request target is exactly this. */
    static Predicate<JsonNode> targetIs(String role, String target) {
        return e -> role.equals(role(e)) && target.equals(target(e));
    }

    /** The only record of this role with this exact target (fails if there are several: each must be recorded once). */
    static JsonNode single(List<JsonNode> exchanges, String role, String target) {
        List<JsonNode> found = exchanges.stream().filter(targetIs(role, target)).toList();
        assertEquals(1, found.size(), () -> "records of " + role + " " + target + ": " + found);
        return found.get(0);
    }

    /** A body's bytes: UTF-8 of the text, or the decoded base64. */
    static byte[] bodyBytes(JsonNode message) {
        String body = message.path("body").asText();
        return "base64".equals(message.path("body_encoding").asText()) ? Base64.getDecoder().decode(body)
                : body.getBytes(StandardCharsets.UTF_8);
    }

    /** Header pairs as ["Name","value"] strings, in order, for readable assertion messages. */
    static List<List<String>> headers(JsonNode message) {
        List<List<String>> result = new ArrayList<>();
        for (JsonNode pair : message.path("headers")) {
            assertEquals(2, pair.size(), () -> "header pair " + pair);
            result.add(List.of(pair.get(0).asText(), pair.get(1).asText()));
        }
        return result;
    }

    /** The first value of a header, case-insensitive name, or null. */
    static String header(JsonNode message, String name) {
        for (List<String> pair : headers(message)) {
            if (pair.get(0).equalsIgnoreCase(name)) {
                return pair.get(1);
            }
        }
        return null;
    }

    static List<String> notes(JsonNode exchange) {
        List<String> result = new ArrayList<>();
        exchange.path("notes").forEach(n -> result.add(n.asText()));
        return result;
    }

    static void assertNoNotes(JsonNode exchange) {
        assertTrue(notes(exchange).isEmpty(), () -> "unexpected notes " + notes(exchange) + " in " + exchange);
    }

    /** The two records of one loopback exchange must describe the same connection from its two ends. */
    static void assertSameConnection(JsonNode client, JsonNode server) {
        assertEquals("client", role(client));
        assertEquals("server", role(server));
        assertEquals(client.path("local").asText(), server.path("remote").asText(), "client local = server remote");
        assertEquals(client.path("remote").asText(), server.path("local").asText(), "client remote = server local");
    }
}
