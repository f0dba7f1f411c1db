package io.httpprofiler.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HeaderFields;
import io.httpprofiler.http.HeaderNames;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link JsonLinesWriter}'s output written with Jackson's streaming {@link JsonGenerator} instead of the hand-made
 * {@link JsonLine}: the same bytes (JacksonJsonLinesWriterTest), for JsonLinesBenchmark to compare the two. It is built
 * like JsonLinesWriter and gives Jackson its fastest paths: one generator for the stream, field names and shared header
 * names pre-encoded ({@link SerializedString}), header bytes and text bodies through
 * {@link JsonGenerator#writeUTF8String} (no String made of them), the timestamp through
 * {@link JsonGenerator#writeRawUTF8String}, a connection's strings made once, base64 by {@link JsonGenerator#writeBinary}.
 */
public final class JacksonJsonLinesWriter implements ExchangeWriter {
    private static final JsonFactory FACTORY = new JsonFactory().setRootValueSeparator(null);
    private static final SerializedString TIME = new SerializedString("time");
    private static final SerializedString DURATION_MS = new SerializedString("duration_ms");
    private static final SerializedString PID = new SerializedString("pid");
    private static final SerializedString TID = new SerializedString("tid");
    private static final SerializedString COMM = new SerializedString("comm");
    private static final SerializedString FD = new SerializedString("fd");
    private static final SerializedString ROLE = new SerializedString("role");
    private static final SerializedString LOCAL = new SerializedString("local");
    private static final SerializedString REMOTE = new SerializedString("remote");
    private static final SerializedString REQUEST = new SerializedString("request");
    private static final SerializedString RESPONSE = new SerializedString("response");
    private static final SerializedString NOTES = new SerializedString("notes");
    private static final SerializedString METHOD = new SerializedString("method");
    private static final SerializedString TARGET = new SerializedString("target");
    private static final SerializedString VERSION = new SerializedString("version");
    private static final SerializedString STATUS = new SerializedString("status");
    private static final SerializedString REASON = new SerializedString("reason");
    private static final SerializedString HEADERS = new SerializedString("headers");
    private static final SerializedString TRAILERS = new SerializedString("trailers");
    private static final SerializedString BODY_SIZE = new SerializedString("body_size");
    private static final SerializedString BODY = new SerializedString("body");
    private static final SerializedString BODY_ENCODING = new SerializedString("body_encoding");
    private static final SerializedString TEXT = new SerializedString("text");
    private static final SerializedString BASE64 = new SerializedString("base64");
    private static final SerializedString BODY_TRUNCATED = new SerializedString("body_truncated");
    private static final SerializedString BODY_DECODED = new SerializedString("body_decoded");
    private static final SerializedString[] SHARED_NAMES = HeaderNames.SHARED.stream().map(SerializedString::new)
            .toArray(SerializedString[]::new);
    /** Connections whose strings are kept, at most (then forgotten all at once). */
    private static final int CACHED_CONNECTIONS = 4096;

    private final JsonGenerator json;
    private final Timestamps timestamps = new Timestamps(ZoneOffset.UTC);
    private final byte[] time = new byte[Timestamps.MAX_LENGTH];
    /** comm, role, local, remote of a connection. */
    private final Map<ConnectionId, String[]> connections = new HashMap<>();

    public JacksonJsonLinesWriter(OutputStream out) throws IOException {
        this.json = FACTORY.createGenerator(out, JsonEncoding.UTF8);
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        json.writeStartObject();
        json.writeFieldName(TIME);
        json.writeRawUTF8String(time, 0, timestamps.isoUtcMicros(exchange.startNanos(), time, 0));
        long duration = exchange.durationNanos();
        json.writeFieldName(DURATION_MS);
        if (duration >= 0) {
            json.writeNumber(BigDecimal.valueOf(duration / 1000, 3)); // milliseconds, to the microsecond
        } else {
            json.writeNull();
        }
        json.writeFieldName(PID);
        json.writeNumber(exchange.pid());
        json.writeFieldName(TID);
        json.writeNumber(exchange.tid());
        String[] connection = connectionStrings(exchange);
        json.writeFieldName(COMM);
        json.writeString(connection[0]);
        json.writeFieldName(FD);
        json.writeNumber(exchange.fd());
        json.writeFieldName(ROLE);
        json.writeString(connection[1]);
        json.writeFieldName(LOCAL);
        json.writeString(connection[2]);
        json.writeFieldName(REMOTE);
        json.writeString(connection[3]);
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

    /** comm, role, local and remote are the same for every exchange of a connection: made once per connection. */
    private String[] connectionStrings(Exchange exchange) {
        String[] strings = connections.get(exchange.connection());
        if (strings == null) {
            if (connections.size() >= CACHED_CONNECTIONS) {
                connections.clear();
            }
            strings = new String[]{exchange.command(), exchange.role().label(), Addresses.format(exchange.local()),
                    Addresses.format(exchange.remote())};
            connections.put(exchange.connection(), strings);
        }
        return strings;
    }

    private void writeRequest(HttpRequest request) throws IOException {
        json.writeFieldName(REQUEST);
        if (request == null) {
            json.writeNull();
            return;
        }
        json.writeStartObject();
        json.writeFieldName(METHOD);
        json.writeString(request.method());
        json.writeFieldName(TARGET);
        json.writeString(request.target());
        json.writeFieldName(VERSION);
        json.writeString(request.version());
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
        json.writeFieldName(VERSION);
        json.writeString(response.version());
        json.writeFieldName(STATUS);
        json.writeNumber(response.status());
        json.writeFieldName(REASON);
        json.writeString(response.reason());
        writeHeaders(HEADERS, response.headers());
        writeHeaders(TRAILERS, response.trailers());
        writeBody(response.body());
        json.writeEndObject();
    }

    private void writeHeaders(SerializedString field, List<HttpHeader> headers) throws IOException {
        json.writeFieldName(field);
        json.writeStartArray();
        if (headers instanceof HeaderFields fields && fields.isAscii()) {
            byte[] text = fields.text();
            for (int i = 0; i < fields.size(); i++) {
                json.writeStartArray();
                int shared = fields.sharedName(i);
                if (shared >= 0) {
                    json.writeString(SHARED_NAMES[shared]);
                } else {
                    json.writeUTF8String(text, fields.nameStart(i), fields.nameEnd(i) - fields.nameStart(i));
                }
                json.writeUTF8String(text, fields.valueStart(i), fields.valueEnd(i) - fields.valueStart(i));
                json.writeEndArray();
            }
        } else {
            for (HttpHeader header : headers) {
                json.writeStartArray();
                json.writeString(header.name());
                json.writeString(header.value());
                json.writeEndArray();
            }
        }
        json.writeEndArray();
    }

    private void writeBody(Body body) throws IOException {
        json.writeFieldName(BODY_SIZE);
        json.writeNumber(body.size());
        json.writeFieldName(BODY);
        byte[] content = body.content();
        boolean text = body.text();
        if (text) {
            json.writeUTF8String(content, 0, content.length);
        } else {
            json.writeBinary(content);
        }
        json.writeFieldName(BODY_ENCODING);
        json.writeString(text ? TEXT : BASE64);
        json.writeFieldName(BODY_TRUNCATED);
        json.writeBoolean(body.truncated());
        json.writeFieldName(BODY_DECODED);
        json.writeString(body.decodedFrom());
    }

    @Override
    public void flush() throws IOException {
        json.flush();
    }

    @Override
    public void close() throws IOException {
        json.close();
    }
}
