package io.httpprofiler.bpf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer side of the BPF ring buffer protocol, against a simulated kernel producer over plain direct buffers laid
 * out like the reader's mapping: consumer page, producer page, and a data area of {@code size} bytes mapped once (the
 * kernel would also offer it twice back to back; the reader copies a record that wraps around the end instead).
 */
class RingBufferTest {
    private static final int SIZE = 256;
    private static final int PAGE = 4096;

    @Test
    void deliversSeveralRecordsInOrder() {
        FakeKernel kernel = new FakeKernel(0);
        List<byte[]> sent = List.of(text("first"), text("second record"), text("3"), bytes(100, 7));
        sent.forEach(kernel::commit);

        Drained drained = drain(kernel);

        assertEquals(sent.size(), drained.returned);
        assertRecordsEqual(sent, drained.records);
        assertEquals(kernel.producerPosition(), kernel.consumerPosition(), "everything consumed");
    }

    @Test
    void recordsArePaddedToEightBytes() {
        FakeKernel kernel = new FakeKernel(0);
        // header (8) + payload, rounded up to 8: 1 -> 16, 7 -> 16, 8 -> 16, 9 -> 24, 0 -> 8
        long[] starts = {kernel.commit(bytes(1, 1)), kernel.commit(bytes(7, 2)), kernel.commit(bytes(8, 3)),
                kernel.commit(bytes(9, 4)), kernel.commit(new byte[0]), kernel.commit(bytes(3, 5))};
        assertArrayEquals(new long[]{0, 16, 32, 48, 72, 80}, starts, "the fake kernel pads like the real one");

        Drained drained = drain(kernel);

        assertRecordsEqual(List.of(bytes(1, 1), bytes(7, 2), bytes(8, 3), bytes(9, 4), new byte[0], bytes(3, 5)),
                drained.records);
        assertEquals(96, kernel.consumerPosition(), "consumer advanced by padded lengths");
    }

    @Test
    void recordThatStraddlesTheEndIsDeliveredWhole() {
        // Start 24 bytes before the end of the data area, at a position past 2^32 so that masking of long positions is
        // exercised too. The first record (8 + 40 bytes) wraps; the second starts near the beginning of the area.
        long start = (1L << 33) + SIZE - 24;
        FakeKernel kernel = new FakeKernel(start);
        byte[] wrapping = bytes(40, 11);
        byte[] after = bytes(20, 12);
        kernel.commit(wrapping);
        long secondStart = kernel.commit(after);
        assertTrue((start & (SIZE - 1)) + 8 + wrapping.length > SIZE, "the first record really straddles the end");
        assertEquals(24, secondStart & (SIZE - 1));

        Drained drained = drain(kernel);

        assertRecordsEqual(List.of(wrapping, after), drained.records);
        assertEquals(start + 48 + 32, kernel.consumerPosition());
    }

    @Test
    void discardedRecordsAreSkippedButReleased() {
        FakeKernel kernel = new FakeKernel(0);
        kernel.commit(text("kept 1"));
        kernel.write(text("discarded"), RingBuffer.DISCARD_BIT);
        kernel.commit(text("kept 2"));

        Drained drained = drain(kernel);

        assertEquals(2, drained.returned, "discarded records are not counted");
        assertRecordsEqual(List.of(text("kept 1"), text("kept 2")), drained.records);
        assertEquals(kernel.producerPosition(), kernel.consumerPosition(), "the discarded record's space is released");
    }

    @Test
    void busyRecordStopsTheDrainAndIsDeliveredOnceCommitted() {
        FakeKernel kernel = new FakeKernel(0);
        kernel.commit(text("before"));
        long busy = kernel.write(text("in progress"), RingBuffer.BUSY_BIT);
        kernel.commit(text("after")); // already committed, but must wait behind the busy one: records are ordered

        Drained first = drain(kernel);
        assertEquals(1, first.returned);
        assertRecordsEqual(List.of(text("before")), first.records);
        assertEquals(busy, kernel.consumerPosition(), "nothing at or past the busy record is released");

        Drained nothingNew = drain(kernel);
        assertEquals(0, nothingNew.returned, "still busy: still nothing");

        kernel.clearFlags(busy);
        Drained second = drain(kernel);
        assertEquals(2, second.returned);
        assertRecordsEqual(List.of(text("in progress"), text("after")), second.records);
        assertEquals(kernel.producerPosition(), kernel.consumerPosition());
    }

    @Test
    void consumerPositionIsReleasedAfterEachRecord() {
        // The kernel may reuse a record's space as soon as the consumer position passes it; the reader must release
        // each record after handing it over (not just once at the end of a drain), so that a long drain does not
        // keep the whole ring looking full.
        FakeKernel kernel = new FakeKernel(64);
        long[] starts = {kernel.commit(bytes(10, 1)), kernel.commit(bytes(30, 2)), kernel.commit(bytes(5, 3))};
        RingBuffer ring = kernel.consumer();
        List<Long> consumerSeenInHandler = new ArrayList<>();

        ring.drain(record -> consumerSeenInHandler.add(kernel.consumerPosition()));

        // While record k is being handled, everything before it has been released, and record k itself not yet.
        assertEquals(List.of(starts[0], starts[1], starts[2]), consumerSeenInHandler);
        assertEquals(kernel.producerPosition(), kernel.consumerPosition());
    }

