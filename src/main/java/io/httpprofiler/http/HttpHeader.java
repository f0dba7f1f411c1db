package io.httpprofiler.http;

/** One header (or trailer) line as sent: name spelled as on the wire, value without surrounding whitespace. */
public record HttpHeader(String name, String value) {
}
