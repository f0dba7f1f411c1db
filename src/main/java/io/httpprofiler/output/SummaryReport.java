package io.httpprofiler.output;


import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** An {@link EndpointSummary} as a table for people and as a JSON document for tools. */
public final class SummaryReport {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;
    /** Longer routes are cut in the table (not in the JSON). */
    static final int MAX_ROUTE_COLUMN = 60;
    static final double[] PERCENTILES = {50, 90, 99};

    private SummaryReport() {
    }

    /**
     * <pre>
     * http-profiler summary 2026-12-06 20:30:05 UTC (since 2026-12-06 20:00:00 UTC): 1234 exchanges, 3 endpoints
     * role   method route          count  2xx  3xx  4xx  5xx incomplete  p50 ms  p90 ms  p99 ms  max ms req bytes resp bytes
     * server GET    /users/{id}      100  100    0    0    0          0    0.52    1.10    5.30    7.00         0       2700
     * </pre>
     */
    public static String text(EndpointSummary summary, long nowNanos) {
        List<EndpointSummary.Row> rows = summary.rows();
        int routeWidth = "route".length();
        int methodWidth = "method".length();
        for (EndpointSummary.Row row : rows) {
            routeWidth = Math.max(routeWidth, Math.min(MAX_ROUTE_COLUMN, row.endpoint().route().length()));
            methodWidth = Math.max(methodWidth, Math.min(16, row.endpoint().method().length()));
        }
        StringBuilder out = new StringBuilder();
        out.append("http-profiler summary ").append(time(nowNanos)).append(" (since ")
                .append(time(summary.sinceNanos())).append("): ").append(summary.exchanges()).append(" exchanges, ")
                .append(rows.size()).append(rows.size() == 1 ? " endpoint" : " endpoints").append('\n');
        String format = "%-6s %-" + methodWidth + "s %-" + routeWidth + "s %7s %6s %6s %6s %6s %10s %9s %9s %9s %9s %11s %11s%n";
        out.append(String.format(Locale.ROOT, format, "role", "method", "route", "count", "2xx", "3xx", "4xx", "5xx",
                "incomplete", "p50 ms", "p90 ms", "p99 ms", "max ms", "req bytes", "resp bytes"));
        for (EndpointSummary.Row row : rows) {
            EndpointSummary.Stats s = row.stats();
            out.append(String.format(Locale.ROOT, format, row.endpoint().role(),
                    cut(row.endpoint().method(), methodWidth), cut(row.endpoint().route(), routeWidth), s.count(),
                    s.status(2), s.status(3), s.status(4), s.status(5), s.incomplete(),
                    millis(s.percentileMillis(50)), millis(s.percentileMillis(90)), millis(s.percentileMillis(99)),
                    millis(s.maxMillis()), s.requestBytes(), s.responseBytes()));
        }
        return out.toString();
    }

    /** The same as JSON: {@code {"time", "since", "exchanges", "endpoints":[{role, method, route, count, status:{2xx..},
     * incomplete, duration_ms:{p50, p90, p99, max}, request_bytes, response_bytes}]}}. */
    public static byte[] json(EndpointSummary summary, long nowNanos) {
        JsonDocument json = new JsonDocument();
        json.startObject();
        json.name("time").string(iso(nowNanos));
        json.name("since").string(iso(summary.sinceNanos()));
        json.name("exchanges").number(summary.exchanges());
        json.name("endpoints").startArray();
        for (EndpointSummary.Row row : summary.rows()) {
            EndpointSummary.Stats s = row.stats();
            json.startObject();
            json.name("role").string(row.endpoint().role());
            json.name("method").string(row.endpoint().method());
            json.name("route").string(row.endpoint().route());
            json.name("count").number(s.count());
            json.name("status").startObject();
            for (int klass = 1; klass <= 5; klass++) {
                json.name(klass + "xx").number(s.status(klass));
            }
            json.endObject();
            json.name("incomplete").number(s.incomplete());
            json.name("duration_ms").startObject();
            for (double p : PERCENTILES) {
                json.name("p" + (int) p).number(s.percentileMillis(p));
            }
            json.name("max").number(s.maxMillis());
            json.endObject();
            json.name("request_bytes").number(s.requestBytes());
            json.name("response_bytes").number(s.responseBytes());
            json.endObject();
        }
        json.endArray();
        json.endObject();
        byte[] document = json.bytes();
        byte[] withNewline = Arrays.copyOf(document, document.length + 1);
        withNewline[document.length] = '\n';
        return withNewline;
    }

    private static String cut(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width - 1) + "…";
    }

    /** Three significant digits where it matters: 0.153, 12.3, 1530. */
    private static String millis(double ms) {
        if (ms < 1) {
            return String.format(Locale.ROOT, "%.3f", ms);
        }
        if (ms < 100) {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        return String.format(Locale.ROOT, "%.0f", ms);
    }

    private static String time(long epochNanos) {
        return TIME.format(Instant.ofEpochSecond(0, epochNanos));
    }

    private static String iso(long epochNanos) {
        return ISO.format(Instant.ofEpochSecond(0, epochNanos));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
