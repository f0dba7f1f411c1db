package io.httpprofiler.bpf;

import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;

/**
 * Collects what libbpf prints (warnings, verifier logs) so errors can carry it instead of it going to stderr. libbpf has
 * one global print hook; the callback object is held here for the life of the process because JNA must not let it be
 * collected while C still points at it.
 */
final class LibbpfLog {
    private static final int MAX_KEPT_CHARS = 64 * 1024;
    private static final LibbpfLog INSTANCE = new LibbpfLog();

    private final StringBuilder recent = new StringBuilder();
    private final LibBpf.PrintFunction callback = this::print;

    private LibbpfLog() {
        LibBpf.INSTANCE.libbpf_set_print(callback);
    }

    static LibbpfLog get() {
        return INSTANCE;
    }

    private int print(int level, String format, Pointer vaList) {
        byte[] buffer = new byte[4096];
        int length = LibC.INSTANCE.vsnprintf(buffer, buffer.length, format, vaList);
        if (length <= 0) {
            return 0;
        }
        String text = new String(buffer, 0, Math.min(length, buffer.length - 1), StandardCharsets.UTF_8);
        synchronized (recent) {
            recent.append(text);
            if (recent.length() > MAX_KEPT_CHARS) {
                recent.delete(0, recent.length() - MAX_KEPT_CHARS);
            }
        }
        return 0;
    }

    /** Returns and forgets what was logged since the last call. */
    String drain() {
        synchronized (recent) {
            String text = recent.toString();
            recent.setLength(0);
            return text;
        }
    }
}
