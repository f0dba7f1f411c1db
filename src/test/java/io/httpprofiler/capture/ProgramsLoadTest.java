package io.httpprofiler.capture;

import io.httpprofiler.bpf.BpfException;
import io.httpprofiler.bpf.BpfObject;
import io.httpprofiler.bpf.BpfProgram;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The shipped object's programs against this kernel's verifier, and how the attach modes behave where kprobes are not
 * available (this CI kernel) or are (the kernel-matrix guest).
 */
class ProgramsLoadTest {
    private static final String KPROBE_SENDMSG = "kprobe/tcp_sendmsg";
    private static final Set<String> KPROBE_SECTIONS = Set.of(KPROBE_SENDMSG, "kretprobe/tcp_sendmsg",
            "kprobe/tcp_recvmsg", "kprobe/tcp_cleanup_rbuf");
    /** Socket calls whose entry remembers the call and whose exit copies or accounts for what moved. */
    private static final List<String> PAIRED_SYSCALLS = List.of("read", "write", "readv", "writev", "sendto",
            "recvfrom", "sendmsg", "recvmsg", "sendfile64", "accept", "accept4", "connect");

    @Test
    void objectHasEveryExpectedProgram() {
        Set<String> sections = sectionsOf(KernelProbe.bundledObject());
        Set<String> expected = new TreeSet<>(KPROBE_SECTIONS);
        for (String syscall : PAIRED_SYSCALLS) {
            expected.add("tracepoint/syscalls/sys_enter_" + syscall);
            expected.add("tracepoint/syscalls/sys_exit_" + syscall);
        }
        expected.add("tracepoint/syscalls/sys_enter_close"); // close needs no exit: the fd is gone either way

        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(sections);
        assertTrue(missing.isEmpty(), "programs missing from the object: " + missing);
        // KernelProbe attaches kprobe/kretprobe and tracepoint sections only: anything else would silently never run.
        assertAll(sections.stream().map(section -> () -> assertTrue(section.startsWith("kprobe/")
                || section.startsWith("kretprobe/") || section.startsWith("tracepoint/syscalls/"),
                "KernelProbe does not know how to attach " + section)));
    }

    @Test
    void everySyscallEntryHasItsExit() {
        // An entry that remembers a call without an exit that forgets it would fill the calls map with stale state.
        Set<String> sections = sectionsOf(KernelProbe.bundledObject());
        for (String section : sections) {
            if (section.startsWith("tracepoint/syscalls/sys_enter_") && !section.endsWith("sys_enter_close")) {
                assertTrue(sections.contains(section.replace("sys_enter_", "sys_exit_")), section + " has no exit");
            }
            if (section.startsWith("tracepoint/syscalls/sys_exit_")) {
                assertTrue(sections.contains(section.replace("sys_exit_", "sys_enter_")), section + " has no entry");
            }
        }
    }

    @Test
    @Tag("root")
    void everyProgramPassesTheVerifierKprobesIncluded() {
        BpfAssumptions.assumeCanLoadPrograms();
        try (BpfObject object = BpfObject.open(KernelProbe.bundledObject())) {
            long started = System.nanoTime();
            try {
                object.load();
            } catch (BpfException e) {
                fail(e.getMessage() + "\nverifier/libbpf log (tail):\n" + tail(e.libbpfLog(), 4000));
            }
            System.out.printf("loaded %d programs in %d ms%n", object.programs().size(),
                    (System.nanoTime() - started) / 1_000_000);
            for (BpfProgram program : object.programs()) {
                System.out.printf("  %-26s %-42s fd %d%n", program.name(), program.section(), program.fd());
            }
            assertAll(object.programs().stream().map(program -> () -> assertTrue(program.fd() >= 0,
                    program.name() + " (" + program.section() + ") was not loaded")));
            assertTrue(object.programs().stream().anyMatch(p -> p.section().equals(KPROBE_SENDMSG)),
                    "the kprobe programs are part of what was loaded");
        }
    }

    @Test
    @Tag("root")
    void everyTracepointNamedExistsInTracefs() {
        BpfAssumptions.assumeCanAttachTracepoints();
        Path events = Files.isDirectory(Path.of("/sys/kernel/tracing/events"))
                ? Path.of("/sys/kernel/tracing/events") : Path.of("/sys/kernel/debug/tracing/events");
        for (String section : sectionsOf(KernelProbe.bundledObject())) {
            if (section.startsWith("tracepoint/")) {
                Path event = events.resolve(section.substring("tracepoint/".length()));
                assertTrue(Files.isDirectory(event), section + ": no such tracepoint on this kernel (" + event + ")");
            }
        }
    }

