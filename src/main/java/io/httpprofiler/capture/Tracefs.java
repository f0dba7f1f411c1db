package io.httpprofiler.capture;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tracepoint attach needs tracefs (libbpf reads the tracepoint's id from it). Hosts usually have it mounted; minimal
 * systems and containers often don't.
 */
public final class Tracefs {
    private static final String TRACING = "sys/kernel/tracing";
    private static final String DEBUG_TRACING = "sys/kernel/debug/tracing";
    private static final Path ROOT = Path.of("/");

    private Tracefs() {
    }

    public static boolean available() {
        return available(ROOT);
    }

    /** @param root the file system root to look below ("/" in production, a fake tree in tests) */
    static boolean available(Path root) {
        return Files.isDirectory(root.resolve(TRACING).resolve("events/syscalls"))
                || Files.isDirectory(root.resolve(DEBUG_TRACING).resolve("events/syscalls"));
    }

    /**
     * Makes sure tracefs is there, mounting it at /sys/kernel/tracing if we are allowed to (as root on a host);
     * otherwise throws with the fix.
     */
    public static void ensureMounted(Mounter mounter) {
        ensureMounted(ROOT, mounter);
    }

    static void ensureMounted(Path root, Mounter mounter) {
        if (available(root)) {
            return;
        }
        if (mounter.mountTracefs(root.resolve(TRACING).toString()) && available(root)) {
            return;
        }
        throw new CaptureStartException("tracefs is not mounted at /sys/kernel/tracing: run `mount -t tracefs nodev"
                + " /sys/kernel/tracing`, or in a container add -v /sys/kernel/tracing:/sys/kernel/tracing");
    }

    /** Mounts tracefs at a path; false if that is not possible here. */
    @FunctionalInterface
    public interface Mounter {
        boolean mountTracefs(String target);
    }
}
