package io.httpprofiler.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.util.List;

/**
 * JSON Lines, one object per exchange, each line written and flushed at once. The fields, in this order:
 * <pre>
 * time (ISO-8601 UTC, microseconds), duration_ms (null without response), pid, tid, comm, fd, role, local, remote,
 * request {method, target, version, headers, trailers, body_size, body, body_encoding, body_truncated, body_decoded},
 * response {version, status, reason, headers, trailers, body_size, body, body_encoding, body_truncated, body_decoded},
 * notes
 * </pre>
 * {@code request} or {@code response} is null when not seen; headers and trailers are {@code [name, value]} pairs in
 * wire order; {@code body_encoding} is {@code text} (UTF-8 string) or {@code base64}; {@code body_decoded} names the
 * content coding undone for display ({@code gzip}, {@code deflate}) or is null. Streaming generator, no object mapping.
 */
public final class JsonLinesWriter implements ExchangeSink, Flushable, Closeable {
    private final JsonGenerator json;
    private final Timestamps timestamps = new Timestamps(ZoneOffset.UTC);
    private final Addresses addresses = new Addresses();
    private final StringBuilder time = new StringBuilder(32);

    public JsonLinesWriter(OutputStream out) throws IOException {
        this.json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        json.setRootValueSeparator(null);
    }

    @Override
    public void accept(Exchange exchange) {
        try {
            write(exchange);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(Exchange exchange) throws IOException {
        json.writeStartObject();
        time.setLength(0);
        timestamps.appendIsoUtcMicros(time, exchange.startNanos());
        json.writeStringField("time", time.toString());
        long duration = exchange.durationNanos();
        json.writeFieldName("duration_ms");
        if (duration >= 0) {
            json.writeNumber(millisWithMicros(duration));
        } else {
            json.writeNull();
        }
        json.writeNumberField("pid", exchange.pid());
        json.writeNumberField("tid", exchange.tid());
        json.writeStringField("comm", exchange.command());
        json.writeNumberField("fd", exchange.fd());
        json.writeStringField("role", exchange.role().label());
        json.writeStringField("local", addresses.local(exchange.local()));
        json.writeStringField("remote", addresses.remote(exchange.remote()));
        writeRequest(exchange.request());
        writeResponse(exchange.response());
        json.writeArrayFieldStart("notes");
        for (String note : exchange.notes()) {
            json.writeString(note);
        }
        json.writeEndArray();
        json.writeEndObject();
        json.writeRaw('\n');
        json.flush();
    }

    /** {@code 1.234} for 1234567 ns: exact to the microsecond, with no binary floating point detour. */
    private String millisWithMicros(long nanos) {
        long micros = nanos / 1000;
        time.setLength(0);
        time.append(micros / 1000).append('.');
        long fraction = micros % 1000;
        time.append((char) ('0' + fraction / 100)).append((char) ('0' + fraction / 10 % 10))
                .append((char) ('0' + fraction % 10));
        return time.toString();
    }

    private void writeRequest(HttpRequest request) throws IOException {
        json.writeFieldName("request");
        if (request == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        json.writeStringField("method", request.method());
        json.writeStringField("target", request.target());
        json.writeStringField("version", request.version());
        writeHeaders("headers", request.headers());
        writeHeaders("trailers", request.trailers());
        writeBody(request.body());
        json.writeEndObject();
    }

    private void writeResponse(HttpResponse response) throws IOException {
        json.writeFieldName("response");
        if (response == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        json.writeStringField("version", response.version());
        json.writeNumberField("status", response.status());
        json.writeStringField("reason", response.reason());
        writeHeaders("headers", response.headers());
        writeHeaders("trailers", response.trailers());
        writeBody(response.body());
        json.writeEndObject();
    }

    private void writeHeaders(String field, List<HttpHeader> headers) throws IOException {
        json.writeArrayFieldStart(field);
        for (HttpHeader header : headers) {
            json.writeStartArray();
            json.writeString(header.name());
            json.writeString(header.value());
            json.writeEndArray();
        }
        json.writeEndArray();
    }

    private void writeBody(Body body) throws IOException {
        json.writeNumberField("body_size", body.size());
        json.writeFieldName("body");
        byte[] content = body.content();
        if (body.text()) {
            json.writeUTF8String(content, 0, content.length);
        } else {
            json.writeBinary(content);
        }
        json.writeStringField("body_encoding", body.text() ? "text" : "base64");
        json.writeBooleanField("body_truncated", body.truncated());
        json.writeStringField("body_decoded", body.decodedFrom());
    }

    @Override
    public void flush() throws IOException {
        json.flush();
    }

    /** Closes the generator and the stream under it. */
    @Override
    public void close() throws IOException {
        json.close();
    }
}
