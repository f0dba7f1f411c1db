package io.httpprofiler.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The profiler's pid namespace, as the kernel's bpf_get_ns_current_pid_tgid() wants it named: the device and inode of
 * /proc/self/ns/pid. Pids in the trace are then the ones a user sees from where the profiler runs (in a sidecar sharing
 * the app's pid namespace: the app's own).
 */
record PidNamespace(long device, long inode) {
    static PidNamespace self() {
        Path link = Path.of("/proc/self/ns/pid");
        try {
            return new PidNamespace(((Number) Files.getAttribute(link, "unix:dev")).longValue(),
                    ((Number) Files.getAttribute(link, "unix:ino")).longValue());
        } catch (IOException | UnsupportedOperationException e) {
            // Global pids then: right on a host, where the profiler is in the initial namespace anyway.
            return new PidNamespace(0, 0);
        }
    }
}
