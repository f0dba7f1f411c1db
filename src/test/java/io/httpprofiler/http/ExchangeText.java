package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Every field of an exchange as text, so that two runs can be compared as a whole. */
final class ExchangeText {
    private ExchangeText() {
    }

    static String describe(Exchange exchange) {
        StringBuilder text = new StringBuilder();
        text.append("start=").append(exchange.startNanos()).append(" duration=").append(exchange.durationNanos())
                .append(" tid=").append(exchange.tid()).append(" role=").append(exchange.role())
                .append(" comm=").append(exchange.command()).append(" conn=").append(exchange.connection())
                .append(exchange.isHttp2() ? " stream=" + exchange.stream() : "")
                .append(exchange.grpc() != null ? " grpc=" + exchange.grpc() : "")
                .append('\n');
        HttpRequest request = exchange.request();
        if (request == null) {
            text.append("  request: none\n");
        } else {
            message(text, "request", request.method() + " " + request.target() + " " + request.version(),
                    request.headers(), request.trailers(), request.body());
        }
        HttpResponse response = exchange.response();
        if (response == null) {
            text.append("  response: none\n");
        } else {
            message(text, "response", response.version() + " " + response.status() + " " + response.reason(),
                    response.headers(), response.trailers(), response.body());
        }
        text.append("  notes: ").append(exchange.notes()).append('\n');
        return text.toString();
    }

    /** A request or a response the same way: its first line, then every header, trailer and the body. */
    private static void message(StringBuilder text, String kind, String firstLine, List<HttpHeader> headers,
            List<HttpHeader> trailers, Body body) {
        text.append("  ").append(kind).append(": ").append(firstLine).append('\n');
        headers(text, headers, trailers);
        body(text, body);
    }

    private static void headers(StringBuilder text, List<HttpHeader> headers, List<HttpHeader> trailers) {
        headers.forEach(h -> text.append("    ").append(h.name()).append(": ").append(h.value()).append('\n'));
        trailers.forEach(h -> text.append("    trailer ").append(h.name()).append(": ").append(h.value()).append('\n'));
    }

    private static void body(StringBuilder text, Body body) {
        text.append("    body size=").append(body.size()).append(" kept=").append(body.keptBytes())
                .append(" text=").append(body.text()).append(" decoded=").append(body.decodedFrom())
                .append(" truncated=").append(body.truncated()).append(" content=")
                .append(body.text() ? new String(body.content(), StandardCharsets.UTF_8)
                        : Base64.getEncoder().encodeToString(body.content()))
                .append('\n');
    }
}
