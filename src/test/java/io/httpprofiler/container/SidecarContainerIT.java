package io.httpprofiler.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Volume;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The sidecar of container/docker-compose.yml, driven through Testcontainers: the demo app (test/app) in a container,
 * the profiler image in a second one that joins the app's network and PID namespaces, with the host's tracefs mounted
 * read-only, the privilege the engine needs, and a traces directory bind-mounted at /traces. Requests go to the app
 * through its published port while a web server in this JVM, on the host's loopback, gets requests too. The trace must
 * show every request to the app as a server exchange of the app's own process (PID 1 in its namespace, python3), the
 * app's call to its backend, and nothing else (none of the host's traffic, no other process).
 * <p>
 * Images: by default both are built from this tree with {@link ImageFromDockerfile} (the engine's layer cache makes a
 * rebuild cheap), tagged {@code http-profiler:it} and {@code http-profiler-demo-app:it}, on the local base images that
 * test/container/make-base-images.sh makes (nothing is ever pulled: no registry is reachable here). The Maven
 * repository seed for the build comes from container/maven-repo/ if it is filled, else from the machine-level cache the
 * container scripts keep ({@code $HTTP_PROFILER_CACHE/maven-repo}, default /var/cache/http-profiler). System
 * properties: {@code httpprofiler.it.profiler-image} / {@code httpprofiler.it.app-image} use existing images instead;
 * {@code httpprofiler.it.build-image}, {@code httpprofiler.it.runtime-image}, {@code httpprofiler.it.python-image} name
 * other base images.
 * <p>
 * Without a Docker engine the test is skipped, with the reason printed; the same scenario runs in CI through
 * test/container/compose-e2e.sh (the real compose file). Ryuk is off (TESTCONTAINERS_RYUK_DISABLED, set by the pom's
 * failsafe configuration): the test removes its containers itself.
 */
