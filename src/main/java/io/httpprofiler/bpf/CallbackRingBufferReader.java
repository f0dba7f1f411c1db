package io.httpprofiler.bpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * libbpf's own ring buffer consumer (ring_buffer__poll), which calls back into Java once per record. Kept only as the
 * baseline the mmap {@link RingBufferReader} is measured against (bench/): each upcall costs far more than reading the
 * record in place.
 */
public final class CallbackRingBufferReader implements AutoCloseable {
    private final LibBpf.RingSampleFunction callback;
    private Pointer ring;

    public CallbackRingBufferReader(BpfMap map, RecordHandler handler) {
        // Held in a field: JNA must not let the callback be collected while libbpf points at it.
        this.callback = (context, data, size) -> {
            handler.onRecord(data.getByteBuffer(0, size));
            return 0;
        };
        ring = LibBpf.INSTANCE.ring_buffer__new(map.fd(), callback, null, null);
        if (ring == null) {
            throw new BpfException("ring_buffer__new on " + map.name(), Native.getLastError(), LibbpfLog.get().drain());
        }
    }

    /** Delivers everything available without waiting; returns the record count. */
    public int consume() {
        return LibBpf.INSTANCE.ring_buffer__consume(ring);
    }

    public int poll(int timeoutMillis) {
        return LibBpf.INSTANCE.ring_buffer__poll(ring, timeoutMillis);
    }

    @Override
    public void close() {
        if (ring != null) {
            LibBpf.INSTANCE.ring_buffer__free(ring);
            ring = null;
        }
    }
}
