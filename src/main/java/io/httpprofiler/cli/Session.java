package io.httpprofiler.cli;

import io.httpprofiler.bpf.MonotonicClock;
import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.CommandFilter;
import io.httpprofiler.capture.EventDecoder;
import io.httpprofiler.capture.KernelCounters;
import io.httpprofiler.capture.KernelProbe;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.http.PipelineStats;

import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * The capture loop: ring buffer -> decoder -> (command filter) -> HTTP pipeline -> outputs, all on the calling thread so
 * that no pipeline state needs a lock.
 */
final class Session {
    /** Longest the loop sleeps waiting for the kernel; bounds how late a quiet exchange reaches the file. */
    private static final int POLL_MILLIS = 50;
    /** How often the pipeline gets to expire idle connections and stalled reorder waits. */
    private static final long EXPIRE_EVERY_NANOS = 200_000_000L;

    private final KernelProbe probe;
    private final Outputs outputs;
    private final PrintStream log;
    private final EventDecoder decoder = new EventDecoder(MonotonicClock.wallClockOffsetNanos());
    private final HttpPipeline pipeline;
    private final CommandFilter commandFilter;
    private final Consumer<CaptureEvent> input;
    private final long statsEveryNanos;

    Session(KernelProbe probe, Outputs outputs, ProfilerOptions options, PrintStream log) {
        this.probe = probe;
        this.outputs = outputs;
        this.log = log;
        this.pipeline = new HttpPipeline(PipelineSettings.defaults().withMaxBody(options.maxBody()), outputs::write,
                (connection, direction, from, to) -> probe.skipUntil(connection, direction, to));
        this.commandFilter = options.comms().isEmpty() ? null : new CommandFilter(options.comms(), pipeline::accept);
        this.input = commandFilter == null ? pipeline::accept : commandFilter;
        this.statsEveryNanos = (long) (options.statsIntervalSeconds() * 1e9);
    }

    /** Runs until a stop is requested or the duration (seconds, null for unlimited) has passed. */
    void run(StopSignal stop, Double durationSeconds) {
        long start = System.nanoTime();
        long end = durationSeconds == null ? Long.MAX_VALUE : start + (long) (durationSeconds * 1e9);
        long nextExpire = start + EXPIRE_EVERY_NANOS;
        long nextStats = statsEveryNanos > 0 ? start + statsEveryNanos : Long.MAX_VALUE;
        while (!stop.requested()) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            probe.reader().poll((int) Math.min(POLL_MILLIS, Math.max(1, (end - now) / 1_000_000)), this::onRecord);
            now = System.nanoTime();
            if (now >= nextExpire) {
                pipeline.expire(wallClockNanos());
                nextExpire = now + EXPIRE_EVERY_NANOS;
            }
            if (now >= nextStats) {
                log.println("http-profiler stats: " + totals());
                log.flush();
                nextStats = now + statsEveryNanos;
            }
        }
    }

    private void onRecord(java.nio.ByteBuffer record) {
        CaptureEvent event = decoder.decode(record);
        if (event != null) {
            input.accept(event);
        }
    }

    /** Takes what is still in the ring, then ends every connection so pending exchanges are written (incomplete). */
    void finish() {
        while (probe.reader().drain(this::onRecord) > 0) {
            // keep draining: the kernel may still be adding records
        }
        pipeline.expire(wallClockNanos());
        pipeline.finish();
    }

    String totals() {
        PipelineStats s = pipeline.stats();
        KernelCounters k = probe.counters();
        StringBuilder line = new StringBuilder();
        line.append("events ").append(s.events())
                .append(", bytes ").append(s.bytes())
                .append(", exchanges ").append(s.exchanges())
                .append(" (incomplete ").append(s.incompleteExchanges()).append(')')
                .append(", connections ").append(s.connections())
                .append(", drops: ring full ").append(k.ringFullRecords()).append(" records/")
                .append(k.ringFullBytes()).append(" bytes")
                .append(", gaps ").append(s.gaps()).append('/').append(s.gapBytes()).append(" bytes")
                .append(", not copied ").append(k.cappedBytes() + k.skippedBytes()).append(" bytes")
                .append(", parse errors ").append(s.parseErrors())
                .append(", shed connections ").append(s.shedConnections() + k.connectionTableFull());
        if (decoder.malformedRecords() > 0) {
            line.append(", malformed records ").append(decoder.malformedRecords());
        }
        if (outputs.droppedBytes() > 0 || outputs.failedExchanges() > 0) {
            line.append(", output lost ").append(outputs.droppedBytes()).append(" bytes/")
                    .append(outputs.failedExchanges()).append(" exchanges");
        }
        return line.toString();
    }

    private static long wallClockNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
