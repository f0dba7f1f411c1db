package io.httpprofiler.capture.tls;

import java.util.ArrayList;
import java.util.List;

/**
 * The TLS library files probed so far, by the index their uprobes carry as attach cookie (the kernel copies it into
 * every record of a plaintext connection as {@code tls_library}). Written by the watcher thread, read by the pipeline.
 */
public final class TlsLibraries {
    /** The record's byte holds the index. */
    static final int MAX_LIBRARIES = 256;

    private final List<String> names = new ArrayList<>();

    /** A new index for a library file, or -1 when all are taken. */
    synchronized int add(String name) {
        if (names.size() >= MAX_LIBRARIES) {
            return -1;
        }
        names.add(name);
        return names.size() - 1;
    }

    /** The name for an index, e.g. {@code libssl.so.3}. */
    public synchronized String name(int index) {
        return index >= 0 && index < names.size() ? names.get(index) : "TLS library " + index;
    }

    public synchronized int size() {
        return names.size();
    }
}
