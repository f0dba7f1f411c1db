package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.TranscriptWriter;
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

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exchanges per second through the pipeline on one thread, on events shaped like the kernel's: keep-alive connections
 * served round robin, one record per request, the response cut into records of at most 16 KiB, a JSON body of
 * {@code bodySize} bytes. The score is in exchanges; payload MB/s is that times the bytes per exchange printed at
 * setup.
 *
 * <p>Run: {@code mvn -o test-compile -Dexec.skip=true && java -cp target/test-classes:target/classes:$(cat cp.txt)
 * org.openjdk.jmh.Main HttpPipelineBenchmark} (cp.txt from {@code mvn dependency:build-classpath}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HttpPipelineBenchmark {
    static final int CONNECTIONS = 64;
    static final int EXCHANGES_PER_CONNECTION = 16;
    static final int EXCHANGES = CONNECTIONS * EXCHANGES_PER_CONNECTION;
    private static final int RECORD_BYTES = 16 * 1024;
    private static final long T0 = 1_795_000_000_000_000_000L;

    @Param({"1024", "65536", "1048576"})
    public int bodySize;

    private List<CaptureEvent> events;
    private JsonLinesWriter json;
    private TranscriptWriter transcript;

    @Setup(Level.Trial)
    public void record() {
        byte[] request = Conversation.bytes("GET /api/items?page=3 HTTP/1.1\r\nHost: localhost:8080\r\n"
                + "User-Agent: bench/1.0\r\nAccept: application/json\r\nAccept-Encoding: identity\r\n\r\n");
        byte[] item = Conversation.bytes("{\"id\":12345,\"name\":\"widget\"},");
        byte[] body = new byte[bodySize];
        for (int i = 0; i < body.length; i++) {
            body[i] = item[i % item.length];
        }
        byte[] response = Conversation.concat(Conversation.bytes("HTTP/1.1 200 OK\r\nServer: nginx\r\n"
                + "Date: Sun, 22 Nov 2026 11:30:00 GMT\r\nContent-Type: application/json\r\nContent-Length: "
                + bodySize + "\r\nConnection: keep-alive\r\n\r\n"), body);
        events = new ArrayList<>();
        long[][] positions = new long[CONNECTIONS][2];
        long time = T0;
        for (int c = 0; c < CONNECTIONS; c++) {
            events.add(new ConnectionOpened(time, id(c), 100 + c, "nginx", Role.SERVER,
                    new InetSocketAddress("127.0.0.1", 8080), new InetSocketAddress("127.0.0.1", 40000 + c)));
        }
        for (int e = 0; e < EXCHANGES_PER_CONNECTION; e++) {
            for (int c = 0; c < CONNECTIONS; c++) {
                time += 1000;
                addRecords(c, Direction.INGRESS, request, positions[c], time);
                time += 1000;
                addRecords(c, Direction.EGRESS, response, positions[c], time);
            }
        }
        for (int c = 0; c < CONNECTIONS; c++) {
            events.add(new ConnectionClosed(time, id(c), 100 + c, positions[c][Direction.EGRESS.ordinal()],
                    positions[c][Direction.INGRESS.ordinal()]));
        }
        System.out.printf("%n%d bytes of payload per exchange%n", request.length + response.length);
    }

    @Setup(Level.Iteration)
    public void openWriters() throws IOException {
        json = new JsonLinesWriter(OutputStream.nullOutputStream());
        transcript = new TranscriptWriter(new OutputStreamWriter(OutputStream.nullOutputStream(),
                StandardCharsets.UTF_8));
    }

    private static ConnectionId id(int connection) {
        return new ConnectionId(4000, 10 + connection, 1);
    }

    private void addRecords(int connection, Direction direction, byte[] bytes, long[] positions, long time) {
        for (int offset = 0; offset < bytes.length; offset += RECORD_BYTES) {
            byte[] data = Arrays.copyOfRange(bytes, offset, Math.min(bytes.length, offset + RECORD_BYTES));
            events.add(new DataEvent(time, id(connection), 100 + connection, direction,
                    positions[direction.ordinal()], bytes.length, data));
            positions[direction.ordinal()] += data.length;
        }
    }

    /** Reassembly, parsing and pairing: exchanges handed to a sink that only looks at them. */
    @Benchmark
    @OperationsPerInvocation(EXCHANGES)
    public void pipeline(Blackhole blackhole) {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), blackhole::consume);
        for (CaptureEvent event : events) {
            pipeline.accept(event);
        }
    }

    /** The same, and each exchange written as a transcript block and a JSON line (to a null stream). */
    @Benchmark
    @OperationsPerInvocation(EXCHANGES)
    public void pipelineAndWriters() {
        HttpPipeline pipeline = new HttpPipeline(PipelineSettings.defaults(), transcript.andThen(json));
        for (CaptureEvent event : events) {
            pipeline.accept(event);
        }
    }
}
