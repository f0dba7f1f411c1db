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
 * page holding the producer position (the kernel writes it), then the data area, mapped twice back to back so that a
 * record that wraps around the end still reads as one contiguous run. Each record starts with an 8-byte header
 * {@code {u32 len; u32 pg_off}}; {@code len} carries BUSY (still being written) and DISCARD (skip it) flags; records are
 * padded to 8 bytes. Positions only grow; {@code position & (size - 1)} is the offset into the data area.
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

    /**
     * @param consumerPage the consumer position lives at offset 0
     * @param producerPage the producer position lives at offset 0
     * @param data         the data area mapped twice: {@code 2 * size} bytes
     * @param size         data area size, a power of two
     */
    public RingBuffer(ByteBuffer consumerPage, ByteBuffer producerPage, ByteBuffer data, int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring buffer size must be a power of two: " + size);
        }
        if (data.capacity() < 2L * size) {
            throw new IllegalArgumentException("data area must be mapped twice (" + 2L * size + " bytes)");
        }
        this.consumerPage = consumerPage;
        this.producerPage = producerPage;
        this.data = data.duplicate().order(ByteOrder.nativeOrder());
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
                ByteBuffer record = data.duplicate().order(ByteOrder.nativeOrder());
                record.limit(offset + HEADER_SIZE + length).position(offset + HEADER_SIZE);
                handler.onRecord(record);
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

    /** Bytes written by the kernel and not yet consumed. */
    public long pendingBytes() {
        return (long) LONGS.getAcquire(producerPage, 0) - consumed;
    }
}