    @Test
    @Tag("root")
    void kprobeModeAttachesOrFailsWithOneClearLine() {
        BpfAssumptions.assumeCanAttachTracepoints();
        CaptureSettings settings = LiveCapture.settingsForThisProcess().withAttachMode(AttachMode.KPROBE);
        try (KernelProbe probe = KernelProbe.start(settings, 0, message -> { })) {
            assertTrue(kprobesPossibleHere(), "kprobes attached although this kernel has no kprobe PMU and no "
                    + "kprobe_events: the check in this test is wrong");
            assertEquals(AttachMode.KPROBE, probe.mode());
            assertNull(probe.fallbackReason());
            assertEquals(programsRunningIn(AttachMode.KPROBE), probe.attachedPrograms(), "kprobes and the lifecycle tracepoints");
            System.out.println("kprobes attach on this kernel");
        } catch (CaptureStartException e) {
            String message = e.getMessage();
            System.out.println("--attach kprobe: " + message);
            assertFalse(message.contains("\n"), "one line: " + message);
            assertTrue(message.contains("kprobe"), "says what failed: " + message);
            assertTrue(message.contains("--attach tracepoint"), "names the fix: " + message);
            if (kprobesPossibleHere()) {
                System.out.println("note: this kernel has kprobe support, yet attaching failed");
            }
        }
    }

    @Test
    @Tag("root")
    void autoModeFallsBackToTracepointsWithAReasonAndStillCaptures() throws Exception {
        BpfAssumptions.assumeCanAttachTracepoints();
        CaptureSettings settings = LiveCapture.settingsForThisProcess().withAttachMode(AttachMode.AUTO);
        try (LiveCapture capture = new LiveCapture(settings)) {
            KernelProbe probe = capture.probe();
            System.out.println("--attach auto chose " + probe.mode().label()
                    + (probe.fallbackReason() == null ? "" : " because " + probe.fallbackReason()));
            String expected = System.getProperty("httpprofiler.expect.auto");
            if (expected != null) {
                // The kernel matrix knows what each guest kernel supports (test/kernels/kernels.conf).
                assertEquals(AttachMode.valueOf(expected.toUpperCase(Locale.ROOT)), probe.mode(),
                        "--attach auto on this kernel");
            }
            if (probe.mode() == AttachMode.KPROBE) {
                assertNull(probe.fallbackReason());
                assertEquals(programsRunningIn(AttachMode.KPROBE), probe.attachedPrograms());
            } else {
                assertEquals(AttachMode.TRACEPOINT, probe.mode());
                assertNotNull(probe.fallbackReason(), "a fallback always says why");
                assertTrue(probe.fallbackReason().contains("kprobe"), "the reason says what failed: "
                        + probe.fallbackReason());
                assertTrue(capture.log().stream().anyMatch(line -> line.contains("falling back")
                        && line.contains(probe.fallbackReason())), "the fallback is logged: " + capture.log());
                assertEquals(programsRunningIn(AttachMode.TRACEPOINT), probe.attachedPrograms(),
                        "every tracepoint of the mode attached, no kprobe left attached");
            }
            assertCapturesOneWrite(capture);
        }
    }

    /** The probe that auto mode settled on really works: a write in this JVM arrives as a data event. */
    private static void assertCapturesOneWrite(LiveCapture capture) throws Exception {
        byte[] ping = "ping after fallback".getBytes(StandardCharsets.US_ASCII);
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            OutputStream out = client.getOutputStream();
            out.write(ping);
            InputStream in = server.getInputStream();
            assertArrayEquals(ping, in.readNBytes(ping.length));
        }
        capture.awaitEvents(events -> events.stream().anyMatch(e -> e instanceof DataEvent d
                && d.direction() == Direction.EGRESS && Arrays.equals(d.data(), ping)), Duration.ofSeconds(30));
    }

    /** Without a kprobe PMU and without kprobe_events (CONFIG_KPROBE_EVENTS), no kprobe can attach. */
    private static boolean kprobesPossibleHere() {
        return Stream.of("/sys/bus/event_source/devices/kprobe", "/sys/kernel/tracing/kprobe_events",
                "/sys/kernel/debug/tracing/kprobe_events").anyMatch(path -> Files.exists(Path.of(path)));
    }

    /** Programs a mode loads and attaches: kprobe mode leaves out copy_exit_*, tracepoint mode kprobes and forget_exit_*. */
    private static int programsRunningIn(AttachMode mode) {
        try (BpfObject object = BpfObject.open(KernelProbe.bundledObject())) {
            int count = (int) object.programs().stream().filter(p -> ProgramSet.of(p).runsIn(mode)).count();
            assertTrue(count < object.programs().size(), "each mode leaves some programs out");
            return count;
        }
    }

    private static Set<String> sectionsOf(byte[] elf) {
        try (BpfObject object = BpfObject.open(elf)) {
            List<String> sections = new ArrayList<>();
            object.programs().forEach(p -> sections.add(p.section()));
            return sections.stream().collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static String tail(String text, int chars) {
        return text.length() <= chars ? text : "..." + text.substring(text.length() - chars);
    }
}
