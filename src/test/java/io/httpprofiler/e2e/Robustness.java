package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Helpers of the robustness tests: reading the profiler's totals and stats lines, its memory, the BPF programs it holds,
 * and running it to completion for the failure cases.
 */
final class Robustness {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Robustness() {
    }

    /** The counters of a {@code http-profiler stats:} or {@code http-profiler stopped:} line. */
    record Totals(String line, long events, long bytes, long exchanges, long incomplete, long connections,
                  long ringFullRecords, long ringFullBytes, long gaps, long gapBytes, long notCopiedBytes,
                  long parseErrors, long nonHttpConnections, long shedConnections, long overBufferLimitBytes,
                  long responsesWithoutRequest, long outputLostBytes, long internalErrors) {

        static Totals parse(String line) {
            return new Totals(line, number(line, "events (\\d+)"), number(line, ", bytes (\\d+)"),
                    number(line, "exchanges (\\d+) \\("), number(line, "\\(incomplete (\\d+)\\)"),
                    number(line, "\\), connections (\\d+)"), number(line, "ring full (\\d+) records/"),
                    number(line, "ring full \\d+ records/(\\d+) bytes"), number(line, "gaps (\\d+)/"),
                    number(line, "gaps \\d+/(\\d+) bytes"), number(line, "not copied (\\d+) bytes"),
                    number(line, "parse errors (\\d+)"), number(line, "non-HTTP connections (\\d+)"),
                    number(line, "shed connections (\\d+)"), optional(line, "over buffer limits (\\d+) bytes"),
                    optional(line, "responses without request (\\d+)"), optional(line, "output lost (\\d+) bytes"),
                    optional(line, "internal errors (\\d+)"));
        }

        private static long number(String line, String regex) {
            Matcher m = Pattern.compile(regex).matcher(line);
            assertTrue(m.find(), () -> "no /" + regex + "/ in: " + line);
            return Long.parseLong(m.group(1));
        }

        private static long optional(String line, String regex) {
            Matcher m = Pattern.compile(regex).matcher(line);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        }
    }

    /** The exit totals: the last {@code http-profiler stopped:} line. */
    static Totals stopped(List<String> stderr) {
        return Totals.parse(last(stderr, "http-profiler stopped: "));
    }

    static String last(List<String> lines, String prefix) {
        String found = null;
        for (String line : lines) {
            if (line.startsWith(prefix)) {
                found = line;
            }
        }
        assertNotNull(found, () -> "no line starting with '" + prefix + "' in " + lines);
        return found;
    }

