package io.httpprofiler.output;

import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

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

    private final OutputStream out;
    private final JsonDocument json = new JsonDocument();

    public HarWriter(OutputStream out) {
        this.out = out;
    }

    /** The document around the entries, naming this profiler (and its version) as the creator. */
    public static RotatingFileOutput.Framing framing(String version) {
        JsonDocument creator = new JsonDocument().string(version);
        String header = "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"http-profiler\",\"version\":"
                + new String(creator.bytes(), StandardCharsets.UTF_8) + "},\"entries\":[\n";
        return new RotatingFileOutput.Framing(header.getBytes(StandardCharsets.UTF_8), ascii(",\n"), ascii("\n]}}\n"));
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        json.clear();
        writeEntry(json, exchange);
        out.write(json.bytes());
        out.flush();
    }

    private static void writeEntry(JsonDocument json, Exchange exchange) {
        HttpRequest request = exchange.request();
        HttpResponse response = exchange.response();
        double millis = exchange.durationNanos() < 0 ? 0 : exchange.durationNanos() / 1e6;
        json.startObject();
        json.name("startedDateTime").string(TIME.format(Instant.ofEpochSecond(0, exchange.startNanos())));
        json.name("time").number(millis);
        writeRequest(json, request, exchange);
        writeResponse(json, response);
        json.name("cache").startObject();
        json.endObject();
        json.name("timings").startObject();
        json.name("send").number(0);
        json.name("wait").number(millis);
        json.name("receive").number(0);
        json.endObject();
        InetSocketAddress server = server(exchange);
        if (server != null) {
            json.name("serverIPAddress").string(server.getAddress().getHostAddress());
        }
        json.name("connection").string(exchange.pid() + "/" + exchange.fd());
        if (!exchange.notes().isEmpty()) {
            json.name("comment").string(String.join("; ", exchange.notes()));
        }
        json.name("_pid").number(exchange.pid());
        json.name("_comm").string(exchange.command());
        json.name("_role").string(exchange.role().label());
        json.name("_local").string(Addresses.format(exchange.local()));
        json.name("_remote").string(Addresses.format(exchange.remote()));
        json.endObject();
    }

    private static void writeRequest(JsonDocument json, HttpRequest request, Exchange exchange) {
        json.name("request").startObject();
        if (request == null) {
            json.name("method").string("");
            json.name("url").string("");
            json.name("httpVersion").string("");
            json.name("cookies").startArray();
            json.endArray();
            writeHeaders(json, List.of());
            json.name("queryString").startArray();
            json.endArray();
            json.name("headersSize").number(-1);
            json.name("bodySize").number(-1);
            json.name("comment").string("request not seen");
            json.endObject();
            return;
        }
        json.name("method").string(request.method());
        json.name("url").string(url(request, exchange));
        json.name("httpVersion").string(request.version());
        json.name("cookies").startArray();
        for (HttpHeader header : request.headers()) {
            if (header.name().equalsIgnoreCase("cookie")) {
                for (String pair : header.value().split(";")) {
                    writeCookie(json, pair);
                }
            }
        }
        json.endArray();
        writeHeaders(json, request.headers());
        json.name("queryString").startArray();
        int question = request.target().indexOf('?');
        if (question >= 0) {
            writeParams(json, request.target().substring(question + 1));
        }
        json.endArray();
        Body body = request.body();
        if (body.size() > 0) {
            String mimeType = headerValue(request.headers(), "content-type");
            json.name("postData").startObject();
            json.name("mimeType").string(mimeType == null ? "" : mimeType);
            json.name("text").string(body.text() ? utf8(body.content()) : base64(body.content()));
            if (body.text() && mimeType != null
                    && mimeType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                json.name("params").startArray();
                writeParams(json, utf8(body.content()));
                json.endArray();
            }
            if (!body.text()) {
                json.name("_encoding").string("base64");
            }
            if (body.truncated()) {
                json.name("comment").string(truncation(body));
            }
            json.endObject();
        }
        json.name("headersSize").number(-1);
        json.name("bodySize").number(body.size());
        json.endObject();
    }

    private static void writeResponse(JsonDocument json, HttpResponse response) {
        json.name("response").startObject();
        if (response == null) {
            // What browsers write for a request that got no answer.
            json.name("status").number(0);
            json.name("statusText").string("");
            json.name("httpVersion").string("");
            json.name("cookies").startArray();
            json.endArray();
            writeHeaders(json, List.of());
            json.name("content").startObject();
            json.name("size").number(0);
            json.name("mimeType").string("");
            json.endObject();
            json.name("redirectURL").string("");
            json.name("headersSize").number(-1);
            json.name("bodySize").number(-1);
            json.name("comment").string("response not seen");
            json.endObject();
            return;
        }
        json.name("status").number(response.status());
        json.name("statusText").string(response.reason());
        json.name("httpVersion").string(response.version());
        json.name("cookies").startArray();
        for (HttpHeader header : response.headers()) {
            if (header.name().equalsIgnoreCase("set-cookie")) {
                writeCookie(json, header.value().split(";", 2)[0]);
            }
        }
        json.endArray();
        writeHeaders(json, response.headers());
        Body body = response.body();
        String mimeType = headerValue(response.headers(), "content-type");
        json.name("content").startObject();
        long shownSize = body.decodedFrom() != null ? body.content().length : body.size();
        json.name("size").number(shownSize);
        if (body.decodedFrom() != null) {
            json.name("compression").number(shownSize - body.size());
        }
        json.name("mimeType").string(mimeType == null ? "" : mimeType);
        if (body.content().length > 0) {
            json.name("text").string(body.text() ? utf8(body.content()) : base64(body.content()));
            if (!body.text()) {
                json.name("encoding").string("base64");
            }
        }
        if (body.truncated()) {
            json.name("comment").string(truncation(body));
        }
        json.endObject();
        String location = headerValue(response.headers(), "location");
        json.name("redirectURL").string(location == null ? "" : location);
        json.name("headersSize").number(-1);
        json.name("bodySize").number(body.size());
        json.endObject();
    }

    private static String truncation(Body body) {
        return "truncated: " + body.keptBytes() + " of " + body.size() + " bytes kept";
    }

    private static void writeHeaders(JsonDocument json, List<HttpHeader> headers) {
        json.name("headers").startArray();
        for (HttpHeader header : headers) {
            json.startObject();
            json.name("name").string(header.name());
            json.name("value").string(header.value());
            json.endObject();
        }
        json.endArray();
    }

    private static void writeCookie(JsonDocument json, String pair) {
        String trimmed = pair.strip();
        if (trimmed.isEmpty()) {
            return;
        }
        int equals = trimmed.indexOf('=');
        json.startObject();
        json.name("name").string(equals < 0 ? "" : trimmed.substring(0, equals));
        json.name("value").string(equals < 0 ? trimmed : trimmed.substring(equals + 1));
        json.endObject();
    }

    /** {@code a=1&b=2} as HAR's name/value objects, percent-decoded where that works. */
    private static void writeParams(JsonDocument json, String text) {
        int hash = text.indexOf('#');
        for (String pair : (hash < 0 ? text : text.substring(0, hash)).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            json.startObject();
            json.name("name").string(decode(equals < 0 ? pair : pair.substring(0, equals)));
            json.name("value").string(equals < 0 ? "" : decode(pair.substring(equals + 1)));
            json.endObject();
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
