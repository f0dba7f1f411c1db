package io.httpprofiler.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Conversations covering HTTP/1.x framing, each with the exchanges it must produce. */
final class Fixtures {
    static final int ONE_MIB = 1 << 20;
    static final int SMALL_MAX_BODY = 1024;

    /** What one exchange must look like; a null body text is not checked. */
    record Expected(String method, String target, int status, long requestBodySize, long responseBodySize,
                    String responseBody, List<String> notes) {
    }

    record Fixture(String name, Conversation conversation, PipelineSettings settings, List<Expected> expected) {
        @Override
        public String toString() {
            return name;
        }

        int totalBytes() {
            return conversation.turns().stream().mapToInt(t -> t.bytes().length).sum();
        }
    }

    private Fixtures() {
    }

    static List<Fixture> all() {
        return List.of(keepAliveGets(), postWithBody(), chunkedWithTrailers(), chunkedRequest(), head(), notModified(),
                noContent(), expectContinue(), upgrade(), http10CloseDelimited(), pipelined(), gzipBody(),
                binaryBody(), largeBodies(), connectTunnel(), unusualHeaders());
    }

    /** The fixtures small enough to be re-fed at every split point. */
    static List<Fixture> small() {
        return all().stream().filter(f -> f.totalBytes() < 16 * 1024).toList();
    }

