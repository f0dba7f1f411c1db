package io.httpprofiler.http;

/**
 * Exchanges in progress in an {@link HttpPipeline}.
 *
 * @param openExchanges exchanges started and not ended now (an idle connection between requests has none)
 * @param reportedNow   of those, how many are being reported in progress
 * @param reports       progress reports made since the start
 * @param overCap       exchanges that came due for a report while {@link ProgressSettings#maxInProgress()} others were
 *                      reported: written only when they ended
 */
public record ProgressStats(long openExchanges, long reportedNow, long reports, long overCap) {
}
