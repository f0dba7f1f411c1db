package io.httpprofiler.e2e;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failures users hit, for real: the packaged jar run as they would run it (as another user, without capabilities,
 * without tracefs, with bad options, with outputs it cannot write). Each must end with exit code 2 and exactly one line
 * on stderr, starting with {@code http-profiler:}, naming cause and fix (these lines are the README's "Errors" table);
 * no stack trace, no output file, no BPF program left loaded. Only the "no BTF" and "kernel too old" cases are staged, by
 * pointing the preflight checks at a fake /proc and /sys with the hidden property {@code httpprofiler.preflight.root}.
 */
@Tag("root")
class UserErrorsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String CAPS_FIX = ": run as root (sudo), or in a container add --cap-add BPF --cap-add PERFMON"
            + " (older engines: --cap-add SYS_ADMIN)";

    @TempDir
    Path dir;
    private Path work;
    private Path out;
    private final List<String> mounts = new ArrayList<>();

    @BeforeEach
    void dirs() throws IOException {
        E2e.assumeCanTrace();
        // Writable by anyone, so that the only thing wrong for `nobody` is what the test means to be wrong.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        work = Files.createDirectories(dir.resolve("work"));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        out = work.resolve("out");
    }

    @AfterEach
    void unmount() throws Exception {
        for (String mount : mounts) {
            Robustness.sh("umount -l " + mount);
        }
    }

    // --- bad options -----------------------------------------------------------------------------------------------

    @Test
    void unknownOption() throws Exception {
        expect("http-profiler: Unknown option: '--bogus' (see --help)", "--bogus");
    }

    @Test
    void unknownAttachMode() throws Exception {
        expect("http-profiler: unknown attach mode 'bogus': use auto, kprobe or tracepoint (see --help)",
                "--attach", "bogus");
    }

    @Test
    void portOutOfRange() throws Exception {
        expect("http-profiler: --port 70000 is not a TCP port (1-65535) (see --help)", "--port", "70000");
        expect("http-profiler: Invalid value for option '--port' (N): 'http' is not an int (see --help)",
                "--port", "http");
        // More than the kernel's port filter map holds: a usage error, not a failed start.
        expect("http-profiler: --port takes at most 1024 ports, got 1025 (see --help)", "--port",
                IntStream.rangeClosed(1, 1025).mapToObj(Integer::toString).collect(Collectors.joining(",")));
    }

    @Test
    void ringSizeNotAPowerOfTwo() throws Exception {
        expect("http-profiler: --ring-size must be a power of two between 4k and 1g, got 1000 (see --help)",
                "--ring-size", "1000");
    }

    @Test
    void badSizes() throws Exception {
        expect("http-profiler: --max-body must be between 0 and 1g, got -1 (see --help)", "--max-body", "-1");
        // Above what the pipeline keeps: refused as a usage error before anything is created, not part-way in.
        expect("http-profiler: --max-body must be between 0 and 1g, got 1500m (see --help)", "--max-body", "1500m");
        expect("http-profiler: --ring-size must be a power of two between 4k and 1g, got 2g (see --help)",
                "--ring-size", "2g");
        expect("http-profiler: --max-file-size must not be negative, got -1 (see --help)", "--max-file-size", "-1");
        expect("http-profiler: Invalid value for option '--max-body': '1x' is not a size (e.g. 65536, 64k, 16m)"
                + " (see --help)", "--max-body", "1x");
    }

    @Test
    void otherBadValues() throws Exception {
        expect("http-profiler: unknown --netns 'other': use self or all (see --help)", "--netns", "other");
        expect("http-profiler: --duration must be a positive number of seconds (see --help)", "--duration", "0");
        expect("http-profiler: --stats-interval must not be negative (see --help)", "--stats-interval", "-1");
        expect("http-profiler: --max-files must not be negative, got -1 (see --help)", "--max-files", "-1");
    }

    @Test
    void badProgressOptions() throws Exception {
        expect("http-profiler: --progress-after must be between 0 (off) and 3600 seconds (see --help)",
                "--progress-after", "-1");
        expect("http-profiler: --progress-after must be between 0 (off) and 3600 seconds (see --help)",
                "--progress-after", "1e9");
        expect("http-profiler: Invalid value for option '--progress-after': '2s' is not a double (see --help)",
                "--progress-after", "2s");
        expect("http-profiler: --json-progress needs --json FILE (see --help)", "--json-progress");
    }

    @Test
    void badRedactionSummaryAndFileModeValues() throws Exception {
        expect("http-profiler: --file-mode 'rw' is not an octal mode such as 0600 or 0640 (see --help)",
                "--file-mode", "rw");
        expect("http-profiler: --file-mode 0440 must give the owner read and write, and nobody execute"
                + " (e.g. 0600, 0640, 0644) (see --help)", "--file-mode", "0440");
        expect("http-profiler: --file-mode 0755 must give the owner read and write, and nobody execute"
                + " (e.g. 0600, 0640, 0644) (see --help)", "--file-mode", "0755");
        expect("http-profiler: --no-redact and --redact-header/--redact-field contradict each other (see --help)",
                "--no-redact", "--redact-field", "pin");
        expect("http-profiler: --redact-header and --redact-field need a name (see --help)", "--redact-header", " ");
        expect("http-profiler: --summary-interval must not be negative (see --help)", "--summary-interval", "-1");
    }

    // --- outputs ---------------------------------------------------------------------------------------------------

    @Test
    void outputWhereNoFileCanBe() throws Exception {
        expectRaw(List.of(), "http-profiler: cannot write output: cannot create /proc/x.txt: no such file or directory",
                "-o", "/proc/x.txt");
    }

    @Test
    void outputOnAReadOnlyFileSystem() throws Exception {
        Path readOnly = Files.createDirectories(dir.resolve("ro"));
        mount("mount -t tmpfs -o ro,size=64k tmpfs " + readOnly, readOnly);
        expectRaw(List.of(), "http-profiler: cannot write output: cannot create " + readOnly + "/sub/t.txt: "
                + readOnly + " is not a writable directory", "-o", readOnly + "/sub/t.txt");
    }

    @Test
    void outputInADirectoryWithoutPermission() throws Exception {
        Path closed = Files.createDirectories(dir.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-xr-x")); // root's; nobody may not write
        expectRaw(asNobody(), "http-profiler: cannot write output: cannot create " + closed + "/t.txt: " + closed
                + " is not a writable directory", "-o", closed + "/t.txt");
    }

    @Test
    void jsonInAMissingDirectoryThatCannotBeCreated() throws Exception {
        // The transcript could be created, the JSON Lines file cannot: neither may be left behind.
        expectRaw(List.of(), "http-profiler: cannot write output: cannot create directory '/proc/nope'",
                "-o", out + "/t.txt", "--json", "/proc/nope/x.jsonl");
    }

    @Test
    void outputIsADirectory() throws Exception {
        Files.createDirectories(out);
        expectRaw(List.of(), "http-profiler: cannot write output: " + out + " is a directory", "-o", out.toString());
        Files.delete(out);
    }

    // --- privileges ------------------------------------------------------------------------------------------------

    @Test
    void notRoot() throws Exception {
        expect(asNobody(), "http-profiler: missing capability CAP_BPF and CAP_PERFMON (running as uid 65534, not root)"
                + CAPS_FIX);
    }

    @Test
    void rootWithoutCapabilities() throws Exception {
        expect(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-all"),
                "http-profiler: missing capability CAP_BPF and CAP_PERFMON" + CAPS_FIX);
    }

    @Test
    void eachMissingCapabilityIsNamed() throws Exception {
        expect(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-perfmon,-sys_admin"),
                "http-profiler: missing capability CAP_PERFMON" + CAPS_FIX);
        expect(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-bpf,-sys_admin"),
                "http-profiler: missing capability CAP_BPF" + CAPS_FIX);
    }

    // --- the kernel ------------------------------------------------------------------------------------------------

    @Test
    void tracefsNotMountedAndNotMountable() throws Exception {
        // A private mount namespace without tracefs, and no CAP_SYS_ADMIN to mount it (CAP_BPF + CAP_PERFMON are kept).
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/kernel/tracing/events")), "tracefs is mounted here");
        List<String> command = Robustness.profilerCommand(List.of(), List.of(), "-o", out + "/t.txt");
        String script = "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null;"
                + " exec setpriv --inh-caps=-all --bounding-set=-sys_admin \"$@\"";
        List<String> wrapped = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script,
                "sh"));
        wrapped.addAll(command);
        check(Robustness.run(wrapped, work, TIMEOUT), "http-profiler: tracefs is not mounted at /sys/kernel/tracing:"
                + " run `mount -t tracefs nodev /sys/kernel/tracing`, or in a container add"
                + " -v /sys/kernel/tracing:/sys/kernel/tracing");
    }

    @Test
    void noBtf() throws Exception {
        Path root = fakeRoot(Files.readString(Path.of("/proc/sys/kernel/osrelease")));
        expectRaw(List.of(), List.of("-Dhttpprofiler.preflight.root=" + root), "http-profiler: this kernel has no BTF"
                + " (/sys/kernel/btf/vmlinux is missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most"
                + " distributions since 2021)", "-o", out + "/t.txt");
    }

    @Test
    void kernelTooOld() throws Exception {
        Path root = fakeRoot("5.4.0-150-generic\n");
        Files.createDirectories(root.resolve("sys/kernel/btf"));
        Files.writeString(root.resolve("sys/kernel/btf/vmlinux"), "");
        expectRaw(List.of(), List.of("-Dhttpprofiler.preflight.root=" + root), "http-profiler: kernel 5.4.0-150-generic"
                + " is too old: http-profiler needs Linux 5.8 or newer (BPF ring buffer, CAP_BPF)", "-o", out + "/t.txt");
    }

    @Test
    void notLinux() throws Exception {
        expectRaw(List.of(), List.of("-Dos.name=Darwin"), "http-profiler: http-profiler captures with eBPF and runs on"
                + " Linux only (this is Darwin)", "-o", out + "/t.txt");
    }

    @Test
    void kprobesAskedForButUnavailable() throws Exception {
        Assumptions.assumeFalse(Files.exists(Path.of("/sys/bus/event_source/devices/kprobe/type"))
                || Files.exists(Path.of("/sys/kernel/tracing/kprobe_events")), "this kernel can attach kprobes");
        expect("http-profiler: kprobes cannot attach on this kernel (this kernel has no kprobe support: no kprobe PMU,"
                + " no kprobe_events); use --attach tracepoint or --attach auto",
                "--attach", "kprobe", "-o", out + "/t.txt", "--json", out + "/t.jsonl");
    }

    @Test
    void aStartThatFailsAfterLoadingAndAttachingSomeProgramsUnloadsEverythingAndLeavesNoFiles() throws Exception {
        // One tracepoint hidden (in a private mount namespace) behind an empty directory: the programs load, the
        // tracepoints before it attach, then it fails.
        List<String> command = Robustness.profilerCommand(List.of(), List.of(), "--attach", "tracepoint",
                "-o", out + "/t.txt", "--json", out + "/t.jsonl");
        String script = "mount -t tmpfs tmpfs /sys/kernel/tracing/events/syscalls/sys_exit_connect && exec \"$@\"";
        List<String> wrapped = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script,
                "sh"));
        wrapped.addAll(command);
        Robustness.Exit exit = check(Robustness.run(wrapped, work, TIMEOUT), "http-profiler: cannot attach"
                + " tracepoint/syscalls/sys_exit_connect: attach exit_connect (tracepoint/syscalls/sys_exit_connect):"
                + " ENOENT (No such file or directory) (is tracefs mounted at /sys/kernel/tracing? in a container add"
                + " -v /sys/kernel/tracing:/sys/kernel/tracing)");
        assertTrue(exit.programs().size() > 10, () -> "the programs were loaded first: " + exit.programs());
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    private static List<String> asNobody() {
        return List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups");
    }

    private Robustness.Exit expect(String message, String... args) throws Exception {
        return expect(List.of(), message, args);
    }

    /** Runs with the outputs in the test's directory (unless args say otherwise) and checks the failure. */
    private Robustness.Exit expect(List<String> prefix, String message, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("-o")) {
            all.addAll(List.of("-o", out + "/t.txt"));
        }
        return expectRaw(prefix, List.of(), message, all.toArray(String[]::new));
    }

    private Robustness.Exit expectRaw(List<String> prefix, String message, String... args) throws Exception {
        return expectRaw(prefix, List.of(), message, args);
    }

    private Robustness.Exit expectRaw(List<String> prefix, List<String> jvm, String message, String... args)
            throws Exception {
        return check(Robustness.run(Robustness.profilerCommand(prefix, jvm, args), work, TIMEOUT), message);
    }

    private Robustness.Exit check(Robustness.Exit exit, String message) throws IOException {
        System.err.println("[errors] exit " + exit.code() + ": " + exit.stderr());
        assertEquals(2, exit.code(), exit::toString);
        assertEquals(List.of(message), exit.stderr(), "exactly one line, naming cause and fix");
        assertEquals("", exit.stdout());
        assertEquals(List.of(), Robustness.filesBelow(work), "no output file may be left behind");
        assertTrue(!Files.exists(work.resolve("traces")), "nor the default traces directory");
        return exit;
    }

    private void mount(String command, Path target) throws Exception {
        Robustness.sh(command);
        mounts.add(target.toString());
    }

    /** A /proc and /sys with just what Preflight reads: this kernel release, and root's full capabilities. */
    private Path fakeRoot(String osRelease) throws IOException {
        Path root = Files.createDirectories(dir.resolve("fakeroot"));
        Files.createDirectories(root.resolve("proc/sys/kernel"));
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/sys/kernel/osrelease"), osRelease);
        Files.writeString(root.resolve("proc/self/status"), "Name:\tjava\nUid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n");
        return root;
    }
}
