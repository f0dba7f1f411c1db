package io.httpprofiler.cli;

import io.httpprofiler.bpf.MonotonicClock;
import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.ContainerFilter;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.KernelCounters;
import io.httpprofiler.capture.KernelProbe;
import io.httpprofiler.capture.EventDecoder;
import io.httpprofiler.capture.RecordFeed;
import io.httpprofiler.capture.tls.TlsNotices;
import io.httpprofiler.capture.tls.TlsWatcher;
import io.httpprofiler.http.HttpPipeline;
import io.httpprofiler.http.PipelineSettings;
import io.httpprofiler.http.PipelineStats;
import io.httpprofiler.http.ProgressSettings;
import io.httpprofiler.http.ProgressStats;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The capture loop: ring buffer -> {@link RecordFeed} (decoder, command filter) -> HTTP pipeline -> outputs, all on the
 * calling thread so that no pipeline state needs a lock.
 */
final class Session {
    /** Longest the loop sleeps waiting for the kernel; bounds how late a quiet exchange reaches the file. */
    private static final int POLL_MILLIS = 50;
    /** How often the pipeline gets to expire idle connections and stalled reorder waits. */
    private static final long EXPIRE_EVERY_NANOS = 200_000_000L;
    /**
     * The pipeline's buffers (held out-of-order data, split heads, kept bodies) may take this share of the heap in total:
     * {@link PipelineSettings}' defaults (256 MiB) assume a big heap, and a profiler must not die of OutOfMemoryError in a
     * container that gives it 64 MiB.
     */
    static final int HEAP_SHARE_FOR_BUFFERS = 4;
    /** Tracked connections may take this share of the heap ... */
    static final int HEAP_SHARE_FOR_CONNECTIONS = 4;
    /** ... at about this much each (measured: ~1.3 KiB for an idle connection's reassembly and parser state). */
    static final long BYTES_PER_CONNECTION = 2048;
    /** Floors, so that a tiny heap still gets a working pipeline. */
    static final long MIN_TOTAL_BUFFER_BYTES = 1L << 20;
    static final int MIN_CONNECTIONS = 256;

    private final KernelProbe probe;
    private final Outputs outputs;
    private final PrintStream log;
    private final long wallClockOffsetNanos = MonotonicClock.wallClockOffsetNanos();
    /** Debugging only: every record and expiry as fed, for an offline replay (null unless asked for). */
    private final RecordLog recordLog;
    private final HttpPipeline pipeline;
    private final RecordFeed feed;
    /** The TLS library watcher, and TLS connections nothing can decrypt, counted and explained (both null: --tls off). */
    private final TlsWatcher tls;
    private final TlsNotices tlsNotices;
    /** --container: the events of the container's processes only (null without it). */
    private final ContainerFilter containerFilter;
    private final Consumer<CaptureEvent> input;
    private final long statsEveryNanos;
    /** --progress-after is not 0. */
    private final boolean progressReports;
    private final long summaryEveryNanos;
    private long internalErrors;

    /** @param tls the TLS library watcher, or null with --tls off */
    Session(KernelProbe probe, TlsWatcher tls, Outputs outputs, PipelineSettings settings, ProfilerOptions options,
            PrintStream log) {
        this.probe = probe;
        this.tls = tls;
        this.tlsNotices = tls == null ? null : new TlsNotices(tls, java.nio.file.Path.of("/proc"), this::warn);
        this.outputs = outputs;
        this.log = log;
        this.recordLog = RecordLog.fromSystemProperty(wallClockOffsetNanos, this::warn);
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (settings.maxBody() > settings.connectionBufferBytes()) {
            warn("--max-body " + settings.maxBody() + " does not fit this JVM's heap (" + (maxHeap >> 20)
                    + " MiB): bodies are kept up to " + settings.connectionBufferBytes() + " bytes; give it more with"
                    + " java -Xmx...");
        }
        this.pipeline = new HttpPipeline(settings, outputs::write, probe::skip, progressSettings(options),
                outputs::progress);
        this.containerFilter = options.container() == null ? null
                : new ContainerFilter(options.container().containerId(), outputs.origins(), pipeline::accept);
        this.input = containerFilter == null ? pipeline::accept : containerFilter;
        this.feed = new RecordFeed(wallClockOffsetNanos, options.comms(),
                tls == null ? null : tls.libraries()::name, this::toPipeline);
        this.statsEveryNanos = (long) (options.statsIntervalSeconds() * 1e9);
        this.progressReports = options.progressAfterSeconds() > 0;
        this.summaryEveryNanos = (long) (options.summaryIntervalSeconds() * 1e9);
    }

