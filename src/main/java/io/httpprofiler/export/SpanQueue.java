package io.httpprofiler.export;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Spans on their way to one backend: a bounded queue the capture thread only ever offers to (never waits on), and one
 * sender thread that takes batches off it and hands them to the SDK's exporter. A backend that is down, refuses or
 * never answers costs its spans (counted: queue full when the sender cannot keep up, failed when a request did not
 * succeed within the timeout) and nothing else: the files are written before a span is even built.
 *
 * <p>Not the SDK's BatchSpanProcessor: that one reports its drops only through a metrics pipeline, and the profiler
 * needs them as plain numbers in its stats line.
 */
final class SpanQueue implements AutoCloseable {
    /** How long the sender gathers spans before sending a batch that is not full. */
    static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final String backend;
    private final SpanExporter exporter;
    private final BlockingQueue<SpanData> queue;
    private final int batchSpans;
    private final long timeoutNanos;
    private final Thread sender;
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong exported = new AtomicLong();
    private final AtomicLong queueFull = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong unsent = new AtomicLong();
    private volatile int inFlight;
    /** Set when close() stopped waiting for the sender: its last request's outcome no longer counts. */
    private volatile boolean abandoned;
    private volatile boolean closing;
    private volatile long closeDeadline;
    private volatile String lastFailure;

    private final Consumer<String> problems;

    /** @param problems told once, when the first request fails (from the sender thread) */
    SpanQueue(String backend, SpanExporter exporter, int queueSpans, int batchSpans, long timeoutNanos,
              Consumer<String> problems) {
        this.backend = backend;
        this.problems = problems;
        this.exporter = exporter;
        this.queue = new ArrayBlockingQueue<>(queueSpans);
        this.batchSpans = batchSpans;
        this.timeoutNanos = timeoutNanos;
        this.sender = new Thread(this::sendLoop, "span-export-" + backend);
        sender.setDaemon(true); // never keeps the JVM up: close() bounds the wait for it
    }

    SpanQueue start() {
        sender.start();
        return this;
    }

    /** Never blocks: a full queue drops the span and counts it. */
    void offer(SpanData span) {
        if (closing || !queue.offer(span)) {
            queueFull.incrementAndGet();
        } else {
            queued.incrementAndGet();
        }
    }

    ExportCounts counts() {
        return new ExportCounts(backend, exported.get(), queueFull.get(), failed.get(), unsent.get(), queue.size(),
                lastFailure);
    }

    private void sendLoop() {
        List<SpanData> batch = new ArrayList<>(batchSpans);
        try {
            while (!(closing && queue.isEmpty()) && !pastCloseDeadline()) {
                gather(batch);
                if (!batch.isEmpty()) {
                    send(batch);
                    batch.clear();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean pastCloseDeadline() {
        return closing && System.nanoTime() - closeDeadline > 0;
    }

    /** Waits up to {@link #GATHER_NANOS} for spans, returning early with a full batch (or at once when closing). */
    private void gather(List<SpanData> batch) throws InterruptedException {
        long deadline = System.nanoTime() + GATHER_NANOS;
        while (batch.size() < batchSpans) {
            queue.drainTo(batch, batchSpans - batch.size());
            long left = deadline - System.nanoTime();
            if (batch.size() >= batchSpans || left <= 0 || closing) {
                return;
            }
            SpanData next = queue.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
        }
    }

    private void send(List<SpanData> batch) {
        CompletableResultCode result;
        inFlight = batch.size();
        try {
            result = exporter.export(List.copyOf(batch));
            result.join(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            result = CompletableResultCode.ofExceptionalFailure(e);
        } finally {
            inFlight = 0;
        }
        if (abandoned) {
            return;
        }
        if (result.isSuccess()) {
            exported.addAndGet(batch.size());
        } else {
            Throwable cause = result.getFailureThrowable();
            failed(batch.size(), !result.isDone() ? "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                    + " ms" : cause == null ? "refused" : cause.getMessage() != null ? cause.getMessage()
                    : cause.getClass().getSimpleName());
        }
    }

    private void failed(int spans, String why) {
        if (failed.getAndAdd(spans) == 0) {
            problems.accept("sending spans to " + backend + " failed (" + why + "); the files are not affected,"
                    + " spans that do not reach it are counted in the stats");
        }
        lastFailure = why;
    }

    /**
     * Sends what is queued for at most {@code graceNanos}, then counts what is left (and a request still waiting for
     * its answer) as unsent and shuts the exporter down. A backend that is down or silent costs the exit at most the
     * grace time and a second.
     */
    void close(long graceNanos) {
        closeDeadline = System.nanoTime() + graceNanos;
        closing = true;
        try {
            sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(graceNanos)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (sender.isAlive()) {
            abandoned = true;
            unsent.addAndGet(inFlight);
        }
        unsent.addAndGet(queue.size());
        queue.clear();
        exporter.shutdown().join(1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        close(CLOSE_GRACE_NANOS);
    }

    /** At exit, how long queued spans may still take to reach the backend. */
    static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
}
