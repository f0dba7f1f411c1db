package io.httpprofiler.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * `java -jar http-profiler.jar ... &` from a script, then `kill -INT`: a non-interactive shell starts background jobs
 * with SIGINT ignored, and the JVM would keep it ignored. The profiler must still stop cleanly on it.
 */
class BackgroundSigintIT {
    @TempDir
    Path dir;

    @Test
    void sigintStopsAProfilerStartedAsABackgroundJob() throws Exception {
        E2e.assumeCanTrace();
        Path stderr = dir.resolve("stderr.log");
        String script = "'" + ProfilerProcess.javaBinary() + "' -Xmx128m -jar '" + ProfilerProcess.jar() + "' -o '"
                + dir.resolve("trace.txt") + "' --port " + E2e.freePort() + " 2>'" + stderr + "' & echo $!; wait";
        Process shell = new ProcessBuilder("bash", "-c", script).start();
        long pid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(shell.getInputStream(),
                StandardCharsets.UTF_8))) {
            pid = Long.parseLong(out.readLine().trim());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60L * E2e.SLOWDOWN);
        while (!Files.exists(stderr) || !Files.readString(stderr).contains("ready")) {
            if (System.nanoTime() > deadline) {
                shell.destroyForcibly();
                fail("not ready: " + (Files.exists(stderr) ? Files.readString(stderr) : "no stderr"));
            }
            Thread.sleep(100);
        }

        assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor());

        assertTrue(shell.waitFor(30, TimeUnit.SECONDS), "the profiler ignored SIGINT: " + Files.readString(stderr));
        assertEquals(0, shell.exitValue(), "bash's wait returns the profiler's exit code");
        assertTrue(Files.readString(stderr).contains("http-profiler stopped:"), Files.readString(stderr));
    }
}
