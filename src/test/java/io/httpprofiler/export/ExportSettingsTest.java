package io.httpprofiler.export;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportSettingsTest {
    @Test
    void nothingAskedNothingExported() {
        assertFalse(ExportSettings.resolve(null, null, Map.of()).enabled());
    }

    @Test
    void otlpEndpointIsABaseUrlLikeTheEnvironmentVariable() {
        assertEquals(URI.create("http://collector:4318/v1/traces"),
                ExportSettings.resolve("http://collector:4318", null, Map.of()).otlpTraces());
        assertEquals(URI.create("http://collector:4318/otel/v1/traces"),
                ExportSettings.resolve("http://collector:4318/otel/", null, Map.of()).otlpTraces());
        assertEquals(URI.create("http://env:4318/v1/traces"), ExportSettings.resolve(null, null,
                Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318")).otlpTraces());
    }

    @Test
    void tracesEndpointVariableIsTakenAsItIsAndTheOptionWins() {
        Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom");
        assertEquals(URI.create("http://traces:4318/custom"), ExportSettings.resolve(null, null, env).otlpTraces());
        assertEquals(URI.create("http://cli:4318/v1/traces"),
                ExportSettings.resolve("http://cli:4318", null, env).otlpTraces());
    }

    @Test
    void zipkinEndpointIsTheFullUrl() {
        ExportSettings settings = ExportSettings.resolve(null, "http://zipkin:9411/api/v2/spans", Map.of());
        assertEquals(URI.create("http://zipkin:9411/api/v2/spans"), settings.zipkinSpans());
        assertNull(settings.otlpTraces());
        assertTrue(settings.enabled());
    }

    @Test
    void serviceNameAndResourceAttributesFromTheEnvironment() {
        ExportSettings settings = ExportSettings.resolve("http://c:4318", null, Map.of(
                "OTEL_RESOURCE_ATTRIBUTES", "k8s.node.name=node-1, deployment.environment=prod%2Ceu,service.name=r",
                "OTEL_SERVICE_NAME", "checkout",
                "OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret%3D1"));
        assertEquals("checkout", settings.serviceName());
        assertEquals(Map.of("k8s.node.name", "node-1", "deployment.environment", "prod,eu", "service.name", "r"),
                settings.resourceAttributes());
        assertEquals(Map.of("api-key", "secret=1"), settings.otlpHeaders());
        assertEquals("r", ExportSettings.resolve(null, null,
                Map.of("OTEL_RESOURCE_ATTRIBUTES", "service.name=r")).serviceName());
        assertNull(ExportSettings.resolve(null, null, Map.of()).serviceName());
    }

    @Test
    void queueBatchAndTimeoutFromTheBatchProcessorVariables() {
        ExportSettings settings = ExportSettings.resolve("http://c:4318", null, Map.of("OTEL_BSP_MAX_QUEUE_SIZE", "100",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500", "OTEL_BSP_EXPORT_TIMEOUT", "1500"));
        assertEquals(100, settings.queueSpans());
        assertEquals(100, settings.batchSpans(), "a batch is never larger than the queue");
        assertEquals(java.time.Duration.ofMillis(1500), settings.timeout());
        assertEquals("OTEL_BSP_MAX_QUEUE_SIZE '0' is not a positive whole number", assertThrows(
                IllegalArgumentException.class, () -> ExportSettings.resolve(null, null,
                        Map.of("OTEL_BSP_MAX_QUEUE_SIZE", "0"))).getMessage());
    }

    @Test
    void malformedInputIsOneClearMessage() {
        assertEquals("--otlp-endpoint 'collector:4318' is not an http:// or https:// URL with a host",
                assertThrows(IllegalArgumentException.class,
                        () -> ExportSettings.resolve("collector:4318", null, Map.of())).getMessage());
        assertEquals("--zipkin-endpoint 'http://bad host/' is not a URL", assertThrows(IllegalArgumentException.class,
                () -> ExportSettings.resolve(null, "http://bad host/", Map.of())).getMessage());
        assertEquals("OTEL_RESOURCE_ATTRIBUTES: 'novalue' is not key=value", assertThrows(
                IllegalArgumentException.class, () -> ExportSettings.resolve(null, null,
                        Map.of("OTEL_RESOURCE_ATTRIBUTES", "a=b,novalue"))).getMessage());
    }
}
