package io.httpprofiler.capture;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tracepoint attach needs tracefs (libbpf reads the tracepoint's id from it). Hosts usually have it mounted; minimal
 * systems and containers often don't.
 */
public final class Tracefs {
    private static final Path TRACING = Path.of("/sys/kernel/tracing");
    private static final Path DEBUG_TRACING = Path.of("/sys/kernel/debug/tracing");

    private Tracefs() {
    }

    public static boolean available() {
        return Files.isDirectory(TRACING.resolve("events/syscalls")) || Files.isDirectory(DEBUG_TRACING.resolve("events/syscalls"));
    }

    /**
     * Makes sure tracefs is there, mounting it at /sys/kernel/tracing if we are allowed to (as root on a host);
     * otherwise throws with the fix.
     */
    public static void ensureMounted(Mounter mounter) {
        if (available()) {
            return;
        }
        if (mounter.mountTracefs(TRACING.toString()) && available()) {
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
