package io.httpprofiler.output;

import io.httpprofiler.bench.PipelineBenchmark;
import io.httpprofiler.capture.RecordFeed;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JSON Lines written by the hand-made {@link JsonLinesWriter} (bytes built in a {@link JsonLine}) against the same bytes
 * written through Jackson's streaming generator ({@link JacksonJsonLinesWriter}), to a null stream. Exchanges:
 * {@code nginx1k} and {@code nginx64k} come out of the real pipeline fed {@link PipelineBenchmark}'s nginx recording
 * (parsed header fields, text bodies of 1 KiB or 64 KiB); {@code awkward} are GoldenOutputTest's 4,000 random
 * exchanges (controls, quotes, non-ASCII, surrogates, binary bodies). Setup checks that both writers give the same
 * bytes. The score is exchanges per second.
 *
 * <p>On a shared machine, run the two writers alternately, several times, e.g.
 * {@code for i in 1 2 3; do for w in handmade jackson; do java -cp ... org.openjdk.jmh.Main JsonLinesBenchmark
 * -p writer=$w; done; done}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class JsonLinesBenchmark {
    static final int EXCHANGES_PER_OP = 1000;

    @Param({"handmade", "jackson"})
    public String writer;

    @Param({"nginx1k", "nginx64k", "awkward"})
    public String mix;

    private Exchange[] exchanges;
    private ExchangeWriter out;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        List<Exchange> list = exchanges(mix);
        exchanges = list.toArray(Exchange[]::new);
        ByteArrayOutputStream handMade = new ByteArrayOutputStream();
        ByteArrayOutputStream jackson = new ByteArrayOutputStream();
        ExchangeWriter a = new JsonLinesWriter(handMade);
        ExchangeWriter b = new JacksonJsonLinesWriter(jackson);
        for (Exchange exchange : list) {
            a.write(exchange);
            b.write(exchange);
        }
        if (!Arrays.equals(handMade.toByteArray(), jackson.toByteArray())) {
            throw new IllegalStateException("the two writers differ on " + mix);
        }
        OutputStream nowhere = OutputStream.nullOutputStream();
        out = switch (writer) {
            case "handmade" -> new JsonLinesWriter(nowhere);
            case "jackson" -> new JacksonJsonLinesWriter(nowhere);
            default -> throw new IllegalArgumentException("writer: handmade or jackson, not " + writer);
        };
    }

    private int next;

    @Benchmark
    @OperationsPerInvocation(EXCHANGES_PER_OP)
    public void write() throws IOException {
        Exchange[] all = exchanges;
        int at = next;
        for (int i = 0; i < EXCHANGES_PER_OP; i++) {
            out.write(all[at]);
            if (++at == all.length) {
                at = 0;
            }
        }
        next = at;
    }

    static List<Exchange> exchanges(String mix) {
        return switch (mix) {
            case "nginx1k" -> fromPipeline(1024);
            case "nginx64k" -> fromPipeline(64 * 1024);
            case "awkward" -> GoldenOutputTest.exchanges();
            default -> throw new IllegalArgumentException("mix: nginx1k, nginx64k or awkward, not " + mix);
        };
    }

    private static List<Exchange> fromPipeline(int bodySize) {
        PipelineBenchmark.Recording recording = PipelineBenchmark.Recording.nginx(bodySize);
        List<Exchange> seen = new ArrayList<>();
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), seen::add);
        recording.records.drain(RecordFeed.unfiltered(pipeline::accept));
        pipeline.finish();
        if (seen.size() != recording.exchanges) {
            throw new IllegalStateException(seen.size() + " exchanges, expected " + recording.exchanges);
        }
        return seen;
    }
}
