package io.httpprofiler.capture;

import java.util.Locale;

/** How the payload is captured; see bpf/http_probe.c. */
public enum AttachMode {
    /** kprobes if they attach, else tracepoints. */
    AUTO,
    /** kprobes on tcp_sendmsg / tcp_recvmsg + tcp_cleanup_rbuf (plus syscall tracepoints for fds and lifecycle). */
    KPROBE,
    /** syscall tracepoints only. */
    TRACEPOINT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
