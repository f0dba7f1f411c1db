package io.httpprofiler.capture;

import io.httpprofiler.bpf.MonotonicClock;
import io.httpprofiler.bpf.Mounts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test harness: the real probe, loaded and attached, recording this JVM's own traffic (the profiler normally excludes
 * itself; here the test process is both the traced app and the reader). Attach mode comes from the system property
 * {@code httpprofiler.attach} (default tracepoint: what this CI kernel supports), so the same tests run with kprobes in
 * the kernel-matrix guest.
 */
final class LiveCapture implements AutoCloseable {
    private final KernelProbe probe;
    private final EventDecoder decoder = new EventDecoder(MonotonicClock.wallClockOffsetNanos());
    private final List<CaptureEvent> events = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    LiveCapture(CaptureSettings settings) {
        Tracefs.ensureMounted(Mounts::mountTracefs);
        probe = KernelProbe.start(settings, 0, message -> {
            System.err.println("[probe] " + message);
            log.add(message);
        });
    }

    static CaptureSettings settingsForThisProcess() {
        return CaptureSettings.defaults()
                .withAttachMode(AttachMode.valueOf(System.getProperty("httpprofiler.attach", "tracepoint").toUpperCase()))
                .withPids(Set.of((int) ProcessHandle.current().pid()))
                .withWakeupBytes(0);
    }

    static LiveCapture forThisProcess() {
        return new LiveCapture(settingsForThisProcess());
    }

    KernelProbe probe() {
        return probe;
    }

    /** Reads until the predicate holds over everything seen so far, or fails after the timeout. */
    List<CaptureEvent> awaitEvents(Predicate<List<CaptureEvent>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(events)) {
            if (System.nanoTime() > deadline) {
                fail("capture did not see the expected events within " + timeout + "; saw " + events.size()
                        + " events: " + summarize());
            }
            pollOnce();
        }
        return events;
    }

    /** Reads for a while, collecting whatever arrives. */
    List<CaptureEvent> drainFor(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            pollOnce();
        }
        return events;
    }

    /** Waits up to 20 ms for records and keeps the decoded ones. */
    private void pollOnce() {
        probe.reader().poll(20, record -> {
            CaptureEvent event = decoder.decode(record);
            if (event != null) {
                events.add(event);
            }
        });
    }

    List<CaptureEvent> events() {
        return events;
    }

    /** What the probe logged while starting (e.g. why auto mode fell back to tracepoints). */
    List<String> log() {
        return log;
    }

    /** Records the decoder could not make sense of: always 0 unless the C and Java layouts disagree. */
    long malformedRecords() {
        return decoder.malformedRecords();
    }

    private String summarize() {
        StringBuilder text = new StringBuilder();
        for (CaptureEvent e : events.subList(Math.max(0, events.size() - 20), events.size())) {
            text.append("\n  ").append(e instanceof DataEvent d ? "DATA " + d.connection() + " " + d.direction()
                    + " pos " + d.position() + " len " + d.data().length : e.toString());
        }
        return text.toString();
    }

    @Override
    public void close() {
        probe.close();
    }
}
