package io.httpprofiler.container;

import com.fasterxml.jackson.databind.JsonNode;
import io.httpprofiler.e2e.ProfilerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code --netns} scoping without any container engine: the test makes a network namespace of its own ({@code ip netns
 * add}), with only its loopback up, and runs a web server and curl inside it ({@code ip netns exec}); a second web
 * server on the host's loopback, on the very same port, gets control requests from a host-side curl. Same port, same
 * address, same commands: only the network namespace tells the two apart, so only the netns filter can keep them
 * apart. Proven both ways:
 * <ul>
 *   <li>profiler on the host, {@code --netns self} (the default): the host's control exchange is recorded, the
 *       namespace's is not;</li>
 *   <li>profiler on the host, {@code --netns all}: both are;</li>
 *   <li>profiler started inside the namespace ({@code ip netns exec NS java -jar ...}), default {@code self}: the
 *       namespace's exchange is recorded, the host's is not (a sidecar's view).</li>
 * </ul>
 * Needs root (ip netns, BPF). The namespace is deleted in {@link #cleanUp()} (which also runs when {@link #setUp()}
 * fails) and, should the JVM be killed before that, by a shutdown hook; a later run removes namespaces of this test
 * whose JVM is gone.
 */
@Tag("root")
class NetnsScopingIT {
    private static final String NS_PREFIX = "hp-test-";
    /** An exchange is written within ~100 ms of its last byte: this is only reached when something is wrong. */
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** How long an exchange that must not be recorded gets to show up anyway. */
    private static final Duration GRACE = Duration.ofMillis(1500);
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";

    /**
     * The profiler without CAP_SYS_PTRACE (root, every other capability kept), as in a container with capabilities
     * dropped: the test's own processes keep theirs, so the kernel refuses it their /proc/PID/ns/net.
     */
    private static final List<String> WITHOUT_PTRACE = List.of("setpriv", "--inh-caps=-all",
            "--bounding-set=-sys_ptrace");

    /** Why every test skips (set-up found something missing), or null. */
    private static String skipReason;
    @TempDir
    static Path dir;
    /** hp-test-JVMPID-RANDOM: the JVM's pid lets a later run tell a leftover from a namespace in use. */
    private static String ns;
    private static int port;
    private static Process hostServer;
    private static Process nsServer;
    private static Thread cleanUpHook;

    @BeforeAll
    static void setUp() throws Exception {
        skipReason = ContainerAssumptions.setUp(NetnsScopingIT::start);
    }

    @BeforeEach
    void ready() {
        ContainerAssumptions.assumeReady(skipReason);
    }

    private static void start() throws Exception {
        ContainerAssumptions.assumeCanTrace();
        ContainerAssumptions.assumeCommands("ip", "curl", "setpriv", PYTHON);
        removeLeftoverNamespaces();
        ns = NS_PREFIX + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1 << 30);
        cleanUpHook = new Thread(NetnsScopingIT::deleteNamespaceQuietly, "netns-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanUpHook);
        String failure = run("ip", "netns", "add", ns);
        if (failure != null) {
            ns = null;
            ContainerAssumptions.skip("cannot create a network namespace here (" + failure.strip() + ")");
        }
        assertEquals(null, run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), "lo up in " + ns);

        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "netns scoping\n");
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        // The same port and address on both sides: only the network namespace separates them.
        hostServer = startServer(List.of(), "host", www);
        nsServer = startServer(List.of("ip", "netns", "exec", ns), "netns", www);
        awaitListening(List.of(), hostServer);
        awaitListening(List.of("ip", "netns", "exec", ns), nsServer);
        System.err.println("[netns] namespace " + ns + "; web servers on 127.0.0.1:" + port
                + " in it and on the host");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Process server : new Process[]{hostServer, nsServer}) {
            if (server != null) {
                server.destroy();
                if (!server.waitFor(5, TimeUnit.SECONDS)) {
                    server.destroyForcibly();
                }
            }
        }
        deleteNamespaceQuietly();
        if (cleanUpHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUpHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    @Test
    void hostProfilerWithNetnsSelfDoesNotSeeTheNamespace() throws Exception {
        String id = marker();
        try (ProfilerProcess profiler = ProfilerProcess.start(dir.resolve("self-host-" + id),
                "--port", Integer.toString(port))) {
            curlInNamespace("/ns-" + id);
            curlOnHost("/host-" + id);
            List<JsonNode> host = profiler.awaitMatching(target("/host-" + id), 2, WAIT);
            assertEquals(List.of("client", "server"), roles(host), "the host's control exchange, both ends: " + host);
            Thread.sleep(GRACE.toMillis());
            assertNone(profiler, "/ns-" + id, "--netns self on the host must not record the namespace's traffic");
            profiler.stopAndExpectCleanExit();
        }
    }

    @Test
    void hostProfilerWithNetnsAllSeesBoth() throws Exception {
        String id = marker();
        try (ProfilerProcess profiler = ProfilerProcess.start(dir.resolve("all-host-" + id),
                "--port", Integer.toString(port), "--netns", "all")) {
            curlInNamespace("/ns-" + id);
            curlOnHost("/host-" + id);
            List<JsonNode> inNs = profiler.awaitMatching(target("/ns-" + id), 2, WAIT);
            List<JsonNode> host = profiler.awaitMatching(target("/host-" + id), 2, WAIT);
            assertEquals(List.of("client", "server"), roles(inNs), "the namespace's exchange, both ends: " + inNs);
            assertEquals(List.of("client", "server"), roles(host), "the host's exchange, both ends: " + host);
            for (JsonNode exchange : inNs) {
                assertEquals(404, exchange.path("response").path("status").asInt(), exchange::toString);
            }
            // Same address, same port, same command: the records say which network namespace each came from.
            long nsInode = netnsInode(nsServer.pid());
            long hostInode = netnsInode(hostServer.pid());
            assertTrue(nsInode != hostInode, "two namespaces");
            // curl may be gone before the profiler reads its /proc entry (origin null: unknown, never wrong); the
            // servers run on.
            for (JsonNode exchange : inNs) {
                assertOrigin(nsInode, exchange);
            }
            for (JsonNode exchange : host) {
                assertOrigin(hostInode, exchange);
            }
            String transcript = profiler.transcript();
            assertTrue(headerLines(transcript, "/ns-" + id).stream().anyMatch(l -> l.contains(" netns " + nsInode)),
                    transcript);
            assertTrue(headerLines(transcript, "/host-" + id).stream().anyMatch(l -> l.contains(" netns " + hostInode)),
                    transcript);
            assertTrue(headerLines(transcript, "/ns-" + id).stream().noneMatch(l -> l.contains(" netns " + hostInode)),
                    transcript);
            profiler.stopAndExpectCleanExit();
        }
    }

    /**
     * {@code --container}: the namespace's web server is put into a cgroup named as Docker names a container's
     * ({@code docker-ID.scope}, made by the test in the cgroup v2 hierarchy); the profiler finds it by a 12-digit id
     * prefix, keeps to its network namespace in the kernel and to its processes in user space, and every record names
     * the container. curl in the same namespace is not in the container: its side is left out.
     */
    @Test
    void containerOptionKeepsToThatContainerAndNamesIt() throws Exception {
        inFakeDockerContainer(containerId -> {
            String id = marker();
            try (ProfilerProcess profiler = ProfilerProcess.start(dir.resolve("container-" + id),
                    "--port", Integer.toString(port), "--container", containerId.substring(0, 12))) {
                assertTrue(profiler.stderr().stream().anyMatch(l -> l.contains("container "
                        + containerId.substring(0, 12))), "the ready line names the container");
                curlOnHost("/host-" + id);
                curlInNamespace("/ns-" + id);
                List<JsonNode> inContainer = profiler.awaitMatching(target("/ns-" + id), 1, WAIT);
                JsonNode server = inContainer.get(0);
                assertEquals("server", server.path("role").asText(), server::toString);
                assertEquals(containerId, server.path("origin").path("container_id").asText(), server::toString);
                assertEquals("docker", server.path("origin").path("container_runtime").asText(), server::toString);
                assertEquals(netnsInode(nsServer.pid()), server.path("origin").path("netns").asLong());
                assertTrue(headerLines(profiler.transcript(), "/ns-" + id).stream()
                        .allMatch(l -> l.contains(" container docker:" + containerId.substring(0, 12))),
                        "the transcript header names the container");
                Thread.sleep(GRACE.toMillis());
                assertEquals(1, profiler.exchanges().stream().filter(target("/ns-" + id)).count(),
                        "curl's side is not in the container");
                assertNone(profiler, "/host-" + id, "--container must not record the host's traffic");
                profiler.stopAndExpectCleanExit();
            }
        });
    }

    /**
     * A profiler with fewer capabilities than the container's processes (as in a container with capabilities dropped)
     * may read their cgroup but not their /proc/PID/ns/net without CAP_SYS_PTRACE: --container finds the container and
     * says what is missing, rather than that no such container runs.
     */
    @Test
    void containerOptionWithoutPtraceAccessSaysWhatIsMissing() throws Exception {
        inFakeDockerContainer(containerId -> {
            List<String> command = new ArrayList<>(WITHOUT_PTRACE);
            command.addAll(List.of(ProfilerProcess.javaBinary(), "-jar", ProfilerProcess.jar().toString(),
                    "--container", containerId.substring(0, 12)));
            Process profiler = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(profiler.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(profiler.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, profiler.exitValue(), out);
            assertTrue(out.startsWith("http-profiler: --container " + containerId.substring(0, 12) + ": cannot read the"
                    + " network namespace of its processes (/proc/PID/ns/net: permission denied): that needs"
                    + " CAP_SYS_PTRACE"), out);
        });
    }

    /** Where /proc/PID/ns/net cannot be read, the record's origin says netns null (unknown), and stderr says why once. */
    @Test
    void withoutPtraceAccessTheNamespaceIsNullAndTheProfilerSaysWhyOnce() throws Exception {
        String id = marker();
        try (ProfilerProcess profiler = ProfilerProcess.startVia(WITHOUT_PTRACE, dir.resolve("no-ptrace-" + id),
                "--port", Integer.toString(port), "--netns", "all", "--tls", "off")) {
            curlInNamespace("/ns-" + id);
            curlOnHost("/host-" + id);
            List<JsonNode> exchanges = new ArrayList<>(profiler.awaitMatching(target("/ns-" + id), 2, WAIT));
            exchanges.addAll(profiler.awaitMatching(target("/host-" + id), 2, WAIT));
            for (JsonNode exchange : exchanges) {
                if ("server".equals(exchange.path("role").asText())) { // curl may be gone before its origin is read
                    JsonNode origin = exchange.path("origin");
                    assertTrue(origin.isObject() && origin.has("netns") && origin.path("netns").isNull(),
                            exchange::toString);
                }
            }
            assertTrue(headerLines(profiler.transcript(), "/ns-" + id).stream().noneMatch(l -> l.contains(" netns ")),
                    "no netns in the transcript header when unknown");
            profiler.stopAndExpectCleanExit();
            List<String> told = profiler.stderr().stream()
                    .filter(l -> l.contains("cannot read the network namespace of process")).toList();
            assertEquals(1, told.size(), () -> "said once: " + profiler.stderr());
            assertTrue(told.get(0).startsWith("http-profiler: ") && told.get(0).contains("CAP_SYS_PTRACE"), told::toString);
        }
    }

    /** Runs the test with the namespace's web server in a cgroup named as Docker names a container's (its id given). */
    private static void inFakeDockerContainer(ContainerTest test) throws Exception {
        Path unified = cgroup2Mount();
        ContainerAssumptions.assumeReady(unified == null ? "no cgroup v2 hierarchy mounted" : null);
        String containerId = randomHex(64);
        Path parent = unified.resolve("hp-test-" + ProcessHandle.current().pid() + "-" + marker());
        Path scope = parent.resolve("docker-" + containerId + ".scope");
        String before = Files.readString(Path.of("/proc", Long.toString(nsServer.pid()), "cgroup"));
        String unifiedBefore = before.lines().filter(l -> l.startsWith("0::")).findFirst().orElse("0::/").substring(3);
        Files.createDirectories(scope);
        try {
            Files.writeString(scope.resolve("cgroup.procs"), Long.toString(nsServer.pid()));
            test.run(containerId);
        } finally {
            Files.writeString(unified.resolve(unifiedBefore.substring(1)).resolve("cgroup.procs"),
                    Long.toString(nsServer.pid()));
            Files.delete(scope);
            Files.delete(parent);
        }
    }

    @FunctionalInterface
    private interface ContainerTest {
        void run(String containerId) throws Exception;
    }

    @Test
    void containerOptionNamingNoRunningContainerIsABadInput() throws Exception {
        Process profiler = new ProcessBuilder(ProfilerProcess.javaBinary(), "-jar", ProfilerProcess.jar().toString(),
                "--container", "0123456789ab").redirectErrorStream(true).start();
        String out = new String(profiler.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(profiler.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, profiler.exitValue(), out);
        assertTrue(out.startsWith("http-profiler: --container 0123456789ab: no running container has that id or name"),
                out);
    }

    private static void assertOrigin(long netnsInode, JsonNode exchange) {
        JsonNode origin = exchange.path("origin");
        if ("server".equals(exchange.path("role").asText())) {
            assertEquals(netnsInode, origin.path("netns").asLong(), exchange::toString);
        } else {
            assertTrue(origin.isNull() || origin.path("netns").asLong() == netnsInode, exchange::toString);
        }
    }

    private static long netnsInode(long pid) throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "net")).toString();
        return Long.parseLong(link.substring(link.indexOf('[') + 1, link.indexOf(']')));
    }

    /** The transcript's header lines of the blocks whose request line has this target. */
    private static List<String> headerLines(String transcript, String target) {
        List<String> result = new ArrayList<>();
        for (String block : transcript.split("\n\n")) {
            if (block.contains(" " + target + " HTTP/")) {
                result.add(block.lines().findFirst().orElseThrow());
            }
        }
        assertTrue(!result.isEmpty(), "no block for " + target);
        return result;
    }

    /** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
    private static Path cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields.length > 2 && fields[2].equals("cgroup2") && fields[1].startsWith("/sys/fs/cgroup")) {
                return Path.of(fields[1]);
            }
        }
        return null;
    }

    private static String randomHex(int digits) {
        StringBuilder hex = new StringBuilder();
        while (hex.length() < digits) {
            hex.append(Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE));
        }
        return hex.substring(0, digits);
    }

    @Test
    void profilerInsideTheNamespaceSeesOnlyIt() throws Exception {
        String id = marker();
        try (ProfilerProcess profiler = ProfilerProcess.startVia(List.of("ip", "netns", "exec", ns),
                dir.resolve("self-ns-" + id), "--port", Integer.toString(port))) {
            curlOnHost("/host-" + id);
            curlInNamespace("/ns-" + id);
            List<JsonNode> inNs = profiler.awaitMatching(target("/ns-" + id), 2, WAIT);
            assertEquals(List.of("client", "server"), roles(inNs), "the namespace's exchange, both ends: " + inNs);
            for (JsonNode exchange : inNs) {
                assertEquals("127.0.0.1:" + port, exchange.path(
                        "server".equals(exchange.path("role").asText()) ? "local" : "remote").asText(), "address");
                assertEquals(404, exchange.path("response").path("status").asInt(), exchange::toString);
            }
            Thread.sleep(GRACE.toMillis());
            assertNone(profiler, "/host-" + id, "--netns self inside the namespace must not record the host's traffic");
            profiler.stopAndExpectCleanExit();
        }
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    private static String marker() {
        return Long.toString(System.nanoTime(), 36);
    }

    private static Predicate<JsonNode> target(String target) {
        return e -> target.equals(e.path("request").path("target").asText(null));
    }

    private static List<String> roles(List<JsonNode> exchanges) {
        return exchanges.stream().map(e -> e.path("role").asText()).sorted().toList();
    }

    private static void assertNone(ProfilerProcess profiler, String target, String why) throws IOException {
        List<JsonNode> all = profiler.exchanges();
        List<JsonNode> found = all.stream().filter(target(target)).toList();
        assertTrue(found.isEmpty(), () -> why + "; recorded: " + found);
        String text = profiler.transcript();
        assertTrue(!text.contains(target), () -> why + "; the transcript shows " + target + ":\n" + text);
    }

    private static void curlOnHost(String path) throws Exception {
        curl(List.of(), path);
    }

    private static void curlInNamespace(String path) throws Exception {
        curl(List.of("ip", "netns", "exec", ns), path);
    }

    private static void curl(List<String> launcher, String path) throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "http://127.0.0.1:" + port + path));
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(curl.waitFor(15, TimeUnit.SECONDS), "curl did not finish");
        // http.server answers 404 for these paths: the marker is in the request line, which is what the test needs.
        assertEquals(0, curl.exitValue(), () -> String.join(" ", command) + ": " + out);
        assertEquals("404", out.strip(), () -> String.join(" ", command) + ": " + out);
    }

    private static Process startServer(List<String> launcher, String name, Path www) throws IOException {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(PYTHON, "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1",
                "--directory", www.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server-" + name + ".log").toFile()).start();
    }

    /** Polls with a bare TCP connect (no HTTP: nothing for a profiler to record) until the server accepts. */
    private static void awaitListening(List<String> launcher, Process server) throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(PYTHON, "-c", """
                import socket, sys, time
                deadline = time.time() + 20
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
                        break
                    except OSError:
                        if time.time() > deadline:
                            sys.exit("nothing listening on 127.0.0.1:" + sys.argv[1])
                        time.sleep(0.05)
                """, Integer.toString(port)));
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        probe.waitFor(30, TimeUnit.SECONDS);
        if (probe.exitValue() != 0 || !server.isAlive()) {
            fail("web server " + command + " not listening: " + out + (server.isAlive() ? ""
                    : " (server exited with " + server.exitValue() + ")"));
        }
    }

    /** Runs a short command; null when it succeeds, else its output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " did not finish";
        }
        return process.exitValue() == 0 ? null : String.join(" ", command) + ": " + out;
    }

    private static synchronized void deleteNamespaceQuietly() {
        if (ns == null) {
            return;
        }
        try {
            String failure = run("ip", "netns", "del", ns);
            if (failure != null) {
                System.err.println("[netns] could not delete " + ns + ": " + failure);
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("[netns] could not delete " + ns + ": " + e);
        }
        ns = null;
    }

    /** Namespaces hp-test-PID-* this test made in a JVM that no longer runs (killed before it could clean up). */
    private static void removeLeftoverNamespaces() throws IOException, InterruptedException {
        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor(10, TimeUnit.SECONDS);
        for (String line : out.split("\n")) {
            String name = line.split("\\s+")[0];
            if (!name.startsWith(NS_PREFIX)) {
                continue;
            }
            String[] parts = name.substring(NS_PREFIX.length()).split("-");
            try {
                long owner = Long.parseLong(parts[0]);
                if (ProcessHandle.of(owner).isEmpty()) {
                    System.err.println("[netns] removing leftover namespace " + name);
                    run("ip", "netns", "del", name);
                }
            } catch (NumberFormatException notOurs) {
                // someone else's hp-test- namespace
            }
        }
    }
}
