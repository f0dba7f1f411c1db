package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Preflight} against fake /proc and /sys trees: each unmet requirement gives its one-line message. */
class PreflightTest {
    private static final long ALL = 0x000001ffffffffffL;
    private static final long CAP_SYS_ADMIN = 1L << 21;
    private static final long CAP_PERFMON = 1L << 38;
    private static final long CAP_BPF = 1L << 39;
    private static final String FIX = ": run as root (sudo), or in a container add --cap-add BPF --cap-add PERFMON"
            + " (older engines: --cap-add SYS_ADMIN)";

    @TempDir
    Path root;

    @Test
    void aGoodMachinePasses() throws IOException {
        machine("6.1.0-13-amd64", 0, ALL, true);
        assertDoesNotThrow(() -> new Preflight(root).check());
    }

    @Test
    void bpfAndPerfmonWithoutSysAdminAreEnough() throws IOException {
        machine("6.1.0", 0, CAP_BPF | CAP_PERFMON, true);
        assertDoesNotThrow(() -> new Preflight(root).check());
        machine("5.4.0", 0, CAP_SYS_ADMIN, true); // too old, but SYS_ADMIN alone would do for the capabilities
        assertEquals("kernel 5.4.0 is too old: http-profiler needs Linux 5.8 or newer (BPF ring buffer, CAP_BPF)",
                fails());
    }

    @Test
    void missingCapabilitiesAreNamed() throws IOException {
        machine("6.1.0", 0, 0, true);
        assertEquals("missing capability CAP_BPF and CAP_PERFMON" + FIX, fails());
        machine("6.1.0", 0, CAP_BPF, true);
        assertEquals("missing capability CAP_PERFMON" + FIX, fails());
        machine("6.1.0", 0, CAP_PERFMON, true);
        assertEquals("missing capability CAP_BPF" + FIX, fails());
    }

    @Test
    void aUserThatIsNotRootIsToldSo() throws IOException {
        machine("6.1.0", 1000, 0, true);
        assertEquals("missing capability CAP_BPF and CAP_PERFMON (running as uid 1000, not root)" + FIX, fails());
    }

    @Test
    void noBtf() throws IOException {
        machine("6.1.0", 0, ALL, false);
        assertEquals("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): use a kernel built with"
                + " CONFIG_DEBUG_INFO_BTF=y (most distributions since 2021)", fails());
    }

    @Test
    void notLinux() {
        CaptureStartException e = assertThrows(CaptureStartException.class,
                () -> Preflight.checkKernel("Mac OS X", "23.1.0"));
        assertEquals("http-profiler captures with eBPF and runs on Linux only (this is Mac OS X)", e.getMessage());
    }

    private String fails() {
        return assertThrows(CaptureStartException.class, () -> new Preflight(root).check()).getMessage();
    }

    private void machine(String release, int uid, long capabilities, boolean btf) throws IOException {
        Files.createDirectories(root.resolve("proc/sys/kernel"));
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/sys/kernel/osrelease"), release + "\n");
        Files.writeString(root.resolve("proc/self/status"), "Name:\tjava\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t"
                + uid + "\nCapInh:\t0000000000000000\nCapEff:\t" + String.format("%016x", capabilities) + "\n");
        Path vmlinux = root.resolve("sys/kernel/btf/vmlinux");
        if (btf) {
            Files.createDirectories(vmlinux.getParent());
            Files.writeString(vmlinux, "");
        } else {
            Files.deleteIfExists(vmlinux);
        }
    }
}
