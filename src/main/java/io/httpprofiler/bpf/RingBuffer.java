package io.httpprofiler.bpf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The consumer half of the kernel's BPF ring buffer protocol over memory the caller provides (mmapped pages in
 * production, plain buffers in tests).
 *
 * <p>Layout, from the kernel's kernel/bpf/ringbuf.c: a consumer page holding the consumer position (we write it), a producer
 * page holding the producer position (the kernel writes it), then the data area. Each record starts with an 8-byte
 * header {@code {u32 len; u32 pg_off}}; {@code len} carries BUSY (still being written) and DISCARD (skip it) flags;
 * records are padded to 8 bytes. Positions only grow; {@code position & (size - 1)} is the offset into the data area.
 *
 * <p>The kernel maps the data area twice back to back so that a record wrapping around the end reads as one run; we map
 * it only once (the second copy cost as much resident memory as the ring itself) and copy the rare wrapping record into
 * a scratch buffer instead. Headers never wrap: records start 8-byte aligned and the size is a multiple of 8.
 */
public final class RingBuffer {
    static final int BUSY_BIT = 1 << 31;
    static final int DISCARD_BIT = 1 << 30;
    static final int HEADER_SIZE = 8;

    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final ByteBuffer consumerPage;
    private final ByteBuffer producerPage;
    private final ByteBuffer data;
    private final long mask;
    private final int size;
    private long consumed;
    /** Wrapping records are reassembled here; grows to the largest wrapping record seen (bounded by a record's size). */
    private ByteBuffer scratch = ByteBuffer.allocateDirect(0);
    /**
     * The view each record in place is handed out through, re-bounded per record: a record is only valid during its
     * handler's call, so one view serves them all instead of a new buffer object per record.
     */
    private final ByteBuffer view;

    /**
     * @param consumerPage the consumer position lives at offset 0
     * @param producerPage the producer position lives at offset 0
     * @param data         the data area: at least {@code size} bytes (a double mapping works too; only the first copy is read)
     * @param size         data area size, a power of two
     */
    public RingBuffer(ByteBuffer consumerPage, ByteBuffer producerPage, ByteBuffer data, int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring buffer size must be a power of two: " + size);
        }
        if (data.capacity() < size) {
            throw new IllegalArgumentException("data area smaller than the ring (" + data.capacity() + " < " + size + ")");
        }
        this.consumerPage = consumerPage;
        this.producerPage = producerPage;
        this.data = data.duplicate().order(ByteOrder.nativeOrder());
        this.view = this.data.duplicate().order(ByteOrder.nativeOrder());
        this.mask = size - 1L;
        this.size = size;
        this.consumed = (long) LONGS.getAcquire(consumerPage, 0);
    }

    /**
     * Hands every complete record to the handler, in order, releasing each one's space to the kernel after the handler
     * returns. Stops at the first record still being written.
     *
     * @return the number of records handed over (discarded ones not counted)
     */
    public int drain(RecordHandler handler) {
        int delivered = 0;
        // Re-read rather than trust our copy: another consumer (e.g. libbpf's, in the benchmark) may have moved it.
        consumed = (long) LONGS.getAcquire(consumerPage, 0);
        long produced = (long) LONGS.getAcquire(producerPage, 0);
        while (consumed < produced) {
            int offset = (int) (consumed & mask);
            int header = (int) INTS.getAcquire(data, offset);
            if ((header & BUSY_BIT) != 0) {
                break;
            }
            int length = header & ~(BUSY_BIT | DISCARD_BIT);
            if (length > size - HEADER_SIZE) {
                throw new IllegalStateException("corrupt ring buffer record at position " + consumed + ": length "
                        + length + " in a " + size + "-byte ring");
            }
            if ((header & DISCARD_BIT) == 0) {
                handler.onRecord(record(offset + HEADER_SIZE, length));
                delivered++;
            }
            consumed += (HEADER_SIZE + length + 7) & ~7L;
            LONGS.setRelease(consumerPage, 0, consumed);
            if (consumed >= produced) {
                produced = (long) LONGS.getAcquire(producerPage, 0);
            }
        }
        return delivered;
    }

    /**
     * The record's bytes: a view in place, or, when they run past the end of the data area, a copy of the two parts in
     * order. Either way read before the consumer position is released, so the kernel cannot overwrite them meanwhile.
     */
    private ByteBuffer record(int start, int length) {
        int beforeEnd = size - start; // 0 when the header took the last 8 bytes of the area
        if (length <= beforeEnd) {
            view.limit(start + length); // moves the position back too, if it lay beyond
            view.position(start);
            return view;
        }
        if (scratch.capacity() < length) {
            // Direct like the mapping, so that the decoder's buffer accesses stay monomorphic for the JIT.
            scratch = ByteBuffer.allocateDirect(Math.max(64, Integer.highestOneBit(length - 1) << 1))
                    .order(ByteOrder.nativeOrder());
        }
        ByteBuffer copy = scratch.clear();
        copy.put(data.duplicate().limit(size).position(size - beforeEnd));
        copy.put(data.duplicate().limit(length - beforeEnd).position(0));
        return copy.flip();
    }

    /** Bytes written by the kernel and not yet consumed. */
    public long pendingBytes() {
        return (long) LONGS.getAcquire(producerPage, 0) - consumed;
    }
}
