package io.httpprofiler.export;

import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import io.httpprofiler.output.RouteTemplate;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;

/**
 * Turns an exchange into a span, named and attributed after the OpenTelemetry HTTP semantic conventions: kind from the
 * role, start at the request's first byte, end at the response's last, status ERROR for a server error (any error
 * status for a client, as the conventions say) and for an exchange without a response, notes as events. A W3C
 * {@code traceparent} in the request makes the span its child, so the profiler's spans join the application's traces.
 */
final class ExchangeSpans {
    static final AttributeKey<String> METHOD = stringKey("http.request.method");
    static final AttributeKey<Long> STATUS_CODE = longKey("http.response.status_code");
    static final AttributeKey<String> URL_PATH = stringKey("url.path");
    static final AttributeKey<String> ROUTE = stringKey("http.route");
    static final AttributeKey<String> URL_QUERY = stringKey("url.query");
    static final AttributeKey<String> PROTOCOL_VERSION = stringKey("network.protocol.version");
    static final AttributeKey<String> SERVER_ADDRESS = stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = longKey("server.port");
    static final AttributeKey<String> CLIENT_ADDRESS = stringKey("client.address");
    static final AttributeKey<Long> CLIENT_PORT = longKey("client.port");
    static final AttributeKey<Long> REQUEST_BODY_SIZE = longKey("http.request.body.size");
    static final AttributeKey<Long> RESPONSE_BODY_SIZE = longKey("http.response.body.size");
    static final AttributeKey<String> ERROR_TYPE = stringKey("error.type");
    static final AttributeKey<Long> PROCESS_PID = longKey("process.pid");
    static final AttributeKey<String> PROCESS_NAME = stringKey("process.executable.name");
    static final AttributeKey<Long> THREAD_ID = longKey("thread.id");

    /** error.type and status description of an exchange that ended without a response. */
    static final String NO_RESPONSE = "response not seen";
    /** The span name without a request line (a response whose request was lost). */
    static final String UNKNOWN_METHOD_NAME = "HTTP";

    private static final TextMapGetter<List<HttpHeader>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(List<HttpHeader> headers) {
            return headers.stream().map(HttpHeader::name).toList();
        }

        @Override
        public String get(List<HttpHeader> headers, String key) {
            if (headers == null) {
                return null;
            }
            for (HttpHeader header : headers) {
                if (header.name().equalsIgnoreCase(key)) {
                    return header.value();
                }
            }
            return null;
        }
    };

    private final ProcessResources resources;
    private final InstrumentationScopeInfo scope;
    private final IdGenerator ids = IdGenerator.random();

    ExchangeSpans(ProcessResources resources, InstrumentationScopeInfo scope) {
        this.resources = resources;
        this.scope = scope;
    }

    ExchangeSpan toSpan(Exchange exchange) {
        HttpRequest request = exchange.request();
        HttpResponse response = exchange.response();
        SpanContext parent = parentOf(request);
        String traceId = parent.isValid() ? parent.getTraceId() : ids.generateTraceId();
        SpanContext context = SpanContext.create(traceId, ids.generateSpanId(), TraceFlags.getSampled(),
                TraceState.getDefault());
        long start = exchange.startNanos();
        long end = response == null ? start : Math.max(start, exchange.endNanos());

        AttributesBuilder attributes = Attributes.builder();
        String name = UNKNOWN_METHOD_NAME;
        if (request != null) {
            RequestTarget target = RequestTarget.of(request.target());
            String route = RouteTemplate.of(request.target()); // ids as {id}: one name per endpoint, not per call
            name = request.method() + " " + route;
            attributes.put(ROUTE, route);
            attributes.put(METHOD, request.method());
            attributes.put(URL_PATH, target.path());
            if (target.query() != null) {
                attributes.put(URL_QUERY, target.query());
            }
            attributes.put(PROTOCOL_VERSION, protocolVersion(request.version()));
            attributes.put(REQUEST_BODY_SIZE, request.body().size());
        }
        if (response != null) {
            attributes.put(STATUS_CODE, (long) response.status());
            attributes.put(RESPONSE_BODY_SIZE, response.body().size());
        }
        boolean client = exchange.role() == Role.CLIENT;
        putAddress(attributes, SERVER_ADDRESS, SERVER_PORT, client ? exchange.remote() : exchange.local());
        putAddress(attributes, CLIENT_ADDRESS, CLIENT_PORT, client ? exchange.local() : exchange.remote());
        attributes.put(PROCESS_PID, (long) exchange.pid());
        if (exchange.command() != null) {
            attributes.put(PROCESS_NAME, exchange.command());
        }
        attributes.put(THREAD_ID, (long) exchange.tid());
        StatusData status = status(exchange.role(), response);
        if (status.getStatusCode() == StatusCode.ERROR) {
            attributes.put(ERROR_TYPE, response == null ? NO_RESPONSE : Integer.toString(response.status()));
        }
        List<EventData> events = new ArrayList<>(exchange.notes().size());
        for (String note : exchange.notes()) {
            events.add(EventData.create(end, note, Attributes.empty()));
        }
        return new ExchangeSpan(name, kind(exchange.role()), context, parent, status, start, end, attributes.build(),
                List.copyOf(events), resources.of(exchange.pid(), exchange.command()), scope);
    }

    /** The request's W3C trace context, or the invalid context when it has none (or a malformed one). */
    static SpanContext parentOf(HttpRequest request) {
        if (request == null || request.headers().isEmpty()) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), request.headers(), HEADERS);
        return Span.fromContext(extracted).getSpanContext();
    }

    static SpanKind kind(Role role) {
        return switch (role) {
            case SERVER -> SpanKind.SERVER;
            case CLIENT -> SpanKind.CLIENT;
            case UNKNOWN -> SpanKind.INTERNAL;
        };
    }

    /**
     * The conventions' rule: a server's span fails on 5xx (a 4xx is the client's fault), a client's on 4xx too. Without
     * a response the exchange failed either way.
     */
    static StatusData status(Role role, HttpResponse response) {
        if (response == null) {
            return StatusData.create(StatusCode.ERROR, NO_RESPONSE);
        }
        int floor = role == Role.CLIENT ? 400 : 500;
        return response.status() >= floor ? StatusData.error() : StatusData.unset();
    }

    /** "HTTP/1.1" -> "1.1", as network.protocol.version wants it. */
    static String protocolVersion(String version) {
        return version.regionMatches(true, 0, "HTTP/", 0, 5) ? version.substring(5) : version;
    }

    private static void putAddress(AttributesBuilder attributes, AttributeKey<String> addressKey,
                                   AttributeKey<Long> portKey, InetSocketAddress address) {
        if (address != null) {
            attributes.put(addressKey, address.getAddress() == null ? address.getHostString()
                    : address.getAddress().getHostAddress());
            attributes.put(portKey, (long) address.getPort());
        }
    }
}
