package io.httpprofiler.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The bytes bound for a file since its last write, kept outside the heap in one piece so that they reach the file in
 * one {@code write(2)} without a further copy: a heap array handed to a {@link FileChannel} is first copied into a
 * temporary direct buffer by the JDK, and a chunked buffer (commons-io's) is written one chunk, one system call, at a
 * time. At 10k requests/s with 64 KiB responses that was seven calls and one extra copy per 64 KiB flushed.
 *
 * <p>Grows by doubling; a buffer that grew past {@link #KEPT_CAPACITY} for one large block is given up after it was
 * written, so that one huge exchange does not pin its size outside the heap for good.
 */
final class DirectBlock {
    /** Capacity to start with: the flush threshold of the exchange writers' files, so the usual run fits at once. */
    static final int INITIAL_CAPACITY = 128 * 1024;
    /** Capacity kept between blocks; more is released once the block that needed it is written. */
    static final int KEPT_CAPACITY = 1024 * 1024;

    private ByteBuffer buffer;

    int size() {
        return buffer == null ? 0 : buffer.position();
    }

    void write(int b) {
        ensure(1);
        buffer.put((byte) b);
    }

    void write(byte[] bytes, int offset, int length) {
        ensure(length);
        buffer.put(bytes, offset, length);
    }

    /** Writes every byte to {@code channel}, then empties the block. On failure the bytes stay (for the caller to hold). */
    void writeTo(FileChannel channel) throws IOException {
        if (size() == 0) {
            return;
        }
        buffer.flip();
        boolean written = false;
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            written = true;
        } finally {
            if (written) {
                reset();
            } else {
                buffer.position(buffer.limit()).limit(buffer.capacity()); // back to holding all of them
            }
        }
    }

    /** Copies the bytes to {@code out} (a heap buffer: the rare path of a failing file), leaving the block as it is. */
    void copyTo(OutputStream out) throws IOException {
        int size = size();
        byte[] copy = new byte[size];
        buffer.get(0, copy, 0, size);
        out.write(copy);
    }

    void reset() {
        if (buffer != null) {
            if (buffer.capacity() > KEPT_CAPACITY) {
                buffer = null; // freed with the buffer object; the next write starts small again
            } else {
                buffer.clear();
            }
        }
    }

    private void ensure(int more) {
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(Math.max(INITIAL_CAPACITY, more));
        } else if (buffer.remaining() < more) {
            long needed = (long) buffer.position() + more;
            if (needed > Integer.MAX_VALUE - 8) {
                throw new OutOfMemoryError("an output block of " + needed + " bytes");
            }
            ByteBuffer grown = ByteBuffer.allocateDirect((int) Math.max(needed, Math.min(2L * buffer.capacity(),
                    Integer.MAX_VALUE - 8)));
            buffer.flip();
            grown.put(buffer);
            buffer = grown;
        }
    }
}