@Tag("container")
class SidecarContainerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path REPO = Path.of(System.getProperty("project.basedir", ".")).toAbsolutePath().normalize();
    private static final int APP_PORT = 8080;
    private static final int BACKEND_PORT = 8081;
    /** The demo app is its container's command, so PID 1 of the PID namespace the profiler shares. */
    private static final long APP_PID = 1;

    /** Why every test skips (set-up found something missing), or null. */
    private static String skipReason;
    private static GenericContainer<?> app;
    private static GenericContainer<?> profiler;
    private static HttpServer decoy;
    private static Path traces;
    private static String nonce;
    private static String decoyMarker;
    private static long profilerExitCode = -1;
    private static String profilerLogs = "";
    private static List<JsonNode> records = List.of();
    private static String transcript = "";

    /** What the test sends to the app: method, target, expected status, a string the response body must contain. */
    private record Call(String method, String target, int status, String bodyHas) {
    }

    private static List<Call> calls() {
        return List.of(
                new Call("GET", "/", 200, null),
                new Call("GET", "/users", 200, "alice"),
                new Call("GET", "/user/2", 200, "bob"),
                new Call("GET", "/user/9", 404, null),
                new Call("GET", "/message?text=it-" + nonce, 200, "it-" + nonce),
                new Call("GET", "/health", 200, "ok"),
                new Call("GET", "/slow?ms=300", 200, null),
                new Call("GET", "/chunked", 200, null),
                new Call("GET", "/gzip", 200, null),
                new Call("POST", "/echo", 200, "echo-" + nonce),
                new Call("GET", "/proxy?path=/user/1", 200, "alice"));
    }

    @BeforeAll
    static void setUp() throws Exception {
        skipReason = ContainerAssumptions.setUp(SidecarContainerIT::start);
    }

    @BeforeEach
    void ready() {
        ContainerAssumptions.assumeReady(skipReason);
    }

    private static void start() throws Exception {
        assumeDocker();
        if (!Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            ContainerAssumptions.skip("TESTCONTAINERS_RYUK_DISABLED=true is not set (Maven's failsafe sets it): "
                    + "Testcontainers would pull its Ryuk image, and no registry is reachable here");
        }
        if (!Files.isDirectory(Path.of("/sys/kernel/tracing/events"))) {
            ContainerAssumptions.skip("tracefs is not mounted at /sys/kernel/tracing on this host "
                    + "(mount -t tracefs nodev /sys/kernel/tracing)");
        }
        DockerClient docker = DockerClientFactory.instance().client();
        String profilerImage = profilerImage(docker);
        String appImage = appImage(docker);

        nonce = Long.toString(System.currentTimeMillis(), 36);
        decoyMarker = "host-decoy-" + nonce;
        traces = Files.createDirectories(REPO.resolve("target/container-it/sidecar-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        System.err.println("[sidecar] images " + profilerImage + ", " + appImage + "; traces in " + traces);

        app = new GenericContainer<>(DockerImageName.parse(appImage))
                .withImagePullPolicy(image -> false)
                .withExposedPorts(APP_PORT)
                // Not Wait.forHttp: it asks Testcontainers for the engine's host address, which where /.dockerenv
                // exists (as here) means running an alpine container to find the gateway, i.e. a pull that never ends.
                .waitingFor(Wait.forLogMessage(".*demo app listening.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(60)));
        app.start();
        String appId = app.getContainerId();
        Capability[] privilege = privilege(docker);
        profiler = new GenericContainer<>(DockerImageName.parse(profilerImage))
                .withImagePullPolicy(image -> false)
                // The app's network namespace (what --netns self then traces) and PID namespace (its PIDs).
                .withNetworkMode("container:" + appId)
                // The binds go straight into the host config: Testcontainers' withFileSystemBind first checks that
                // mounting works by running an alpine container, which means a pull (and a 3.5 min retry loop here).
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withPidMode("container:" + appId)
                        .withCapAdd(privilege)
                        .withBinds(
                                // Tracepoints are looked up in tracefs, which a container does not have by itself.
                                new Bind("/sys/kernel/tracing", new Volume("/sys/kernel/tracing"), AccessMode.ro),
                                new Bind(traces.toString(), new Volume("/traces"), AccessMode.rw)))
                .withCommand("--json", "traces/http-trace.jsonl")
                .waitingFor(Wait.forLogMessage(".*http-profiler ready.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(90)));
        long t0 = System.nanoTime();
        profiler.start();
        System.err.printf("[sidecar] profiler ready after %d ms (privilege %s): %s%n",
                (System.nanoTime() - t0) / 1_000_000, List.of(privilege), readyLine(profiler.getLogs()));

        decoy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        decoy.createContext("/", exchange -> {
            byte[] body = "decoy\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        decoy.start();

        driveTraffic();
        stopProfilerAndRead();
    }

    @AfterAll
    static void tearDown() {
        // The profiler first: it lives in the app's namespaces.
        for (GenericContainer<?> container : new GenericContainer<?>[]{profiler, app}) {
            if (container != null) {
                try {
                    container.stop();
                } catch (RuntimeException e) {
                    System.err.println("[sidecar] could not remove " + container.getContainerId() + ": " + e);
                }
            }
        }
        if (decoy != null) {
            decoy.stop(0);
        }
    }

    // --- the checks -----------------------------------------------------------------------------------------------

    @Test
    void everyRequestIsAServerExchangeOfTheApp() {
        for (Call call : calls()) {
            JsonNode r = find("server", call.method(), call.target(), APP_PORT, true)
                    .orElseGet(() -> fail("no server exchange " + call.method() + " " + call.target() + " on :"
                            + APP_PORT + " in " + summary()));
            assertEquals(call.status(), r.path("response").path("status").asInt(), () -> "status of " + r);
            if (call.bodyHas() != null) {
                assertTrue(body(r.path("response")).contains(call.bodyHas()),
                        () -> "response body of " + call.target() + " should contain " + call.bodyHas() + ": " + r);
            }
        }
        JsonNode echo = find("server", "POST", "/echo", APP_PORT, true).orElseThrow();
        assertEquals("echo-" + nonce, body(echo.path("request")), "POST /echo request body");
        JsonNode slow = find("server", "GET", "/slow?ms=300", APP_PORT, true).orElseThrow();
        assertTrue(slow.path("duration_ms").asDouble() >= 250, () -> "/slow duration: " + slow);
        assertTrue(transcript.contains("GET /message?text=it-" + nonce), "the text transcript shows the requests");
    }

    @Test
    void theAppsCallToItsBackendIsSeenFromBothEnds() {
        assertTrue(find("client", "GET", "/user/1", BACKEND_PORT, false).isPresent(),
                () -> "no client exchange GET /user/1 -> :" + BACKEND_PORT + " in " + summary());
        assertTrue(find("server", "GET", "/user/1", BACKEND_PORT, true).isPresent(),
                () -> "no server exchange GET /user/1 on :" + BACKEND_PORT + " in " + summary());
    }

    @Test
    void pidsAreTheAppsOwnAndNothingElseIsTraced() {
        assertFalse(records.isEmpty(), "no records at all");
        Set<Long> pids = new TreeSet<>();
        Set<String> comms = new TreeSet<>();
        records.forEach(r -> {
            pids.add(r.path("pid").asLong());
            comms.add(r.path("comm").asText());
        });
        assertEquals(Set.of(APP_PID), pids, () -> "PIDs in the trace (the app is PID 1 in the namespace the "
                + "profiler shares): " + summary());
        assertEquals(Set.of("python3"), comms, () -> "commands in the trace: " + summary());
        assertTrue(transcript.contains("PID 1 (python3) server"), "the transcript names the app's PID");
        List<JsonNode> leaked = records.stream().filter(r -> r.toString().contains(decoyMarker)).toList();
        assertTrue(leaked.isEmpty() && !transcript.contains(decoyMarker),
                () -> "the host's own traffic (" + decoyMarker + ") must not be traced: " + leaked);
        // Exactly what was sent: each call once on :8080, plus the backend's two ends of the /proxy call.
        assertEquals(calls().size() + 2, records.size(), () -> "records: " + summary());
    }

    @Test
    void profilerExitsCleanlyOnStop() {
        assertEquals(0, profilerExitCode, () -> "profiler exit code on docker stop; logs:\n" + profilerLogs);
        assertTrue(profilerLogs.lines().anyMatch(l -> l.contains("stopped") && l.contains("exchanges")),
                () -> "no totals line on stop; logs:\n" + profilerLogs);
    }

    // --- traffic and reading the trace ----------------------------------------------------------------------------

    private static void driveTraffic() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        // The engine is local (the traces directory is a bind mount of ours): its published ports are on loopback.
        String base = "http://127.0.0.1:" + app.getMappedPort(APP_PORT);
        String decoyBase = "http://127.0.0.1:" + decoy.getAddress().getPort() + "/" + decoyMarker;
        for (int i = 0; i < 3; i++) {
            send(http, HttpRequest.newBuilder(URI.create(decoyBase)).GET(), 200);
        }
        for (Call call : calls()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + call.target()))
                    .timeout(Duration.ofSeconds(10));
            if (call.method().equals("POST")) {
                request.header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("echo-" + nonce));
            }
            send(http, request, call.status());
        }
        for (int i = 0; i < 3; i++) {
            send(http, HttpRequest.newBuilder(URI.create(decoyBase)).GET(), 200);
        }
        // The profiler writes an exchange within ~100 ms of its end: wait for the last one, then a little more.
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!Files.exists(traces.resolve("http-trace.jsonl"))
                || !Files.readString(traces.resolve("http-trace.jsonl")).contains("/proxy?path=/user/1")) {
            if (System.nanoTime() > deadline) {
                fail("the requests did not reach " + traces + "/http-trace.jsonl within 15 s; profiler logs:\n"
                        + profiler.getLogs());
            }
            Thread.sleep(50);
        }
        Thread.sleep(500);
    }

    private static void send(HttpClient http, HttpRequest.Builder request, int status) throws Exception {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), () -> request.build().uri() + ": " + response.body());
    }

    /** docker stop (SIGTERM, as compose down does): the profiler drains, flushes, prints totals, exits 0. */
    private static void stopProfilerAndRead() throws IOException {
        DockerClient docker = DockerClientFactory.instance().client();
        String id = profiler.getContainerId();
        docker.stopContainerCmd(id).withTimeout(15).exec();
        Long code = docker.inspectContainerCmd(id).exec().getState().getExitCodeLong();
        profilerExitCode = code == null ? -1 : code;
        profilerLogs = profiler.getLogs();
        Files.writeString(traces.resolve("profiler.log"), profilerLogs);
        List<JsonNode> parsed = new ArrayList<>();
        Path jsonLines = traces.resolve("http-trace.jsonl");
        for (String line : Files.readAllLines(jsonLines, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                parsed.add(JSON.readTree(line));
            }
        }
        records = parsed;
        transcript = Files.readString(traces.resolve("http-trace.txt"), StandardCharsets.UTF_8);
        System.err.println("[sidecar] " + records.size() + " exchanges; " + profilerLogs.lines()
                .filter(l -> l.contains("stopped")).findFirst().orElse("(no totals line)"));
    }

    private static Optional<JsonNode> find(String role, String method, String target, int port, boolean local) {
        return records.stream().filter(r -> role.equals(r.path("role").asText())
                && method.equals(r.path("request").path("method").asText())
                && target.equals(r.path("request").path("target").asText())
                && r.path(local ? "local" : "remote").asText().endsWith(":" + port)).findFirst();
    }

    private static String body(JsonNode message) {
        String body = message.path("body").asText("");
        return "base64".equals(message.path("body_encoding").asText())
                ? new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8) : body;
    }

    private static String summary() {
        StringBuilder out = new StringBuilder(records.size() + " records:");
        for (JsonNode r : records) {
            out.append("\n  pid ").append(r.path("pid")).append(' ').append(r.path("comm").asText()).append(' ')
                    .append(r.path("role").asText()).append(' ').append(r.path("local").asText()).append(' ')
                    .append(r.path("request").path("method").asText()).append(' ')
                    .append(r.path("request").path("target").asText()).append(" -> ")
                    .append(r.path("response").path("status"));
        }
        return out.toString();
    }

    private static String readyLine(String logs) {
        return logs.lines().filter(l -> l.contains("ready")).findFirst().orElse("");
    }

    // --- engine, privileges, images -------------------------------------------------------------------------------

    private static void assumeDocker() {
        boolean available;
        String why = "";
        try {
            available = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            available = false;
            why = ": " + e.getMessage();
        }
        if (!available) {
            ContainerAssumptions.skip("no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)" + why
                    + "; the same scenario runs with the real compose file in test/container/compose-e2e.sh");
        }
    }

    /**
     * CAP_BPF + CAP_PERFMON where the engine knows them (Docker >= 23); Docker 20.10 rejects them as unknown and its
     * seccomp profile allows bpf() only with SYS_ADMIN (see QUICKSTART.md, privileges per engine).
     */
    private static Capability[] privilege(DockerClient docker) {
        String version = docker.versionCmd().exec().getVersion();
        int major;
        try {
            major = Integer.parseInt(version.replaceAll("^(\\d+).*$", "$1"));
        } catch (NumberFormatException e) {
            major = 0;
        }
        return major >= 23 ? new Capability[]{Capability.BPF, Capability.PERFMON}
                : new Capability[]{Capability.SYS_ADMIN};
    }

    private static String profilerImage(DockerClient docker) throws IOException, NoSuchAlgorithmException {
        String given = System.getProperty("httpprofiler.it.profiler-image");
        if (given != null) {
            requireLocal(docker, given, "httpprofiler.it.profiler-image");
            return given;
        }
        Map<String, String> args = new LinkedHashMap<>();
        String build = baseImage(docker, "httpprofiler.it.build-image", "http-profiler-base/build:bookworm");
        args.put("BPF_BUILD_IMAGE", build);
        args.put("BUILD_IMAGE", build);
        args.put("RUNTIME_IMAGE", baseImage(docker, "httpprofiler.it.runtime-image",
                "http-profiler-base/runtime:bookworm"));
        Path seed = mavenSeed();
        return build(() -> {
            @SuppressWarnings("deprecation") // withDockerfile(Path) would parse the Dockerfile and pull its FROMs
            ImageFromDockerfile image = new ImageFromDockerfile("http-profiler:it", false)
                    .withDockerfilePath("container/Dockerfile");
            // What the repository's .dockerignore lets through, nothing more.
            for (String path : List.of("pom.xml", "Makefile", "bpf", "src/main", "container/Dockerfile",
                    "bin/jvm.options")) {
                image.withFileFromPath(path, REPO.resolve(path));
            }
            image.withFileFromPath("container/maven-repo", seed);
            return image.withBuildArgs(args);
        }, "http-profiler:it");
    }

    private static String appImage(DockerClient docker) {
        String given = System.getProperty("httpprofiler.it.app-image");
        if (given != null) {
            requireLocal(docker, given, "httpprofiler.it.app-image");
            return given;
        }
        String base = baseImage(docker, "httpprofiler.it.python-image", "http-profiler-base/python:bookworm");
        return build(() -> new ImageFromDockerfile("http-profiler-demo-app:it", false)
                .withFileFromPath(".", REPO.resolve("test/app"))
                .withBuildArg("APP_BASE_IMAGE", base), "http-profiler-demo-app:it");
    }

    private static String build(Supplier<ImageFromDockerfile> image, String name) {
        long t0 = System.nanoTime();
        try {
            image.get().get();
        } catch (Exception e) {
            fail("building " + name + " failed: " + e.getMessage(), e);
        }
        System.err.printf("[sidecar] built %s in %d s%n", name, (System.nanoTime() - t0) / 1_000_000_000);
        return name;
    }

    /** A base image the engine has locally; never pulled. */
    private static String baseImage(DockerClient docker, String property, String local) {
        String name = System.getProperty(property, local);
        requireLocal(docker, name, property);
        return name;
    }

    private static void requireLocal(DockerClient docker, String image, String property) {
        try {
            docker.inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            ContainerAssumptions.skip("image " + image + " is not in the local engine and nothing is pulled here: "
                    + "make it with `sudo test/container/make-base-images.sh`, or name another with -D" + property);
        }
    }

    /**
     * The Maven repository the image build starts from (container/Dockerfile copies container/maven-repo/): the clone's
     * if test/container/lib.sh filled it for this pom.xml, else the machine-level cache it fills, else whichever was
     * filled for another pom.xml, else the clone's as it is (then the build's Maven needs Maven Central).
     */
    private static Path mavenSeed() throws IOException, NoSuchAlgorithmException {
        Path inClone = REPO.resolve("container/maven-repo");
        Path cache = Path.of(Optional.ofNullable(System.getenv("HTTP_PROFILER_CACHE"))
                .orElse("/var/cache/http-profiler")).resolve("maven-repo");
        // lib.sh's stamp: the first 16 hex digits of pom.xml's SHA-256.
        String stamp = ".seeded-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(REPO.resolve("pom.xml")))).substring(0, 16);
        for (Path candidate : List.of(inClone, cache)) {
            if (Files.exists(candidate.resolve(stamp))) {
                return candidate;
            }
        }
        for (Path candidate : List.of(inClone, cache)) {
            try (Stream<Path> files = Files.list(candidate)) {
                if (files.anyMatch(f -> f.getFileName().toString().startsWith(".seeded-"))) {
                    System.err.println("[sidecar] Maven repository seed " + candidate + " was made for another "
                            + "pom.xml: what it lacks, the build's Maven must fetch");
                    return candidate;
                }
            } catch (IOException notThere) {
                // next
            }
        }
        System.err.println("[sidecar] no Maven repository seed (container/maven-repo or " + cache
                + "): the image build's Maven must reach Maven Central");
        return inClone;
    }
}
