package io.httpprofiler.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Records laid out as the kernel lays them out in a ring buffer's data area (an 8-byte header with the length, the
 * record, padding to 8 bytes), for feeding {@link RingBuffer} without a kernel: the pipeline's start-up warm-up and the
 * benchmarks replay such images. Nothing wraps: the image is one pass from offset 0.
 */
public final class RingImage {
    private ByteBuffer out = ByteBuffer.allocate(1 << 16).order(ByteOrder.nativeOrder());
    private int records;

    /** Appends one record: its bytes from 0 to its capacity. */
    public void add(ByteBuffer record) {
        int length = record.capacity();
        int padded = (RingBuffer.HEADER_SIZE + length + 7) & ~7;
        if (out.remaining() < padded) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * out.capacity(), out.position() + padded))
                    .order(ByteOrder.nativeOrder());
            bigger.put(out.flip());
            out = bigger;
        }
        int start = out.position();
        out.putInt(length).putInt(0).put(record.array(), 0, length);
        out.position(start + padded);
        records++;
    }

    /** Bytes used so far: where the producer position stands once all records are written. */
    public int length() {
        return out.position();
    }

    public int records() {
        return records;
    }

    /** The smallest power-of-two ring (at least a page) that holds the image. */
    public int ringSize() {
        return Math.max(4096, Integer.highestOneBit(Math.max(1, length() - 1)) << 1);
    }

    /** The image in a direct buffer of {@link #ringSize()} bytes, like the kernel's mapping. */
    public ByteBuffer toDirect() {
        ByteBuffer ring = ByteBuffer.allocateDirect(ringSize()).order(ByteOrder.nativeOrder());
        ring.put(out.duplicate().flip()).clear();
        return ring;
    }

    /** A ring holding a copy of the records added so far, to be drained as often as needed. */
    public Replay replay() {
        return new Replay(toDirect(), length(), ringSize());
    }

    /** A {@link RingBuffer} over a fixed image, full from the start: each {@link #drain} hands every record over again. */
    public static final class Replay {
        private final ByteBuffer consumerPage = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        private final RingBuffer ring;

        private Replay(ByteBuffer data, int length, int size) {
            ByteBuffer producerPage = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            producerPage.putLong(0, length);
            this.ring = new RingBuffer(consumerPage, producerPage, data, size);
        }

        /** Hands every record of the image to the handler, from the first. */
        public int drain(RecordHandler handler) {
            consumerPage.putLong(0, 0);
            return ring.drain(handler);
        }
    }
}
