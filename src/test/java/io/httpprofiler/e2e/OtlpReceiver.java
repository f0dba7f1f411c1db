package io.httpprofiler.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static io.httpprofiler.e2e.E2e.LOOPBACK;

/**
 * An OTLP/HTTP trace receiver (no OTLP backend runs here): a JDK HttpServer on loopback that decodes every request to
 * {@code /v1/traces} with the official opentelemetry-proto messages, keeps the spans with their resources, and answers
 * with a status of the test's choosing (200, or 500 to play a broken backend).
 */
final class OtlpReceiver implements AutoCloseable {
    /** One received span and the resource it came under. */
    record Received(Resource resource, Span span) {
        String attribute(String key) {
            return OtlpReceiver.attribute(span.getAttributesList(), key);
        }

        String resourceAttribute(String key) {
            return OtlpReceiver.attribute(resource.getAttributesList(), key);
        }
    }

    private final HttpServer server;
    private final int status;
    private final List<Received> spans = new ArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    OtlpReceiver(int status) throws IOException {
        this.status = status;
        server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 50);
        server.createContext("/v1/traces", this::receive);
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.start();
    }

    /** What --otlp-endpoint gets (a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT). */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void receive(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            requests.incrementAndGet();
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
            if (status == 200) {
                synchronized (spans) {
                    for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
                        for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                            for (Span span : scopeSpans.getSpansList()) {
                                spans.add(new Received(resourceSpans.getResource(), span));
                            }
                        }
                    }
                }
            }
            byte[] body = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    List<Received> spans() {
        synchronized (spans) {
            return List.copyOf(spans);
        }
    }

    int requests() {
        return requests.get();
    }

    static String attribute(List<KeyValue> attributes, String key) {
        for (KeyValue attribute : attributes) {
            if (attribute.getKey().equals(key)) {
                AnyValue value = attribute.getValue();
                return switch (value.getValueCase()) {
                    case STRING_VALUE -> value.getStringValue();
                    case INT_VALUE -> Long.toString(value.getIntValue());
                    case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
                    case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
                    default -> value.toString();
                };
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
