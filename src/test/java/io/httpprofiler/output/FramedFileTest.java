package io.httpprofiler.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files as documents (a JSON array of entries per file, rotated or not) and file modes. */
class FramedFileTest {
    private static final RotatingFileOutput.Framing ARRAY = new RotatingFileOutput.Framing(
            "{\"entries\":[\n".getBytes(StandardCharsets.US_ASCII), ",\n".getBytes(StandardCharsets.US_ASCII),
            "\n]}\n".getBytes(StandardCharsets.US_ASCII));
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final List<String> problems = new ArrayList<>();

    private static void entry(RotatingFileOutput out, int n) {
        out.write(("{\"n\":" + n + ",\"pad\":\"" + "x".repeat(80) + "\"}").getBytes(StandardCharsets.US_ASCII), 0,
                ("{\"n\":" + n + ",\"pad\":\"" + "x".repeat(80) + "\"}").length());
        out.flush();
    }

    private List<Integer> entries(Path file) throws IOException {
        JsonNode document = JSON.readTree(Files.readString(file)); // throws if not one JSON document
        List<Integer> numbers = new ArrayList<>();
        document.path("entries").forEach(e -> numbers.add(e.path("n").asInt()));
        return numbers;
    }

    @Test
    void everyRotatedFileIsACompleteDocumentAndNoEntryIsLost() throws IOException {
        Path file = dir.resolve("t.har");
        try (RotatingFileOutput out = new RotatingFileOutput(file, 500, 10, RotatingFileOutput.DEFAULT_MODE, ARRAY,
                problems::add)) {
            for (int i = 0; i < 20; i++) {
                entry(out, i);
            }
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 10; i >= 1; i--) {
            Path rotated = dir.resolve("t.har." + i);
            if (Files.exists(rotated)) {
                assertTrue(Files.size(rotated) <= 500, rotated + " within the limit");
                all.addAll(entries(rotated));
            }
        }
        all.addAll(entries(file));
        assertEquals(java.util.stream.IntStream.range(0, 20).boxed().toList(), all);
        assertTrue(Files.exists(dir.resolve("t.har.3")), "it did rotate");
        assertTrue(problems.isEmpty(), problems::toString);
    }

    @Test
    void anEmptyDocumentIsStillADocumentAndAnOldOneIsReplaced() throws IOException {
        Path file = dir.resolve("t.har");
        Files.writeString(file, "{\"entries\":[\n{\"n\":99}\n]}\n");
        new RotatingFileOutput(file, 0, 0, RotatingFileOutput.DEFAULT_MODE, ARRAY, problems::add).discardIfUnused();
        assertEquals(List.of(99), entries(file), "a start that failed leaves the old document alone");
        new RotatingFileOutput(file, 0, 0, RotatingFileOutput.DEFAULT_MODE, ARRAY, problems::add).close();
        assertEquals(List.of(), entries(file));
        try (RotatingFileOutput out = new RotatingFileOutput(file, 0, 0, RotatingFileOutput.DEFAULT_MODE, ARRAY,
                problems::add)) {
            entry(out, 1);
            entry(out, 2);
        }
        assertEquals(List.of(1, 2), entries(file));
    }

    @Test
    void filesGetTheirModeWhateverTheUmaskAndWhenRotated() throws IOException {
        Path file = dir.resolve("t.txt");
        Files.writeString(file, "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (RotatingFileOutput out = new RotatingFileOutput(file, 200, 2,
                PosixFilePermissions.fromString("rw-r-----"), null, problems::add)) {
            for (int i = 0; i < 6; i++) {
                entry(out, i);
            }
        }
        for (String name : List.of("t.txt", "t.txt.1", "t.txt.2")) {
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name))),
                    name);
        }
        Path fresh = dir.resolve("u.txt");
        new RotatingFileOutput(fresh, 0, 0, problems::add).close();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)), "the default");
    }
}
