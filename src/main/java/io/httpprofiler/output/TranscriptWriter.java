package io.httpprofiler.output;

import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.ExchangeSink;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;

import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The human-readable transcript: one block per exchange, followed by a blank line, each written and flushed at once.
 * <pre>
 * [2026-11-22 11:30:00.123] PID 1234 (nginx) server 127.0.0.1:8080 &lt;- 127.0.0.1:51234 fd 7  1.2 ms
 *   → GET /users?id=1 HTTP/1.1
 *      Host: localhost:8080
 *   ← HTTP/1.1 200 OK
 *      Content-Length: 27
 *      Body (27 bytes): [{"id":1,"name":"alice"}]
 *   [capture gap]
 * </pre>
 * A server's block reads {@code local <- remote} (the peer called in), a client's {@code local -> remote}. Text bodies
 * show their first {@code previewBytes} bytes, binary bodies their size and first bytes in hex. Control characters from
 * the wire are shown as {@code ?} so that captured bytes cannot drive the reader's terminal.
 */
public final class TranscriptWriter implements ExchangeSink, Flushable, Closeable {
    public static final int DEFAULT_PREVIEW_BYTES = 2048;
    /** Bytes of a binary body shown in hex. */
    static final int HEX_PREVIEW_BYTES = 32;
    private static final String HEADER_INDENT = "     ";
    private static final String BODY_LINE_INDENT = "       ";

    private final Writer out;
    private final Timestamps timestamps;
    private final int previewBytes;
    private final Addresses addresses = new Addresses();
    private final StringBuilder block = new StringBuilder(1024);

    /** Times in UTC, text bodies previewed up to {@value #DEFAULT_PREVIEW_BYTES} bytes. */
    public TranscriptWriter(Writer out) {
        this(out, ZoneOffset.UTC, DEFAULT_PREVIEW_BYTES);
    }

    public TranscriptWriter(Writer out, ZoneId zone, int previewBytes) {
        this.out = out;
        this.timestamps = new Timestamps(zone);
        this.previewBytes = previewBytes;
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
        block.setLength(0);
        appendBlock(exchange);
        out.append(block);
        out.flush();
    }

    /** The block for one exchange, blank line included, as {@link #write} would write it. */
    public String format(Exchange exchange) {
        block.setLength(0);
        appendBlock(exchange);
        return block.toString();
    }

    private void appendBlock(Exchange exchange) {
        appendSummary(exchange);
        HttpRequest request = exchange.request();
        if (request == null) {
            block.append("  → (no request)\n");
        } else {
            block.append("  → ");
            appendSafe(request.method()).append(' ');
            appendSafe(request.target()).append(' ');
            appendSafe(request.version()).append('\n');
            appendHeaders(request.headers(), "");
            appendBody(request.body());
            appendHeaders(request.trailers(), "Trailer ");
        }
        HttpResponse response = exchange.response();
        if (response == null) {
            block.append("  ← (no response)\n");
        } else {
            block.append("  ← ");
            appendSafe(response.version()).append(' ').append(response.status());
            if (!response.reason().isEmpty()) {
                block.append(' ');
                appendSafe(response.reason());
            }
            block.append('\n');
            appendHeaders(response.headers(), "");
            appendBody(response.body());
            appendHeaders(response.trailers(), "Trailer ");
        }
        for (String note : exchange.notes()) {
            block.append("  [");
            appendSafe(note).append("]\n");
        }
        block.append('\n');
    }

    private void appendSummary(Exchange exchange) {
        block.append('[');
        timestamps.appendLocalMillis(block, exchange.startNanos());
        block.append("] PID ").append(exchange.pid()).append(" (");
        appendSafe(exchange.command() == null ? "?" : exchange.command()).append(") ");
        block.append(exchange.role().label()).append(' ');
        block.append(orUnknown(addresses.local(exchange.local())));
        block.append(switch (exchange.role()) {
            case SERVER -> " <- ";
            case CLIENT -> " -> ";
            case UNKNOWN -> " <-> ";
        });
        block.append(orUnknown(addresses.remote(exchange.remote())));
        block.append(" fd ").append(exchange.fd());
        long duration = exchange.durationNanos();
        if (duration >= 0) {
            block.append("  ");
            appendDuration(duration);
        }
        block.append('\n');
    }

