package io.httpprofiler.bench;

import io.httpprofiler.capture.ProcessOrigin;
import io.httpprofiler.output.EndpointSummary;
import io.httpprofiler.redact.ExchangeRedactor;
import io.httpprofiler.redact.RedactionRules;

import io.httpprofiler.bpf.RingBuffer;
import io.httpprofiler.bpf.RingImage;
import io.httpprofiler.capture.EventLayout;
import io.httpprofiler.capture.RecordFeed;
import io.httpprofiler.http.BodySkipListener;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.TranscriptWriter;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The Java half of the profiler on one thread, fed recorded kernel output: ring buffer records ({@code struct probe_event},
 * laid out as {@link EventLayout} says, in a ring laid out as the kernel's) -> {@link RingBuffer#drain} ->
 * {@link RecordFeed} -> {@link HttpPipeline} (reassembly, HTTP/1.x parsing, pairing) -> {@link TranscriptWriter} and
 * {@link JsonLinesWriter} writing to a null sink, exactly as {@code cli.Session} and {@code cli.Outputs} wire them.
 *
 * <p>The recording is what the kernel side produces for nginx serving static files with {@code sendfile off} to wrk's 32
 * keep-alive connections (see bench/run.sh): each connection opens (accept), then round after round every connection
 * reads its request ({@code recvfrom}, one record) and writes its response with {@code writev(headers, body)}, a body of
 * more than 32 KiB in 32 KiB writes (nginx's output buffers); the kernel gathers each call's segments into records of up
 * to {@code MAX_RECORD_DATA} (16 KiB). Then every connection closes. Bodies are text (as bench/run.sh's files), kept whole
 * up to the default {@code --max-body} of 64 KiB (larger ones, e.g. {@code -p bodySize=1048576}, are cut there).
 *
 * <p>Run with {@code make bench-jmh}; {@link #main} prints payload MB/s and exchanges/s (one thread) after JMH's table.
 * Output modes separate the costs: {@code both} is what the CLI does with {@code --json}; {@code none} stops at the
 * pipeline (exchanges built, not formatted).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
public class PipelineBenchmark {
    static final int CONNECTIONS = 32;
    static final int PID = 4242;
    static final int FIRST_FD = 10;
    /** Bytes of payload each benchmark operation feeds, roughly: enough that one op amortises pipeline setup. */
    static final long PAYLOAD_PER_OP = 4L << 20;
    static final long T0 = 1_000_000_000_000L;
    static final int NGINX_OUTPUT_BUFFER = 32 * 1024;

    @Param({"1024", "65536"})
    public int bodySize;

    /**
     * cli: what the CLI does with --json and default settings (redaction, the endpoint summary, transcript and JSON Lines
     * naming each record's origin); both: transcript + JSON Lines alone; transcript; json; none: exchanges built, not
     * written.
     */
    @Param({"cli", "both", "none"})
    public String output;

    private Recording recording;
    private ExchangeSink sink;
    private final long[] delivered = new long[1];

    /** Secondary results, as rates: exchanges/s and payload bytes/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rates {
        public long exchanges;
        public long payloadBytes;

        @Setup(Level.Iteration)
        public void reset() {
            exchanges = 0;
            payloadBytes = 0;
        }
    }

    /**
     * The same work over this thread's CPU time rather than wall time: on a shared 2-core machine wall-clock rates move
     * with whatever else runs; CPU time per exchange hardly does. Summed over iterations; {@link #main} divides.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CpuTime {
        public long cpuNanos;
        public long cpuExchanges;
        public long cpuPayloadBytes;

        @Setup(Level.Iteration)
        public void reset() {
            cpuNanos = 0;
            cpuExchanges = 0;
            cpuPayloadBytes = 0;
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        recording = Recording.nginx(bodySize);
        sink = sink(output, delivered);
        // Check once that the recording means what it says: every exchange complete, sizes exact.
        List<Exchange> seen = new ArrayList<>();
        HttpPipeline check = new HttpPipeline(PipelineSettings.defaults(), seen::add);
        RecordFeed checkFeed = RecordFeed.unfiltered(check::accept);
        recording.records.drain(checkFeed);
        check.finish();
        if (checkFeed.malformedRecords() != 0) {
            throw new IllegalStateException("malformed records in the recording");
        }
        if (seen.size() != recording.exchanges) {
            throw new IllegalStateException("recording gave " + seen.size() + " exchanges, expected " + recording.exchanges);
        }
        for (Exchange exchange : seen) {
            boolean cut = bodySize > PipelineSettings.DEFAULT_MAX_BODY;
            if (exchange.response() == null || exchange.response().body().size() != bodySize
                    || exchange.response().body().truncated() != cut || exchange.notes().size() != (cut ? 1 : 0)) {
                throw new IllegalStateException("unexpected exchange from the recording: " + exchange);
            }
        }
    }

    @Benchmark
    public long pipeline(Rates rates, CpuTime cpu) {
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), sink, BodySkipListener.NONE);
        recording.records.drain(RecordFeed.unfiltered(pipeline::accept));
        pipeline.finish();
        cpu.cpuNanos += THREADS.getCurrentThreadCpuTime() - cpuStart;
        cpu.cpuExchanges += recording.exchanges;
        cpu.cpuPayloadBytes += recording.payloadBytes;
        rates.exchanges += recording.exchanges;
        rates.payloadBytes += recording.payloadBytes;
        return delivered[0];
    }

    static ExchangeSink sink(String output, long[] delivered) throws IOException {
        OutputStream nowhere = OutputStream.nullOutputStream();
        TranscriptWriter transcript = new TranscriptWriter(nowhere); // bytes, as cli.Outputs wires it
        JsonLinesWriter json = new JsonLinesWriter(nowhere);
        ExchangeSink count = exchange -> delivered[0]++;
        if (output.equals("cli")) {
            // As cli.Outputs.write: redact, then the summary and both writers see the redacted exchange.
            ProcessOrigin origin = new ProcessOrigin(4026531840L, "/system.slice/docker-" + "ab".repeat(32) + ".scope",
                    "ab".repeat(32), "docker", null, null, null);
            ExchangeRedactor redactor = new ExchangeRedactor(RedactionRules.defaults());
            EndpointSummary summary = new EndpointSummary(0);
            TranscriptWriter originTranscript = new TranscriptWriter(nowhere, pid -> origin);
            JsonLinesWriter originJson = new JsonLinesWriter(nowhere, pid -> origin);
            return exchange -> {
                delivered[0]++;
                Exchange redacted = redactor.redact(exchange);
                summary.accept(redacted);
                originTranscript.accept(redacted);
                originJson.accept(redacted);
            };
        }
        return switch (output) {
            case "both" -> count.andThen(transcript).andThen(json);
            case "transcript" -> count.andThen(transcript);
            case "json" -> count.andThen(json);
            case "none" -> count;
            default -> throw new IllegalArgumentException("output: both, transcript, json or none, not " + output);
        };
    }

    /** Ring buffer contents as the kernel side would leave them for one recorded session. */
    public static final class Recording {
        public final RingImage.Replay records;
        public final int exchanges;
        final long payloadBytes;
        final int recordCount;

        private Recording(RingImage.Replay records, int exchanges, long payloadBytes, int recordCount) {
            this.records = records;
            this.exchanges = exchanges;
            this.payloadBytes = payloadBytes;
            this.recordCount = recordCount;
        }

        public static Recording nginx(int bodySize) {
            byte[] body = Bodies.text(bodySize);
            long perExchangeGuess = 100 + 250 + bodySize;
            int rounds = (int) Math.max(1, PAYLOAD_PER_OP / (perExchangeGuess * CONNECTIONS));
            Writer w = new Writer();
            long[][] positions = new long[CONNECTIONS][2];
            long[] generations = new long[CONNECTIONS];
            long payload = 0;
            for (int c = 0; c < CONNECTIONS; c++) {
                generations[c] = w.time;
                w.open(c, generations[c]);
            }
            for (int round = 0; round < rounds; round++) {
                for (int c = 0; c < CONNECTIONS; c++) {
                    byte[] request = request(c, round);
                    w.data(c, generations[c], EventLayout.DIRECTION_INGRESS, positions[c][1], request.length,
                            request, 0, request.length);
                    positions[c][1] += request.length;
                    payload += request.length;
                }
                for (int c = 0; c < CONNECTIONS; c++) {
                    byte[] head = responseHead(bodySize);
                    // writev(head, body[0:32k]), then writev(body[32k:64k]) ...: the kernel gathers each call's
                    // segments into records of up to 16 KiB.
                    int bodyDone = 0;
                    boolean first = true;
                    while (first || bodyDone < bodySize) {
                        int bodyPart = Math.min(NGINX_OUTPUT_BUFFER, bodySize - bodyDone);
                        byte[] call = new byte[(first ? head.length : 0) + bodyPart];
                        int at = first ? head.length : 0;
                        System.arraycopy(head, 0, call, 0, at);
                        System.arraycopy(body, bodyDone, call, at, bodyPart);
                        for (int off = 0; off < call.length; off += EventLayout.MAX_RECORD_DATA) {
                            int len = Math.min(EventLayout.MAX_RECORD_DATA, call.length - off);
                            w.data(c, generations[c], EventLayout.DIRECTION_EGRESS, positions[c][0], call.length,
                                    call, off, len);
                            positions[c][0] += len;
                        }
                        bodyDone += bodyPart;
                        payload += call.length;
                        first = false;
                    }
                }
            }
            for (int c = 0; c < CONNECTIONS; c++) {
                w.close(c, generations[c], positions[c][0], positions[c][1]);
            }
            return w.finish(rounds * CONNECTIONS, payload);
        }

        static byte[] request(int connection, int round) {
            return ("GET /" + (round % 2 == 0 ? "index" : "static/app") + ".txt?c=" + connection + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:8080\r\n"
                    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                    + "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
                    + "Accept-Language: en-US,en;q=0.5\r\n"
                    + "Connection: keep-alive\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        static byte[] responseHead(int bodySize) {
            return ("HTTP/1.1 200 OK\r\n"
                    + "Server: nginx/1.22.1\r\n"
                    + "Date: Sun, 23 Nov 2025 11:30:00 GMT\r\n"
                    + "Content-Type: text/plain\r\n"
                    + "Content-Length: " + bodySize + "\r\n"
                    + "Last-Modified: Sun, 23 Nov 2025 10:00:00 GMT\r\n"
                    + "Connection: keep-alive\r\n"
                    + "ETag: \"6922e1a0-" + Integer.toHexString(bodySize) + "\"\r\n"
                    + "Accept-Ranges: bytes\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Appends {@code struct probe_event} records in the kernel ring buffer's framing ({@link RingImage}). */
    static final class Writer {
        private final RingImage ring = new RingImage();
        long time = T0;

        void open(int connection, long generation) {
            ByteBuffer e = header(EventLayout.EVENT_OPEN, connection, generation, 0);
            e.put(EventLayout.ROLE, (byte) EventLayout.ROLE_SERVER);
            e.put(EventLayout.FAMILY, (byte) EventLayout.AF_INET);
            e.putShort(EventLayout.LOCAL_PORT, (short) 8080);
            e.putShort(EventLayout.REMOTE_PORT, (short) (40000 + connection));
            byte[] loopback = {127, 0, 0, 1};
            e.put(EventLayout.LOCAL_ADDR, loopback);
            e.put(EventLayout.REMOTE_ADDR, loopback);
            e.put(EventLayout.COMM, "nginx".getBytes(StandardCharsets.US_ASCII));
            ring.add(e);
        }

        void data(int connection, long generation, int direction, long position, long callSize, byte[] src, int off,
                  int len) {
            ByteBuffer e = header(EventLayout.EVENT_DATA, connection, generation, len);
            e.put(EventLayout.DIRECTION, (byte) direction);
            e.put(EventLayout.ROLE, (byte) EventLayout.ROLE_SERVER);
            e.putLong(EventLayout.POSITION, position);
            e.putLong(EventLayout.CALL_SIZE, callSize);
            e.putInt(EventLayout.DATA_LEN, len);
            e.put(EventLayout.DATA, src, off, len);
            ring.add(e);
        }

        void close(int connection, long generation, long egress, long ingress) {
            ByteBuffer e = header(EventLayout.EVENT_CLOSE, connection, generation, 0);
            e.put(EventLayout.ROLE, (byte) EventLayout.ROLE_SERVER);
            e.putLong(EventLayout.POSITION, egress);
            e.putLong(EventLayout.CALL_SIZE, ingress);
            ring.add(e);
        }

        private ByteBuffer header(int kind, int connection, long generation, int dataLength) {
            time += 1_000;
            ByteBuffer e = ByteBuffer.allocate(EventLayout.HEADER_SIZE + dataLength).order(ByteOrder.nativeOrder());
            e.putLong(EventLayout.TIMESTAMP_NS, time);
            e.putLong(EventLayout.GENERATION, generation);
            e.putInt(EventLayout.TGID, PID);
            e.putInt(EventLayout.TID, PID);
            e.putInt(EventLayout.FD, FIRST_FD + connection);
            e.put(EventLayout.KIND, (byte) kind);
            return e;
        }

        Recording finish(int exchanges, long payloadBytes) {
            // The reader maps the data area once; nothing here wraps.
            return new Recording(ring.replay(), exchanges, payloadBytes, ring.records());
        }
    }

    /** Text bodies like bench/run.sh's files: 70-character lines of letters and digits. */
    static final class Bodies {
        static byte[] text(int size) {
            String line = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/";
            byte[] out = new byte[size];
            int i = 0;
            for (int n = 0; i < size; n++) {
                String rotated = line.substring(n % 7) + line.substring(0, n % 7) + "\n";
                for (int k = 0; k < rotated.length() && i < size; k++) {
                    out[i++] = (byte) rotated.charAt(k);
                }
            }
            out[size - 1] = '\n';
            return out;
        }
    }

    /**
     * Runs the benchmark (JMH options on the command line override the annotations, e.g. {@code -p output=both,json}),
     * then prints MB/s of payload and exchanges/s per configuration.
     */
    public static void main(String[] args) throws Exception {
        Options cli = new CommandLineOptions(args);
        Options options = new OptionsBuilder().parent(cli).include("^" + PipelineBenchmark.class.getName().replace(".", "\\.") + "\\.").build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.println();
        System.out.println("| body | output | payload MB/s | exchanges/s | per CPU-second: MB | exchanges "
                + "| records/exchange |");
        System.out.println("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        for (RunResult run : results) {
            String body = run.getParams().getParam("bodySize");
            String out = run.getParams().getParam("output");
            Result<?> exchanges = run.getSecondaryResults().get("exchanges");
            Result<?> bytes = run.getSecondaryResults().get("payloadBytes");
            if (exchanges == null || bytes == null) {
                continue;
            }
            Recording r = Recording.nginx(Integer.parseInt(body));
            double cpuSeconds = run.getSecondaryResults().get("cpuNanos").getScore() / 1e9;
            double cpuExchanges = run.getSecondaryResults().get("cpuExchanges").getScore();
            double cpuBytes = run.getSecondaryResults().get("cpuPayloadBytes").getScore();
            System.out.printf(Locale.ROOT, "| %s | %s | %.0f ± %.0f | %.0f ± %.0f | %.0f | %.0f | %.1f |%n", body, out,
                    bytes.getScore() / 1e6, bytes.getScoreError() / 1e6, exchanges.getScore(),
                    exchanges.getScoreError(), cpuBytes / cpuSeconds / 1e6, cpuExchanges / cpuSeconds,
                    (double) r.recordCount / r.exchanges);
        }
    }
}
