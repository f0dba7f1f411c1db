package io.httpprofiler.http;

import java.util.List;

/** A final (non-interim) response as seen on the wire. {@code reason} may be empty. */
public record HttpResponse(String version, int status, String reason, List<HttpHeader> headers,
                           List<HttpHeader> trailers, Body body) {
}
