package io.httpprofiler.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DirectBlockTest {
    @TempDir
    Path dir;

    @Test
    void blocksOfEverySizeReachTheFileWholeAndInOrder() throws IOException {
        Path file = dir.resolve("out");
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DirectBlock block = new DirectBlock();
        Random random = new Random(7);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // small, around the initial capacity, past the kept capacity (released), and small again after it
            for (int size : new int[] {1, 100, DirectBlock.INITIAL_CAPACITY - 1, DirectBlock.INITIAL_CAPACITY + 1,
                    3 * DirectBlock.KEPT_CAPACITY, 10}) {
                byte[] bytes = new byte[size];
                random.nextBytes(bytes);
                for (int at = 0; at < size; at += 1000) { // in pieces, as the writers hand them over
                    block.write(bytes, at, Math.min(1000, size - at));
                }
                block.write('\n');
                expected.write(bytes);
                expected.write('\n');
                assertEquals(size + 1, block.size());
                block.writeTo(channel);
                assertEquals(0, block.size());
            }
        }
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(file));
    }

    @Test
    void aFailedWriteKeepsTheBytesForTheCallerToHold() throws IOException {
        DirectBlock block = new DirectBlock();
        block.write(new byte[] {'a', 'b', 'c'}, 0, 3);
        Path file = dir.resolve("read-only");
        Files.writeString(file, "");
        try (FileChannel readOnly = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThrows(java.nio.channels.NonWritableChannelException.class, () -> block.writeTo(readOnly));
        }
        ByteArrayOutputStream held = new ByteArrayOutputStream();
        block.copyTo(held);
        assertArrayEquals(new byte[] {'a', 'b', 'c'}, held.toByteArray());
        assertEquals(3, block.size());
    }
}