    static Fixture keepAliveGets() {
        String users = "[{\"id\":1,\"name\":\"alice\"}]";
        Conversation c = new Conversation()
                .request(request("GET", "/users?id=1", "", "Host: localhost:8080", "Accept: */*"))
                .response(response("200 OK", users, "Content-Type: application/json"))
                .request(request("GET", "/users?id=2", "", "Host: localhost:8080"))
                .response(response("404 Not Found", "no such user", "Content-Type: text/plain"))
                .request(request("GET", "/login", "", "Host: localhost:8080"))
                .response(response("200 OK", "welcome", "Set-Cookie: a=1", "Set-Cookie: b=2"));
        return new Fixture("keep-alive GETs", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/users?id=1", 200, 0, users.length(), users, List.of()),
                new Expected("GET", "/users?id=2", 404, 0, 12, "no such user", List.of()),
                new Expected("GET", "/login", 200, 0, 7, "welcome", List.of())));
    }

    static Fixture postWithBody() {
        String item = "{\"name\":\"widget\",\"price\":12.5,\"tags\":[]}";
        Conversation c = new Conversation()
                .request(request("POST", "/items", item, "Host: shop", "Content-Type: application/json"))
                .response(response("201 Created", "{\"id\":7}", "Location: /items/7"));
        return new Fixture("POST with body", c, PipelineSettings.defaults(), List.of(
                new Expected("POST", "/items", 201, item.length(), 8, "{\"id\":7}", List.of())));
    }

    static Fixture chunkedWithTrailers() {
        Conversation c = new Conversation()
                .request(request("GET", "/stream", "", "Host: x", "TE: trailers"))
                .response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                        + "5;ext=1\r\nhello\r\n007 ; name=\"v\"\r\n, world\r\n0\r\nX-Checksum: abc\r\n\r\n")
                .request(request("GET", "/after", "", "Host: x"))
                .response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        return new Fixture("chunked with extensions and trailers", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/stream", 200, 0, 12, "hello, world", List.of()),
                new Expected("GET", "/after", 200, 0, 2, "ok", List.of())));
    }

    static Fixture chunkedRequest() {
        Conversation c = new Conversation()
                .request("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                        + "A\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n")
                .response(response("200 OK", "done"));
        return new Fixture("chunked request", c, PipelineSettings.defaults(), List.of(
                new Expected("POST", "/upload", 200, 13, 4, "done", List.of())));
    }

    /**
     * One exchange given raw, then GET /next answered "ok": the exchange after pairs only if the first one's framing
     * ended where it should.
     */
    static Conversation thenNextOk(String request, String response) {
        return new Conversation().request(request).response(response)
                .request(request("GET", "/next", "", "Host: x")).response(response("200 OK", "ok"));
    }

    static Fixture head() {
        Conversation c = thenNextOk(request("HEAD", "/file", "", "Host: x"),
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n");
        return new Fixture("HEAD", c, PipelineSettings.defaults(), List.of(
                new Expected("HEAD", "/file", 200, 0, 0, "", List.of()),
                new Expected("GET", "/next", 200, 0, 2, "ok", List.of())));
    }

    static Fixture notModified() {
        Conversation c = thenNextOk(request("GET", "/style.css", "", "Host: x", "If-None-Match: \"v1\""),
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 500\r\n\r\n");
        return new Fixture("304", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/style.css", 304, 0, 0, "", List.of()),
                new Expected("GET", "/next", 200, 0, 2, "ok", List.of())));
    }

    static Fixture noContent() {
        Conversation c = thenNextOk(request("DELETE", "/items/1", "", "Host: x"),
                "HTTP/1.1 204 No Content\r\nServer: demo\r\n\r\n");
        return new Fixture("204", c, PipelineSettings.defaults(), List.of(
                new Expected("DELETE", "/items/1", 204, 0, 0, "", List.of()),
                new Expected("GET", "/next", 200, 0, 2, "ok", List.of())));
    }

    static Fixture expectContinue() {
        Conversation c = new Conversation()
                .request("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
                .response("HTTP/1.1 100 Continue\r\n\r\n")
                .request("hello world")
                .response(response("200 OK", "stored"));
        return new Fixture("100-continue", c, PipelineSettings.defaults(), List.of(
                new Expected("POST", "/upload", 200, 11, 6, "stored", List.of("interim response: 100 Continue"))));
    }

    static Fixture upgrade() {
        byte[] clientFrame = {(byte) 0x81, (byte) 0x85, 0x37, (byte) 0xfa, 0x21, 0x3d, 0x7f, (byte) 0x9f, 0x4d, 0x51,
                0x58};
        byte[] serverFrame = {(byte) 0x81, 0x05, 'h', 'e', 'l', 'l', 'o'};
        Conversation c = new Conversation()
                .request(request("GET", "/chat", "", "Host: x", "Upgrade: websocket", "Connection: Upgrade",
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"))
                .response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                .request(clientFrame)
                .response(serverFrame)
                .request(Conversation.bytes("GET /not-http-any-more HTTP/1.1\r\n\r\n"));
        return new Fixture("101 upgrade", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/chat", 101, 0, 0, "", List.of("upgraded to websocket"))));
    }

    static Fixture http10CloseDelimited() {
        Conversation c = new Conversation()
                .request("GET /legacy HTTP/1.0\r\nUser-Agent: old\r\n\r\n")
                .response("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close\n");
        return new Fixture("HTTP/1.0 close-delimited", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/legacy", 200, 0, 17, "body until close\n", List.of())));
    }

    static Fixture pipelined() {
        Conversation c = new Conversation()
                .request(request("GET", "/a", "", "Host: x"))
                .request(request("POST", "/b", "payload", "Host: x"))
                .request(request("GET", "/c", "", "Host: x"))
                .responseAfter(0, response("200 OK", "A"))
                .responseAfter(1, response("201 Created", "BB"))
                .responseAfter(2, response("200 OK", "CCC"));
        return new Fixture("pipelined 3 requests", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/a", 200, 0, 1, "A", List.of()),
                new Expected("POST", "/b", 201, 7, 2, "BB", List.of()),
                new Expected("GET", "/c", 200, 0, 3, "CCC", List.of())));
    }

    static final String GZIP_TEXT = "hello gzip world, ".repeat(40);

    static Fixture gzipBody() {
        byte[] compressed = gzip(GZIP_TEXT.getBytes(StandardCharsets.UTF_8));
        byte[] head = Conversation.bytes("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/plain\r\n"
                + "Content-Length: " + compressed.length + "\r\n\r\n");
        Conversation c = new Conversation()
                .request(request("GET", "/text", "", "Host: x", "Accept-Encoding: gzip"))
                .response(Conversation.concat(head, compressed));
        return new Fixture("gzip body", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/text", 200, 0, compressed.length, GZIP_TEXT, List.of())));
    }

    static byte[] binaryBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(7).nextBytes(bytes);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        System.arraycopy(png, 0, bytes, 0, png.length);
        return bytes;
    }

    static Fixture binaryBody() {
        byte[] image = binaryBytes(300);
        byte[] head = Conversation.bytes("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: "
                + image.length + "\r\n\r\n");
        Conversation c = new Conversation()
                .request(request("GET", "/logo.png", "", "Host: x"))
                .response(Conversation.concat(head, image));
        return new Fixture("binary body", c, PipelineSettings.defaults(), List.of(
                new Expected("GET", "/logo.png", 200, 0, image.length, null, List.of())));
    }

    static Fixture largeBodies() {
        byte[] upload = new byte[ONE_MIB];
        for (int i = 0; i < upload.length; i++) {
            upload[i] = (byte) ('a' + i % 26);
        }
        byte[] requestHead = Conversation.bytes("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + ONE_MIB
                + "\r\n\r\n");
        byte[] responseHead = Conversation.bytes("HTTP/1.1 200 OK\r\nContent-Length: " + ONE_MIB + "\r\n\r\n");
        long notKept = ONE_MIB - SMALL_MAX_BODY;
        Conversation c = new Conversation()
                .request(Conversation.concat(requestHead, upload))
                .response(Conversation.concat(responseHead, upload))
                .request(request("GET", "/small", "", "Host: x"))
                .response(response("200 OK", "ok"));
        return new Fixture("1 MiB bodies, small max body", c, PipelineSettings.defaults().withMaxBody(SMALL_MAX_BODY),
                List.of(new Expected("POST", "/upload", 200, ONE_MIB, ONE_MIB,
                                new String(upload, 0, SMALL_MAX_BODY, StandardCharsets.US_ASCII),
                                List.of("request body truncated: " + notKept + " of " + ONE_MIB + " bytes not kept",
                                        "response body truncated: " + notKept + " of " + ONE_MIB + " bytes not kept")),
                        new Expected("GET", "/small", 200, 0, 2, "ok", List.of())));
    }

    static Fixture connectTunnel() {
        Conversation c = new Conversation()
                .request("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
                .response("HTTP/1.1 200 Connection Established\r\n\r\n")
                .request(new byte[] {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00})
                .response(new byte[] {0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x00});
        return new Fixture("CONNECT tunnel", c, PipelineSettings.defaults(), List.of(
                new Expected("CONNECT", "example.com:443", 200, 0, 0, "", List.of("tunnel established"))));
    }

    static Fixture unusualHeaders() {
        Conversation c = new Conversation()
                .request("\r\nOPTIONS * HTTP/1.1\r\nHost:x\r\nX-Empty:\r\nX-Folded: first\r\n  second\r\n"
                        + "x-lower:  spaced value \t\r\n\r\n")
                .response("HTTP/1.1 200\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n\r\n")
                .request("GET /bare-lf HTTP/1.1\nHost: x\n\n")
                .response("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc");
        return new Fixture("unusual headers", c, PipelineSettings.defaults(), List.of(
                new Expected("OPTIONS", "*", 200, 0, 0, "", List.of()),
                new Expected("GET", "/bare-lf", 200, 0, 3, "abc", List.of())));
    }

    static String request(String method, String target, String body, String... headers) {
        StringBuilder text = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (String header : headers) {
            text.append(header).append("\r\n");
        }
        if (!body.isEmpty()) {
            text.append("Content-Length: ").append(body.length()).append("\r\n");
        }
        return text.append("\r\n").append(body).toString();
    }

    static String response(String status, String body, String... headers) {
        StringBuilder text = new StringBuilder("HTTP/1.1 ").append(status).append("\r\n");
        for (String header : headers) {
            text.append(header).append("\r\n");
        }
        text.append("Content-Length: ").append(body.length()).append("\r\n");
        return text.append("\r\n").append(body).toString();
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
