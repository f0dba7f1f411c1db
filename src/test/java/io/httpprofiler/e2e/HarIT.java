package io.httpprofiler.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.httpprofiler.e2e.E2e.LOOPBACK;
import static io.httpprofiler.e2e.E2e.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The HAR export checked by third parties (test/har: npm's har-validator, the HAR 1.2 schema, and har-to-k6, Grafana's
 * converter of HAR into k6 load-test scripts, with its own validation): a REST-ish mix, rotated into several files,
 * stopped with SIGINT. Every file, the rotated ones too, must be valid HAR on its own, together they hold every exchange,
 * the k6 script must replay every request exercised, and every file (of every output, rotated or live) must be 0600.
 *
 * <p>The npm packages are installed into test/har/node_modules by scripts/setup.sh, or here when missing; the test is
 * skipped, saying so, only when npm cannot reach its registry.
 */
@Tag("root")
class HarIT {
    private static final Path TOOLS = Path.of("test", "har");

    @TempDir
    static Path dir;
    private static HttpServer server;
    private static ExecutorService executor;

    @BeforeAll
    static void start() throws Exception {
        E2e.assumeCanTrace();
        installTools();
        executor = Executors.newFixedThreadPool(4);
        server = E2e.startHttpServer(LOOPBACK, 16, HarIT::handle, executor);
    }

    /** npm ci into test/har when scripts/setup.sh has not; no registry is the one reason to skip. */
    private static void installTools() throws IOException, InterruptedException {
        if (Files.isDirectory(TOOLS.resolve("node_modules/har-validator"))
                && Files.isDirectory(TOOLS.resolve("node_modules/har-to-openapi"))) {
            return;
        }
        Path log = Files.createTempFile("npm-ci", ".log");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(TOOLS.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!npm.waitFor(300, TimeUnit.SECONDS)) {
            npm.destroyForcibly();
        }
        if (!npm.isAlive() && npm.exitValue() == 0) {
            return;
        }
        String output = Files.readString(log);
        boolean unreachable = output.contains("ENOTFOUND") || output.contains("ECONNREFUSED")
                || output.contains("ETIMEDOUT") || output.contains("EAI_AGAIN") || output.contains("network");
        if (!unreachable) {
            fail("npm ci in " + TOOLS + " failed: " + output);
        }
        System.err.println("SKIPPED (npm registry unreachable): " + output);
        Assumptions.abort("npm registry unreachable, cannot install the HAR validator");
    }