    @Test
    void emptyRingDeliversNothing() {
        FakeKernel kernel = new FakeKernel(3 * SIZE + 40);
        RingBuffer ring = kernel.consumer();

        assertEquals(0, ring.pendingBytes());
        assertEquals(0, ring.drain(record -> {
            throw new AssertionError("no record expected");
        }));
        assertEquals(3 * SIZE + 40, kernel.consumerPosition(), "consumer position untouched");
    }

    @Test
    void fullRingIsDrainedExactlyOnce() {
        // Producer exactly `size` bytes ahead: the ring is full, and the slot after the last record is the first
        // record's slot again. A reader that looked at headers instead of the producer position would read the first
        // (committed, valid-looking) record a second time.
        long start = 3L * SIZE + 40;
        FakeKernel kernel = new FakeKernel(start);
        List<byte[]> sent = List.of(bytes(56, 1), bytes(56, 2), bytes(56, 3), bytes(56, 4)); // 4 * 64 = SIZE
        sent.forEach(kernel::commit);
        RingBuffer ring = kernel.consumer();
        assertEquals(SIZE, ring.pendingBytes());

        List<byte[]> records = new ArrayList<>();
        int returned = ring.drain(record -> records.add(copy(record)));

        assertEquals(4, returned);
        assertRecordsEqual(sent, records);
        assertEquals(start + SIZE, kernel.consumerPosition());
        assertEquals(0, ring.pendingBytes());
        assertEquals(0, ring.drain(record -> records.add(copy(record))), "a second drain finds nothing");
    }

    @Test
    void recordsCommittedDuringTheDrainAreDeliveredInTheSameDrain() {
        FakeKernel kernel = new FakeKernel(0);
        kernel.commit(text("one"));
        RingBuffer ring = kernel.consumer();
        List<byte[]> records = new ArrayList<>();

        int returned = ring.drain(record -> {
            records.add(copy(record));
            if (records.size() == 1) {
                kernel.commit(text("two")); // the kernel keeps producing while we read
            }
        });

        assertEquals(2, returned);
        assertRecordsEqual(List.of(text("one"), text("two")), records);
    }

    @Test
    void recordViewIsBoundedAndInNativeOrder() {
        FakeKernel kernel = new FakeKernel(0);
        byte[] payload = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putLong(0x1122334455667788L)
                .putInt(42).array();
        kernel.commit(payload);
        kernel.commit(bytes(16, 9)); // a neighbour the view must not reach into

        List<Long> longs = new ArrayList<>();
        List<Integer> remaining = new ArrayList<>();
        kernel.consumer().drain(record -> {
            if (remaining.isEmpty()) {
                remaining.add(record.remaining());
                longs.add(record.getLong(record.position()));
            }
        });

        assertEquals(List.of(12), remaining);
        assertEquals(List.of(0x1122334455667788L), longs);
    }

    @Test
    void rejectsSizesThatCannotBeARing() {
        FakeKernel kernel = new FakeKernel(0);
        assertThrows(IllegalArgumentException.class,
                () -> new RingBuffer(kernel.consumerPage, kernel.producerPage, kernel.data, 3 * 64));
        assertThrows(IllegalArgumentException.class,
                () -> new RingBuffer(kernel.consumerPage, kernel.producerPage, direct(SIZE / 2), SIZE),
                "a data area smaller than the ring");
    }

    @Test
    void everyRecordSizeWrapsCorrectlyAtEveryOffset() {
        // Each (start offset, payload length) pair: the record may end before the end, exactly at it, or wrap with any
        // split, including a header that fills the last 8 bytes so that the whole payload lies at the beginning.
        for (int startOffset = 0; startOffset < SIZE; startOffset += 8) {
            for (int length = 0; length <= SIZE - 8 - 24; length++) {
                FakeKernel kernel = new FakeKernel(5L * SIZE + startOffset);
                byte[] payload = bytes(length, startOffset + length);
                byte[] next = bytes(9, length);
                kernel.commit(payload);
                kernel.commit(next);
                Drained drained = drain(kernel);
                assertRecordsEqual(List.of(payload, next), drained.records);
                assertEquals(kernel.producerPosition(), kernel.consumerPosition(),
                        "offset " + startOffset + " length " + length);
            }
        }
    }