    /** Runs until a stop is requested or the duration (seconds, null for unlimited) has passed. */
    void run(StopSignal stop, Double durationSeconds) {
        long start = System.nanoTime();
        long end = durationSeconds == null ? Long.MAX_VALUE : start + (long) (durationSeconds * 1e9);
        long nextExpire = start + EXPIRE_EVERY_NANOS;
        long nextStats = statsEveryNanos > 0 ? start + statsEveryNanos : Long.MAX_VALUE;
        long nextSummary = summaryEveryNanos > 0 ? start + summaryEveryNanos : Long.MAX_VALUE;
        while (!stop.requested()) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            probe.reader().poll((int) Math.min(POLL_MILLIS, Math.max(1, (end - now) / 1_000_000)), this::onRecord);
            probe.endTurn(); // skip requests of the turn before, less those markers made needless
            now = System.nanoTime();
            if (now >= nextExpire) {
                expire();
                outputs.retry();
                nextExpire = now + EXPIRE_EVERY_NANOS;
            }
            outputs.flush(); // what this turn completed reaches the files now, one write per file
            if (now >= nextStats) {
                log.println("http-profiler stats: " + totals());
                log.flush();
                nextStats = now + statsEveryNanos;
            }
            if (now >= nextSummary) {
                outputs.writeSummary();
                nextSummary = now + summaryEveryNanos;
            }
        }
    }

    /**
     * The pipeline's limits: its defaults (with the buffer caps {@code --max-body} needs), capped so that together they fit
     * in this JVM's heap. Buffers get a quarter of it and tracked connections another quarter; the rest is the profiler's
     * own (about 10 MiB), output held while a disk is failing (up to 8 MiB), and room for the garbage collector.
     */
    static PipelineSettings pipelineSettings(int maxBody, long maxHeapBytes) {
        PipelineSettings wanted = PipelineSettings.defaults().withMaxBody(maxBody);
        long total = Math.min(wanted.totalBufferBytes(),
                Math.max(MIN_TOTAL_BUFFER_BYTES, maxHeapBytes / HEAP_SHARE_FOR_BUFFERS));
        long perConnection = Math.min(wanted.connectionBufferBytes(), Math.max(total / 4, MIN_TOTAL_BUFFER_BYTES / 4));
        int connections = (int) Math.min(wanted.maxConnections(),
                Math.max(MIN_CONNECTIONS, maxHeapBytes / HEAP_SHARE_FOR_CONNECTIONS / BYTES_PER_CONNECTION));
        return new PipelineSettings(wanted.maxBody(), connections, perConnection, total, wanted.maxPendingRequests(),
                wanted.idleTimeout(), wanted.reorderWindow());
    }

    /** {@code --progress-after}, in the pipeline's terms (the command line checked its bounds). */
    static ProgressSettings progressSettings(ProfilerOptions options) {
        return new ProgressSettings(Duration.ofNanos(Math.round(options.progressAfterSeconds() * 1e9)),
                ProgressSettings.MAX_IN_PROGRESS);
    }

    private void onRecord(ByteBuffer record) {
        if (recordLog != null) {
            recordLog.record(record);
        }
        if (tls != null) {
            int execed = EventDecoder.execedPid(record);
            if (execed > 0) {
                tls.executed(execed); // a new program: it may carry a TLS library no probe covers yet
                return;
            }
        }
        feed.onRecord(record);
    }

    private void toPipeline(CaptureEvent event) {
        if (event instanceof ConnectionOpened opened) {
            outputs.processSeen(opened.connection().pid()); // its origin read while it surely still runs
        } else if (event instanceof DataEvent data && data.data().length == 0) {
            probe.observeMarker(data);
        }
        try {
            if (tlsNotices != null) {
                tlsNotices.observe(event);
            }
            input.accept(event);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** A bug in the pipeline must cost one event, not the capture: reported once (with where), counted after that. */
    private void internalError(RuntimeException e) {
        if (internalErrors++ == 0) {
            StackTraceElement[] where = e.getStackTrace();
            warn("internal error, event skipped: " + e + (where.length == 0 ? "" : " at " + where[0])
                    + "; counting further ones in the stats (please report this)");
        }
    }

    private void warn(String message) {
        log.println("http-profiler: " + message);
        log.flush();
    }

    /** Takes what is still in the ring, then ends every connection so pending exchanges are written (incomplete). */
    void finish() {
        while (probe.reader().drain(this::onRecord) > 0) {
            // keep draining: the kernel may still be adding records
        }
        expire();
        try {
            pipeline.finish();
            if (tlsNotices != null) {
                tlsNotices.finish();
            }
        } catch (RuntimeException e) {
            internalError(e);
        }
        if (recordLog != null) {
            recordLog.close();
        }
        outputs.finishExport(); // before the totals: what the backends did not take by now is counted as unsent
    }

    private void expire() {
        collectLostCloses();
        long now = wallClockNanos();
        if (recordLog != null) {
            recordLog.expire(now);
        }
        try {
            pipeline.expire(now);
            if (tlsNotices != null) {
                tlsNotices.expire(now);
            }
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /**
     * Closes the ring could not hold, kept by the kernel in a map: taken first, then the ring drained (their
     * connections' last records were in it before them), then fed on like the records they stand for.
     */
    private void collectLostCloses() {
        List<byte[][]> lost = probe.newLostCloses();
        if (lost.isEmpty()) {
            return;
        }
        while (probe.reader().drain(this::onRecord) > 0) {
            // everything the kernel wrote before those closes
        }
        for (byte[][] entry : lost) {
            try {
                feed.onLostClose(entry[0], entry[1]);
            } catch (RuntimeException e) {
                internalError(e);
            }
        }
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
                // Lost bytes only (position jumps no record explains); bytes the kernel marked as not copied
                // (capture cap, sendfile, past --max-body) are "not copied", unreadable ones "unreadable".
                .append(", gaps ").append(s.gaps()).append('/').append(s.gapBytes()).append(" bytes")
                .append(", not copied ").append(k.cappedBytes() + k.skippedBytes()).append(" bytes")
                .append(", parse errors ").append(s.parseErrors())
                .append(", non-HTTP connections ").append(s.nonHttpConnections())
                .append(", shed connections ").append(s.shedConnections() + k.connectionTableFull());
        if (tlsNotices != null && tlsNotices.notDecrypted() > 0) {
            line.append(", TLS not decrypted ").append(tlsNotices.notDecrypted()).append(" connections");
        }
        if (k.tlsCallsWithoutSocket() > 0) {
            line.append(", TLS calls of unknown socket ").append(k.tlsCallsWithoutSocket());
        }
        if (k.unreadableBytes() > 0) {
            line.append(", unreadable ").append(k.unreadableBytes()).append(" bytes");
        }
        if (s.refusedBufferBytes() > 0) {
            line.append(", over buffer limits ").append(s.refusedBufferBytes()).append(" bytes");
        }
        if (s.responsesWithoutRequest() > 0) {
            line.append(", responses without request ").append(s.responsesWithoutRequest());
        }
        if (s.http2Connections() > 0) {
            line.append(", HTTP/2 connections ").append(s.http2Connections()).append(" (streams ")
                    .append(s.http2Streams()).append(", frame errors ").append(s.http2FrameErrors())
                    .append(", header blocks not decoded ").append(s.http2HeadersNotDecoded()).append(')');
        }
        if (progressReports) {
            ProgressStats progress = pipeline.progressStats();
            // Exchanges open now (an idle keep-alive connection has none), and the reports written while they lasted.
            line.append(", in progress ").append(progress.openExchanges()).append(" (progress reports ")
                    .append(progress.reports());
            if (progress.overCap() > 0) {
                line.append(", over in-progress cap ").append(progress.overCap());
            }
            line.append(')');
        }
        if (s.pendingOverflows() > 0) {
            line.append(", unawaited responses ").append(s.pendingOverflows());
        }
        if (internalErrors > 0) {
            line.append(", internal errors ").append(internalErrors);
        }
        if (feed.malformedRecords() > 0) {
            line.append(", malformed records ").append(feed.malformedRecords());
        }
        if (feed.unattributedEvents() > 0) {
            // --comm can only judge connections whose opening it saw (e.g. not those open before the profiler started).
            line.append(", events of unknown process name ").append(feed.unattributedEvents());
        }
        if (containerFilter != null && containerFilter.otherContainersEvents() > 0) {
            line.append(", events of other containers ").append(containerFilter.otherContainersEvents());
        }
        String export = outputs.exportCounts();
        if (export != null) {
            line.append(", ").append(export);
        }
        String redaction = outputs.redactionTotals();
        if (redaction != null) {
            line.append(", ").append(redaction);
        }
        if (outputs.droppedBytes() > 0 || outputs.failedExchanges() > 0) {
            line.append(", output lost ").append(outputs.droppedBytes()).append(" bytes/")
                    .append(outputs.failedExchanges()).append(" exchanges");
        }
        return line.toString();
    }

    private static long wallClockNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
