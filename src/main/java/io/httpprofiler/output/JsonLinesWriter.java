package io.httpprofiler.output;

import io.httpprofiler.capture.ProcessOrigin;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeProgress;
import io.httpprofiler.http.GrpcCall;
import io.httpprofiler.http.GrpcMessage;
import io.httpprofiler.http.HeaderFields;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.IntFunction;

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
 * content coding undone for display ({@code gzip}, {@code deflate}) or is null.
 *
 * <p>The record has a fixed shape, so it is written straight into a reusable buffer ({@link JsonLine}) rather than
 * through a generator: with Jackson's streaming generator writing the same bytes, the writer managed 1/3 to 1/2 of this
 * one's exchanges per second on real traffic, 3/4 on awkward text (JsonLinesBenchmark; README, "Measured"). The bytes are those Jackson's generator
 * wrote (GoldenOutputTest, JsonLineTest, JacksonJsonLinesWriterTest), base64 included: Jackson's default variant is
 * RFC 4648's, padded, without line breaks, which is what {@link Base64#getEncoder()} writes.
 */
public final class JsonLinesWriter implements ExchangeWriter {
    // Members as they appear, opening quote to colon, encoded once; all but the first of an object carry the comma.
    private static final byte[] TIME = name("{", "time");
    private static final byte[] DURATION_MS = name(",", "duration_ms");
    private static final byte[] PID = name(",", "pid");
    private static final byte[] TID = name(",", "tid");
    private static final byte[] COMM = name(",", "comm");
    private static final byte[] FD = name(",", "fd");
    private static final byte[] ROLE = name(",", "role");
    private static final byte[] LOCAL = name(",", "local");
    private static final byte[] REMOTE = name(",", "remote");
    private static final byte[] TLS_LIBRARY = ascii(",\"tls\":{\"library\":");
    private static final byte[] REQUEST = name(",", "request");
    private static final byte[] RESPONSE = name(",", "response");
    private static final byte[] NOTES = name(",", "notes");
    private static final byte[] STREAM = name(",", "stream");
    private static final byte[] GRPC = name(",", "grpc");
    private static final byte[] GRPC_STATUS = name("{", "status");
    private static final byte[] GRPC_MESSAGE = name(",", "message");
    private static final byte[] GRPC_MESSAGES = name(",", "messages");
    private static final byte[] GRPC_DIRECTION = name("{", "direction");
    private static final byte[] GRPC_SIZE = name(",", "size");
    private static final byte[] GRPC_COMPRESSED = name(",", "compressed");
    private static final byte[] GRPC_FIELDS = name(",", "fields");
    private static final byte[] GRPC_REQUEST_COUNT = name(",", "request_messages");
    private static final byte[] GRPC_RESPONSE_COUNT = name(",", "response_messages");
    private static final byte[] ORIGIN = name(",", "origin");
    private static final byte[] NETNS = name("{", "netns");
    private static final byte[] CGROUP = name(",", "cgroup");
    private static final byte[] CONTAINER_ID = name(",", "container_id");
    private static final byte[] CONTAINER_RUNTIME = name(",", "container_runtime");
    private static final byte[] POD_UID = name(",", "pod_uid");
    private static final byte[] POD_NAMESPACE = name(",", "pod_namespace");
    private static final byte[] POD = name(",", "pod");
    private static final byte[] METHOD = name("{", "method");
    private static final byte[] TARGET = name(",", "target");
    private static final byte[] FIRST_VERSION = name("{", "version");
    private static final byte[] VERSION = name(",", "version");
    private static final byte[] STATUS = name(",", "status");
    private static final byte[] REASON = name(",", "reason");
    private static final byte[] HEADERS = name(",", "headers");
    private static final byte[] TRAILERS = name(",", "trailers");
    private static final byte[] BODY_SIZE = name(",", "body_size");
    private static final byte[] BODY = name(",", "body");
    private static final byte[] TEXT_ENCODING = ascii(",\"body_encoding\":\"text\"");
    private static final byte[] BASE64_ENCODING = ascii(",\"body_encoding\":\"base64\"");
    private static final byte[] BODY_TRUNCATED = name(",", "body_truncated");
    private static final byte[] BODY_DECODED = name(",", "body_decoded");
    private static final byte[] PARTIAL = ascii(",\"partial\":true");
    private static final byte[] PROGRESS_REPORT = ascii(",\"progress\":{\"report\":");
    private static final byte[] PROGRESS_AT = name(",", "at");
    private static final byte[] PROGRESS_OPEN_MS = name(",", "open_ms");
    private static final byte[] PROGRESS_EVENTS = name(",", "events");
    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private final OutputStream out;
    private final Timestamps timestamps = new Timestamps(ZoneOffset.UTC);
    private final ConnectionTextCache connections = new ConnectionTextCache();
    private final JsonLine line = new JsonLine();
    /** Renders a connection's constant members once for the cache. */
    private final JsonLine connectionLine = new JsonLine();
    private final RenderedNames names = new RenderedNames(name -> {
        JsonLine rendering = new JsonLine();
        rendering.string(name);
        return Arrays.copyOf(rendering.array(), rendering.length());
    });

