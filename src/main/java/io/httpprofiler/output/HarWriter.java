package io.httpprofiler.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * HAR 1.2 (the HTTP Archive format browsers' devtools, Insomnia, Charles, k6 and OpenAPI generators read): one entry per
 * exchange, one per line. The entries are the blocks of a {@link RotatingFileOutput} with {@link #framing}, which writes
 * the {@code {"log":{...,"entries":[} around them: the file is a complete HAR once closed (at exit, SIGINT and SIGTERM
 * included) and so is every rotated file.
 *
 * <p>What HAR wants and the capture does not know is left at HAR's "unknown": {@code headersSize} -1. The timings hold
 * the whole exchange, request's first byte to response's last, in {@code wait} ({@code send} and {@code receive} 0).
 * The URL's host comes from {@code Host}, else from the server's address; the scheme is http. Text bodies are text,
 * binary ones base64 ({@code content.encoding}; for a request body, which HAR gives no encoding field, {@code
 * postData._encoding}). Notes go to the entry's {@code comment}; pid, command, role and addresses to {@code _pid},
 * {@code _comm}, {@code _role}, {@code _local}, {@code _remote}.
 */
public final class HarWriter implements ExchangeWriter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();

    private final OutputStream out;
    private final ByteArrayOutputStream entry = new ByteArrayOutputStream(4096);

    public HarWriter(OutputStream out) {
        this.out = out;
    }

    /** The document around the entries, naming this profiler (and its version) as the creator. */
    public static RotatingFileOutput.Framing framing(String version) {
        String quoted = new String(JsonStringEncoder.getInstance().quoteAsString(version));
        String header = "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"http-profiler\",\"version\":\""
                + quoted + "\"},\"entries\":[\n";
        return new RotatingFileOutput.Framing(header.getBytes(StandardCharsets.UTF_8), ascii(",\n"), ascii("\n]}}\n"));
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        entry.reset();
        try (JsonGenerator json = JSON.createGenerator(entry, JsonEncoding.UTF8)) {
            writeEntry(json, exchange);
        }
        out.write(entry.toByteArray());
        out.flush();
    }

    private static void writeEntry(JsonGenerator json, Exchange exchange) throws IOException {
        HttpRequest request = exchange.request();
        HttpResponse response = exchange.response();
        double millis = exchange.durationNanos() < 0 ? 0 : exchange.durationNanos() / 1e6;
        json.writeStartObject();
        json.writeStringField("startedDateTime", TIME.format(Instant.ofEpochSecond(0, exchange.startNanos())));
        json.writeNumberField("time", millis);
        writeRequest(json, request, exchange);
        writeResponse(json, response);
        json.writeObjectFieldStart("cache");
        json.writeEndObject();
        json.writeObjectFieldStart("timings");
        json.writeNumberField("send", 0);
        json.writeNumberField("wait", millis);
        json.writeNumberField("receive", 0);
        json.writeEndObject();
        InetSocketAddress server = server(exchange);
        if (server != null) {
            json.writeStringField("serverIPAddress", server.getAddress().getHostAddress());
        }
        json.writeStringField("connection", exchange.pid() + "/" + exchange.fd());
        if (!exchange.notes().isEmpty()) {
            json.writeStringField("comment", String.join("; ", exchange.notes()));
        }
        json.writeNumberField("_pid", exchange.pid());
        json.writeStringField("_comm", exchange.command());
        json.writeStringField("_role", exchange.role().label());
        json.writeStringField("_local", Addresses.format(exchange.local()));
        json.writeStringField("_remote", Addresses.format(exchange.remote()));
        json.writeEndObject();
    }

    private static void writeRequest(JsonGenerator json, HttpRequest request, Exchange exchange) throws IOException {
        json.writeObjectFieldStart("request");
        if (request == null) {
            json.writeStringField("method", "");
            json.writeStringField("url", "");
            json.writeStringField("httpVersion", "");
            json.writeArrayFieldStart("cookies");
            json.writeEndArray();
            writeHeaders(json, List.of());
            json.writeArrayFieldStart("queryString");
            json.writeEndArray();
            json.writeNumberField("headersSize", -1);
            json.writeNumberField("bodySize", -1);
            json.writeStringField("comment", "request not seen");
            json.writeEndObject();
            return;
        }
        json.writeStringField("method", request.method());
        json.writeStringField("url", url(request, exchange));
        json.writeStringField("httpVersion", request.version());
        json.writeArrayFieldStart("cookies");
        for (HttpHeader header : request.headers()) {
            if (header.name().equalsIgnoreCase("cookie")) {
                for (String pair : header.value().split(";")) {
                    writeCookie(json, pair);
                }
            }
        }
        json.writeEndArray();
        writeHeaders(json, request.headers());
        json.writeArrayFieldStart("queryString");
        int question = request.target().indexOf('?');
        if (question >= 0) {
            writeParams(json, request.target().substring(question + 1));
        }
        json.writeEndArray();
        Body body = request.body();
        if (body.size() > 0) {
            String mimeType = headerValue(request.headers(), "content-type");
            json.writeObjectFieldStart("postData");
            json.writeStringField("mimeType", mimeType == null ? "" : mimeType);
            json.writeStringField("text", body.text() ? utf8(body.content()) : base64(body.content()));
            if (body.text() && mimeType != null
                    && mimeType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                json.writeArrayFieldStart("params");
                writeParams(json, utf8(body.content()));
                json.writeEndArray();
            }
            if (!body.text()) {
                json.writeStringField("_encoding", "base64");
            }
            if (body.truncated()) {
                json.writeStringField("comment", truncation(body));
            }
            json.writeEndObject();
        }
        json.writeNumberField("headersSize", -1);
        json.writeNumberField("bodySize", body.size());
        json.writeEndObject();
    }

    private static void writeResponse(JsonGenerator json, HttpResponse response) throws IOException {
        json.writeObjectFieldStart("response");
        if (response == null) {
            // What browsers write for a request that got no answer.
            json.writeNumberField("status", 0);
            json.writeStringField("statusText", "");
            json.writeStringField("httpVersion", "");
            json.writeArrayFieldStart("cookies");
            json.writeEndArray();
            writeHeaders(json, List.of());
            json.writeObjectFieldStart("content");
            json.writeNumberField("size", 0);
            json.writeStringField("mimeType", "");
            json.writeEndObject();
            json.writeStringField("redirectURL", "");
            json.writeNumberField("headersSize", -1);
            json.writeNumberField("bodySize", -1);
            json.writeStringField("comment", "response not seen");
            json.writeEndObject();
            return;
        }
        json.writeNumberField("status", response.status());
        json.writeStringField("statusText", response.reason());
        json.writeStringField("httpVersion", response.version());
        json.writeArrayFieldStart("cookies");
        for (HttpHeader header : response.headers()) {
            if (header.name().equalsIgnoreCase("set-cookie")) {
                writeCookie(json, header.value().split(";", 2)[0]);
            }
        }
        json.writeEndArray();
        writeHeaders(json, response.headers());
        Body body = response.body();
        String mimeType = headerValue(response.headers(), "content-type");
        json.writeObjectFieldStart("content");
        long shownSize = body.decodedFrom() != null ? body.content().length : body.size();
        json.writeNumberField("size", shownSize);
        if (body.decodedFrom() != null) {
            json.writeNumberField("compression", shownSize - body.size());
        }
        json.writeStringField("mimeType", mimeType == null ? "" : mimeType);
        if (body.content().length > 0) {
            json.writeStringField("text", body.text() ? utf8(body.content()) : base64(body.content()));
            if (!body.text()) {
                json.writeStringField("encoding", "base64");
            }
        }
        if (body.truncated()) {
            json.writeStringField("comment", truncation(body));
        }
        json.writeEndObject();
        String location = headerValue(response.headers(), "location");
        json.writeStringField("redirectURL", location == null ? "" : location);
        json.writeNumberField("headersSize", -1);
        json.writeNumberField("bodySize", body.size());
        json.writeEndObject();
    }

    private static String truncation(Body body) {
        return "truncated: " + body.keptBytes() + " of " + body.size() + " bytes kept";
    }

    private static void writeHeaders(JsonGenerator json, List<HttpHeader> headers) throws IOException {
        json.writeArrayFieldStart("headers");
        for (HttpHeader header : headers) {
            json.writeStartObject();
            json.writeStringField("name", header.name());
            json.writeStringField("value", header.value());
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    private static void writeCookie(JsonGenerator json, String pair) throws IOException {
        String trimmed = pair.strip();
        if (trimmed.isEmpty()) {
            return;
        }
        int equals = trimmed.indexOf('=');
        json.writeStartObject();
        json.writeStringField("name", equals < 0 ? "" : trimmed.substring(0, equals));
        json.writeStringField("value", equals < 0 ? trimmed : trimmed.substring(equals + 1));
        json.writeEndObject();
    }

    /** {@code a=1&b=2} as HAR's name/value objects, percent-decoded where that works. */
    private static void writeParams(JsonGenerator json, String text) throws IOException {
        int hash = text.indexOf('#');
        for (String pair : (hash < 0 ? text : text.substring(0, hash)).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            json.writeStartObject();
            json.writeStringField("name", decode(equals < 0 ? pair : pair.substring(0, equals)));
            json.writeStringField("value", equals < 0 ? "" : decode(pair.substring(equals + 1)));
            json.writeEndObject();
        }
    }

    /** An absolute URL: the target if it is one, else http:// + Host (or the server's address) + the target. */
    static String url(HttpRequest request, Exchange exchange) {
        String target = request.target();
        int scheme = target.indexOf("://");
        if (scheme > 0 && (target.regionMatches(true, 0, "http", 0, 4))) {
            int pathStart = target.indexOf('/', scheme + 3);
            return pathStart < 0 ? escape(target, true)
                    : escape(target.substring(0, pathStart), true) + escape(target.substring(pathStart), false);
        }
        String host = headerValue(request.headers(), "host");
        if (host == null) {
            host = headerValue(request.headers(), ":authority");
        }
        if (host == null || host.isBlank()) {
            InetSocketAddress server = server(exchange);
            host = server == null ? "unknown" : Addresses.format(server);
        }
        String path = target.startsWith("/") ? target : "/" + (target.equals("*") ? "" : target);
        return "http://" + escape(host.strip(), true) + escape(path, false);
    }

    /**
     * Percent-encodes what may not stand in a URL as it is: spaces, the brackets of a redaction note, non-ASCII, a
     * {@code %} that starts no escape. The brackets of an IPv6 host stay ({@code hostPart}).
     */
    static String escape(String text, boolean hostPart) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean allowed = b > 0x20 && b < 0x7f && "\"<>\\^`{|} ".indexOf(b) < 0
                    && (hostPart || b != '[' && b != ']')
                    && (b != '%' || i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2]));
            if (allowed) {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 15, 16)));
            }
        }
        return out.toString();
    }

    private static boolean isHex(byte b) {
        return Character.digit(b, 16) >= 0;
    }

    /** The server's end: where the request went. */
    private static InetSocketAddress server(Exchange exchange) {
        InetSocketAddress server = switch (exchange.role()) {
            case SERVER -> exchange.local();
            case CLIENT -> exchange.remote();
            case UNKNOWN -> null;
        };
        return server == null || server.getAddress() == null ? null : server;
    }

    private static String headerValue(List<HttpHeader> headers, String name) {
        for (HttpHeader header : headers) {
            if (header.name().equalsIgnoreCase(name)) {
                return header.value();
            }
        }
        return null;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return text;
        }
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
