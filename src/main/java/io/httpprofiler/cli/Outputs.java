package io.httpprofiler.cli;

import io.httpprofiler.capture.ProcessOrigins;
import io.httpprofiler.export.ExportSettings;
import io.httpprofiler.export.OriginAttributes;
import io.httpprofiler.export.SpanExport;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeProgress;
import io.httpprofiler.output.EndpointSummary;
import io.httpprofiler.output.HarWriter;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.RotatingFileOutput;
import io.httpprofiler.output.SummaryFiles;
import io.httpprofiler.output.SummaryReport;
import io.httpprofiler.output.TranscriptWriter;
import io.httpprofiler.redact.ExchangeRedactor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * own, so that a file never outgrows the limit by more than one block. HAR entries are always written one by one: each
 * is a block of its file, which puts the separators between them.
 *
 * <p>Every exchange passes the redactor (unless {@code --no-redact}) before any writer or the summary sees it; when
 * redacting fails, the exchange is not written at all.
 */
final class Outputs implements AutoCloseable {
    /** The text summary's name, beside the transcript. */
    static final String SUMMARY_TEXT = "http-summary.txt";

    private final RotatingFileOutput transcriptFile;
    private final RotatingFileOutput jsonFile;
    private final RotatingFileOutput harFile;
    private final DeferredFlush transcriptFlushes;
    private final DeferredFlush jsonFlushes;
    private final TranscriptWriter transcript;
    private final JsonLinesWriter json;
    private final HarWriter har;
    private final ExchangeRedactor redactor;
    private final EndpointSummary summary = new EndpointSummary(nowNanos());
    private final SummaryFiles summaryFiles;
    private final Consumer<String> problems;
    /** {@code --json-progress}: progress reports go to the JSON Lines too, not only to the transcript. */
    private final boolean jsonProgress;
    /** Spans for tracing backends, fed after the files (null without --otlp-endpoint/--zipkin-endpoint). */
    private SpanExport export;
    /** Where each traced process runs, read from /proc once per process: for every file's records and the spans. */
    private final ProcessOrigins origins;
    private long failedExchanges;
    private boolean summaryFailed;

    private Outputs(RotatingFileOutput transcriptFile, RotatingFileOutput jsonFile, RotatingFileOutput harFile,
                    boolean batched, ExchangeRedactor redactor, SummaryFiles summaryFiles, boolean jsonProgress,
                    Consumer<String> problems) throws IOException {
        this.transcriptFile = transcriptFile;
        this.jsonFile = jsonFile;
        this.harFile = harFile;
        this.har = harFile == null ? null : new HarWriter(harFile);
        this.redactor = redactor;
        this.summaryFiles = summaryFiles;
        this.problems = problems;
        this.jsonProgress = jsonProgress;
        this.origins = new ProcessOrigins(Path.of("/"), problems);
        this.transcriptFlushes = batched ? new DeferredFlush(transcriptFile) : null;
        this.jsonFlushes = batched && jsonFile != null ? new DeferredFlush(jsonFile) : null;
        // The byte-level constructor: blocks are built as UTF-8 and written as they are, no Writer in between.
        this.transcript = new TranscriptWriter(batched ? transcriptFlushes : transcriptFile, origins);
        this.json = jsonFile == null ? null : new JsonLinesWriter(batched ? jsonFlushes : jsonFile, origins);
    }

    static Outputs open(ProfilerOptions options, Consumer<String> problems) throws IOException {
        List<RotatingFileOutput> opened = new ArrayList<>();
        try {
            RotatingFileOutput transcript = open(options.output(), null, options, problems, opened);
            RotatingFileOutput json = options.json() == null ? null : open(options.json(), null, options, problems, opened);
            RotatingFileOutput har = options.har() == null ? null
                    : open(options.har(), HarWriter.framing(version()), options, problems, opened);
            ExchangeRedactor redactor = options.redaction() == null ? null : new ExchangeRedactor(options.redaction());
            SummaryFiles summaryFiles = new SummaryFiles(summaryTextPath(options.output()), options.summaryJson(),
                    options.fileMode());
            return new Outputs(transcript, json, har, options.maxFileSize() <= 0, redactor, summaryFiles,
                    options.jsonProgress(), problems);
        } catch (IOException e) {
            opened.forEach(RotatingFileOutput::discardIfUnused);
            throw e;
        }
    }

