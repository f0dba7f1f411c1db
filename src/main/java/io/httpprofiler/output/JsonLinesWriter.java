package io.httpprofiler.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.IOException;
import java.io.OutputStream;
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
public final class JsonLinesWriter implements ExchangeWriter {
    // Field names and fixed values, encoded once rather than on every exchange.
    private static final SerializableString TIME = new SerializedString("time");
    private static final SerializableString DURATION_MS = new SerializedString("duration_ms");
    private static final SerializableString PID = new SerializedString("pid");
    private static final SerializableString TID = new SerializedString("tid");
    private static final SerializableString COMM = new SerializedString("comm");
    private static final SerializableString FD = new SerializedString("fd");
    private static final SerializableString ROLE = new SerializedString("role");
    private static final SerializableString LOCAL = new SerializedString("local");
    private static final SerializableString REMOTE = new SerializedString("remote");
    private static final SerializableString REQUEST = new SerializedString("request");
    private static final SerializableString RESPONSE = new SerializedString("response");
    private static final SerializableString NOTES = new SerializedString("notes");
    private static final SerializableString METHOD = new SerializedString("method");
    private static final SerializableString TARGET = new SerializedString("target");
    private static final SerializableString VERSION = new SerializedString("version");
    private static final SerializableString STATUS = new SerializedString("status");
    private static final SerializableString REASON = new SerializedString("reason");
    private static final SerializableString HEADERS = new SerializedString("headers");
    private static final SerializableString TRAILERS = new SerializedString("trailers");
    private static final SerializableString BODY_SIZE = new SerializedString("body_size");
    private static final SerializableString BODY = new SerializedString("body");
    private static final SerializableString BODY_ENCODING = new SerializedString("body_encoding");
    private static final SerializableString BODY_TRUNCATED = new SerializedString("body_truncated");
    private static final SerializableString BODY_DECODED = new SerializedString("body_decoded");
    private static final SerializableString TEXT = new SerializedString("text");
    private static final SerializableString BASE64 = new SerializedString("base64");

    private final JsonGenerator json;
    private final Timestamps timestamps = new Timestamps(ZoneOffset.UTC);
    private final Addresses addresses = new Addresses();
    private final StringBuilder time = new StringBuilder(32);

    public JsonLinesWriter(OutputStream out) throws IOException {
        this.json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8);
        json.setRootValueSeparator(null);
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        json.writeStartObject();
        time.setLength(0);
        timestamps.appendIsoUtcMicros(time, exchange.startNanos());
        string(TIME, time.toString());
        json.writeFieldName(DURATION_MS);
        long duration = exchange.durationNanos();
        if (duration >= 0) {
            json.writeNumber(millisWithMicros(duration));
        } else {
            json.writeNull();
        }
        number(PID, exchange.pid());
        number(TID, exchange.tid());
        string(COMM, exchange.command());
        number(FD, exchange.fd());
        string(ROLE, exchange.role().label());
        string(LOCAL, addresses.local(exchange.local()));
        string(REMOTE, addresses.remote(exchange.remote()));
        writeRequest(exchange.request());
        writeResponse(exchange.response());
        json.writeFieldName(NOTES);
        json.writeStartArray();
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
        json.writeFieldName(REQUEST);
        if (request == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        string(METHOD, request.method());
        string(TARGET, request.target());
        string(VERSION, request.version());
        writeHeaders(HEADERS, request.headers());
        writeHeaders(TRAILERS, request.trailers());
        writeBody(request.body());
        json.writeEndObject();
    }

    private void writeResponse(HttpResponse response) throws IOException {
        json.writeFieldName(RESPONSE);
        if (response == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        string(VERSION, response.version());
        number(STATUS, response.status());
        string(REASON, response.reason());
        writeHeaders(HEADERS, response.headers());
        writeHeaders(TRAILERS, response.trailers());
        writeBody(response.body());
        json.writeEndObject();
    }

    private void writeHeaders(SerializableString field, List<HttpHeader> headers) throws IOException {
        json.writeFieldName(field);
        json.writeStartArray();
        for (HttpHeader header : headers) {
            json.writeStartArray();
            json.writeString(header.name());
            json.writeString(header.value());
            json.writeEndArray();
        }
        json.writeEndArray();
    }

    private void writeBody(Body body) throws IOException {
        number(BODY_SIZE, body.size());
        json.writeFieldName(BODY);
        byte[] content = body.content();
        if (body.text()) {
            json.writeUTF8String(content, 0, content.length);
        } else {
            json.writeBinary(content);
        }
        json.writeFieldName(BODY_ENCODING);
        json.writeString(body.text() ? TEXT : BASE64);
        json.writeFieldName(BODY_TRUNCATED);
        json.writeBoolean(body.truncated());
        string(BODY_DECODED, body.decodedFrom());
    }

    /** A string field; null writes JSON null. */
    private void string(SerializableString field, String value) throws IOException {
        json.writeFieldName(field);
        json.writeString(value);
    }

    private void number(SerializableString field, long value) throws IOException {
        json.writeFieldName(field);
        json.writeNumber(value);
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