    @Test
    void wrappedRecordIsReadBeforeItsSpaceIsReleased() {
        // The copy of a wrapping record must be complete while the consumer position still covers it: as soon as it is
        // released the kernel may write the next record over it.
        FakeKernel kernel = new FakeKernel(SIZE - 16);
        byte[] wrapping = bytes(40, 3);
        long start = kernel.commit(wrapping);
        RingBuffer ring = kernel.consumer();
        List<Long> consumerInHandler = new ArrayList<>();
        List<byte[]> records = new ArrayList<>();

        ring.drain(record -> {
            consumerInHandler.add(kernel.consumerPosition());
            records.add(copy(record));
        });

        assertEquals(List.of(start), consumerInHandler);
        assertRecordsEqual(List.of(wrapping), records);
    }

    @Test
    void wrappedRecordViewIsBoundedAndInNativeOrder() {
        // Header in the last 16 bytes but 8; the payload's long field straddles the end of the data area.
        FakeKernel kernel = new FakeKernel(SIZE - 16);
        byte[] payload = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putInt(7).putLong(0x0102030405060708L)
                .array();
        kernel.commit(payload);
        kernel.commit(bytes(16, 9)); // a neighbour the copy must not reach into
        List<Long> longs = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();

        kernel.consumer().drain(record -> {
            sizes.add(record.remaining());
            if (longs.isEmpty()) {
                longs.add(record.getLong(record.position() + 4));
            }
        });

        assertEquals(List.of(12, 16), sizes);
        assertEquals(List.of(0x0102030405060708L), longs);
    }

    @Test
    void largeWrappingRecordsAfterSmallOnesAreWhole() {
        // The scratch buffer grows with the records that need it.
        FakeKernel kernel = new FakeKernel(SIZE - 16);
        byte[] small = bytes(20, 1);
        kernel.commit(small); // wraps: 8 + 20 bytes from 16 before the end
        Drained first = drain(kernel);
        assertRecordsEqual(List.of(small), first.records);
        byte[] filler = bytes(SIZE - 8 - 32 - 8 - 8, 2);
        kernel.commit(filler);
        byte[] big = bytes(SIZE - 64, 4);
        Drained second = drain(kernel);
        assertRecordsEqual(List.of(filler), second.records);
        kernel.commit(big);
        Drained third = drain(kernel);
        assertRecordsEqual(List.of(big), third.records);
    }

    // ---- the simulated kernel -----------------------------------------------------------------------------------

    /** The producer half, as kernel/bpf/ringbuf.c does it, over the same memory the consumer reads. */
    private static final class FakeKernel {
        final ByteBuffer consumerPage = direct(PAGE);
        final ByteBuffer producerPage = direct(PAGE);
        final ByteBuffer data = direct(SIZE);
        private long producer;

        FakeKernel(long startPosition) {
            producer = startPosition;
            consumerPage.putLong(0, startPosition);
            producerPage.putLong(0, startPosition);
        }

        RingBuffer consumer() {
            return new RingBuffer(consumerPage, producerPage, data, SIZE);
        }

        /** Reserves and commits a record; returns its start position. */
        long commit(byte[] payload) {
            return write(payload, 0);
        }

        /** Writes a record whose header carries {@code flags} (BUSY, DISCARD) and publishes the producer position. */
        long write(byte[] payload, int flags) {
            long start = producer;
            if (start + 8 + payload.length - consumerPosition() > SIZE) {
                throw new IllegalStateException("test bug: the ring has no room for this record");
            }
            putInt(start, payload.length | flags);
            putInt(start + 4, (int) ((start & (SIZE - 1)) / PAGE + 1)); // pg_off: unused by the consumer
            for (int i = 0; i < payload.length; i++) {
                putByte(start + 8 + i, payload[i]);
            }
            producer += (8 + payload.length + 7) & ~7;
            producerPage.putLong(0, producer);
            return start;
        }

        /** Commits a BUSY record or un-discards one: the header keeps only the length. */
        void clearFlags(long start) {
            int header = data.getInt((int) (start & (SIZE - 1)));
            putInt(start, header & ~(RingBuffer.BUSY_BIT | RingBuffer.DISCARD_BIT));
        }

        long consumerPosition() {
            return consumerPage.getLong(0);
        }

        long producerPosition() {
            return producerPage.getLong(0);
        }

        private void putInt(long position, int value) {
            byte[] raw = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
            for (int i = 0; i < 4; i++) {
                putByte(position + i, raw[i]);
            }
        }

        private void putByte(long position, byte value) {
            data.put((int) (position & (SIZE - 1)), value);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private record Drained(int returned, List<byte[]> records) {
    }

    private static Drained drain(FakeKernel kernel) {
        List<byte[]> records = new ArrayList<>();
        int returned = kernel.consumer().drain(record -> records.add(copy(record)));
        return new Drained(returned, records);
    }

    private static void assertRecordsEqual(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "record count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "record " + i);
        }
    }

    /** A direct buffer aligned to 8 bytes (the reader uses atomic 8-byte accesses, which need alignment). */
    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes + 8).alignedSlice(8).limit(bytes).slice().order(ByteOrder.nativeOrder());
    }

    private static byte[] copy(ByteBuffer record) {
        byte[] bytes = new byte[record.remaining()];
        record.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i);
        }
        return bytes;
    }
}
