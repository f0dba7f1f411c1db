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
    /** The initial pid namespace's inode number, fixed by the kernel (PROC_PID_INIT_INO). */
    static final long INITIAL_INODE = 0xEFFFFFFCL;

    /** Global pids: what the initial namespace sees, and the fallback when ours cannot be named. */
    static final PidNamespace GLOBAL = new PidNamespace(0, 0);

    /**
     * As the kernel should be told: in the initial namespace every pid is already the global one, so the kernel can use
     * bpf_get_current_pid_tgid() and skip the namespace lookup on every traced syscall.
     */
    static PidNamespace forKernel() {
        PidNamespace self = self();
        return self.inode == INITIAL_INODE ? GLOBAL : self;
    }

    static PidNamespace self() {
        Path link = Path.of("/proc/self/ns/pid");
        try {
            return new PidNamespace(((Number) Files.getAttribute(link, "unix:dev")).longValue(),
                    ((Number) Files.getAttribute(link, "unix:ino")).longValue());
        } catch (IOException | UnsupportedOperationException e) {
            // Global pids then: right on a host, where the profiler is in the initial namespace anyway.
            return GLOBAL;
        }
    }
}
