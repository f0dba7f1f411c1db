package io.httpprofiler.http;

import java.util.List;

/** A final (non-interim) response as seen on the wire. {@code reason} may be empty. */
public record HttpResponse(String version, int status, String reason, List<HttpHeader> headers,
                           List<HttpHeader> trailers, Body body) {
    /** The same response with these parts replaced (e.g. with secrets redacted). */
    public HttpResponse withParts(List<HttpHeader> headers, List<HttpHeader> trailers, Body body) {
        return new HttpResponse(version, status, reason, headers, trailers, body);
    }
}
