package io.httpprofiler.export;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExchangeSpansTest {
    private static final long START = 1_780_000_000_123_456_789L;
    private final ExchangeSpans spans = new ExchangeSpans(new ProcessResources(
            ProcessResources.base(Map.of("k8s.node.name", "node-1"), "host-a"), null,
            pid -> Attributes.of(io.opentelemetry.api.common.AttributeKey.stringKey("container.id"), "c" + pid)),
            InstrumentationScopeInfo.create("io.httpprofiler"));

    private static Exchange exchange(Role role, String method, String target, List<HttpHeader> headers, Integer status,
                                     List<String> notes) {
        HttpRequest request = method == null ? null : new HttpRequest(method, target, "HTTP/1.1", headers, List.of(),
                body("hello"));
        HttpResponse response = status == null ? null : new HttpResponse("HTTP/1.1", status, "", List.of(), List.of(),
                body("response!"));
        return new Exchange(new ConnectionId(42, 7, 1), 43, "nginx", role, new InetSocketAddress("127.0.0.1", 8080),
                new InetSocketAddress("10.0.0.2", 51234), START, START + 2_500_000, request, response, notes);
    }

    private static Body body(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new Body(bytes.length, bytes.length, bytes, true, null, false);
    }

    @Test
    void serverExchangeFollowsTheHttpConventions() {
        ExchangeSpan span = spans.toSpan(exchange(Role.SERVER, "GET", "/users/1?id=1&x=2", List.of(), 200, List.of()));
        assertEquals("GET /users/{id}", span.getName(), "named by route: ids as {id}");
        assertEquals("/users/{id}", span.getAttributes().get(ExchangeSpans.ROUTE));
        assertEquals(SpanKind.SERVER, span.getKind());
        assertEquals(START, span.getStartEpochNanos());
        assertEquals(START + 2_500_000, span.getEndEpochNanos());
        assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());
        Attributes a = span.getAttributes();
        assertEquals("GET", a.get(ExchangeSpans.METHOD));
        assertEquals(200L, a.get(ExchangeSpans.STATUS_CODE));
        assertEquals("/users/1", a.get(ExchangeSpans.URL_PATH));
        assertEquals("id=1&x=2", a.get(ExchangeSpans.URL_QUERY));
        assertEquals("127.0.0.1", a.get(ExchangeSpans.SERVER_ADDRESS));
        assertEquals(8080L, a.get(ExchangeSpans.SERVER_PORT));
        assertEquals("10.0.0.2", a.get(ExchangeSpans.CLIENT_ADDRESS));
        assertEquals(51234L, a.get(ExchangeSpans.CLIENT_PORT));
        assertEquals(5L, a.get(ExchangeSpans.REQUEST_BODY_SIZE));
        assertEquals(9L, a.get(ExchangeSpans.RESPONSE_BODY_SIZE));
        assertEquals("1.1", a.get(ExchangeSpans.PROTOCOL_VERSION));
        assertEquals(42L, a.get(ExchangeSpans.PROCESS_PID));
        assertNull(a.get(ExchangeSpans.ERROR_TYPE));
        assertFalse(span.getParentSpanContext().isValid());
        assertTrue(span.getSpanContext().isValid());
        Resource resource = span.getResource();
        assertEquals("nginx", resource.getAttribute(ProcessResources.SERVICE_NAME));
        assertEquals(42L, resource.getAttribute(ProcessResources.PROCESS_PID));
        assertEquals("node-1", resource.getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("k8s.node.name")));
        assertEquals("c42", resource.getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("container.id")));
        assertEquals("host-a", resource.getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("host.name")));
    }

    @Test
    void clientAddressesAreTheOtherWayRound() {
        ExchangeSpan span = spans.toSpan(exchange(Role.CLIENT, "POST", "/a", List.of(), 201, List.of()));
        assertEquals(SpanKind.CLIENT, span.getKind());
        assertEquals("10.0.0.2", span.getAttributes().get(ExchangeSpans.SERVER_ADDRESS));
        assertEquals(8080L, span.getAttributes().get(ExchangeSpans.CLIENT_PORT));
    }

    @Test
    void errorsAsTheConventionsSay() {
        assertEquals(StatusCode.ERROR, spans.toSpan(exchange(Role.SERVER, "GET", "/", List.of(), 503, List.of()))
                .getStatus().getStatusCode());
        assertEquals(StatusCode.UNSET, spans.toSpan(exchange(Role.SERVER, "GET", "/", List.of(), 404, List.of()))
                .getStatus().getStatusCode(), "a 404 is the client's fault, not the server's");
        ExchangeSpan client404 = spans.toSpan(exchange(Role.CLIENT, "GET", "/", List.of(), 404, List.of()));
        assertEquals(StatusCode.ERROR, client404.getStatus().getStatusCode());
        assertEquals("404", client404.getAttributes().get(ExchangeSpans.ERROR_TYPE));
    }

    @Test
    void noResponseIsAnErrorOfNoLengthWithItsNotesAsEvents() {
        ExchangeSpan span = spans.toSpan(exchange(Role.SERVER, "GET", "/x", List.of(), null,
                List.of("response not seen", "capture gap")));
        assertEquals(StatusCode.ERROR, span.getStatus().getStatusCode());
        assertEquals("response not seen", span.getAttributes().get(ExchangeSpans.ERROR_TYPE));
        assertEquals(span.getStartEpochNanos(), span.getEndEpochNanos());
        assertEquals(List.of("response not seen", "capture gap"),
                span.getEvents().stream().map(e -> e.getName()).toList());
        assertNull(span.getAttributes().get(ExchangeSpans.STATUS_CODE));
    }

    @Test
    void responseWithoutRequestIsNamedHttp() {
        ExchangeSpan span = spans.toSpan(exchange(Role.CLIENT, null, null, List.of(), 200, List.of()));
        assertEquals("HTTP", span.getName());
        assertNull(span.getAttributes().get(ExchangeSpans.METHOD));
    }

    @Test
    void traceparentMakesTheSpanItsChild() {
        ExchangeSpan span = spans.toSpan(exchange(Role.SERVER, "GET", "/", List.of(new HttpHeader("Host", "h"),
                new HttpHeader("TraceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")), 200,
                List.of()));
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", span.getTraceId());
        assertEquals("00f067aa0ba902b7", span.getParentSpanId());
        assertTrue(span.getParentSpanContext().isRemote());
    }

    @Test
    void malformedTraceparentIsIgnored() {
        ExchangeSpan span = spans.toSpan(exchange(Role.SERVER, "GET", "/", List.of(
                new HttpHeader("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")), 200,
                List.of()));
        assertFalse(span.getParentSpanContext().isValid());
        assertTrue(span.getSpanContext().isValid());
    }

    @Test
    void requestTargets() {
        assertEquals(new RequestTarget("/a/b", "x=1"), RequestTarget.of("/a/b?x=1"));
        assertEquals(new RequestTarget("/a", null), RequestTarget.of("/a#frag"));
        assertEquals(new RequestTarget("/a", ""), RequestTarget.of("/a?"));
        assertEquals(new RequestTarget("/p", "q=1"), RequestTarget.of("http://host:80/p?q=1"));
        assertEquals(new RequestTarget("/", "q=1"), RequestTarget.of("http://host?q=1"));
        assertEquals(new RequestTarget("/", null), RequestTarget.of("http://host"));
        assertEquals(new RequestTarget("*", null), RequestTarget.of("*"));
        assertEquals(new RequestTarget("example.com:443", null), RequestTarget.of("example.com:443"));
        assertEquals(new RequestTarget("/", null), RequestTarget.of(""));
    }
}
