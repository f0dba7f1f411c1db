package io.httpprofiler.export;

/**
 * What became of the spans meant for one backend.
 *
 * @param backend     "otlp" or "zipkin"
 * @param exported    accepted by the backend
 * @param queueFull   dropped because the queue was full (the backend was slower than the traffic, or down)
 * @param failed      sent, but the backend refused them, could not be reached, or did not answer in time
 * @param unsent      still queued when the profiler stopped and its grace time ran out
 * @param queued      waiting now
 * @param lastFailure why the last failed request failed, or null
 */
public record ExportCounts(String backend, long exported, long queueFull, long failed, long unsent, long queued,
                           String lastFailure) {
    public long dropped() {
        return queueFull + failed + unsent;
    }

    /** For the stats and totals lines, e.g. {@code otlp: exported 120 spans, dropped 3 (queue full 3, failed 0)}. */
    public String describe() {
        StringBuilder text = new StringBuilder(backend).append(": exported ").append(exported).append(" spans, dropped ")
                .append(dropped()).append(" (queue full ").append(queueFull).append(", failed ").append(failed);
        if (unsent > 0) {
            text.append(", unsent at exit ").append(unsent);
        }
        return text.append(')').toString();
    }
}