    @AfterAll
    static void stop() {
        E2e.stopHttpServer(server, executor);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] request = exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod();
            int status = method.equals("POST") ? 201 : method.equals("DELETE") ? 204 : 200;
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            if (status == 204) {
                exchange.sendResponseHeaders(204, -1);
                return;
            }
            byte[] body = ("{\"path\":\"" + exchange.getRequestURI().getPath() + "\",\"received\":" + request.length
                    + ",\"name\":\"user " + "x".repeat(100) + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    @Test
    void rotatedHarFilesAreValidAndAConsumerReadsThem() throws Exception {
        int port = server.getAddress().getPort();
        Path out = dir.resolve("out");
        Path har = out.resolve("http-trace.har");
        int requests = 0;
        try (ProfilerProcess profiler = ProfilerProcess.start(out, "--port", Integer.toString(port), "--har",
                har.toString(), "--max-file-size", "8k", "--max-files", "50")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + port;
            for (int i = 1; i <= 8; i++) {
                String user = "{\"name\":\"user " + i + "\",\"email\":\"u" + i + "@example.com\"}";
                send(client, HttpRequest.newBuilder(URI.create(base + "/api/users"))
                        .header("Content-Type", "application/json").POST(BodyPublishers.ofString(user)));
                send(client, HttpRequest.newBuilder(URI.create(base + "/api/users/" + i + "?fields=name,email")));
                send(client, HttpRequest.newBuilder(URI.create(base + "/api/users/" + i))
                        .header("Content-Type", "application/json").PUT(BodyPublishers.ofString(user)));
                send(client, HttpRequest.newBuilder(URI.create(base + "/api/users/" + i)).DELETE());
                send(client, HttpRequest.newBuilder(URI.create(base + "/health")));
                requests += 5;
            }
            int expected = 2 * requests;
            profiler.awaitExchanges(all -> all.size() >= 0, WAIT); // (JSON Lines rotate too: counted from the HAR)
            awaitEntries(out, expected);
            assertEquals(0, profiler.stopWith("INT"), "exit code after SIGINT");
        }
        List<Path> hars = files(out, "http-trace.har");
        assertTrue(hars.size() >= 3, () -> "rotated into several HAR files: " + hars);
        List<String> command = new ArrayList<>(List.of("node", TOOLS.resolve("check-har.mjs").toString(),
                "--k6-script=" + dir.resolve("replay-k6.js")));
        hars.forEach(p -> command.add(p.toString()));
        Path log = dir.resolve("check-har.log");
        Process check = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(check.waitFor(120, TimeUnit.SECONDS), "check-har.mjs finished");
        String report = Files.readString(log);
        System.err.println("[check-har] " + report.replace("\n", "\n[check-har] "));
        assertEquals(0, check.exitValue(), report);
        int entries = report.lines().filter(l -> l.startsWith("valid ")).mapToInt(l ->
                Integer.parseInt(l.replaceAll(".*: (\\d+) entries$", "$1"))).sum();
        assertEquals(hars.size(), report.lines().filter(l -> l.startsWith("valid ")).count(), report);
        assertEquals(2 * requests, entries, "every exchange, seen from both ends, in exactly one file");
        assertTrue(report.contains("k6 script: ") && report.contains(" bytes, " + 2 * requests + " requests"), report);
        String base = "http://127.0.0.1:" + port;
        // Each request twice (the client's entry and the server's); the collection ones once per round.
        java.util.Map<String, Integer> replayed = java.util.Map.of("POST " + base + "/api/users", 16,
                "GET " + base + "/health", 16, "DELETE " + base + "/api/users/3", 2, "PUT " + base + "/api/users/8", 2,
                "GET " + base + "/api/users/5?fields=name,email", 2);
        replayed.forEach((request, times) -> assertEquals(times,
                (int) report.lines().filter(l -> l.equals(request)).count(), () -> request + " in " + report));
        try (Stream<Path> all = Files.list(out)) {
            for (Path file : all.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                        () -> file + " mode");
            }
        }
        assertTrue(files(out, "http-trace.txt").size() >= 2, "the transcript rotated too");
    }

    private static void send(HttpClient client, HttpRequest.Builder request) throws Exception {
        int status = client.send(request.build(), BodyHandlers.ofString()).statusCode();
        assertTrue(status >= 200 && status < 300, "status " + status);
    }

    /** The live file and its rotated predecessors. */
    private static List<Path> files(Path out, String name) throws IOException {
        try (Stream<Path> all = Files.list(out)) {
            return all.filter(p -> p.getFileName().toString().matches(java.util.regex.Pattern.quote(name) + "(\\.\\d+)?"))
                    .sorted().toList();
        }
    }

    /** Waits until the HAR files hold this many entries (one per line between the framing). */
    private static void awaitEntries(Path out, int expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int entries = 0;
        while (System.nanoTime() < deadline) {
            entries = 0;
            try {
                for (Path file : files(out, "http-trace.har")) {
                    entries += (int) Files.readAllLines(file).stream()
                            .filter(l -> l.startsWith("{\"startedDateTime\"")).count();
                }
            } catch (java.nio.file.NoSuchFileException rotatedMeanwhile) {
                entries = 0; // a rotation renamed a file between listing and reading: look again
            }
            if (entries >= expected) {
                return;
            }
            Thread.sleep(100);
        }
        fail("HAR entries: " + entries + " of " + expected);
    }
}
