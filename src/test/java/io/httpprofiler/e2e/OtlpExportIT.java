package io.httpprofiler.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.httpprofiler.output.RouteTemplate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static io.httpprofiler.e2e.E2e.role;
import static io.httpprofiler.e2e.E2e.target;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The same exchanges as {@link ZipkinExportIT} through {@code --otlp-endpoint}, received by {@link OtlpReceiver} and
 * decoded with the official OTLP messages: each exchange of the files is one span with the right kind, name, times,
 * status, attributes, resource and parent.
 */
@Tag("root")
class OtlpExportIT {
    @TempDir
    Path dir;

    @Test
    void everyExchangeIsAnOtlpSpan() throws Exception {
        E2e.assumeCanTrace();
        try (OtlpReceiver receiver = new OtlpReceiver(200); SpanTraffic traffic = new SpanTraffic();
             ProfilerProcess profiler = ProfilerProcess.start(dir, "--port", traffic.ports(),
                     "--otlp-endpoint", receiver.endpoint())) {
            traffic.sendExamples();
            List<JsonNode> records = SpanTraffic.awaitExampleRecords(profiler);
            assertEquals(8, records.size(), () -> "two records per exchange: " + records);
            List<OtlpReceiver.Received> spans = awaitSpans(receiver, records.size());
            for (JsonNode record : records) {
                assertSpanOf(record, spanFor(spans, record));
            }
            profiler.stopAndExpectCleanExit();
            String totals = profiler.stderr().stream().filter(l -> l.contains("stopped")).findFirst().orElseThrow();
            assertTrue(totals.contains("otlp: exported 8 spans, dropped 0"), totals);
        }
    }

    private static List<OtlpReceiver.Received> awaitSpans(OtlpReceiver receiver, int count) throws Exception {
        long deadline = System.nanoTime() + E2e.WAIT.toNanos();
        while (receiver.spans().size() < count) {
            if (System.nanoTime() > deadline) {
                fail("received " + receiver.spans().size() + " spans, expected " + count + ": " + receiver.spans());
            }
            Thread.sleep(100);
        }
        assertEquals(count, receiver.spans().size(), "one span per record, no more");
        return receiver.spans();
    }

    private static OtlpReceiver.Received spanFor(List<OtlpReceiver.Received> spans, JsonNode record) {
        Span.SpanKind kind = "server".equals(role(record)) ? Span.SpanKind.SPAN_KIND_SERVER
                : Span.SpanKind.SPAN_KIND_CLIENT;
        String name = record.path("request").path("method").asText() + " " + RouteTemplate.of(target(record));
        List<OtlpReceiver.Received> found = spans.stream()
                .filter(s -> s.span().getKind() == kind && s.span().getName().equals(name)).toList();
        assertEquals(1, found.size(), () -> "spans of kind " + kind + " named '" + name + "': " + spans);
        return found.get(0);
    }

    private static void assertSpanOf(JsonNode record, OtlpReceiver.Received received) {
        Span span = received.span();
        JsonNode response = record.path("response");
        String what = record + "\n  as span " + span;
        Instant time = Instant.parse(record.path("time").asText());
        long startMicros = time.getEpochSecond() * 1_000_000L + time.getNano() / 1000;
        assertTrue(Math.abs(span.getStartTimeUnixNano() / 1000 - startMicros) <= 1, "start; " + what);
        long durationNanos = span.getEndTimeUnixNano() - span.getStartTimeUnixNano();
        boolean client = "client".equals(role(record));
        if (response.isNull()) {
            assertEquals(0, durationNanos, "no response: the span has no length; " + what);
            assertEquals(Status.StatusCode.STATUS_CODE_ERROR, span.getStatus().getCode(), what);
            assertEquals("response not seen", received.attribute("error.type"), what);
            assertNull(received.attribute("http.response.status_code"), what);
        } else {
            assertTrue(Math.abs(durationNanos / 1000.0 - record.path("duration_ms").asDouble() * 1000) <= 1.5,
                    "duration; " + what);
            int status = response.path("status").asInt();
            assertEquals(Integer.toString(status), received.attribute("http.response.status_code"), what);
            assertEquals(status >= (client ? 400 : 500) ? Status.StatusCode.STATUS_CODE_ERROR
                    : Status.StatusCode.STATUS_CODE_UNSET, span.getStatus().getCode(), "status; " + what);
            assertEquals(Long.toString(response.path("body_size").asLong()),
                    received.attribute("http.response.body.size"), what);
        }
        JsonNode request = record.path("request");
        assertEquals(request.path("method").asText(), received.attribute("http.request.method"), what);
        assertEquals(target(record).replaceFirst("\\?.*", ""), received.attribute("url.path"), what);
        assertEquals(Long.toString(request.path("body_size").asLong()), received.attribute("http.request.body.size"),
                what);
        assertEquals("1.1", received.attribute("network.protocol.version"), what);
        String local = record.path("local").asText();
        String remote = record.path("remote").asText();
        String server = client ? remote : local;
        String caller = client ? local : remote;
        assertEquals(server.substring(0, server.lastIndexOf(':')), received.attribute("server.address"), what);
        assertEquals(server.substring(server.lastIndexOf(':') + 1), received.attribute("server.port"), what);
        assertEquals(caller.substring(caller.lastIndexOf(':') + 1), received.attribute("client.port"), what);
        // The resource names the traced process: a backend lists it as its own service.
        assertEquals(record.path("comm").asText(), received.resourceAttribute("service.name"), what);
        assertEquals(Integer.toString(record.path("pid").asInt()), received.resourceAttribute("process.pid"), what);
        // ... and where it runs: the same origin as the record's.
        assertEquals(record.path("origin").path("netns").asText(), received.resourceAttribute("linux.netns.inode"),
                what);
        assertEquals(record.path("origin").path("cgroup").asText(), received.resourceAttribute("process.linux.cgroup"),
                what);
        assertEquals(E2e.notes(record).stream().sorted().toList(),
                span.getEventsList().stream().map(Span.Event::getName).sorted().toList(), "notes as events; " + what);
        String traceId = HexFormat.of().formatHex(span.getTraceId().toByteArray());
        String parentId = HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
        if (SpanTraffic.TRACED_TARGET.equals(target(record))) {
            assertEquals(SpanTraffic.TRACE_ID, traceId, "trace from traceparent; " + what);
            assertEquals(SpanTraffic.PARENT_SPAN_ID, parentId, "parent; " + what);
            assertEquals("expand=items", received.attribute("url.query"), what);
        } else {
            assertEquals("", parentId, "no traceparent, no parent; " + what);
            assertTrue(traceId.length() == 32 && !traceId.equals(SpanTraffic.TRACE_ID), what);
        }
        assertEquals(role(record).toUpperCase(Locale.ROOT), span.getKind().name().substring("SPAN_KIND_".length()));
    }
}
