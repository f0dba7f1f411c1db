package io.httpprofiler.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RotatingFileOutputTest {
    @TempDir
    Path dir;
    private final List<String> problems = new ArrayList<>();

    @Test
    void rotatesBeforeABlockThatWouldNotFitSoNoFileIsBiggerThanNeeded() throws IOException {
        Path file = dir.resolve("t.txt");
        try (RotatingFileOutput out = new RotatingFileOutput(file, 1000, 2, problems::add)) {
            for (int i = 0; i < 21; i++) {
                block(out, i, 300);
            }
        }
        for (String name : List.of("t.txt", "t.txt.1", "t.txt.2")) {
            String text = Files.readString(dir.resolve(name));
            assertEquals(900, text.length(), name + ": three whole 300-byte blocks, never a fourth");
            assertTrue(text.startsWith("block "), name);
        }
        assertFalse(Files.exists(dir.resolve("t.txt.3")));
        assertTrue(Files.readString(file).contains("block 20 "), "the newest block is in the live file");
        assertTrue(problems.isEmpty(), problems::toString);
    }

    @Test
    void aBlockBiggerThanTheLimitGetsAFileOfItsOwn() throws IOException {
        Path file = dir.resolve("t.txt");
        try (RotatingFileOutput out = new RotatingFileOutput(file, 1000, 3, problems::add)) {
            block(out, 1, 100);
            block(out, 2, 5000);
            block(out, 3, 100);
        }
        assertEquals(100, Files.size(dir.resolve("t.txt.2")));
        assertEquals(5000, Files.size(dir.resolve("t.txt.1")));
        assertEquals(100, Files.size(file));
    }

    @Test
    void aRemovedDirectoryIsReportedAndCreatedAgain() throws Exception {
        Path file = dir.resolve("sub/t.txt");
        try (RotatingFileOutput out = new RotatingFileOutput(file, 0, 0, problems::add)) {
            block(out, 1, 50);
            Files.delete(file);
            Files.delete(file.getParent());
            Thread.sleep(RotatingFileOutput.PRESENCE_CHECK_NANOS / 1_000_000 + 50);
            block(out, 2, 50);
        }
        assertEquals(List.of(file + " was removed while being written; creating it again"), problems);
        assertTrue(Files.readString(file).startsWith("block 2 "));
    }

    @Test
    void aFailedStartLeavesNothingBehind() throws IOException {
        Path existing = Files.writeString(dir.resolve("kept.txt"), "old\n");
        new RotatingFileOutput(existing, 0, 0, problems::add).discardIfUnused();
        assertEquals("old\n", Files.readString(existing), "a file that was there stays");
        Path fresh = dir.resolve("a/b/t.txt");
        new RotatingFileOutput(fresh, 0, 0, problems::add).discardIfUnused();
        assertFalse(Files.exists(dir.resolve("a")), "created directories are removed too");
    }

    @Test
    void aFileThatCannotBeWrittenHoldsWholeBlocksAndReportsOnce() throws Exception {
        Path file = dir.resolve("t.txt");
        RotatingFileOutput out = new RotatingFileOutput(file, 0, 0, problems::add);
        block(out, 1, 10);
        // Make the path unusable: a directory where the file should be reopened.
        Files.delete(file);
        Files.createDirectory(file);
        Thread.sleep(RotatingFileOutput.PRESENCE_CHECK_NANOS / 1_000_000 + 50);
        for (int i = 2; i < 50; i++) {
            block(out, i, 200_000); // 9.6 MB: more than may be held
        }
        assertEquals(2, problems.size(), problems::toString); // "was replaced", then "cannot write"
        assertTrue(problems.get(1).startsWith("cannot write " + file), problems::toString);
        assertTrue(out.droppedBytes() > 0 && out.droppedBytes() % 200_000 == 0, "whole blocks are dropped: "
                + out.droppedBytes());
        Files.delete(file);
        out.close(); // retries at once
        String text = Files.readString(file);
        assertEquals(0, text.length() % 200_000, "whole blocks only");
        assertTrue(text.startsWith("block 2 "));
    }

    private static void block(RotatingFileOutput out, int n, int size) throws IOException {
        String text = ("block " + n + " " + "x".repeat(size)).substring(0, size - 1) + "\n";
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
