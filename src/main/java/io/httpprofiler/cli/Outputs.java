package io.httpprofiler.cli;

import io.httpprofiler.capture.ProcessOrigins;
import io.httpprofiler.export.ExportSettings;
import io.httpprofiler.export.OriginAttributes;
import io.httpprofiler.export.SpanExport;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.RotatingFileOutput;
import io.httpprofiler.output.TranscriptWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The files a session writes: the transcript, and JSON Lines when asked for. Each exchange goes to both at once. A
 * failure to format one exchange is reported once and counted; it never stops the capture.
 *
 * <p>Without rotation, exchanges reach each file in batches: the writers flush after every exchange, but a
 * {@link DeferredFlush} passes that flush on to the file (which collects bytes until it is flushed) only once
 * {@link DeferredFlush#FLUSH_AFTER_BYTES} have gathered, or when the capture loop calls {@link #flush()} after each turn
 * (at most its poll interval later). A write per exchange and file was a system call per exchange: at saturation
 * (60k exchanges/s) 120k calls/s. A batch holds whole exchanges only. With rotation each exchange is still written on its
 * own, so that a file never outgrows the limit by more than one block.
 */
final class Outputs implements AutoCloseable {
    private final RotatingFileOutput transcriptFile;
    private final RotatingFileOutput jsonFile;
    private final DeferredFlush transcriptFlushes;
    private final DeferredFlush jsonFlushes;
    private final TranscriptWriter transcript;
    private final JsonLinesWriter json;
    private final Consumer<String> problems;
    /** Spans for tracing backends, fed after the files (null without --otlp-endpoint/--zipkin-endpoint). */
    private SpanExport export;
    /** Where each traced process runs, read from /proc once per process: for every file's records and the spans. */
    private final ProcessOrigins origins = new ProcessOrigins(Path.of("/"));
    private long failedExchanges;

    private Outputs(RotatingFileOutput transcriptFile, RotatingFileOutput jsonFile, boolean batched,
                    Consumer<String> problems) throws IOException {
        this.transcriptFile = transcriptFile;
        this.jsonFile = jsonFile;
        this.problems = problems;
        this.transcriptFlushes = batched ? new DeferredFlush(transcriptFile) : null;
        this.jsonFlushes = batched && jsonFile != null ? new DeferredFlush(jsonFile) : null;
        // The byte-level constructor: blocks are built as UTF-8 and written as they are, no Writer in between.
        this.transcript = new TranscriptWriter(batched ? transcriptFlushes : transcriptFile, origins);
        this.json = jsonFile == null ? null : new JsonLinesWriter(batched ? jsonFlushes : jsonFile, origins);
    }

    static Outputs open(ProfilerOptions options, Consumer<String> problems) throws IOException {
        RotatingFileOutput transcript = new RotatingFileOutput(options.output(), options.maxFileSize(),
                options.maxFiles(), problems);
        RotatingFileOutput json = null;
        if (options.json() != null) {
            try {
                json = new RotatingFileOutput(options.json(), options.maxFileSize(), options.maxFiles(), problems);
            } catch (IOException e) {
                transcript.discardIfUnused();
                throw e;
            }
        }
        return new Outputs(transcript, json, options.maxFileSize() <= 0, problems);
    }

    void write(Exchange exchange) {
        try {
            transcript.accept(exchange);
            if (json != null) {
                json.accept(exchange);
            }
        } catch (RuntimeException e) {
            if (failedExchanges++ == 0) {
                problems.accept("could not write an exchange (" + e + "); counting further failures silently");
            }
        }
        if (export != null) {
            export.accept(exchange); // never throws, never blocks: a full queue drops the span and counts it
        }
    }

    /** Starts sending spans, once the capture is about to begin (so that a failed start sends nothing). */
    void startExport(ExportSettings settings) {
        if (settings.enabled()) {
            export = SpanExport.start(settings, pid -> OriginAttributes.of(origins.apply(pid)),
                    Outputs.class.getPackage().getImplementationVersion(), problems);
        }
    }

    ProcessOrigins origins() {
        return origins;
    }

    /**
     * A connection of this process opened: read where it runs now, while it surely still runs (a short-lived client
     * may be gone by the time its exchange is written).
     */
    void processSeen(int pid) {
        origins.apply(pid);
    }

    /** Gives the backends a last few seconds for the queued spans, then stops sending (idempotent). */
    void finishExport() {
        if (export != null) {
            export.close();
        }
    }

    /** The export's counts for the stats and totals lines, or null without export. */
    String exportCounts() {
        return export == null ? null : export.describe();
    }

    /** Writes what the files have gathered. The capture loop calls this after each turn. */
    void flush() {
        if (transcriptFlushes != null) {
            transcriptFlushes.flushNow();
        }
        if (jsonFlushes != null) {
            jsonFlushes.flushNow();
        }
    }

    /** Gives output held while a file was failing another chance (the files retry on their own schedule). */
    void retry() {
        transcriptFile.retry();
        if (jsonFile != null) {
            jsonFile.retry();
        }
    }

    /** Output bytes lost because a file could not be written for too long. */
    long droppedBytes() {
        return transcriptFile.droppedBytes() + (jsonFile == null ? 0 : jsonFile.droppedBytes());
    }

    long failedExchanges() {
        return failedExchanges;
    }

    /** The profiler did not start: remove the files (and directories) opening them created, if nothing was written. */
    void discardIfUnused() {
        transcriptFile.discardIfUnused();
        if (jsonFile != null) {
            jsonFile.discardIfUnused();
        }
    }

    @Override
    public void close() {
        finishExport();
        flush();
        transcriptFile.close();
        if (jsonFile != null) {
            jsonFile.close();
        }
    }

    /**
     * Between an exchange writer and its file: bytes go straight through, but the writer's per-exchange flush is passed
     * on only once enough bytes have gone by since the last one. What lies between two real flushes is whole exchanges,
     * which is all the file needs (it writes such a run at once).
     */
    static final class DeferredFlush extends OutputStream {
        static final int FLUSH_AFTER_BYTES = 64 * 1024;

        private final OutputStream file;
        private long unflushed;

        DeferredFlush(OutputStream file) {
            this.file = file;
        }

        @Override
        public void write(int b) throws IOException {
            file.write(b);
            unflushed++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            file.write(bytes, offset, length);
            unflushed += length;
        }

        /** The end of an exchange. */
        @Override
        public void flush() {
            if (unflushed >= FLUSH_AFTER_BYTES) {
                flushNow();
            }
        }

        void flushNow() {
            if (unflushed > 0) {
                unflushed = 0;
                try {
                    file.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        /** The file itself is closed by its owner. */
        @Override
        public void close() {
            flushNow();
        }
    }
}
