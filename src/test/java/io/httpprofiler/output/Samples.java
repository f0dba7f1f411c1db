package io.httpprofiler.output;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/** Exchanges built by hand, as the pipeline would deliver them. */
final class Samples {
    /** 2026-11-22T11:30:00.123456789Z. */
    static final long START = Instant.parse("2026-11-22T11:30:00.123456789Z").getEpochSecond() * 1_000_000_000L
            + 123_456_789;
    static final String USERS = "[{\"id\":1,\"name\":\"alice\"}]";

    private Samples() {
    }

    static Body text(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new Body(bytes.length, bytes.length, bytes, true, null, false);
    }

    static Exchange serverGet() {
        HttpRequest request = new HttpRequest("GET", "/users?id=1", "HTTP/1.1",
                List.of(new HttpHeader("Host", "localhost:8080")), List.of(), Body.EMPTY);
        HttpResponse response = new HttpResponse("HTTP/1.1", 200, "OK",
                List.of(new HttpHeader("Content-Type", "application/json"),
                        new HttpHeader("Content-Length", String.valueOf(USERS.length()))), List.of(), text(USERS));
        return new Exchange(new ConnectionId(1234, 7, 1), 1235, "nginx", Role.SERVER,
                new InetSocketAddress(ip("127.0.0.1"), 8080), new InetSocketAddress(ip("127.0.0.1"), 51234),
                START, START + 1_234_567, request, response, List.of());
    }

    /** {@link #serverGet()} read in plaintext from libssl. */
    static Exchange serverGetOverTls() {
        Exchange plain = serverGet();
        return new Exchange(plain.connection(), plain.tid(), plain.command(), plain.role(), plain.local(), plain.remote(),
                plain.startNanos(), plain.endNanos(), plain.request(), plain.response(), plain.notes(), "libssl.so.3");
    }

    static Exchange clientPostWithoutResponse() {
        HttpRequest request = new HttpRequest("POST", "/submit", "HTTP/1.1",
                List.of(new HttpHeader("Content-Length", "12")), List.of(), text("line one\r\ntwo"));
        return new Exchange(new ConnectionId(99, 3, 2), 100, "curl", Role.CLIENT,
                new InetSocketAddress(ip("::1"), 40000), new InetSocketAddress(ip("2001:db8::1"), 443),
                START, START, request, null, List.of("response not seen", "incomplete: connection closed"));
    }

    static Exchange binaryChunkedResponse(byte[] image) {
        HttpRequest request = new HttpRequest("GET", "/logo.png", "HTTP/1.1", List.of(), List.of(), Body.EMPTY);
        Body body = new Body(1_048_576, image.length, image, false, null, true);
        HttpResponse response = new HttpResponse("HTTP/1.1", 200, "OK",
                List.of(new HttpHeader("Transfer-Encoding", "chunked")), List.of(new HttpHeader("X-Checksum", "abc")),
                body);
        return new Exchange(new ConnectionId(5, 4, 3), 5, null, Role.UNKNOWN, null, null, START,
                START + 1_530_000_000L, request, response,
                List.of("response body truncated: " + (1_048_576 - image.length) + " of 1048576 bytes not kept"));
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
