package io.httpprofiler.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeadParserTest {
    private final HeadParser parser = new HeadParser();

    private MessageHead request(String head) {
        byte[] bytes = Conversation.bytes(head);
        return parser.parseRequest(bytes, 0, bytes.length);
    }

    private MessageHead response(String head) {
        byte[] bytes = Conversation.bytes(head);
        return parser.parseResponse(bytes, 0, bytes.length);
    }

    @Test
    void requestLineForms() {
        assertEquals("/a?b=c", request("GET /a?b=c HTTP/1.1\r\n\r\n").target());
        assertEquals("http://example.com/x", request("GET http://example.com/x HTTP/1.1\r\n\r\n").target());
        assertEquals("*", request("OPTIONS * HTTP/1.1\r\n\r\n").target());
        assertEquals("HTTP/1.0", request("PROPFIND /dav HTTP/1.0\r\n\r\n").version());
        assertEquals("M-SEARCH", request("M-SEARCH * HTTP/1.1\r\n\r\n").method());
        for (String bad : List.of("GET /a b HTTP/1.1\r\n\r\n", "GET /a\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                "GET /a HTTP/2.0\r\n\r\n", "GET /a HTTP/1.1 \r\n\r\n", "G(T /a HTTP/1.1\r\n\r\n",
                "GET /\u0001 HTTP/1.1\r\n\r\n")) {
            assertNull(request(bad), bad);
            assertEquals("invalid request line", parser.error(), bad);
        }
    }

    @Test
    void statusLineForms() {
        MessageHead ok = response("HTTP/1.1 200 OK\r\n\r\n");
        assertEquals(200, ok.status());
        assertEquals("OK", ok.reason());
        assertEquals("", response("HTTP/1.1 204\r\n\r\n").reason());
        assertEquals("", response("HTTP/1.1 204 \r\n\r\n").reason());
        assertEquals("Not Found Here", response("HTTP/1.0 404 Not Found Here\r\n\r\n").reason());
        assertTrue(response("HTTP/1.1 100 Continue\r\n\r\n").isInterim());
        assertFalse(response("HTTP/1.1 101 Switching Protocols\r\n\r\n").isInterim());
        assertNull(response("HTTP/1.1 20 OK\r\n\r\n"));
        assertNull(response("HTTP/1.1 2000 OK\r\n\r\n"));
        assertNull(response("HTTP/1.1 099 Low\r\n\r\n"));
        assertNull(response("HTTP/1.1200 OK\r\n\r\n"));
        assertNull(response("HTTP/2 200 OK\r\n\r\n"));
    }

    @Test
    void headersKeepOrderDuplicatesAndSpelling() {
        MessageHead head = request("GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\naccept: y\r\nX-Spaces:   v  \r\n\r\n");
        assertEquals(List.of(new HttpHeader("Host", "a"), new HttpHeader("Accept", "x"), new HttpHeader("accept", "y"),
                new HttpHeader("X-Spaces", "v")), head.headers());
    }

    @Test
    void utf8InHeaderValuesIsKept() {
        byte[] bytes = "GET / HTTP/1.1\r\nX-Name: Zoë\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("Zoë", parser.parseRequest(bytes, 0, bytes.length).headers().get(0).value());
    }

    @Test
    void framingHeaders() {
        MessageHead fixed = request("POST / HTTP/1.1\r\ncontent-LENGTH: 42\r\n\r\n");
        assertEquals(42, fixed.contentLength());
        assertFalse(fixed.chunked());
        assertEquals(5, request("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n").contentLength());
        assertEquals(-1, request("GET / HTTP/1.1\r\n\r\n").contentLength());
        assertEquals(1_000_000_000_000_000L,
                request("POST / HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\n").contentLength());

        assertTrue(request("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n").chunked());
        MessageHead notLast = request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
        assertFalse(notLast.chunked());
        assertTrue(notLast.transferCoded());

        MessageHead encoded = response("HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\nUpgrade: websocket\r\n\r\n");
        assertEquals("gzip", encoded.contentEncoding());
        assertEquals("websocket", encoded.upgrade());
    }

    @Test
    void malformedHeaders() {
        assertNull(request("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"));
        assertEquals("conflicting Content-Length", parser.error());
        for (String value : List.of("", "abc", "-1", "1 2", "+5", "1234567890123456789")) {
            assertNull(request("POST / HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\n"), value);
            assertEquals("invalid Content-Length", parser.error(), value);
        }
        assertNull(request("GET / HTTP/1.1\r\nHost : x\r\n\r\n"));
        assertEquals("invalid header name", parser.error());
        assertNull(request("GET / HTTP/1.1\r\n: x\r\n\r\n"));
        assertEquals("invalid header name", parser.error());
        assertNull(request("GET / HTTP/1.1\r\n continued\r\n\r\n"));
        assertEquals("continuation line without a header", parser.error());
    }

    @Test
    void trailersAreHeaderLinesWithoutFraming() {
        byte[] bytes = Conversation.bytes("Content-Length: 99\r\nX-Sum: 1\r\n\r\n");
        List<HttpHeader> trailers = parser.parseTrailers(bytes, 0, bytes.length);
        assertNotNull(trailers);
        assertEquals(List.of(new HttpHeader("Content-Length", "99"), new HttpHeader("X-Sum", "1")), trailers);
        byte[] none = Conversation.bytes("\r\n");
        assertEquals(List.of(), parser.parseTrailers(none, 0, none.length));
    }
}
