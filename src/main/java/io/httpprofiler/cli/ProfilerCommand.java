package io.httpprofiler.cli;

import io.httpprofiler.capture.AttachMode;
import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.ContainerLookup;
import io.httpprofiler.capture.ProbeMaps;
import io.httpprofiler.export.ExportSettings;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.http.ProgressSettings;
import io.httpprofiler.redact.RedactionRules;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The command line contract: the options of README's table, parsed and checked against the bounds of what each one
 * configures (so that a value accepted here is one the pipeline and the kernel side accept); the work is in
 * {@link ProfilerRun}.
 */
@Command(name = "http-profiler", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Captures the HTTP traffic of processes on this host with eBPF (HTTP/1.x and HTTP/2 with gRPC,"
                + " plaintext and HTTPS) and writes it as a readable transcript and as JSON Lines. Needs root, or"
                + " CAP_BPF + CAP_PERFMON.")
public final class ProfilerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Text transcript (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("traces", "http-trace.txt");

    @Option(names = "--json", paramLabel = "FILE", description = "Also write one JSON object per exchange to FILE.")
    Path json;

    @Option(names = "--port", paramLabel = "N", split = ",",
            description = "Only connections with one of these local or remote ports.")
    List<Integer> ports = List.of();

    @Option(names = "--pid", paramLabel = "N", split = ",", description = "Only these processes.")
    List<Integer> pids = List.of();

    @Option(names = "--comm", paramLabel = "NAME", split = ",", description = "Only processes with these names.")
    List<String> comms = List.of();

    @Option(names = "--netns", paramLabel = "self|all", description = "Network namespace to trace: self (the"
            + " profiler's own, which in a sidecar is the app's) or all (default: ${DEFAULT-VALUE}).")
    String netns = "self";

    @Option(names = "--max-body", paramLabel = "BYTES", converter = ByteSize.class,
            description = "Body bytes kept per message; the size is always exact (default: ${DEFAULT-VALUE}).")
    long maxBody = PipelineSettings.DEFAULT_MAX_BODY;

    @Option(names = "--attach", paramLabel = "auto|kprobe|tracepoint",
            description = "Capture with kprobes, syscall tracepoints, or kprobes when they attach (default: ${DEFAULT-VALUE}).")
    String attach = "auto";

    @Option(names = "--tls", paramLabel = "auto|off", description = "auto: HTTPS in plaintext, read from the TLS"
            + " libraries processes use (OpenSSL and kin); TLS nothing can read is counted. off: TLS bytes are treated"
            + " like any other (default: ${DEFAULT-VALUE}).")
    String tls = "auto";

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this long (default: until stopped).")
    Double duration;

    @Option(names = "--ring-size", paramLabel = "BYTES", converter = ByteSize.class,
            description = "Kernel ring buffer size, a power of two (default: ${DEFAULT-VALUE}).")
    long ringSize = CaptureSettings.DEFAULT_RING_BYTES;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "Print a counters line to stderr this often; 0 for never (default: ${DEFAULT-VALUE}).")
    double statsInterval = 0;

    @Option(names = "--progress-after", paramLabel = "SECONDS", description = "Write an exchange still open after this"
            + " long as in progress (so far), again as it goes on, and whole when it ends; 0 for only when it ends"
            + " (default: ${DEFAULT-VALUE}).")
    double progressAfter = ProgressSettings.DEFAULT_AFTER.toMillis() / 1000.0;

    @Option(names = "--json-progress", description = "Also write those progress reports to the --json file, as records"
            + " with \"partial\":true (default: only the transcript shows them).")
    boolean jsonProgress;

    @Option(names = "--max-file-size", paramLabel = "BYTES", converter = ByteSize.class,
            description = "Rotate an output file once it reaches this size; 0 for never (default: 0).")
    long maxFileSize = 0;

    @Option(names = "--max-files", paramLabel = "N",
            description = "Rotated files kept per output, besides the live one (default: ${DEFAULT-VALUE}).")
    int maxFiles = 5;

    @Option(names = "--otlp-endpoint", paramLabel = "URL", description = "Also send every exchange as a span to this"
            + " OpenTelemetry (OTLP/HTTP) endpoint, e.g. http://collector:4318 (spans go to its /v1/traces; default:"
            + " $OTEL_EXPORTER_OTLP_ENDPOINT).")
    String otlpEndpoint;

    @Option(names = "--zipkin-endpoint", paramLabel = "URL",
            description = "Also send every exchange as a span to Zipkin, e.g. http://zipkin:9411/api/v2/spans.")
    String zipkinEndpoint;

    @Option(names = "--container", paramLabel = "ID|NAME", description = "Only this running container (docker, podman,"
            + " containerd, CRI-O): its network namespace in the kernel, its processes by cgroup in user space.")
    String container;

    @Option(names = "--har", paramLabel = "FILE",
            description = "Also write every exchange as a HAR 1.2 entry to FILE (an existing one is replaced; complete at exit).")
    Path har;

    @Option(names = "--summary", paramLabel = "FILE",
            description = "Also write the per-endpoint summary as JSON to FILE.")
    Path summaryJson;

    @Option(names = "--summary-interval", paramLabel = "SECONDS", description = "Rewrite the summary files this often;"
            + " 0 for only at exit (default: ${DEFAULT-VALUE}).")
    double summaryInterval = 10;

    @Option(names = "--redact-header", paramLabel = "NAME", split = ",",
            description = "Also redact this header's value (besides Authorization, Cookie, ...; repeatable).")
    List<String> redactHeaders = List.of();

    @Option(names = "--redact-field", paramLabel = "NAME", split = ",", description = "Also redact query parameters"
            + " and form or JSON body fields of this name (besides password, token, ...; repeatable).")
    List<String> redactFields = List.of();

    @Option(names = "--no-redact", description = "Write secrets (credentials, cookies, tokens) as they were sent.")
    boolean noRedact;

    @Option(names = "--file-mode", paramLabel = "MODE",
            description = "Permissions of the files written, in octal (default: ${DEFAULT-VALUE}: owner only).")
    String fileMode = "0600";

    @Override
    public Integer call() {
        ProfilerOptions options = validate();
        return new ProfilerRun(options, System.err).execute();
    }

    /** The options these arguments give, or the usage error they make (nothing is started). */
    static ProfilerOptions parse(String... args) {
        ProfilerCommand command = new ProfilerCommand();
        new CommandLine(command).parseArgs(args);
        return command.validate();
    }

    private ProfilerOptions validate() {
        AttachMode mode;
        try {
            mode = AttachMode.valueOf(attach.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("unknown attach mode '" + attach + "': use auto, kprobe or tracepoint");
        }
        if (!tls.equals("auto") && !tls.equals("off")) {
            throw bad("unknown --tls '" + tls + "': use auto or off");
        }
        if (!netns.equals("self") && !netns.equals("all")) {
            throw bad("unknown --netns '" + netns + "': use self or all");
        }
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                throw bad("--port " + port + " is not a TCP port (1-65535)");
            }
        }
        for (int pid : pids) {
            if (pid < 1) {
                throw bad("--pid " + pid + " is not a process id");
            }
        }
        // Each one is an entry in a kernel map of fixed size.
        if (setOf(ports).size() > ProbeMaps.MAX_PORTS) {
            throw bad("--port takes at most " + ProbeMaps.MAX_PORTS + " ports, got " + setOf(ports).size());
        }
        if (setOf(pids).size() > ProbeMaps.MAX_PIDS) {
            throw bad("--pid takes at most " + ProbeMaps.MAX_PIDS + " processes, got " + setOf(pids).size());
        }
        if (maxBody < 0 || maxBody > PipelineSettings.MAX_MAX_BODY) {
            throw bad("--max-body must be between 0 and " + ByteSize.format(PipelineSettings.MAX_MAX_BODY) + ", got "
                    + ByteSize.format(maxBody));
        }
        if (duration != null && !(duration > 0)) {
            throw bad("--duration must be a positive number of seconds");
        }
        if (ringSize < CaptureSettings.MIN_RING_BYTES || ringSize > CaptureSettings.MAX_RING_BYTES
                || Long.bitCount(ringSize) != 1) {
            throw bad("--ring-size must be a power of two between " + ByteSize.format(CaptureSettings.MIN_RING_BYTES)
                    + " and " + ByteSize.format(CaptureSettings.MAX_RING_BYTES) + ", got " + ByteSize.format(ringSize));
        }
        if (statsInterval < 0) {
            throw bad("--stats-interval must not be negative");
        }
        long maxProgressAfter = ProgressSettings.MAX_AFTER.toSeconds();
        if (!(progressAfter >= 0 && progressAfter <= maxProgressAfter)) {
            throw bad("--progress-after must be between 0 (off) and " + maxProgressAfter + " seconds");
        }
        if (jsonProgress && json == null) {
            throw bad("--json-progress needs --json FILE");
        }
        if (maxFileSize < 0) {
            throw bad("--max-file-size must not be negative, got " + ByteSize.format(maxFileSize));
        }
        if (maxFiles < 0) {
            throw bad("--max-files must not be negative, got " + maxFiles);
        }
        if (!(summaryInterval >= 0)) {
            throw bad("--summary-interval must not be negative");
        }
        if (noRedact && (!redactHeaders.isEmpty() || !redactFields.isEmpty())) {
            throw bad("--no-redact and --redact-header/--redact-field contradict each other");
        }
        for (String name : concat(redactHeaders, redactFields)) {
            if (name.isBlank()) {
                throw bad("--redact-header and --redact-field need a name");
            }
        }
        RedactionRules redaction = noRedact ? null : RedactionRules.withExtra(redactHeaders, redactFields);
        ExportSettings export;
        try {
            export = ExportSettings.resolve(otlpEndpoint, zipkinEndpoint, System.getenv());
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        ContainerLookup.Found inContainer = null;
        if (container != null) {
            inContainer = new ContainerLookup(ProfilerRun.preflightRoot()).find(container);
            if (inContainer == null) {
                throw bad("--container " + container + ": no running container has that id or name");
            }
            if (!inContainer.netnsKnown()) {
                throw bad("--container " + container + ": cannot read the network namespace of its processes"
                        + " (/proc/PID/ns/net: permission denied): that needs CAP_SYS_PTRACE (in a container:"
                        + " --cap-add SYS_PTRACE)");
            }
        }
        return new ProfilerOptions(output, json, setOf(ports), setOf(pids), setOf(comms), netns.equals("self"),
                (int) maxBody, mode, duration, (int) ringSize, statsInterval, maxFileSize, maxFiles, redaction,
                fileMode(), har, summaryJson, summaryInterval, tls.equals("auto"), export, inContainer, progressAfter,
                jsonProgress);
    }

    /** Octal, as chmod takes it; the owner must keep read and write (the profiler appends), nobody gets execute. */
    private Set<PosixFilePermission> fileMode() {
        int bits;
        try {
            bits = Integer.parseInt(fileMode.trim(), 8);
        } catch (NumberFormatException e) {
            throw bad("--file-mode '" + fileMode + "' is not an octal mode such as 0600 or 0640");
        }
        if (bits < 0 || bits > 0777 || (bits & 0600) != 0600 || (bits & 0111) != 0) {
            throw bad("--file-mode " + fileMode + " must give the owner read and write, and nobody execute"
                    + " (e.g. 0600, 0640, 0644)");
        }
        Set<PosixFilePermission> permissions = java.util.EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((bits & (1 << bit)) != 0) {
                permissions.add(order[bit]);
            }
        }
        return permissions;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static <T> Set<T> setOf(List<T> values) {
        return Set.copyOf(values);
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
