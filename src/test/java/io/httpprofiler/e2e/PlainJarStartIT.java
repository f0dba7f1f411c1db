package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar http-profiler.jar ...} as a user types it, without bin/jvm.options: the profiler restarts itself,
 * in the same process, with that file's settings (the same footprint however it is started), and works as usual;
 * with {@code HTTP_PROFILER_JVM=as-is} it keeps the JVM as started.
 */
@Tag("root")
class PlainJarStartIT {
    @TempDir
    Path dir;

    @Test
    void aPlainJavaJarStartRunsWithTheMeasuredJvmSettingsInTheSameProcess() throws Exception {
        E2e.assumeCanTrace();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        HttpServer server = E2e.startHttpServer(E2e.LOOPBACK, 0, exchange -> {
            byte[] body = "plain".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        }, threads);
        try {
            int port = server.getAddress().getPort();
            ProfilerProcess profiler = ProfilerProcess.startPlain(Map.of(), dir, "--port", Integer.toString(port));
            try {
                List<String> commandLine = commandLine(profiler.pid());
                assertTrue(commandLine.contains("-Xmx64m"), () -> "bin/jvm.options' heap: " + commandLine);
                assertTrue(commandLine.contains("-XX:+UseSerialGC"), commandLine::toString);
                assertTrue(commandLine.contains("-Dhttpprofiler.jvm-options=applied"), commandLine::toString);
                assertEquals(1, commandLine.stream().filter("-jar"::equals).count(), "restarted once, no more");

                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/plain-start")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals("plain", response.body());
                List<JsonNode> all = profiler.awaitExchanges(list -> list.stream()
                        .filter(E2e.targetIs("server", "/plain-start")).count() == 1, E2e.WAIT);
                assertEquals("plain", E2e.single(all, "server", "/plain-start").path("response").path("body").asText());
            } finally {
                // SIGINT to the process that was started reaches the restarted profiler: clean exit, totals printed
                profiler.stopAndExpectCleanExit();
            }
            assertTrue(profiler.stderr().stream().anyMatch(line -> line.startsWith("http-profiler stopped:")),
                    () -> String.join("\n", profiler.stderr()));
        } finally {
            E2e.stopHttpServer(server, threads);
        }
    }

    @Test
    void asIsKeepsTheJvmAsStarted() throws Exception {
        E2e.assumeCanTrace();
        ProfilerProcess profiler = ProfilerProcess.startPlain(Map.of("HTTP_PROFILER_JVM", "as-is"), dir,
                "--port", Integer.toString(E2e.freePort()));
        try {
            List<String> commandLine = commandLine(profiler.pid());
            assertFalse(commandLine.stream().anyMatch(a -> a.startsWith("-Xmx") || a.startsWith("-D")),
                    () -> "no settings added: " + commandLine);
        } finally {
            profiler.stopAndExpectCleanExit();
        }
    }

    private static List<String> commandLine(long pid) throws IOException {
        String all = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
        return Arrays.asList(all.split("\0"));
    }
}
