package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.EventScript.Splitter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP/2 side of the pipeline on one thread: {@value #CONNECTIONS} copies of a connection recorded from real peers
 * (src/test/resources/h2/) replayed as server-side capture events, records as the relay read them. The score is in
 * connections; streams/s and MB/s are that times the streams and bytes per connection printed at setup.
 *
 * <p>Run: {@code mvn -o test-compile && java -cp target/test-classes:target/classes:$(cat cp.txt) org.openjdk.jmh.Main
 * Http2PipelineBenchmark} (cp.txt from {@code mvn dependency:build-classpath -Dmdep.includeScope=test}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class Http2PipelineBenchmark {
    static final int CONNECTIONS = 32;

    /** h2load: 40 small GETs, 10 at a time; grpc-rounds: 12 gRPC calls; curl-post-big: one 54 KB upload. */
    @Param({"h2load.bin", "grpc-rounds.bin", "curl-post-big.bin"})
    public String fixture;

    private List<CaptureEvent> events;

    @Setup(Level.Trial)
    public void record() {
        Conversation conversation = H2Fixtures.load(fixture);
        events = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
            events.addAll(new EventScript(new ConnectionId(EventScript.PID, 10 + c, 1_000 + c), Role.SERVER)
                    .events(conversation, Splitter.whole()));
        }
        long bytes = conversation.turns().stream().mapToLong(t -> t.bytes().length).sum();
        List<Exchange> exchanges = new ArrayList<>();
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), exchanges::add);
        events.forEach(pipeline::accept);
        pipeline.finish();
        System.out.printf("%n%s: %d streams and %d bytes per connection%n", fixture,
                exchanges.size() / CONNECTIONS, bytes);
    }

    @Benchmark
    @OperationsPerInvocation(CONNECTIONS)
    public void pipeline(Blackhole blackhole) {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), blackhole::consume);
        for (CaptureEvent event : events) {
            pipeline.accept(event);
        }
        pipeline.finish();
    }
}
