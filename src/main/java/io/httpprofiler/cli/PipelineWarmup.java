package io.httpprofiler.cli;

import io.httpprofiler.capture.RecordFeed;
import io.httpprofiler.http.BodySkipListener;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.output.EndpointSummary;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.TranscriptWriter;
import io.httpprofiler.redact.ExchangeRedactor;
import io.httpprofiler.redact.RedactionRules;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * Runs synthetic traffic ({@link WarmupTraffic}) through the same code the capture loop runs: ring buffer drain ->
 * {@link RecordFeed} -> {@link HttpPipeline} -> transcript and JSON Lines writers, into a null sink. Started while the
 * kernel verifies the BPF programs, so that the JIT has compiled the hot paths before the first real record arrives: an
 * interpreted pipeline fell so far behind at 10k req/s that the 16 MiB ring overflowed in the first second.
 *
 * <p>Each pass uses a fresh pipeline (nothing of the warm-up is left to be reported or to hold memory), and the passes
 * stop at {@code targetExchanges}, or once {@code budgetNanos} is used up and the start no longer needs the time
 * ({@link #startDone()}): the BPF load and the TLS library scan often take several seconds, and a warm-up cut at a fixed
 * second had compiled next to nothing on a busy machine (4-32 exchanges), leaving the JIT compiler to take a fifth of
 * the profiler's CPU in the first half minute of real traffic. {@code maxNanos} bounds it whatever happens. A pass cut
 * short ends its connections early; those exchanges are written as incomplete, which exercises that path too.
 */
final class PipelineWarmup implements Callable<PipelineWarmup.Result> {
    /** One pass: 8 connections x 8 rounds (the whole mix on each), 128 exchanges, about 500 KiB of records. */
    static final int CONNECTIONS = 8;
    static final int ROUNDS = 8;

    /**
     * @param passes    passes over the recording
     * @param exchanges exchanges written (to the null sink)
     * @param nanos     time taken
     */
    record Result(int passes, long exchanges, long nanos) {
    }

    private final PipelineSettings settings;
    private final long budgetNanos;
    private final long maxNanos;
    /** Set once the start has nothing left to do but wait for this warm-up. */
    private volatile boolean startDone;
    private final long targetExchanges;

    PipelineWarmup(PipelineSettings settings, long budgetNanos, long targetExchanges) {
        this(settings, budgetNanos, budgetNanos, targetExchanges);
    }

    /**
     * @param budgetNanos the least time the start gives the warm-up
     * @param maxNanos    the most it takes, while the start is still busy with other things
     */
    PipelineWarmup(PipelineSettings settings, long budgetNanos, long maxNanos, long targetExchanges) {
        this.maxNanos = Math.max(budgetNanos, maxNanos);
        this.settings = settings;
        this.budgetNanos = budgetNanos;
        this.targetExchanges = targetExchanges;
    }

    @Override
    public Result call() {
        long start = System.nanoTime();
        WarmupTraffic traffic = WarmupTraffic.of(CONNECTIONS, ROUNDS);
        long[] written = new long[1];
        ExchangeSink sink = nullOutputs(written);
        int passes = 0;
        while (written[0] < targetExchanges && timeLeft(start)) {
            HttpPipeline pipeline = new HttpPipeline(settings, sink, BodySkipListener.NONE);
            RecordFeed feed = RecordFeed.unfiltered(pipeline::accept);
            traffic.records().drain(record -> {
                // Checked per record, not per pass: on a starved machine the first (interpreted) pass alone took 2 s.
                if (timeLeft(start)) {
                    feed.onRecord(record);
                }
            });
            pipeline.finish();
            passes++;
        }
        return new Result(passes, written[0], System.nanoTime() - start);
    }

    private boolean timeLeft(long start) {
        long spent = System.nanoTime() - start;
        return spent < budgetNanos || spent < maxNanos && !startDone;
    }

    /** The start has nothing left to do but wait: the warm-up ends once its budget is spent. */
    void startDone() {
        startDone = true;
    }

    /** The writers as {@link Outputs} wires them (flushes deferred), over a stream that keeps nothing. */
    private static ExchangeSink nullOutputs(long[] written) {
        try {
            TranscriptWriter transcript = new TranscriptWriter(new Outputs.DeferredFlush(OutputStream.nullOutputStream()));
            JsonLinesWriter json = new JsonLinesWriter(new Outputs.DeferredFlush(OutputStream.nullOutputStream()));
            ExchangeRedactor redactor = new ExchangeRedactor(RedactionRules.defaults());
            EndpointSummary summary = new EndpointSummary(0);
            return captured -> {
                Exchange exchange = redactor.redact(captured);
                summary.accept(exchange);
                transcript.accept(exchange);
                json.accept(exchange);
                written[0]++;
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
