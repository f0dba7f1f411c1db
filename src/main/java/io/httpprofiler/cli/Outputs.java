package io.httpprofiler.cli;

import io.httpprofiler.http.Exchange;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.RotatingFileOutput;
import io.httpprofiler.output.TranscriptWriter;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The files a session writes: the transcript, and JSON Lines when asked for. Each exchange goes to both at once. A
 * failure to format one exchange is reported once and counted; it never stops the capture.
 */
final class Outputs implements AutoCloseable {
    private final RotatingFileOutput transcriptFile;
    private final RotatingFileOutput jsonFile;
    private final TranscriptWriter transcript;
    private final JsonLinesWriter json;
    private final Consumer<String> problems;
    private long failedExchanges;

    private Outputs(RotatingFileOutput transcriptFile, RotatingFileOutput jsonFile, Consumer<String> problems)
            throws IOException {
        this.transcriptFile = transcriptFile;
        this.jsonFile = jsonFile;
        this.problems = problems;
        this.transcript = new TranscriptWriter(transcriptFile);
        this.json = jsonFile == null ? null : new JsonLinesWriter(jsonFile);
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
        return new Outputs(transcript, json, problems);
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
        transcriptFile.close();
        if (jsonFile != null) {
            jsonFile.close();
        }
    }
}
