package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Runs events through a pipeline, collecting exchanges and checking the buffer accounting after every event. */
final class Recorder {
    final List<Exchange> exchanges = new ArrayList<>();
    final HttpPipeline pipeline;
    long maxBuffered;

    Recorder(PipelineSettings settings) {
        this(settings, BodySkipListener.NONE);
    }

    Recorder(PipelineSettings settings, BodySkipListener skipListener) {
        pipeline = new HttpPipeline(settings, exchanges::add, skipListener);
    }

    static Recorder run(PipelineSettings settings, Collection<? extends CaptureEvent> events) {
        Recorder recorder = new Recorder(settings);
        recorder.feed(events);
        recorder.pipeline.finish();
        return recorder;
    }

    Recorder feed(Collection<? extends CaptureEvent> events) {
        for (CaptureEvent event : events) {
            pipeline.accept(event);
            maxBuffered = Math.max(maxBuffered, pipeline.bufferedBytes());
        }
        return this;
    }

    /** Feeds, and after each event lets {@code lagNanos} pass, as the caller's periodic expire would. */
    Recorder feedExpiring(Collection<? extends CaptureEvent> events, long lagNanos) {
        for (CaptureEvent event : events) {
            pipeline.accept(event);
            maxBuffered = Math.max(maxBuffered, pipeline.bufferedBytes());
            pipeline.expire(event.timestampNanos() + lagNanos);
        }
        return this;
    }

    String describe() {
        StringBuilder text = new StringBuilder();
        for (Exchange exchange : exchanges) {
            text.append(ExchangeText.describe(exchange)).append('\n');
        }
        return text.toString();
    }
}