    static List<String> startingWith(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).toList();
    }

    /** The profiler must not have died or run out of memory, and must never have printed a stack trace. */
    static void assertHealthy(ProfilerProcess profiler) {
        assertTrue(ProcessHandle.of(profiler.pid()).map(ProcessHandle::isAlive).orElse(false),
                () -> "profiler exited; stderr: " + profiler.stderr());
        assertNoCrashSigns(profiler.stderr());
    }

    static void assertNoCrashSigns(List<String> stderr) {
        for (String line : stderr) {
            assertTrue(!line.contains("OutOfMemoryError") && !line.contains("Exception") && !line.startsWith("\tat "),
                    () -> "crash sign in stderr: " + line + "\nall: " + String.join("\n", stderr));
        }
    }

    /** A line of /proc/PID/status in kB (VmHWM: peak resident set; VmRSS: now), or -1 once the process is gone. */
    static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException gone) {
            return -1;
        }
        return -1;
    }

    /** {@code jcmd PID GC.heap_info}'s first line ("garbage-first heap total ..., used ..."), for the record. */
    static String heapInfo(long pid) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            jcmd.waitFor(30, TimeUnit.SECONDS);
            return out.lines().filter(l -> l.contains("heap")).findFirst().orElse(out.trim()).trim();
        } catch (IOException | InterruptedException e) {
            return "jcmd failed: " + e;
        }
    }

    /** Used heap in KiB from a heap_info line, or -1. */
    static long heapUsedKb(String heapInfoLine) {
        Matcher m = Pattern.compile("used (\\d+)K").matcher(heapInfoLine);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * From a {@code -Xlog:gc} file: the most heap in use before a collection and the most still in use after one (the
     * live set at its worst), in MB.
     */
    static long[] gcPeaksMb(Path gcLog) throws IOException {
        long before = 0;
        long after = 0;
        Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)").matcher(Files.readString(gcLog));
        while (m.find()) {
            before = Math.max(before, Long.parseLong(m.group(1)));
            after = Math.max(after, Long.parseLong(m.group(2)));
        }
        return new long[] {before, after};
    }

    /** Ids of the BPF programs a process holds open (its fds' fdinfo "prog_id:" lines). */
    static Set<Integer> programIdsHeldBy(long pid) {
        Set<Integer> ids = new HashSet<>();
        Path fdinfo = Path.of("/proc", Long.toString(pid), "fdinfo");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdinfo)) {
            for (Path fd : fds) {
                try {
                    for (String line : Files.readAllLines(fd)) {
                        if (line.startsWith("prog_id:")) {
                            ids.add(Integer.parseInt(line.substring(8).trim()));
                        }
                    }
                } catch (IOException closedMeanwhile) {
                    // fd closed between listing and reading
                }
            }
        } catch (IOException gone) {
            // process ended
        }
        return ids;
    }

    /** bpftool's path: Debian installs it in /usr/sbin, which a non-login root shell's PATH may lack. */
    static String bpftoolCommand() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "bpftool"))) {
                return Path.of(dir, "bpftool").toString();
            }
        }
        return "bpftool";
    }

    /** Ids of every BPF program loaded in the kernel, per {@code bpftool prog list -j}. */
    static Set<Integer> loadedProgramIds() throws IOException, InterruptedException {
        Process bpftool = new ProcessBuilder(bpftoolCommand(), "-j", "prog", "list").start();
        byte[] out = bpftool.getInputStream().readAllBytes();
        assertTrue(bpftool.waitFor(30, TimeUnit.SECONDS) && bpftool.exitValue() == 0, "bpftool prog list failed");
        Set<Integer> ids = new HashSet<>();
        for (JsonNode program : JSON.readTree(out)) {
            ids.add(program.path("id").asInt());
        }
        return ids;
    }

    /** Samples, until the process ends, the ids of the BPF programs it holds. */
    static final class ProgramWatcher implements AutoCloseable {
        private final Set<Integer> seen = Collections.synchronizedSet(new HashSet<>());
        private final Thread thread;
        private volatile boolean stop;

        ProgramWatcher(long pid) {
            thread = new Thread(() -> {
                while (!stop && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    seen.addAll(programIdsHeldBy(pid));
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bpf-program-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        Set<Integer> seen() {
            return Set.copyOf(seen);
        }

        /** The programs the process holds, once the watcher has seen any (its thread may not have looked yet). */
        Set<Integer> awaitSeen(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return seen();
        }

        /** After the process ended: none of its programs may still be loaded. */
        void assertAllUnloaded() throws IOException, InterruptedException {
            close();
            Set<Integer> left = new HashSet<>(seen());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            do { // the kernel frees programs asynchronously (RCU) after the last reference is gone
                left.retainAll(loadedProgramIds());
                if (left.isEmpty()) {
                    return;
                }
                Thread.sleep(100);
            } while (System.nanoTime() < deadline);
            fail("BPF programs still loaded after the profiler exited: " + left);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5_000);
        }
    }

    /** How a run that was expected to end by itself ended. */
    record Exit(int code, String stdout, List<String> stderr, Set<Integer> programs) {
        @Override
        public String toString() {
            return "exit " + code + ", stderr " + stderr + ", stdout " + stdout;
        }
    }

    /** Runs a command (a profiler that is expected to fail, say) to completion, watching the BPF programs it loads. */
    static Exit run(List<String> command, Path workingDirectory, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("profiler-out", ".txt");
        Path err = Files.createTempFile("profiler-err", ".txt");
        try {
            Process process = new ProcessBuilder(command).directory(workingDirectory.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            ProgramWatcher watcher = new ProgramWatcher(process.pid());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                fail(command + " did not finish within " + timeout + "; stderr: " + Files.readString(err));
            }
            watcher.assertAllUnloaded();
            return new Exit(process.exitValue(), Files.readString(out), Files.readAllLines(err), watcher.seen());
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The profiler jar run with these JVM options ({@code prefix}: setpriv, unshare ... in front). */
    static List<String> profilerCommand(List<String> prefix, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(ProfilerProcess.javaBinary());
        command.add("-Xmx64m");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(ProfilerProcess.jar().toAbsolutePath().toString());
        command.addAll(List.of(args));
        return command;
    }

    /** Every regular file below dir, as paths relative to it. */
    static List<String> filesBelow(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (var walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** Runs a shell command as root, fails on a non-zero exit; returns its output. */
    static String sh(String script) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "timed out: " + script);
        assertTrue(process.exitValue() == 0, () -> "failed (" + process.exitValue() + "): " + script + "\n" + out);
        return out;
    }
}
