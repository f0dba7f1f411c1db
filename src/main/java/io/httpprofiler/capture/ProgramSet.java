package io.httpprofiler.capture;

import io.httpprofiler.bpf.BpfProgram;

/**
 * Which attach mode a program of bpf/http_probe.c belongs to, by the naming convention the C file documents: kprobes and
 * {@code forget_exit_*} run in kprobe mode, {@code copy_exit_*} in tracepoint mode, the TLS programs ({@code tls_*}: the
 * library uprobes, attached per library file by {@link io.httpprofiler.capture.tls.TlsWatcher}, and the exec
 * tracepoint) in both when TLS is on, everything else
 * (syscall entries, accept/connect/close/sendfile bookkeeping) in both.
 */
enum ProgramSet {
    KPROBE,
    KPROBE_MODE_EXIT,
    TRACEPOINT_MODE_EXIT,
    TLS,
    SHARED;

    static ProgramSet of(BpfProgram program) {
        String section = program.section();
        if (section.startsWith("kprobe/") || section.startsWith("kretprobe/")) {
            return KPROBE;
        }
        if (section.startsWith("uprobe") || section.startsWith("uretprobe") || program.name().startsWith("tls_")) {
            return TLS;
        }
        if (program.name().startsWith("forget_exit_")) {
            return KPROBE_MODE_EXIT;
        }
        if (program.name().startsWith("copy_exit_")) {
            return TRACEPOINT_MODE_EXIT;
        }
        return SHARED;
    }

    boolean runsIn(AttachMode mode, boolean tls) {
        return switch (this) {
            case KPROBE, KPROBE_MODE_EXIT -> mode == AttachMode.KPROBE;
            case TRACEPOINT_MODE_EXIT -> mode == AttachMode.TRACEPOINT;
            case TLS -> tls;
            case SHARED -> true;
        };
    }
}
