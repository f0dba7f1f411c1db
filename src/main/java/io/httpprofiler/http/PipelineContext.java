package io.httpprofiler.http;

import java.util.function.Consumer;

/** What every {@link HttpConnection} of one pipeline shares. */
record PipelineContext(PipelineSettings settings, HttpCounters counters, BodyRenderer renderer,
                       BodySkipListener skipListener, Consumer<Exchange> completed) {
}
