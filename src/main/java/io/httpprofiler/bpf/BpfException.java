package io.httpprofiler.bpf;

/** A libbpf or kernel call failed; carries errno, its text and what libbpf logged while it happened. */
public final class BpfException extends RuntimeException {
    private final int errno;
    private final String libbpfLog;

    public BpfException(String what, int errno, String libbpfLog) {
        super(what + ": " + errnoText(errno));
        this.errno = errno;
        this.libbpfLog = libbpfLog == null ? "" : libbpfLog;
    }

    public int errno() {
        return errno;
    }

    /** libbpf's own messages (for a failed load: the verifier log), possibly empty. */
    public String libbpfLog() {
        return libbpfLog;
    }

    /** The kernel denied the call: EPERM or EACCES (a missing capability, a seccomp filter, or the verifier). */
    public boolean permissionDenied() {
        return errno == Errno.EPERM || errno == Errno.EACCES;
    }

    static String errnoText(int errno) {
        int positive = Math.abs(errno);
        return Errno.name(positive) + " (" + LibC.INSTANCE.strerror(positive) + ")";
    }
}
