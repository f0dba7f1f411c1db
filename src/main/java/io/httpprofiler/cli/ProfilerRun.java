package io.httpprofiler.cli;

import io.httpprofiler.bpf.BpfException;
import io.httpprofiler.bpf.Errno;
import io.httpprofiler.bpf.Mounts;
import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.CaptureStartException;
import io.httpprofiler.capture.KernelProbe;
import io.httpprofiler.capture.NetworkNamespace;
import io.httpprofiler.capture.Preflight;
import io.httpprofiler.capture.Tracefs;
import io.httpprofiler.capture.tls.TlsWatcher;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.output.RotatingFileOutput;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One profiling session: check the machine, open the outputs, load and attach the probe, then pump the ring buffer
 * through the HTTP pipeline on this one thread until stopped, and flush everything on the way out.
 */
final class ProfilerRun {
    /** The hidden, test-only system property naming a fake root for {@link Preflight} (see {@link #preflightRoot()}). */
    static final String PREFLIGHT_ROOT_PROPERTY = "httpprofiler.preflight.root";
    /**
     * Warm-up limits. About 20k synthetic exchanges get the pipeline's hot paths through C2 (measured: no drops in the
     * first second at 10k req/s afterwards). The budget is what it may add to start-up on a slow or busy machine; beyond
     * it, it runs only while the start is busy anyway (BPF load, TLS library scan), up to the maximum.
     */
    static final long WARMUP_EXCHANGES = 20_000;
    static final long WARMUP_BUDGET_NANOS = 1_000_000_000L;
    static final long WARMUP_MAX_NANOS = 10_000_000_000L;

    private final ProfilerOptions options;
    private final PrintStream log;
    private final StopSignal stop = new StopSignal();

