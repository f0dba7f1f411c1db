package io.httpprofiler.cli;

import io.httpprofiler.bpf.Mounts;
import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.CaptureStartException;
import io.httpprofiler.capture.KernelProbe;
import io.httpprofiler.capture.NetworkNamespace;
import io.httpprofiler.capture.Preflight;
import io.httpprofiler.capture.Tracefs;
import io.httpprofiler.output.RotatingFileOutput;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * One profiling session: check the machine, open the outputs, load and attach the probe, then pump the ring buffer
 * through the HTTP pipeline on this one thread until stopped, and flush everything on the way out.
 */
final class ProfilerRun {
    private final ProfilerOptions options;
    private final PrintStream log;
    private final StopSignal stop = new StopSignal();

    ProfilerRun(ProfilerOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    int execute() {
        Outputs outputs;
        try {
            RotatingFileOutput.checkWritable(options.output());
            if (options.json() != null) {
                RotatingFileOutput.checkWritable(options.json());
            }
            new Preflight(Path.of("/")).check();
            Tracefs.ensureMounted(Mounts::mountTracefs);
            outputs = Outputs.open(options, this::warn);
        } catch (IOException e) {
            return fail("cannot write output: " + e.getMessage());
        } catch (CaptureStartException e) {
            return fail(e.getMessage());
        }
        try (outputs) {
            return capture(outputs);
        } catch (CaptureStartException e) {
            return fail(e.getMessage());
        }
    }

    private int capture(Outputs outputs) {
        int ownPid = (int) ProcessHandle.current().pid();
        CaptureSettings settings = CaptureSettings.defaults()
                .withAttachMode(options.attachMode())
                .withPids(options.pids())
                .withPorts(options.ports())
                .withNetnsInode(options.ownNetnsOnly() ? NetworkNamespace.self() : 0)
                .withRingBytes(options.ringBytes());
        long startNanos = System.nanoTime();
        try (KernelProbe probe = KernelProbe.start(settings, ownPid, this::warn)) {
            Session session = new Session(probe, outputs, options, log);
            stop.install();
            log.printf("http-profiler ready: attach mode %s%s, %d programs attached in %d ms (verifier %d ms);"
                            + " tracing %s; writing %s%s%n",
                    probe.mode().label(), probe.fallbackReason() == null ? "" : " (kprobes unavailable)",
                    probe.attachedPrograms(), (System.nanoTime() - startNanos) / 1_000_000, probe.loadMillis(),
                    describeScope(),
                    options.output(), options.json() == null ? "" : " and " + options.json());
            log.flush();
            session.run(stop, options.durationSeconds());
            session.finish();
            log.println("http-profiler stopped: " + session.totals());
            return 0;
        }
    }

    private String describeScope() {
        StringBuilder scope = new StringBuilder(options.ownNetnsOnly() ? "this network namespace" : "all network namespaces");
        if (!options.ports().isEmpty()) {
            scope.append(", ports ").append(options.ports());
        }
        if (!options.pids().isEmpty()) {
            scope.append(", pids ").append(options.pids());
        }
        if (!options.comms().isEmpty()) {
            scope.append(", commands ").append(options.comms());
        }
        return scope.toString();
    }

    private void warn(String message) {
        log.println("http-profiler: " + message);
        log.flush();
    }

    private int fail(String message) {
        log.println("http-profiler: " + message);
        return 2;
    }
}
