package io.httpprofiler.export;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where spans go and what they say about their source, from the command line and the standard OpenTelemetry environment
 * variables ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT},
 * {@code OTEL_EXPORTER_OTLP_HEADERS}, {@code OTEL_SERVICE_NAME}, {@code OTEL_RESOURCE_ATTRIBUTES}, and the batch
 * processor's {@code OTEL_BSP_MAX_QUEUE_SIZE}, {@code OTEL_BSP_MAX_EXPORT_BATCH_SIZE}, {@code OTEL_BSP_EXPORT_TIMEOUT}
 * in milliseconds). An option given on
 * the command line wins over the environment.
 *
 * @param otlpTraces         OTLP/HTTP (protobuf) URL spans are posted to, e.g. {@code http://collector:4318/v1/traces};
 *                           null for no OTLP export
 * @param otlpHeaders        extra request headers for the OTLP backend (e.g. an API key)
 * @param zipkinSpans        Zipkin v2 URL, e.g. {@code http://zipkin:9411/api/v2/spans}; null for no Zipkin export
 * @param serviceName        service.name of every span; null to name each span's service after its process
 * @param resourceAttributes further resource attributes for every span (host, cluster, node, ...)
 * @param queueSpans         spans waiting for a backend, per backend; past this new spans are dropped and counted
 * @param batchSpans         spans sent in one request at most
 * @param timeout            longest one request to a backend may take before its spans count as failed
 */
public record ExportSettings(URI otlpTraces, Map<String, String> otlpHeaders, URI zipkinSpans, String serviceName,
                             Map<String, String> resourceAttributes, int queueSpans, int batchSpans,
                             Duration timeout) {
    public static final int DEFAULT_QUEUE_SPANS = 2048;
    public static final int DEFAULT_BATCH_SPANS = 512;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** What {@code OTEL_EXPORTER_OTLP_ENDPOINT} (a base URL) gets for traces, as the OTLP specification says. */
    static final String OTLP_TRACES_PATH = "v1/traces";

    public ExportSettings {
        otlpHeaders = Map.copyOf(otlpHeaders);
        resourceAttributes = Map.copyOf(resourceAttributes);
    }

    public boolean enabled() {
        return otlpTraces != null || zipkinSpans != null;
    }

    /**
     * Settings from the options (null when not given) and the environment.
     *
     * @param otlpEndpoint   {@code --otlp-endpoint}: a base URL as in {@code OTEL_EXPORTER_OTLP_ENDPOINT}, spans go to
     *                       its {@code /v1/traces}
     * @param zipkinEndpoint {@code --zipkin-endpoint}: the full URL of Zipkin's span API
     * @throws IllegalArgumentException with a message for the user when a URL or a list is malformed
     */
    public static ExportSettings resolve(String otlpEndpoint, String zipkinEndpoint, Map<String, String> env) {
        URI otlp = null;
        if (otlpEndpoint != null) {
            otlp = withTracesPath(httpUrl("--otlp-endpoint", otlpEndpoint));
        } else if (present(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))) {
            otlp = httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        } else if (present(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))) {
            otlp = withTracesPath(httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", env.get("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }
        URI zipkin = zipkinEndpoint == null ? null : httpUrl("--zipkin-endpoint", zipkinEndpoint);
        Map<String, String> headers = new LinkedHashMap<>(keyValues("OTEL_EXPORTER_OTLP_HEADERS",
                env.get("OTEL_EXPORTER_OTLP_HEADERS")));
        headers.putAll(keyValues("OTEL_EXPORTER_OTLP_TRACES_HEADERS", env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS")));
        Map<String, String> resource = keyValues("OTEL_RESOURCE_ATTRIBUTES", env.get("OTEL_RESOURCE_ATTRIBUTES"));
        String service = present(env.get("OTEL_SERVICE_NAME")) ? env.get("OTEL_SERVICE_NAME").trim()
                : resource.get("service.name");
        // The batch span processor's variables, which these settings are the profiler's counterpart of.
        int queue = positive(env, "OTEL_BSP_MAX_QUEUE_SIZE", DEFAULT_QUEUE_SPANS);
        int batch = Math.min(queue, positive(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", DEFAULT_BATCH_SPANS));
        Duration timeout = Duration.ofMillis(positive(env, "OTEL_BSP_EXPORT_TIMEOUT", (int) DEFAULT_TIMEOUT.toMillis()));
        return new ExportSettings(otlp, headers, zipkin, service, resource, queue, batch, timeout);
    }

    private static int positive(Map<String, String> env, String name, int otherwise) {
        String text = env.get(name);
        if (!present(text)) {
            return otherwise;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " '" + text + "' is not a positive whole number");
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    private static URI httpUrl(String source, String text) {
        URI uri;
        try {
            uri = URI.create(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " '" + text + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(source + " '" + text + "' is not an http:// or https:// URL with a host");
        }
        return uri;
    }

    private static URI withTracesPath(URI base) {
        String text = base.toString();
        return URI.create(text.endsWith("/") ? text + OTLP_TRACES_PATH : text + "/" + OTLP_TRACES_PATH);
    }

    /** The W3C Baggage-like list the OpenTelemetry variables use: {@code key1=value1,key2=value2}, percent-encoded. */
    static Map<String, String> keyValues(String source, String text) {
        Map<String, String> result = new LinkedHashMap<>();
        if (!present(text)) {
            return result;
        }
        for (String member : text.split(",")) {
            if (member.isBlank()) {
                continue;
            }
            int equals = member.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(source + ": '" + member.trim() + "' is not key=value");
            }
            String key = member.substring(0, equals).trim();
            String value = member.substring(equals + 1).trim();
            try {
                result.put(key, URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": the value of '" + key + "' is not percent-encoded");
            }
        }
        return result;
    }
}