    ProfilerRun(ProfilerOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    int execute() {
        // The settings the options make come first: a value they refuse is refused before any file exists.
        PipelineSettings pipelineSettings = Session.pipelineSettings(options.maxBody(), Runtime.getRuntime().maxMemory());
        CaptureSettings captureSettings = captureSettings(options, 0);
        Outputs outputs;
        try {
            RotatingFileOutput.checkWritable(options.output());
            for (Path file : new Path[]{options.json(), options.har(), options.summaryJson()}) {
                if (file != null) {
                    RotatingFileOutput.checkWritable(file);
                }
            }
            new Preflight(preflightRoot()).check();
            Tracefs.ensureMounted(Mounts::mountTracefs);
            outputs = Outputs.open(options, this::warn);
        } catch (IOException e) {
            return fail("cannot write output: " + describe(e));
        } catch (CaptureStartException e) {
            return fail(e.getMessage());
        }
        try (outputs) {
            return capture(outputs, pipelineSettings,
                    captureSettings.withNetnsInode(options.container() != null ? options.container().netnsInode()
                            : options.ownNetnsOnly() ? NetworkNamespace.self() : 0));
        } catch (CaptureStartException e) {
            outputs.discardIfUnused(); // a start that failed leaves no empty files behind
            return fail(e.getMessage());
        }
    }

    /**
     * Where {@link Preflight} reads /proc and /sys: "/" unless the hidden, test-only system property
     * {@value #PREFLIGHT_ROOT_PROPERTY} points at a fake tree (to produce "no BTF" or "kernel too old" for real).
     */
    static Path preflightRoot() {
        return Path.of(System.getProperty(PREFLIGHT_ROOT_PROPERTY, "/"));
    }

    /** What the kernel side captures, as the options say ({@code netnsInode}: 0 for every network namespace). */
    static CaptureSettings captureSettings(ProfilerOptions options, long netnsInode) {
        return CaptureSettings.defaults()
                .withAttachMode(options.attachMode())
                .withPids(options.pids())
                .withPorts(options.ports())
                .withNetnsInode(netnsInode)
                .withRingBytes(options.ringBytes())
                // A ring smaller than four times the wakeup threshold would fill before the kernel ever wakes us.
                .withWakeupBytes(Math.min(CaptureSettings.DEFAULT_WAKEUP_BYTES, options.ringBytes() / 4))
                .withMaxBody(options.maxBody())
                .withTls(options.tls());
    }

    private int capture(Outputs outputs, PipelineSettings pipelineSettings, CaptureSettings captureSettings) {
        int ownPid = (int) ProcessHandle.current().pid();
        long startNanos = System.nanoTime();
        // The pipeline warms up on its own thread while this one waits for the kernel's verifier.
        WarmupThread warmup = WarmupThread.start(new PipelineWarmup(pipelineSettings, WARMUP_BUDGET_NANOS,
                WARMUP_MAX_NANOS, WARMUP_EXCHANGES));
        KernelProbe started;
        try {
            started = KernelProbe.start(captureSettings, ownPid, this::warn);
        } catch (BpfException e) {
            throw new CaptureStartException(loadFailure(e));
        }
        try (KernelProbe probe = started;
             TlsWatcher tls = options.tls() ? TlsWatcher.start(probe::program, options.pids(), ownPid, this::warn) : null) {
            Session session = new Session(probe, tls, outputs, pipelineSettings, options, log);
            outputs.startExport(options.export());
            PipelineWarmup.Result warmed = warmup.await();
            stop.install();
            log.printf("http-profiler ready: attach mode %s%s, %d programs attached in %d ms (verifier %d ms,"
                            + " pipeline warm-up %s); tracing %s; %s; writing %s%s%n",
                    probe.mode().label(), probe.fallbackReason() == null ? "" : " (kprobes unavailable)",
                    probe.attachedPrograms(), (System.nanoTime() - startNanos) / 1_000_000, probe.loadMillis(),
                    warmed == null ? "failed" : warmed.exchanges() + " exchanges in " + warmed.nanos() / 1_000_000
                            + " ms", describeScope(), tls == null ? "TLS off"
                            : "TLS plaintext from " + tls.probedFiles() + " library files so far",
                    options.output(), (options.json() == null ? "" : " and " + options.json())
                            + (options.har() == null ? "" : " and " + options.har())
                            + (options.redaction() == null ? " (not redacted)" : "") + describeExport());
            log.flush();
            session.run(stop, options.durationSeconds());
            session.finish();
            outputs.writeSummary();
            log.print(outputs.summaryText());
            log.println("http-profiler stopped: " + session.totals());
            return 0;
        }
    }

    /** An I/O failure in words: NIO's exceptions often carry nothing but the path. */
    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String reason = f.getReason() != null ? f.getReason()
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e.getClass().getSimpleName();
            return "cannot create " + f.getFile() + ": " + reason.toLowerCase(Locale.ROOT);
        }
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1); // commons-io: "Cannot create directory '/x'."
        }
        return message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
    }

    /**
     * One line for a libbpf failure that KernelProbe did not already explain (it turns load and attach failures into
     * CaptureStartExceptions): mapping or watching the ring buffer, say. KernelProbe has released everything by then.
     */
    static String loadFailure(BpfException e) {
        String hint = switch (e.errno()) {
            case Errno.EPERM, Errno.EACCES -> " (needs CAP_BPF and CAP_PERFMON, or root)";
            case Errno.E2BIG, Errno.ENOMEM -> " (try a smaller --ring-size)";
            default -> "";
        };
        return "cannot start the BPF probe: " + e.getMessage() + hint;
    }

    private String describeExport() {
        StringBuilder text = new StringBuilder();
        if (options.export().otlpTraces() != null) {
            text.append("; spans to OTLP ").append(options.export().otlpTraces());
        }
        if (options.export().zipkinSpans() != null) {
            text.append("; spans to Zipkin ").append(options.export().zipkinSpans());
        }
        return text.toString();
    }

    private String describeScope() {
        StringBuilder scope = new StringBuilder(options.container() != null
                ? "container " + options.container().containerId().substring(0, 12) + " (network namespace "
                        + options.container().netnsInode() + ")"
                : options.ownNetnsOnly() ? "this network namespace" : "all network namespaces");
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
