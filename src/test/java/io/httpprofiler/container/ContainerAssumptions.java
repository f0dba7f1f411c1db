package io.httpprofiler.container;

import io.httpprofiler.bpf.Mounts;
import io.httpprofiler.capture.CaptureStartException;
import io.httpprofiler.capture.Preflight;
import io.httpprofiler.capture.Tracefs;
import org.junit.jupiter.api.Assumptions;
import org.opentest4j.TestAbortedException;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Preconditions of the container and namespace tests: a skip always says why, in the report and on stderr. */
final class ContainerAssumptions {
    private ContainerAssumptions() {
    }

    /** Skips the calling test (class) with this reason, printed to stderr too (Maven's summary only counts skips). */
    static void skip(String reason) {
        System.err.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
    }

    /** A class's shared set-up, run in @BeforeAll. */
    @FunctionalInterface
    interface SetUp {
        void run() throws Exception;
    }

    /**
     * Runs a class's set-up; returns null, or the reason it skipped (with {@link #skip}). Pass that to
     * {@link #assumeReady} in @BeforeEach: a skip in @BeforeAll itself would show in Maven's summary as "Tests run: 0",
     * this way each test counts as skipped, with the reason.
     */
    static String setUp(SetUp setUp) throws Exception {
        try {
            setUp.run();
            return null;
        } catch (TestAbortedException e) {
            return e.getMessage();
        }
    }

    static void assumeReady(String skipReason) {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    /** Root (or CAP_BPF + CAP_PERFMON), BTF, tracefs: what the profiler itself checks, so a skip names the cause. */
    static void assumeCanTrace() {
        try {
            new Preflight(Path.of("/")).check();
            Tracefs.ensureMounted(Mounts::mountTracefs);
        } catch (CaptureStartException e) {
            skip("needs BPF: " + e.getMessage());
        }
    }

    /** Each command must be an executable path or found on PATH. */
    static void assumeCommands(String... commands) {
        for (String command : commands) {
            if (!onPath(command)) {
                skip("needs the command " + command);
            }
        }
    }

    private static boolean onPath(String command) {
        if (command.contains("/")) {
            return Files.isExecutable(Path.of(command));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, command))) {
                return true;
            }
        }
        return false;
    }
}
