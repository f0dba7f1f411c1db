package io.httpprofiler.http;

/** Receives reports of exchanges still in progress, on the pipeline's thread. */
@FunctionalInterface
public interface ProgressSink {
    ProgressSink NONE = progress -> {
    };

    void accept(ExchangeProgress progress);
}
