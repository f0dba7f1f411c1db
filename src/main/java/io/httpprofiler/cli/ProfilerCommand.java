package io.httpprofiler.cli;

import io.httpprofiler.capture.AttachMode;
import io.httpprofiler.capture.CaptureSettings;
import io.httpprofiler.capture.ContainerLookup;
import io.httpprofiler.export.ExportSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** The command line contract (BRIEF section 6); parsing and validation only, the work is in {@link ProfilerRun}. */
@Command(name = "http-profiler", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Captures the HTTP/1.x traffic of processes on this host with eBPF and writes it as a readable"
                + " transcript and as JSON Lines. Needs root, or CAP_BPF + CAP_PERFMON.")
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

    @Option(names = "--max-body", paramLabel = "BYTES", converter = ByteSizeConverter.class,
            description = "Body bytes kept per message; the size is always exact (default: 64k).")
    long maxBody = 64 * 1024;

    @Option(names = "--attach", paramLabel = "auto|kprobe|tracepoint",
            description = "Capture with kprobes, syscall tracepoints, or kprobes when they attach (default: ${DEFAULT-VALUE}).")
    String attach = "auto";

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this long (default: until stopped).")
    Double duration;

    @Option(names = "--ring-size", paramLabel = "BYTES", converter = ByteSizeConverter.class,
            description = "Kernel ring buffer size, a power of two (default: 16m).")
    long ringSize = CaptureSettings.DEFAULT_RING_BYTES;

    @Option(names = "--stats-interval", paramLabel = "SECONDS",
            description = "Print a counters line to stderr this often; 0 for never (default: ${DEFAULT-VALUE}).")
    double statsInterval = 0;

    @Option(names = "--max-file-size", paramLabel = "BYTES", converter = ByteSizeConverter.class,
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

    @Override
    public Integer call() {
        ProfilerOptions options = validate();
        return new ProfilerRun(options, System.err).execute();
    }

    private ProfilerOptions validate() {
        AttachMode mode;
        try {
            mode = AttachMode.valueOf(attach.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("unknown attach mode '" + attach + "': use auto, kprobe or tracepoint");
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
        if (maxBody < 0 || maxBody > Integer.MAX_VALUE) {
            throw bad("--max-body must be between 0 and 2g");
        }
        if (duration != null && !(duration > 0)) {
            throw bad("--duration must be a positive number of seconds");
        }
        if (ringSize < 4096 || ringSize > (1L << 30) || Long.bitCount(ringSize) != 1) {
            throw bad("--ring-size must be a power of two between 4k and 1g, got " + ringSize);
        }
        if (statsInterval < 0) {
            throw bad("--stats-interval must not be negative");
        }
        if (maxFileSize < 0 || maxFiles < 0) {
            throw bad("--max-file-size and --max-files must not be negative");
        }
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
        }
        return new ProfilerOptions(output, json, setOf(ports), setOf(pids), setOf(comms), netns.equals("self"),
                (int) maxBody, mode, duration, (int) ringSize, statsInterval, maxFileSize, maxFiles, export,
                inContainer);
    }

    private static <T> java.util.Set<T> setOf(List<T> values) {
        return java.util.Set.copyOf(values);
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Sizes as plain bytes or with a k/m/g suffix (powers of 1024). */
    static final class ByteSizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String text = value.trim().toLowerCase(Locale.ROOT);
            long unit = 1;
            if (text.endsWith("b")) {
                text = text.substring(0, text.length() - 1);
            }
            switch (text.isEmpty() ? ' ' : text.charAt(text.length() - 1)) {
                case 'k' -> unit = 1024;
                case 'm' -> unit = 1024 * 1024;
                case 'g' -> unit = 1024 * 1024 * 1024;
                default -> unit = 1;
            }
            if (unit != 1) {
                text = text.substring(0, text.length() - 1);
            }
            try {
                return Math.multiplyExact(Long.parseLong(text), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size (e.g. 65536, 64k, 16m)");
            }
        }
    }
}
