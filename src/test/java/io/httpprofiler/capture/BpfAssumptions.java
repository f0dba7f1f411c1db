package io.httpprofiler.capture;

import io.httpprofiler.bpf.Mounts;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/**
 * Preconditions of the tests that load programs into the kernel, checked with the profiler's own {@link Preflight} (root
 * or CAP_BPF + CAP_PERFMON, BTF, kernel >= 5.8) so a skip names the same cause and fix a user would see. A skip is printed
 * as well as reported: on the CI machine (root, BTF) nothing may skip, and a printed reason makes one easy to spot.
 */
final class BpfAssumptions {
    private BpfAssumptions() {
    }

    /** Enough to load programs and create maps. */
    static void assumeCanLoadPrograms() {
        String reason = null;
        try {
            new Preflight(Path.of("/")).check();
        } catch (CaptureStartException e) {
            reason = e.getMessage();
        }
        skipUnless(reason);
    }

    /** Enough to load and attach the syscall tracepoints (tracefs mounted, or mountable by us). */
    static void assumeCanAttachTracepoints() {
        assumeCanLoadPrograms();
        String reason = null;
        try {
            Tracefs.ensureMounted(Mounts::mountTracefs);
        } catch (CaptureStartException e) {
            reason = e.getMessage();
        }
        skipUnless(reason);
    }

    private static void skipUnless(String reason) {
        if (reason != null) {
            System.err.println("SKIPPED (needs BPF): " + reason);
        }
        Assumptions.assumeTrue(reason == null, () -> "needs BPF: " + reason);
    }
}
