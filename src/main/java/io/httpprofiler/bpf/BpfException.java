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

    static String errnoText(int errno) {
        int positive = Math.abs(errno);
        String name = switch (positive) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 7 -> "E2BIG";
            case 13 -> "EACCES";
            case 22 -> "EINVAL";
            case 95 -> "EOPNOTSUPP";
            default -> "errno " + positive;
        };
        return name + " (" + LibC.INSTANCE.strerror(positive) + ")";
    }
}
