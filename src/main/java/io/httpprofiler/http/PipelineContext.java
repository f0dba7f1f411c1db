package io.httpprofiler.http;

import java.util.function.Consumer;

/**
 * What every {@link HttpConnection} of one pipeline shares. The pipeline runs on one thread, so the head parser (and
 * the scratch it builds header fields in) is one for all of them rather than one per connection and direction. So is
 * the tracker of exchanges in progress.
 */
record PipelineContext(PipelineSettings settings, HttpCounters counters, HeadParser heads, BodyRenderer renderer,
                       BodySkipListener skipListener, Consumer<Exchange> completed, ProgressTracker progress) {
}
