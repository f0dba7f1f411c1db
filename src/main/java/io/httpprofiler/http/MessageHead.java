package io.httpprofiler.http;

import java.util.List;

/**
 * A parsed start line and header block, with what the headers say about the body's framing. The request fields are null
 * for a response, and {@code status} is -1 for a request.
 *
 * @param contentLength   the Content-Length, or -1 when absent
 * @param chunked         Transfer-Encoding ends with {@code chunked}
 * @param transferCoded   a Transfer-Encoding header is present (chunked or not)
 * @param contentEncoding the Content-Encoding, lower case, or null
 * @param upgrade         the Upgrade header's value, or null
 */
record MessageHead(String method, String target, String version, int status, String reason, List<HttpHeader> headers,
                   long contentLength, boolean chunked, boolean transferCoded, String contentEncoding, String upgrade) {

    MessageHead withoutHeaders() {
        return new MessageHead(method, target, version, status, reason, List.of(), contentLength, chunked, transferCoded,
                contentEncoding, upgrade);
    }

    boolean isRequest() {
        return method != null;
    }

    /** An informational response after which the final response is still to come (every 1xx but 101). */
    boolean isInterim() {
        return status >= 100 && status < 200 && status != 101;
    }

    boolean isConnect() {
        return "CONNECT".equals(method);
    }

    boolean isHead() {
        return "HEAD".equals(method);
    }

    /** A request after which the connection may stop speaking HTTP/1.x, depending on the response. */
    boolean mayChangeProtocol() {
        return upgrade != null || isConnect();
    }
}
