package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.stream.Reassembler;
import io.httpprofiler.stream.ReassemblyStats;

import java.util.ArrayList;
import java.util.List;

/**
 * From capture events to exchanges: reassembles each connection's byte streams, parses HTTP/1.x or HTTP/2 both ways,
 * pairs responses with requests, and hands each exchange to the sink as soon as its response completes (or it is given
 * up on).
 *
 * <p>Single-threaded and clock-free: call every method from one thread; time advances only through event timestamps and
 * {@link #expire(long)}, which the caller should invoke periodically (say every 100 ms) with the current wall-clock
 * time in epoch nanoseconds. Data event arrays are held by reference while they wait behind a hole: the capture side
 * must not reuse them.
 */
public final class HttpPipeline {
    private final ExchangeSink sink;
    private final ProgressSink progressSink;
    private final ProgressTracker progress;
    private final Reassembler reassembler;
    private final HttpCounters counters = new HttpCounters();
    /** Exchanges completed while handling the current call; delivered when the pipeline's state is consistent again. */
    private final List<Exchange> completed = new ArrayList<>();
    private long events;
    private long latestNanos;

    public HttpPipeline(PipelineSettings settings, ExchangeSink sink) {
        this(settings, sink, BodySkipListener.NONE);
    }

    public HttpPipeline(PipelineSettings settings, ExchangeSink sink, BodySkipListener skipListener) {
        this(settings, sink, skipListener, ProgressSettings.off(), ProgressSink.NONE);
    }

    /**
     * A pipeline that also reports exchanges still in progress to {@code progressSink}, when {@link #expire(long)}
     * finds them due (see {@link ProgressSettings}).
     */
    public HttpPipeline(PipelineSettings settings, ExchangeSink sink, BodySkipListener skipListener,
                        ProgressSettings progressSettings, ProgressSink progressSink) {
        this.sink = sink;
        this.progressSink = progressSink;
        this.progress = new ProgressTracker(progressSettings);
        PipelineContext context = new PipelineContext(settings, counters, new HeadParser(),
                new BodyRenderer(settings.maxBody()), skipListener, completed::add, progress);
        this.reassembler = new Reassembler(settings.reassembly(),
                (id, control) -> new HttpConnection(id, control, context));
    }

    public void accept(CaptureEvent event) {
        events++;
        latestNanos = Math.max(latestNanos, event.timestampNanos());
        reassembler.accept(event);
        deliver();
    }

    /**
     * Gives up waiting for out-of-order data past the reorder window, ends idle connections, then reports the exchanges
     * still in progress that are due for a report.
     */
    public void expire(long nowNanos) {
        latestNanos = Math.max(latestNanos, nowNanos);
        reassembler.expire(nowNanos);
        deliver();
        progress.due(nowNanos, open -> progressSink.accept(open.progress(nowNanos)));
    }

    /** Ends every connection: pending exchanges are delivered, marked {@code incomplete: profiler stopped}. */
    public void finish() {
        reassembler.finish(latestNanos);
        deliver();
    }

    private void deliver() {
        if (completed.isEmpty()) {
            return;
        }
        try {
            for (Exchange exchange : completed) {
                sink.accept(exchange);
            }
        } finally {
            completed.clear();
        }
    }

    /** Bytes held now by the whole pipeline, as accounted against its buffer caps. */
    public long bufferedBytes() {
        return reassembler.bufferedBytes();
    }

    /** Exchanges in progress, and their reports so far. */
    public ProgressStats progressStats() {
        return new ProgressStats(progress.openExchanges(), progress.reportedNow(), progress.reports(),
                progress.overCap());
    }

    public PipelineStats stats() {
        ReassemblyStats stream = reassembler.stats();
        return new PipelineStats(events, stream.dataEvents(), stream.bytes(), stream.connections(),
                stream.openConnections(), stream.shedConnections(), stream.expiredConnections(), counters.exchanges,
                counters.incompleteExchanges, counters.responsesWithoutRequest, counters.requests, counters.responses,
                stream.gaps(), stream.gapBytes(), stream.skippedBytes(), stream.uncopiedBytes(), stream.duplicateBytes(),
                stream.reorderedEvents(), counters.parseErrors, counters.messagesLost, counters.nonHttpConnections,
                counters.upgrades, counters.pendingOverflows, stream.bufferedBytes(), stream.peakBufferedBytes(),
                stream.refusedBufferBytes(), counters.http2Connections, counters.http2Streams,
                counters.http2FrameErrors, counters.http2HeadersNotDecoded);
    }
}
