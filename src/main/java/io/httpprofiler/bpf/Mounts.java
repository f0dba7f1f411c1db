package io.httpprofiler.bpf;

/** Mounting kernel pseudo file systems (tracefs) where the kernel's BPF interfaces expect them. */
public final class Mounts {
    private Mounts() {
    }

    /** mount -t tracefs nodev target; false when not permitted or not possible. */
    public static boolean mountTracefs(String target) {
        return LibC.INSTANCE.mount("nodev", target, "tracefs", 0, null) == 0;
    }
}
