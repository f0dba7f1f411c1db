package io.httpprofiler.export;

import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import zipkin2.reporter.urlconnection.URLConnectionSender;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every exchange as an OpenTelemetry span, sent to the tracing backends the user named (OTLP/HTTP, Zipkin). Another
 * consumer of exchanges beside the file writers, fed after them: the files keep everything, export is best effort.
 * Building a span happens on the capture thread (it is small: names, numbers, no bodies); sending happens on one
 * thread per backend behind a bounded queue.
 */
public final class SpanExport implements ExchangeSink, AutoCloseable {
    private static final String SCOPE_NAME = "io.httpprofiler";

    private final ExchangeSpans spans;
    private final List<SpanQueue> queues;
    private long failedExchanges;
    private boolean closed;

    /**
     * The SDK logs every failed request with its stack trace through java.util.logging; the profiler says it once in
     * one line and counts the rest. Held here because JUL keeps loggers (and so their levels) only weakly.
     */
    private final Logger sdkLogger;

    private SpanExport(ExchangeSpans spans, List<SpanQueue> queues, Logger sdkLogger) {
        this.spans = spans;
        this.queues = queues;
        this.sdkLogger = sdkLogger;
    }

    /**
     * Starts a sender per backend in the settings.
     *
     * @param placeOfProcess where a pid runs (container, pod) as resource attributes
     * @param version        the profiler's version, for the spans' instrumentation scope (null when unknown)
     * @param problems       told once per backend when sending to it starts failing
     */
    public static SpanExport start(ExportSettings settings, IntFunction<Attributes> placeOfProcess, String version,
                                   Consumer<String> problems) {
        Logger sdkLogger = Logger.getLogger("io.opentelemetry");
        sdkLogger.setLevel(Level.OFF);
        ProcessResources resources = new ProcessResources(
                ProcessResources.base(settings.resourceAttributes(), hostName()), settings.serviceName(),
                placeOfProcess);
        InstrumentationScopeInfo scope = InstrumentationScopeInfo.builder(SCOPE_NAME)
                .setVersion(version == null ? "development" : version).build();
        List<SpanQueue> queues = new ArrayList<>();
        long timeoutNanos = settings.timeout().toNanos();
        if (settings.otlpTraces() != null) {
            queues.add(new SpanQueue("otlp", otlp(settings), settings.queueSpans(), settings.batchSpans(),
                    timeoutNanos, problems).start());
        }
        if (settings.zipkinSpans() != null) {
            queues.add(new SpanQueue("zipkin", zipkin(settings), settings.queueSpans(), settings.batchSpans(),
                    timeoutNanos, problems).start());
        }
        return new SpanExport(new ExchangeSpans(resources, scope), List.copyOf(queues), sdkLogger);
    }

    private static SpanExporter otlp(ExportSettings settings) {
        OtlpHttpSpanExporterBuilder builder = OtlpHttpSpanExporter.builder()
                .setEndpoint(settings.otlpTraces().toString())
                .setTimeout(settings.timeout())
                .setConnectTimeout(settings.timeout());
        settings.otlpHeaders().forEach(builder::addHeader);
        return builder.build();
    }

    private static SpanExporter zipkin(ExportSettings settings) {
        int millis = (int) settings.timeout().toMillis();
        URLConnectionSender sender = URLConnectionSender.newBuilder()
                .endpoint(settings.zipkinSpans().toString())
                .connectTimeout(millis)
                .readTimeout(millis)
                .build();
        return ZipkinSpanExporter.builder().setSender(sender).build();
    }

    /** The kernel's host name, which is the node's for a profiler in the host's UTS namespace (a DaemonSet). */
    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void accept(Exchange exchange) {
        ExchangeSpan span;
        try {
            span = spans.toSpan(exchange);
        } catch (RuntimeException e) {
            failedExchanges++;
            return;
        }
        for (SpanQueue queue : queues) {
            queue.offer(span);
        }
    }

    public List<ExportCounts> counts() {
        return queues.stream().map(SpanQueue::counts).toList();
    }

    /** Exchanges that could not be made into a span (a bug: reported in the totals, never fatal). */
    public long failedExchanges() {
        return failedExchanges;
    }

    /** For the stats and totals lines: one part per backend. */
    public String describe() {
        StringBuilder text = new StringBuilder("export ");
        List<ExportCounts> counts = counts();
        for (int i = 0; i < counts.size(); i++) {
            text.append(i == 0 ? "" : "; ").append(counts.get(i).describe());
        }
        if (failedExchanges > 0) {
            text.append("; exchanges not made into spans ").append(failedExchanges);
        }
        return text.toString();
    }

    /** Sends what is queued for a short while, then stops the senders; the rest is counted as unsent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            queues.parallelStream().forEach(SpanQueue::close);
        }
    }
}