    /** Where each process runs, or null to leave {@code origin} out. */
    private final IntFunction<ProcessOrigin> origins;

    public JsonLinesWriter(OutputStream out) throws IOException {
        this(out, null);
    }

    /** @param origins where each process runs (container, pod, network namespace), for {@code origin}; or null */
    public JsonLinesWriter(OutputStream out, IntFunction<ProcessOrigin> origins) throws IOException {
        this.out = out;
        this.origins = origins;
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        appendRecord(exchange);
        line.raw('}').raw('\n');
        out.write(line.array(), 0, line.length());
        out.flush();
    }

    /**
     * A report of an exchange still in progress ({@code --json-progress}): the record {@link #write} writes for an
     * exchange, with what is known so far ({@code duration_ms} is the time open so far, or null while waiting for the
     * response, as {@code response} is), then {@code "partial":true,"progress":{"report":2,
     * "at":"2026-11-22T11:30:04.125000Z","open_ms":4001.234,"events":24}}: the report's number, its time, how long
     * the exchange had been open then, and the Server-Sent Events its response carried so far (null when it is not an
     * event stream, or when that is unknown). Its {@code time}, {@code pid}, {@code fd} and {@code stream} are those of
     * the exchange's final record.
     */
    public void writeProgress(ExchangeProgress progress) throws IOException {
        appendRecord(progress.exchange());
        line.raw(PARTIAL).raw(PROGRESS_REPORT).number(progress.report());
        line.raw(PROGRESS_AT).raw('"').isoUtcMicros(timestamps, progress.atNanos()).raw('"');
        line.raw(PROGRESS_OPEN_MS);
        millisWithMicros(progress.openNanos());
        line.raw(PROGRESS_EVENTS);
        if (progress.events() >= 0) {
            line.number(progress.events());
        } else {
            line.nullValue();
        }
        line.raw('}');
        line.raw('}').raw('\n');
        out.write(line.array(), 0, line.length());
        out.flush();
    }

    /** The record's members, without its closing brace, into {@link #line}. */
    private void appendRecord(Exchange exchange) {
        line.clear();
        line.raw(TIME).raw('"').isoUtcMicros(timestamps, exchange.startNanos()).raw('"');
        line.raw(DURATION_MS);
        long duration = exchange.durationNanos();
        if (duration >= 0) {
            millisWithMicros(duration);
        } else {
            line.nullValue();
        }
        line.raw(PID).number(exchange.pid());
        line.raw(TID).number(exchange.tid());
        line.raw(connectionMembers(exchange));
        if (exchange.isHttp2()) {
            line.raw(STREAM).number(exchange.stream());
        }
        writeRequest(exchange.request());
        writeResponse(exchange.response());
        if (exchange.grpc() != null) {
            writeGrpc(exchange.grpc());
        }
        line.raw(NOTES).raw('[');
        List<String> notes = exchange.notes();
        for (int i = 0; i < notes.size(); i++) {
            if (i > 0) {
                line.comma();
            }
            line.string(notes.get(i));
        }
        line.raw(']');
    }

    /** comm, fd, role, local and remote: the same for every exchange of a connection, so rendered once per connection. */
    private byte[] connectionMembers(Exchange exchange) {
        byte[] members = connections.get(exchange);
        if (members == null) {
            connectionLine.clear();
            connectionLine.raw(COMM).string(exchange.command());
            connectionLine.raw(FD).number(exchange.fd());
            connectionLine.raw(ROLE).string(exchange.role().label());
            connectionLine.raw(LOCAL).string(Addresses.format(exchange.local()));
            connectionLine.raw(REMOTE).string(Addresses.format(exchange.remote()));
            if (exchange.tlsLibrary() != null) { // plain TCP leaves the member out
                connectionLine.raw(TLS_LIBRARY).string(exchange.tlsLibrary()).raw('}');
            }
            if (origins != null) {
                writeOrigin(origins.apply(exchange.pid()));
            }
            members = Arrays.copyOf(connectionLine.array(), connectionLine.length());
            connections.put(exchange, members);
        }
        return members;
    }

    /** Read once per connection (the members are cached), from a per-process cache; null when nothing is known. */
    private void writeOrigin(ProcessOrigin origin) {
        connectionLine.raw(ORIGIN);
        if (origin == ProcessOrigin.UNKNOWN) {
            connectionLine.nullValue(); // the process was gone before /proc could be read
            return;
        }
        connectionLine.raw(NETNS);
        if (origin.netnsInode() == 0) { // /proc/PID/ns/net not readable (no CAP_SYS_PTRACE beside another's process)
            connectionLine.nullValue();
        } else {
            connectionLine.number(origin.netnsInode());
        }
        connectionLine.raw(CGROUP).string(origin.cgroup());
        connectionLine.raw(CONTAINER_ID).string(origin.containerId());
        connectionLine.raw(CONTAINER_RUNTIME).string(origin.containerRuntime());
        connectionLine.raw(POD_UID).string(origin.podUid());
        connectionLine.raw(POD_NAMESPACE).string(origin.podNamespace());
        connectionLine.raw(POD).string(origin.podName()).raw('}');
    }

