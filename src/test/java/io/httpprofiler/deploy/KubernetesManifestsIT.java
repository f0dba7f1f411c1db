package io.httpprofiler.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/kubernetes/*.yaml checked against the Kubernetes OpenAPI schema (npm's kubernetes-models, through
 * test/kubernetes/validate.mjs), since no cluster runs here; and the checker shown to reject a broken manifest.
 */
class KubernetesManifestsIT {
    private static final Path DIR = Path.of("test/kubernetes");
    private static final Path MANIFESTS = Path.of("deploy/kubernetes");

    @TempDir
    Path tmp;

    @BeforeAll
    static void install() throws Exception {
        boolean tools = onPath("node") && onPath("npm");
        if (!tools) {
            System.err.println("SKIPPED (needs node and npm, which scripts/setup.sh installs)");
        }
        assumeTrue(tools, "needs node and npm");
        Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        assertEquals(0, npm.exit(), npm.output());
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, int seconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Result(process.exitValue(), output);
    }

    private static Result validate(List<Path> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "validate.mjs"));
        files.forEach(f -> command.add(f.toAbsolutePath().toString()));
        return run(command, 120);
    }

    @Test
    void manifestsMatchTheKubernetesSchema() throws Exception {
        List<Path> manifests;
        try (var files = Files.list(MANIFESTS)) {
            manifests = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
        assertEquals(2, manifests.size(), manifests::toString);
        Result result = validate(manifests);
        assertEquals(0, result.exit(), result.output());
        assertTrue(result.output().contains("apps/v1/DaemonSet http-profiler valid"), result.output());
        assertTrue(result.output().contains("v1/Pod shop-api valid"), result.output());
    }

    @Test
    void aBrokenManifestIsRejected() throws Exception {
        Path broken = tmp.resolve("broken.yaml");
        Files.writeString(broken, Files.readString(MANIFESTS.resolve("daemonset.yaml"))
                .replace("hostPID: true", "hostPID: \"yes\""));
        Result result = validate(List.of(broken));
        assertEquals(1, result.exit(), result.output());
        assertTrue(result.output().contains("hostPID must be boolean"), result.output());
    }

    @Test
    void theDaemonSetHasWhatTheProfilerNeeds() throws IOException {
        String daemonSet = Files.readString(MANIFESTS.resolve("daemonset.yaml"));
        for (String needed : List.of("hostPID: true", "--netns=all", "add: [\"BPF\", \"PERFMON\", \"SYS_RESOURCE\", \"SYS_PTRACE\"]",
                "path: /sys/kernel/tracing", "path: /sys/kernel/btf", "fieldPath: spec.nodeName",
                "k8s.node.name=$(NODE_NAME)", "limits:")) {
            assertTrue(daemonSet.contains(needed), needed);
        }
    }
}