    /** 0.153 ms, 12.3 ms, 1.53 s: three significant digits where it matters. */
    private void appendDuration(long nanos) {
        long micros = nanos / 1000;
        if (micros < 1000) {
            block.append("0.").append((char) ('0' + micros / 100)).append((char) ('0' + micros / 10 % 10))
                    .append((char) ('0' + micros % 10)).append(" ms");
        } else if (micros < 1_000_000) {
            long tenths = (micros + 50) / 100;
            block.append(tenths / 10).append('.').append(tenths % 10).append(" ms");
        } else {
            long hundredths = (micros + 5000) / 10_000;
            block.append(hundredths / 100).append('.').append((char) ('0' + hundredths / 10 % 10))
                    .append((char) ('0' + hundredths % 10)).append(" s");
        }
    }

    private void appendHeaders(List<HttpHeader> headers, String prefix) {
        for (HttpHeader header : headers) {
            block.append(HEADER_INDENT).append(prefix);
            appendSafe(header.name()).append(": ");
            appendSafe(header.value()).append('\n');
        }
    }

    private void appendBody(Body body) {
        if (body.size() == 0) {
            return;
        }
        block.append(HEADER_INDENT).append("Body (").append(body.size()).append(" bytes");
        if (body.keptBytes() < body.size()) {
            block.append(", ").append(body.keptBytes()).append(" kept");
        }
        if (body.decodedFrom() != null) {
            block.append(", ").append(body.decodedFrom()).append(" decoded to ").append(body.content().length);
            if (body.truncated()) {
                block.append('+');
            }
        }
        byte[] content = body.content();
        if (!body.text()) {
            block.append(", binary)");
            if (content.length > 0) {
                block.append(':');
                appendHex(content);
            }
            block.append('\n');
            return;
        }
        block.append("):");
        int shown = textPrefixLength(content, previewBytes);
        String text = new String(content, 0, shown, StandardCharsets.UTF_8);
        boolean singleLine = text.indexOf('\n') < 0;
        if (singleLine) {
            block.append(' ');
            appendSafe(text, 0, text.length());
        } else {
            for (int lineStart = 0; lineStart <= text.length(); ) {
                int lineFeed = text.indexOf('\n', lineStart);
                int lineEnd = lineFeed < 0 ? text.length() : lineFeed;
                block.append('\n').append(BODY_LINE_INDENT);
                appendSafe(text, lineStart, lineEnd > lineStart && text.charAt(lineEnd - 1) == '\r' ? lineEnd - 1 : lineEnd);
                lineStart = lineEnd + 1;
            }
        }
        if (shown < content.length) {
            block.append(singleLine ? " " : "\n" + BODY_LINE_INDENT).append("… (")
                    .append(content.length - shown).append(" more bytes)");
        }
        block.append('\n');
    }

    private void appendHex(byte[] content) {
        int shown = Math.min(content.length, HEX_PREVIEW_BYTES);
        for (int i = 0; i < shown; i++) {
            int b = content[i] & 0xff;
            block.append(' ').append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        if (shown < content.length) {
            block.append(" …");
        }
    }

    /** The longest prefix of at most {@code limit} bytes that does not cut a UTF-8 character in half. */
    private static int textPrefixLength(byte[] content, int limit) {
        if (content.length <= limit) {
            return content.length;
        }
        int end = limit;
        while (end > 0 && (content[end] & 0xc0) == 0x80) {
            end--;
        }
        return end;
    }

    private StringBuilder appendSafe(String text) {
        return appendSafe(text, 0, text.length());
    }

    /** Appends {@code text[from, to)}, controls (but tab) as {@code ?}; in bulk when there are none, as is usual. */
    private StringBuilder appendSafe(String text, int from, int to) {
        int clean = from;
        while (clean < to && !isControl(text.charAt(clean))) {
            clean++;
        }
        block.append(text, from, clean);
        for (int i = clean; i < to; i++) {
            char c = text.charAt(i);
            block.append(isControl(c) ? '?' : c);
        }
        return block;
    }

    private static boolean isControl(char c) {
        return c < 0x20 && c != '\t' || c == 0x7f;
    }

    private static String orUnknown(String text) {
        return text == null ? "?" : text;
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
