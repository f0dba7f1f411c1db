package io.httpprofiler;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's "Limits" table is the one list of the profiler's bounds. Each row names the constant that defines its value
 * (a Java constant as {@code package.Class.NAME} below io.httpprofiler, or a C {@code #define} as {@code file: NAME}):
 * the value in the table must be that constant's, and every limit-like constant of the code ({@code MAX_}, {@code MIN_},
 * {@code DEFAULT_}) must have a row.
 */
class LimitsTableTest {
    private static final Path README = Path.of("README.md");
    private static final Path CLASSES = Path.of("target/classes");
    private static final Pattern ROW = Pattern.compile("^\\| (.+?) \\|\\s*(.*?)\\s*\\|\\s*(.*?)\\s*\\| `([^`]+)` \\|$");
    private static final Pattern VALUE = Pattern.compile("^([0-9][0-9,]*)(?: (KiB|MiB|GiB|bytes|ms|s|min))?\\b.*");
    private static final Pattern LIMIT_NAME = Pattern.compile("^(MAX|MIN|DEFAULT)_[A-Z0-9_]+$");
    /** Named like limits, but not bounds on anything the profiler is given: sizes of its own scratch space. */
    private static final Set<String> NOT_LIMITS = Set.of(
            "output.Timestamps.MAX_LENGTH", // the longest timestamp text the writers produce
            "http.BodyBuffer.MIN_CAPACITY"); // the first allocation of a kept body

    private record Row(String what, String value, String reference) {
    }

    @Test
    void everyValueInTheTableIsTheValueOfTheConstantItNames() throws Exception {
        List<Row> rows = rows();
        assertFalse(rows.isEmpty(), "the table has rows");
        List<Executable> checks = new ArrayList<>();
        for (Row row : rows) {
            checks.add(() -> assertEquals(tableValue(row), codeValue(row.reference()), row.what() + " ("
                    + row.reference() + ")"));
        }
        assertAll("README limits vs code", checks);
    }

    @Test
    void everyLimitConstantInTheCodeHasARow() throws Exception {
        Set<String> listed = new TreeSet<>();
        for (Row row : rows()) {
            listed.add(row.reference());
        }
        Set<String> missing = new TreeSet<>();
        for (String reference : limitConstants()) {
            if (!listed.contains(reference) && !NOT_LIMITS.contains(reference)) {
                missing.add(reference);
            }
        }
        assertEquals(Set.of(), missing, "limits without a row in README's Limits table");
    }

    private static List<Row> rows() throws IOException {
        String readme = Files.readString(README);
        int start = readme.indexOf("\n## Limits\n");
        assertTrue(start >= 0, "README has a '## Limits' section");
        int end = readme.indexOf("\n## ", start + 1);
        List<Row> rows = new ArrayList<>();
        for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| limit |") || line.startsWith("| ---")
                    || line.startsWith("| **")) {
                continue; // not a row, the header, or a group's title
            }
            Matcher m = ROW.matcher(line);
            assertTrue(m.matches(), () -> "a row: | limit | value | past it | `defined in` |, not: " + line);
            rows.add(new Row(m.group(1), m.group(2), m.group(4)));
        }
        return rows;
    }

    /** The table's value as the constant holds it: a number of bytes or items, or a Duration. */
    private static Object tableValue(Row row) {
        Matcher m = VALUE.matcher(row.value());
        assertTrue(m.matches(), () -> "a number (and unit) first: '" + row.value() + "' in " + row.what());
        long number = Long.parseLong(m.group(1).replace(",", ""));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "KiB" -> number << 10;
            case "MiB" -> number << 20;
            case "GiB" -> number << 30;
            case "ms" -> Duration.ofMillis(number);
            case "s" -> Duration.ofSeconds(number);
            case "min" -> Duration.ofMinutes(number);
            default -> number;
        };
    }

    /** The constant's value: numbers as long, durations (and constants in _NANOS or _MILLIS) as Duration. */
    private static Object codeValue(String reference) throws Exception {
        int colon = reference.indexOf(": ");
        if (colon > 0) {
            return cDefine(Path.of("bpf", reference.substring(0, colon)), reference.substring(colon + 2));
        }
        int dot = reference.lastIndexOf('.');
        Field field = javaClass(reference.substring(0, dot)).getDeclaredField(reference.substring(dot + 1));
        assertTrue(Modifier.isStatic(field.getModifiers()) && Modifier.isFinal(field.getModifiers()), reference);
        field.setAccessible(true);
        Object value = field.get(null);
        if (value instanceof Duration) {
            return value;
        }
        long number = ((Number) value).longValue();
        if (field.getName().endsWith("_NANOS")) {
            return Duration.ofNanos(number);
        }
        if (field.getName().endsWith("_MILLIS")) {
            return Duration.ofMillis(number);
        }
        return number;
    }

    private static long cDefine(Path file, String name) throws IOException {
        Matcher m = Pattern.compile("(?m)^#define " + name + " (\\d+)\\b").matcher(Files.readString(file));
        assertTrue(m.find(), () -> "#define " + name + " <number> in " + file);
        long value = Long.parseLong(m.group(1));
        assertFalse(m.find(), () -> "one #define " + name + " in " + file);
        return value;
    }

    /** {@code cli.Outputs.DeferredFlush} is the nested class {@code io.httpprofiler.cli.Outputs$DeferredFlush}. */
    private static Class<?> javaClass(String name) throws ClassNotFoundException {
        String binary = "io.httpprofiler." + name;
        while (true) {
            try {
                return Class.forName(binary);
            } catch (ClassNotFoundException e) {
                int dot = binary.lastIndexOf('.');
                if (dot < 0) {
                    throw e;
                }
                binary = binary.substring(0, dot) + '$' + binary.substring(dot + 1);
            }
        }
    }

    /** Every static final number or Duration named like a limit in the main classes, as table references. */
    private static Set<String> limitConstants() throws Exception {
        Set<String> found = new TreeSet<>();
        Path root = CLASSES.resolve("io/httpprofiler");
        assertTrue(Files.isDirectory(root), "compiled classes in " + root);
        List<Path> classFiles;
        try (Stream<Path> files = Files.walk(root)) {
            classFiles = files.filter(f -> f.toString().endsWith(".class")).toList();
        }
        for (Path file : classFiles) {
            String binary = CLASSES.relativize(file).toString().replace(".class", "").replace('/', '.');
            Class<?> type = Class.forName(binary, false, LimitsTableTest.class.getClassLoader());
            // The layout mirror holds offsets (Config.MAX_BODY is where max_body sits), not limits; its one limit,
            // MAX_RECORD_DATA, has its row anyway.
            if (type.getName().startsWith("io.httpprofiler.capture.EventLayout")) {
                continue;
            }
            for (Field field : type.getDeclaredFields()) {
                int modifiers = field.getModifiers();
                Class<?> t = field.getType();
                boolean numberOrDuration = t == int.class || t == long.class || t == Duration.class;
                if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && numberOrDuration
                        && LIMIT_NAME.matcher(field.getName()).matches()) {
                    found.add(binary.substring("io.httpprofiler.".length()).replace('$', '.') + "." + field.getName());
                }
            }
        }
        return found;
    }
}