    private static RotatingFileOutput open(Path path, RotatingFileOutput.Framing framing, ProfilerOptions options,
                                           Consumer<String> problems, List<RotatingFileOutput> opened)
            throws IOException {
        RotatingFileOutput file = new RotatingFileOutput(path, options.maxFileSize(), options.maxFiles(),
                options.fileMode(), framing, problems);
        opened.add(file);
        return file;
    }

    static Path summaryTextPath(Path transcript) {
        return transcript.resolveSibling(SUMMARY_TEXT);
    }

    private static String version() {
        String version = Outputs.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    void write(Exchange captured) {
        try {
            Exchange exchange = redactor == null ? captured : redactor.redact(captured);
            summary.accept(exchange);
            transcript.accept(exchange);
            if (json != null) {
                json.accept(exchange);
            }
            if (har != null) {
                har.accept(exchange);
            }
            if (export != null) {
                export.accept(exchange); // redacted too; never throws, never blocks (a full queue drops and counts)
            }
        } catch (RuntimeException e) {
            if (failedExchanges++ == 0) {
                problems.accept("could not write an exchange (" + e + "); counting further failures silently");
            }
        }
    }

    /**
     * An exchange still in progress: to the transcript, and to the JSON Lines with {@code --json-progress}. Redacted as
     * exchanges are (the redaction totals count exchanges written whole only); never summarised, exported or put in
     * the HAR, which take each exchange once, when it ends. Failures count as for exchanges.
     */
    void progress(ExchangeProgress captured) {
        try {
            ExchangeProgress progress = redactor == null ? captured
                    : captured.withExchange(redactor.redactUncounted(captured.exchange()));
            transcript.writeProgress(progress);
            if (json != null && jsonProgress) {
                json.writeProgress(progress);
            }
        } catch (IOException | RuntimeException e) {
            if (failedExchanges++ == 0) {
                problems.accept("could not write an exchange (" + e + "); counting further failures silently");
            }
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
        if (harFile != null) {
            harFile.retry();
        }
    }

    /** Output bytes lost because a file could not be written for too long. */
    long droppedBytes() {
        return transcriptFile.droppedBytes() + (jsonFile == null ? 0 : jsonFile.droppedBytes())
                + (harFile == null ? 0 : harFile.droppedBytes());
    }

    /** Rewrites the summary files (text, and JSON when asked for); a failure is reported once and retried next time. */
    void writeSummary() {
        try {
            summaryFiles.write(summary, nowNanos());
            if (summaryFailed) {
                summaryFailed = false;
                problems.accept("writing " + summaryFiles.text() + " works again");
            }
        } catch (IOException | RuntimeException e) {
            if (!summaryFailed) {
                summaryFailed = true;
                problems.accept("cannot write the summary (" + e + "); retrying at the next interval");
            }
        }
    }

    /** The summary table as it stands, for stderr at exit. */
    String summaryText() {
        return SummaryReport.text(summary, nowNanos());
    }

    /** For the stats line: what redaction did, or null when it is off. */
    String redactionTotals() {
        if (redactor == null) {
            return null;
        }
        String totals = "redacted " + redactor.redactedValues() + " values in " + redactor.redactedExchanges()
                + " exchanges";
        return redactor.withheldBodies() == 0 ? totals : totals + " (" + redactor.withheldBodies()
                + " undecodable bodies withheld)";
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
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
        if (harFile != null) {
            harFile.discardIfUnused();
        }
    }

    /** Flushes and closes the files (the HAR gets its closing brackets). The summary is the caller's to write last. */
    @Override
    public void close() {
        finishExport();
        flush();
        transcriptFile.close();
        if (jsonFile != null) {
            jsonFile.close();
        }
        if (harFile != null) {
            harFile.close();
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
