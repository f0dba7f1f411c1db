package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.httpprofiler.output.RouteTemplate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.httpprofiler.e2e.E2e.role;
import static io.httpprofiler.e2e.E2e.target;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Exchanges through the packaged profiler with {@code --zipkin-endpoint} into a real Zipkin server, read back through
 * Zipkin's own API: every exchange of the files is there as a span, with its kind, name, status, times and, when the
 * request carried a traceparent, its place in the caller's trace.
 */
@Tag("root")
class ZipkinExportIT {
    @TempDir
    Path dir;

    @Test
    void everyExchangeIsASpanInZipkin() throws Exception {
        E2e.assumeCanTrace();
        try (ZipkinServer zipkin = ZipkinServer.start(dir); SpanTraffic traffic = new SpanTraffic();
             ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", traffic.ports(),
                     "--zipkin-endpoint", zipkin.spansEndpoint())) {
            traffic.sendExamples();
            List<JsonNode> records = SpanTraffic.awaitExampleRecords(profiler);
            assertEquals(8, records.size(), () -> "two records per exchange: " + records);
            String service = records.get(0).path("comm").asText().toLowerCase(Locale.ROOT);

            List<JsonNode> spans = awaitSpans(zipkin, service, records.size());
            assertTrue(zipkin.get("/api/v2/services").toString().contains('"' + service + '"'),
                    "Zipkin lists the traced process as a service");
            for (JsonNode record : records) {
                assertSpanOf(record, spanFor(spans, record));
            }
            profiler.stopAndExpectCleanExit();
            String totals = profiler.stderr().stream().filter(l -> l.contains("stopped")).findFirst().orElseThrow();
            assertTrue(totals.contains("zipkin: exported 8 spans, dropped 0"), totals);
        }
    }

    private static List<JsonNode> awaitSpans(ZipkinServer zipkin, String service, int count) throws Exception {
        long deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (true) {
            List<JsonNode> spans = zipkin.spansOf(service);
            if (spans.size() >= count) {
                return spans;
            }
            if (System.nanoTime() > deadline) {
                fail("Zipkin holds " + spans.size() + " spans of " + service + ", expected " + count + ": " + spans);
            }
            Thread.sleep(200);
        }
    }

    /** The one span of the record's kind whose name is the record's method and path (Zipkin lower-cases names). */
    private static JsonNode spanFor(List<JsonNode> spans, JsonNode record) {
        String kind = role(record).toUpperCase(Locale.ROOT);
        String name = (record.path("request").path("method").asText() + " "
                + RouteTemplate.of(target(record))).toLowerCase(Locale.ROOT);
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode span : spans) {
            if (kind.equals(span.path("kind").asText()) && name.equals(span.path("name").asText())) {
                found.add(span);
            }
        }
        assertEquals(1, found.size(), () -> "spans of kind " + kind + " named '" + name + "': " + spans);
        return found.get(0);
    }

    static void assertSpanOf(JsonNode record, JsonNode span) {
        JsonNode tags = span.path("tags");
        JsonNode response = record.path("response");
        String what = record + "\n  as span " + span;
        // Times: the span starts at the request's first byte and lasts as long as the record says (microseconds).
        Instant time = Instant.parse(record.path("time").asText());
        long startMicros = time.getEpochSecond() * 1_000_000L + time.getNano() / 1000;
        assertTrue(Math.abs(span.path("timestamp").asLong() - startMicros) <= 1, "start; " + what);
        if (response.isNull()) {
            assertTrue(span.path("duration").asLong(0) <= 1, "no response, no duration; " + what);
            assertEquals("ERROR", tags.path("otel.status_code").asText(), "status; " + what);
            assertEquals("response not seen", tags.path("error.type").asText(), what);
            assertFalse(tags.has("http.response.status_code"), what);
        } else {
            long durationMicros = Math.round(record.path("duration_ms").asDouble() * 1000);
            assertTrue(Math.abs(span.path("duration").asLong() - durationMicros) <= 2, "duration; " + what);
            int status = response.path("status").asInt();
            assertEquals(Integer.toString(status), tags.path("http.response.status_code").asText(), what);
            boolean error = status >= ("client".equals(role(record)) ? 400 : 500);
            assertEquals(error, "ERROR".equals(tags.path("otel.status_code").asText()), "status; " + what);
            assertEquals(error, tags.has("error"), "error tag; " + what);
            assertEquals(Long.toString(response.path("body_size").asLong()),
                    tags.path("http.response.body.size").asText(), what);
        }
        assertEquals(record.path("request").path("method").asText(), tags.path("http.request.method").asText(), what);
        assertEquals(Integer.toString(record.path("pid").asInt()), tags.path("process.pid").asText(), what);
        String local = record.path("local").asText();
        String remote = record.path("remote").asText();
        String server = "server".equals(role(record)) ? local : remote;
        assertEquals(server.substring(server.lastIndexOf(':') + 1), tags.path("server.port").asText(), what);
        if (SpanTraffic.TRACED_TARGET.equals(target(record))) {
            assertEquals(SpanTraffic.TRACE_ID, span.path("traceId").asText(), "trace from traceparent; " + what);
            assertEquals(SpanTraffic.PARENT_SPAN_ID, span.path("parentId").asText(), "parent; " + what);
            assertEquals("expand=items", tags.path("url.query").asText(), what);
        } else {
            assertFalse(span.has("parentId"), "no traceparent, no parent; " + what);
        }
        // The exporter writes an event as "name":{attributes}; Zipkin orders annotations by time, then value.
        List<String> annotations = new ArrayList<>();
        span.path("annotations").forEach(a -> annotations.add(a.path("value").asText()));
        assertEquals(E2e.notes(record).stream().map(note -> '"' + note + "\":{}").sorted().toList(),
                annotations.stream().sorted().toList(), "notes as events; " + what);
    }
}
