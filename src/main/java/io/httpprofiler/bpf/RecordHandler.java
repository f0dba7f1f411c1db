package io.httpprofiler.bpf;

import java.nio.ByteBuffer;

/** Receives one ring buffer record in place; the bytes are only valid during the call. */
@FunctionalInterface
public interface RecordHandler {
    /** {@code record} is positioned at the record's first byte with its limit at the record's end (native byte order). */
    void onRecord(ByteBuffer record);
}
