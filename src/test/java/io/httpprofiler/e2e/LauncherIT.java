package io.httpprofiler.e2e;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/http-profiler, the host launcher: it starts the jar with the JVM settings of bin/jvm.options (the file the
 * container image's entrypoint reads too), so a host start has the same footprint as the sidecar.
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of(System.getProperty("project.basedir", "."), "bin", "http-profiler");

    private record Run(int exitCode, String output) {
    }

    private static Run launch(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        // The launcher runs `java` from PATH: make it this JDK's.
        builder.environment().put("PATH", Path.of(ProfilerProcess.javaBinary()).getParent() + ":"
                + System.getenv("PATH"));
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void startsTheJarWithTheSettingsOfJvmOptions() throws Exception {
        Run run = launch(Map.of("HTTP_PROFILER_JAR", ProfilerProcess.jar().toAbsolutePath().toString(),
                "JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "--version");
        assertEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("-XX:MaxHeapSize=67108864"), run.output());
        assertTrue(run.output().contains("-XX:+UseSerialGC"), run.output());
        assertTrue(run.output().contains("-XX:+ExitOnOutOfMemoryError"), run.output());
        assertTrue(run.output().contains("http-profiler"), "the jar's --version ran: " + run.output());
    }

    @Test
    void aMissingJarIsOneLineAndExitTwo() throws Exception {
        Run run = launch(Map.of("HTTP_PROFILER_JAR", "/nonexistent/http-profiler.jar"), "--version");
        assertEquals(2, run.exitCode(), run.output());
        assertEquals(List.of("http-profiler: /nonexistent/http-profiler.jar is missing: build it with `make build` (or set "
                + "HTTP_PROFILER_JAR)"), run.output().lines().toList());
    }
}
