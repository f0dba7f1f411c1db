package io.httpprofiler.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks what loading the probe needs before trying, so a user gets one line naming the missing piece and its fix
 * instead of a libbpf error code. Each check reads the same files the kernel's own tools read.
 */
public final class Preflight {
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_PERFMON = 38;
    private static final int CAP_BPF = 39;
    private static final Pattern KERNEL_VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

    private final Path root;

    /** @param root the file system root to read /proc and /sys below ("/" in production, a fake tree in tests) */
    public Preflight(Path root) {
        this.root = root;
    }

    /** Throws {@link CaptureStartException} for the first unmet requirement. */
    public void check() {
        checkKernel(System.getProperty("os.name"), readOrEmpty("proc/sys/kernel/osrelease"));
        checkCapabilities(readOrEmpty("proc/self/status"));
        if (!Files.exists(root.resolve("sys/kernel/btf/vmlinux"))) {
            throw new CaptureStartException("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
                    + "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions since 2021)");
        }
    }

    static void checkKernel(String osName, String release) {
        if (osName == null || !osName.toLowerCase(Locale.ROOT).contains("linux")) {
            throw new CaptureStartException("http-profiler captures with eBPF and runs on Linux only (this is "
                    + osName + ")");
        }
        Matcher version = KERNEL_VERSION.matcher(release.trim());
        if (version.find()) {
            int major = Integer.parseInt(version.group(1));
            int minor = Integer.parseInt(version.group(2));
            if (major < 5 || (major == 5 && minor < 8)) {
                throw new CaptureStartException("kernel " + release.trim()
                        + " is too old: http-profiler needs Linux 5.8 or newer (BPF ring buffer, CAP_BPF)");
            }
        }
    }

    static void checkCapabilities(String procStatus) {
        long effective = 0;
        String uid = null;
        for (String line : procStatus.split("\n")) {
            if (line.startsWith("CapEff:")) {
                effective = Long.parseUnsignedLong(line.substring(7).trim(), 16);
            } else if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).trim().split("\\s+");
                uid = ids.length > 1 ? ids[1] : ids[0]; // the effective uid
            }
        }
        boolean sysAdmin = has(effective, CAP_SYS_ADMIN);
        boolean bpfAndPerfmon = has(effective, CAP_BPF) && has(effective, CAP_PERFMON);
        if (!sysAdmin && !bpfAndPerfmon) {
            String missing = sysAdmin ? "" : !has(effective, CAP_BPF) && !has(effective, CAP_PERFMON)
                    ? "CAP_BPF and CAP_PERFMON" : !has(effective, CAP_BPF) ? "CAP_BPF" : "CAP_PERFMON";
            String who = uid == null || uid.equals("0") ? "" : " (running as uid " + uid + ", not root)";
            throw new CaptureStartException("missing capability " + missing + who + ": run as root (sudo), or in a"
                    + " container add --cap-add BPF --cap-add PERFMON (older engines: --cap-add SYS_ADMIN)");
        }
    }

    private static boolean has(long capabilities, int capability) {
        return (capabilities & (1L << capability)) != 0;
    }

    private String readOrEmpty(String relative) {
        try {
            return Files.readString(root.resolve(relative));
        } catch (IOException e) {
            return "";
        }
    }
}