    /** {@code 1.234} for 1234567 ns: exact to the microsecond, with no binary floating point detour. */
    private void millisWithMicros(long nanos) {
        long micros = nanos / 1000;
        line.number(micros / 1000).raw('.');
        long fraction = micros % 1000;
        line.raw((char) ('0' + fraction / 100)).raw((char) ('0' + fraction / 10 % 10)).raw((char) ('0' + fraction % 10));
    }

    private void writeRequest(HttpRequest request) {
        line.raw(REQUEST);
        if (request == null) {
            line.nullValue();
            return;
        }
        line.raw(METHOD).string(request.method());
        line.raw(TARGET).string(request.target());
        line.raw(VERSION).string(request.version());
        writeHeaders(HEADERS, request.headers());
        writeHeaders(TRAILERS, request.trailers());
        writeBody(request.body());
        line.raw('}');
    }

    private void writeResponse(HttpResponse response) {
        line.raw(RESPONSE);
        if (response == null) {
            line.nullValue();
            return;
        }
        line.raw(FIRST_VERSION).string(response.version());
        line.raw(STATUS).number(response.status());
        line.raw(REASON).string(response.reason());
        writeHeaders(HEADERS, response.headers());
        writeHeaders(TRAILERS, response.trailers());
        writeBody(response.body());
        line.raw('}');
    }

    /**
     * {@code "grpc":{"status":0,"message":null,"messages":[{"direction":"request","size":7,"compressed":false,
     * "fields":"1: \"alice\""}],"request_messages":1,"response_messages":1}}: status null when no grpc-status was
     * seen, message counts -1 when missing bytes hid the framing, fields null when not decoded.
     */
    private void writeGrpc(GrpcCall grpc) {
        line.raw(GRPC).raw(GRPC_STATUS);
        if (grpc.status() >= 0) {
            line.number(grpc.status());
        } else {
            line.nullValue();
        }
        line.raw(GRPC_MESSAGE).string(grpc.message());
        line.raw(GRPC_MESSAGES).raw('[');
        boolean first = true;
        for (boolean request : new boolean[] {true, false}) {
            for (GrpcMessage message : grpc.messages(request)) {
                if (!first) {
                    line.comma();
                }
                first = false;
                line.raw(GRPC_DIRECTION).string(request ? "request" : "response");
                line.raw(GRPC_SIZE).number(message.size());
                line.raw(GRPC_COMPRESSED).bool(message.compressed());
                line.raw(GRPC_FIELDS).string(message.fields());
                line.raw('}');
            }
        }
        line.raw(']');
        line.raw(GRPC_REQUEST_COUNT).number(grpc.requestMessageCount());
        line.raw(GRPC_RESPONSE_COUNT).number(grpc.responseMessageCount());
        line.raw('}');
    }

    private void writeHeaders(byte[] field, List<HttpHeader> headers) {
        line.raw(field).raw('[');
        if (headers instanceof HeaderFields fields) {
            writeFields(fields);
        } else {
            for (int i = 0; i < headers.size(); i++) {
                HttpHeader header = headers.get(i);
                if (i > 0) {
                    line.comma();
                }
                line.raw('[');
                byte[] name = names.get(header.name());
                if (name != null) {
                    line.raw(name);
                } else {
                    line.string(header.name());
                }
                line.comma().string(header.value()).raw(']');
            }
        }
        line.raw(']');
    }

    /** Parsed fields, from their bytes: ASCII escapes the same from a byte as from the char it is. */
    private void writeFields(HeaderFields fields) {
        byte[] text = fields.text();
        boolean ascii = fields.isAscii();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                line.comma();
            }
            line.raw('[');
            int shared = fields.sharedName(i);
            if (shared >= 0) {
                line.raw(names.get(shared));
            } else if (ascii) {
                line.utf8String(text, fields.nameStart(i), fields.nameEnd(i));
            } else {
                line.string(fields.name(i));
            }
            line.comma();
            if (ascii) {
                line.utf8String(text, fields.valueStart(i), fields.valueEnd(i));
            } else {
                line.string(fields.value(i));
            }
            line.raw(']');
        }
    }

    private void writeBody(Body body) {
        line.raw(BODY_SIZE).number(body.size());
        line.raw(BODY);
        byte[] content = body.content();
        if (body.text()) {
            line.utf8String(content, 0, content.length);
            line.raw(TEXT_ENCODING);
        } else {
            line.raw('"').raw(BASE64.encode(content)).raw('"');
            line.raw(BASE64_ENCODING);
        }
        line.raw(BODY_TRUNCATED).bool(body.truncated());
        line.raw(BODY_DECODED).string(body.decodedFrom());
    }

    private static byte[] name(String before, String name) {
        return ascii(before + "\"" + name + "\":");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** Closes the stream under it. */
    @Override
    public void close() throws IOException {
        out.close();
    }
}
