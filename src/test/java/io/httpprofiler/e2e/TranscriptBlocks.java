package io.httpprofiler.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transcript as a reader sees it: blocks separated by a blank line, each opened by a summary line
 * {@code [2026-11-22 11:30:00.123] PID 1234 (nginx) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7  1.2 ms}.
 */
final class TranscriptBlocks {
    static final Pattern SUMMARY = Pattern.compile("\\[(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})] PID (\\d+) \\((.*)\\)"
            + " (server|client|unknown) (\\S+) (<-|->|<->) (\\S+) fd (\\d+)"
            // Where the process runs, when known (network namespace, container, pod).
            + "(?: netns \\d+)?(?: container \\S+)?(?: pod \\S+)?(?:  HTTP/2 stream \\d+)?(?:  grpc-status \\d+(?: \"[^\"]*\")?)?"
            + "(?:  (\\d+(?:\\.\\d+)? (?:ms|s)))?"
            // A report of an exchange still in progress: its first as a block, later ones as this line alone.
            + "(?:  in progress (\\d+(?:\\.\\d+)? (?:ms|s))(: .*)?)?");

    /**
     * One block: its summary fields and its full text. {@code openFor} is how long the exchange had been open, for a
     * report of an exchange in progress (null for an exchange's final block), and {@code soFar} what a later report
     * says of it ({@code GET /events → 200, response body 2468 bytes so far}; null for a first report).
     */
    record Block(String time, long pid, String comm, String role, String local, String arrow, String remote, int fd,
                 String duration, String text, String openFor, String soFar) {
        boolean inProgress() {
            return openFor != null;
        }

        List<String> lines() {
            return List.of(text.split("\n"));
        }

        /** The request line (after the → arrow). */
        String requestLine() {
            return lines().stream().filter(l -> l.startsWith("  → ")).map(l -> l.substring(4)).findFirst().orElse(null);
        }

        /** The status line (after the ← arrow). */
        String statusLine() {
            return lines().stream().filter(l -> l.startsWith("  ← ")).map(l -> l.substring(4)).findFirst().orElse(null);
        }

        boolean contains(String fragment) {
            return text.contains(fragment);
        }

        void assertContains(String fragment) {
            assertTrue(text.contains(fragment), () -> "transcript block lacks '" + fragment + "':\n" + text);
        }

        void assertLacks(String fragment) {
            assertTrue(!text.contains(fragment), () -> "transcript block should not contain '" + fragment + "':\n" + text);
        }
    }

    private TranscriptBlocks() {
    }

    /** Every block of the transcript; fails on a block whose first line is not a summary line. */
    static List<Block> parse(String transcript) {
        List<Block> blocks = new ArrayList<>();
        for (String chunk : transcript.split("\n\n")) {
            if (chunk.isBlank()) {
                continue;
            }
            String first = chunk.lines().findFirst().orElse("");
            Matcher m = SUMMARY.matcher(first);
            assertTrue(m.matches(), () -> "not a block summary line: '" + first + "' in block\n" + chunk);
            blocks.add(new Block(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4), m.group(5), m.group(6),
                    m.group(7), Integer.parseInt(m.group(8)), m.group(9), chunk, m.group(10),
                    m.group(11) == null ? null : m.group(11).substring(2)));
        }
        return blocks;
    }

    /** The blocks written when exchanges ended (or were given up on): reports of exchanges in progress left out. */
    static List<Block> finals(String transcript) {
        return parse(transcript).stream().filter(b -> !b.inProgress()).toList();
    }

    /** Final blocks by role and request line, for looking up many exchanges in one transcript. */
    static Map<String, List<Block>> index(String transcript) {
        return finals(transcript).stream().collect(Collectors.groupingBy(b -> b.role() + " " + b.requestLine()));
    }

    /** The one indexed block with this role and request line. */
    static Block single(Map<String, List<Block>> index, String role, String requestLine) {
        List<Block> found = index.getOrDefault(role + " " + requestLine, List.of());
        assertEquals(1, found.size(), () -> "transcript blocks for " + role + " '" + requestLine + "': " + found);
        return found.get(0);
    }

    /** The one final block with this role whose request line is exactly {@code METHOD target VERSION}. */
    static Block single(String transcript, String role, String requestLine) {
        List<Block> found = finals(transcript).stream()
                .filter(b -> b.role().equals(role) && requestLine.equals(b.requestLine())).toList();
        assertEquals(1, found.size(), () -> "transcript blocks for " + role + " '" + requestLine + "': " + found.size()
                + "\n" + transcript);
        return found.get(0);
    }
}
