package io.httpprofiler.http;

import java.util.List;

/** A request as seen on the wire. Headers and trailers keep their order and duplicates. */
public record HttpRequest(String method, String target, String version, List<HttpHeader> headers,
                          List<HttpHeader> trailers, Body body) {
    /** The same request with these parts replaced (e.g. with secrets redacted). */
    public HttpRequest withParts(String target, List<HttpHeader> headers, List<HttpHeader> trailers, Body body) {
        return new HttpRequest(method, target, version, headers, trailers, body);
    }
}
