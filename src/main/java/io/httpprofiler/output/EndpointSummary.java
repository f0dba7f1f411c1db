package io.httpprofiler.output;

import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts per endpoint (role, method, {@link RouteTemplate route}): exchanges, status classes, exchanges without a
 * response, durations (an HdrHistogram in microseconds, {@value #SIGNIFICANT_DIGITS} significant digits: percentiles
 * within 1%), request and response body bytes. Past {@value #MAX_ROUTES} endpoints, further ones are counted in one
 * "other" row: hostile or id-laden traffic cannot grow it without bound (each row is about 13 KiB).
 *
 * <p>Not thread-safe: fed and read on the output thread.
 */
public final class EndpointSummary implements ExchangeSink {
    public static final int MAX_ROUTES = 200;
    static final int SIGNIFICANT_DIGITS = 2;
    /** Durations above an hour are counted as an hour. */
    static final long MAX_MICROS = 3_600_000_000L;
    public static final String OTHER = "(other)";

    /** One row: what identifies it. */
    public record Endpoint(String role, String method, String route) {
    }

    /** One row's counts. */
    public static final class Stats {
        long count;
        final long[] statusClasses = new long[6]; // index = status / 100, 0 unused
        long incomplete;
        long requestBytes;
        long responseBytes;
        final Histogram micros = new Histogram(1, MAX_MICROS, SIGNIFICANT_DIGITS);

        public long count() {
            return count;
        }

        /** Responses with status {@code klass}xx (1 to 5). */
        public long status(int klass) {
            return statusClasses[klass];
        }

        public long incomplete() {
            return incomplete;
        }

        public long requestBytes() {
            return requestBytes;
        }

        public long responseBytes() {
            return responseBytes;
        }

        /** Milliseconds at this percentile of the exchanges with a response; 0 when there were none. */
        public double percentileMillis(double percentile) {
            return micros.getTotalCount() == 0 ? 0 : micros.getValueAtPercentile(percentile) / 1000.0;
        }

        public double maxMillis() {
            return micros.getTotalCount() == 0 ? 0 : micros.getMaxValue() / 1000.0;
        }
    }

    /** A row of a report. */
    public record Row(Endpoint endpoint, Stats stats) {
    }

    private final Map<Endpoint, Stats> rows = new HashMap<>();
    private final Stats other = new Stats();
    private final long sinceNanos;
    private long exchanges;

    /** @param sinceNanos wall-clock epoch nanoseconds the counting started at */
    public EndpointSummary(long sinceNanos) {
        this.sinceNanos = sinceNanos;
    }

    @Override
    public void accept(Exchange exchange) {
        HttpRequest request = exchange.request();
        HttpResponse response = exchange.response();
        Endpoint endpoint = new Endpoint(exchange.role().label(), request == null ? "?" : request.method(),
                request == null ? "(request not seen)" : RouteTemplate.of(request.target()));
        Stats stats = rows.get(endpoint);
        if (stats == null) {
            if (rows.size() < MAX_ROUTES) {
                stats = new Stats();
                rows.put(endpoint, stats);
            } else {
                stats = other;
            }
        }
        exchanges++;
        stats.count++;
        if (request != null) {
            stats.requestBytes += request.body().size();
        }
        if (response == null) {
            stats.incomplete++;
            return;
        }
        int klass = response.status() / 100;
        if (klass >= 1 && klass <= 5) {
            stats.statusClasses[klass]++;
        }
        stats.responseBytes += response.body().size();
        long micros = Math.max(1, Math.min(MAX_MICROS, exchange.durationNanos() / 1000));
        stats.micros.recordValue(micros);
    }

    /** The rows, most exchanges first, the "other" row last when there is one. */
    public List<Row> rows() {
        List<Row> result = new ArrayList<>(rows.size() + 1);
        rows.forEach((endpoint, stats) -> result.add(new Row(endpoint, stats)));
        result.sort(Comparator.comparingLong((Row r) -> -r.stats().count)
                .thenComparing(r -> r.endpoint().route()).thenComparing(r -> r.endpoint().method())
                .thenComparing(r -> r.endpoint().role()));
        if (other.count > 0) {
            result.add(new Row(new Endpoint("*", "*", OTHER), other));
        }
        return result;
    }

    public long exchanges() {
        return exchanges;
    }

    public long sinceNanos() {
        return sinceNanos;
    }
}
