package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Zipkin server (the {@code exec} jar Maven fetched into target/zipkin/) with in-memory storage on a loopback
 * port, for the export tests to send spans to and read them back through Zipkin's own API.
 */
final class ZipkinServer implements AutoCloseable {
    /** Spring Boot on two busy cores: it has taken 20 s here when the machine was quiet. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ZipkinServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static ZipkinServer start(Path dir) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("zipkin.server.jar", "target/zipkin/zipkin-server.jar"));
        assertTrue(Files.isRegularFile(jar), "Zipkin server jar missing: " + jar
                + " (mvn verify fetches it in pre-integration-test)");
        int port = E2e.freePort();
        Path log = dir.resolve("zipkin.log");
        ProcessBuilder builder = new ProcessBuilder(ProfilerProcess.javaBinary(), "-Xmx192m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "--armeria.ports[0].port=" + port, "--armeria.ports[0].ip=127.0.0.1",
                "--armeria.ports[0].protocols[0]=http")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("STORAGE_TYPE", "mem");
        builder.environment().put("SELF_TRACING_ENABLED", "false");
        ZipkinServer zipkin = new ZipkinServer(builder.start(), port, log);
        zipkin.awaitUp();
        return zipkin;
    }

    private void awaitUp() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                fail("Zipkin exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(uri("/health")).timeout(Duration.ofSeconds(5)).build(),
                        BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            if (System.nanoTime() > deadline) {
                fail("Zipkin not up within " + START_TIMEOUT + ":\n" + Files.readString(log));
            }
            Thread.sleep(500);
        }
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    /** Where the profiler posts spans. */
    String spansEndpoint() {
        return uri("/api/v2/spans").toString();
    }

    int port() {
        return port;
    }

    JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
        var response = http.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
                BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            fail("Zipkin " + pathAndQuery + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Every span of every trace of this service Zipkin holds (its API lower-cases service names). */
    List<JsonNode> spansOf(String service) throws IOException, InterruptedException {
        List<JsonNode> spans = new ArrayList<>();
        for (JsonNode trace : get("/api/v2/traces?limit=1000&lookback=3600000&serviceName=" + service)) {
            trace.forEach(spans::add);
        }
        return spans;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
