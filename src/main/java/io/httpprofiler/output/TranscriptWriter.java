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
import io.httpprofiler.http.SwarBytes;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

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
 * the wire are shown as {@code ?} so that captured bytes cannot drive the reader's terminal. Blocks are built as UTF-8
 * bytes; writing to an {@link OutputStream} skips the character round trip a {@link Writer} costs.
 */
public final class TranscriptWriter implements ExchangeWriter {
    public static final int DEFAULT_PREVIEW_BYTES = 2048;
    /** Bytes of a binary body shown in hex. */
    static final int HEX_PREVIEW_BYTES = 32;
    private static final String HEADER_INDENT = "     ";
    private static final String BODY_LINE_INDENT = "       ";
    private static final byte[] REQUEST_ARROW = "  → ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] RESPONSE_ARROW = "  ← ".getBytes(StandardCharsets.UTF_8);
    /** Before each line of a multi-line body. */
    private static final byte[] BODY_LINE_BREAK = ("\n" + BODY_LINE_INDENT).getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEADER_INDENT_BYTES = HEADER_INDENT.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRAILER_INDENT = (HEADER_INDENT + "Trailer ").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COLON_SPACE = {':', ' '};
    private static final byte[] MILLISECONDS = " ms".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SECONDS = " s".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ELLIPSIS = "…".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ANSWERED_WITH = " → ".getBytes(StandardCharsets.UTF_8);

    private final OutputStream bytesOut;
    private final Writer charsOut;
    private final Timestamps timestamps;
    private final int previewBytes;
    private final ConnectionTextCache connections = new ConnectionTextCache();
    private final Utf8Block block = new Utf8Block();
    /** Renders a connection's part of the summary line once for the cache. */
    private final Utf8Block connectionBlock = new Utf8Block();
    private final RenderedNames names = new RenderedNames(name -> {
        Utf8Block rendering = new Utf8Block();
        rendering.safe(name);
        return Arrays.copyOf(rendering.array(), rendering.length());
    });

    /** UTF-8 to {@code out}, times in UTC, text bodies previewed up to {@value #DEFAULT_PREVIEW_BYTES} bytes. */
    public TranscriptWriter(OutputStream out) {
        this(out, ZoneOffset.UTC, DEFAULT_PREVIEW_BYTES);
    }

    public TranscriptWriter(OutputStream out, ZoneId zone, int previewBytes) {
        this(out, null, zone, previewBytes, null);
    }

    /**
     * As {@link #TranscriptWriter(OutputStream)}, with where each process runs on its header line (network namespace,
     * container, pod).
     */
    public TranscriptWriter(OutputStream out, IntFunction<ProcessOrigin> origins) {
        this(out, null, ZoneOffset.UTC, DEFAULT_PREVIEW_BYTES, origins);
    }

    /** Times in UTC, text bodies previewed up to {@value #DEFAULT_PREVIEW_BYTES} bytes. */
    public TranscriptWriter(Writer out) {
        this(out, ZoneOffset.UTC, DEFAULT_PREVIEW_BYTES);
    }

    public TranscriptWriter(Writer out, ZoneId zone, int previewBytes) {
        this(null, out, zone, previewBytes, null);
    }

    /** Where each process runs, or null to leave it off the header line. */
    private final IntFunction<ProcessOrigin> origins;

    private TranscriptWriter(OutputStream bytesOut, Writer charsOut, ZoneId zone, int previewBytes,
                             IntFunction<ProcessOrigin> origins) {
        this.origins = origins;
        this.bytesOut = bytesOut;
        this.charsOut = charsOut;
        this.timestamps = new Timestamps(zone);
        this.previewBytes = previewBytes;
    }

    @Override
    public void write(Exchange exchange) throws IOException {
        block.clear();
        appendBlock(exchange);
        writeBlock();
    }

    /** What the block holds, to the output, flushed (the end of an exchange or of a progress report). */
    private void writeBlock() throws IOException {
        if (bytesOut != null) {
            bytesOut.write(block.array(), 0, block.length());
            bytesOut.flush();
        } else {
            charsOut.write(block.toString());
            charsOut.flush();
        }
    }

    /** The block for one exchange, blank line included, as {@link #write} would write it. */
    public String format(Exchange exchange) {
        block.clear();
        appendBlock(exchange);
        return block.toString();
    }

    private void appendBlock(Exchange exchange) {
        appendSummary(exchange);
        appendRequest(exchange);
        HttpResponse response = exchange.response();
        if (response == null) {
            block.raw(RESPONSE_ARROW).ascii("(no response)\n");
        } else {
            appendResponse(response, exchange);
        }
        appendNotes(exchange);
        block.ascii('\n');
    }

    /** The request line, headers, body and trailers (or that none was seen). */
    private void appendRequest(Exchange exchange) {
        HttpRequest request = exchange.request();
        if (request == null) {
            block.raw(REQUEST_ARROW).ascii("(no request)\n");
            return;
        }
        block.raw(REQUEST_ARROW).safe(request.method()).ascii(' ').safe(request.target()).ascii(' ')
                .safe(request.version()).ascii('\n');
        appendHeaders(request.headers(), HEADER_INDENT_BYTES);
        appendBody(request.body(), exchange.grpc(), true);
        appendHeaders(request.trailers(), TRAILER_INDENT);
    }

    private void appendResponse(HttpResponse response, Exchange exchange) {
        block.raw(RESPONSE_ARROW).safe(response.version()).ascii(' ').number(response.status());
        if (!response.reason().isEmpty()) {
            block.ascii(' ').safe(response.reason());
        }
        block.ascii('\n');
        appendHeaders(response.headers(), HEADER_INDENT_BYTES);
        appendBody(response.body(), exchange.grpc(), false);
        appendHeaders(response.trailers(), TRAILER_INDENT);
    }

    private void appendNotes(Exchange exchange) {
        for (String note : exchange.notes()) {
            block.ascii("  [").safe(note).ascii("]\n");
        }
    }

    /**
     * An exchange still in progress. Its first report is a block like an exchange's, with what is known so far (the
     * bodies as far as they got) and {@code in progress 2.00 s} where the duration goes; later reports are one line,
     * that header line with what the exchange has carried so far. The block written when the exchange ends notes
     * {@code completes in-progress report from ...}.
     * <pre>
     * [2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 &lt;- 127.0.0.1:51234 fd 7  in progress 2.00 s
     *   → GET /events HTTP/1.1
     *      Host: localhost:8080
     *   ← HTTP/1.1 200 OK
     *      Content-Type: text/event-stream
     *      Body (120 bytes): data: 1 ...
     *   [in progress at 11:30:02.125 (11 events so far): written in full when it ends]
     *
     * [2026-11-22 11:30:00.123] PID 1234 (node) server 127.0.0.1:8080 &lt;- 127.0.0.1:51234 fd 7  in progress 4.00 s: GET /events → 200, response body 240 bytes (22 events) so far
     * </pre>
     */
    public void writeProgress(ExchangeProgress progress) throws IOException {
        block.clear();
        appendProgress(progress);
        writeBlock();
    }

    /** The text {@link #writeProgress} would write, blank line included. */
    public String formatProgress(ExchangeProgress progress) {
        block.clear();
        appendProgress(progress);
        return block.toString();
    }

    private void appendProgress(ExchangeProgress progress) {
        Exchange exchange = progress.exchange();
        block.ascii('[').localMillis(timestamps, exchange.startNanos()).raw(connectionSummary(exchange));
        if (exchange.isHttp2()) {
            block.ascii("  HTTP/2 stream ").number(exchange.stream());
        }
        block.ascii("  in progress ");
        appendDuration(progress.openNanos());
        if (!progress.first()) {
            block.ascii(": ");
            appendProgressSoFar(progress);
            block.ascii("\n\n");
            return;
        }
        block.ascii('\n');
        appendRequest(exchange);
        HttpResponse response = exchange.response();
        if (response == null) {
            block.raw(RESPONSE_ARROW).ascii("(waiting for response, ");
            appendDuration(progress.openNanos());
            block.ascii(")\n");
        } else {
            appendResponse(response, exchange);
        }
        appendNotes(exchange);
        block.ascii("  [in progress at ");
        appendTimeOfDay(progress.atNanos());
        if (progress.events() >= 0) {
            block.ascii(" (").number(progress.events()).ascii(progress.events() == 1 ? " event" : " events")
                    .ascii(" so far)");
        }
        block.ascii(": written in full when it ends]\n\n");
    }

    /**
     * {@code GET /events → 200, response body 2468 bytes (24 events) so far}, {@code GET /slow, waiting for response}:
     * what a later report adds to what the first one showed.
     */
    private void appendProgressSoFar(ExchangeProgress progress) {
        Exchange exchange = progress.exchange();
        HttpRequest request = exchange.request();
        HttpResponse response = exchange.response();
        if (request == null) {
            block.ascii("(request not seen)");
        } else {
            block.safe(request.method()).ascii(' ').safe(request.target());
        }
        if (response != null) {
            block.raw(ANSWERED_WITH).number(response.status());
        }
        if (request != null && request.body().size() > 0) {
            block.ascii(", request body ").number(request.body().size()).ascii(" bytes");
            appendMessagesSoFar(exchange.grpc(), true);
            block.ascii(" so far");
        }
        if (response == null) {
            block.ascii(", waiting for response");
        } else {
            block.ascii(", response body ").number(response.body().size()).ascii(" bytes");
            appendMessagesSoFar(exchange.grpc(), false);
            if (progress.events() >= 0) {
                block.ascii(" (").number(progress.events()).ascii(progress.events() == 1 ? " event)" : " events)");
            }
            block.ascii(" so far");
        }
    }

    /** {@code  (24 messages)} for a gRPC body. */
    private void appendMessagesSoFar(GrpcCall grpc, boolean request) {
        if (grpc != null && grpc.messageCount(request) >= 0) {
            long count = grpc.messageCount(request);
            block.ascii(" (").number(count).ascii(count == 1 ? " message)" : " messages)");
        }
    }

    /** {@code 11:30:02.125}: the header line's timestamp without the date. */
    private void appendTimeOfDay(long epochNanos) {
        byte[] text = new byte[Timestamps.MAX_LENGTH];
        int end = timestamps.localMillis(epochNanos, text, 0);
        int time = end;
        while (time > 0 && text[time - 1] != ' ') {
            time--;
        }
        block.raw(Arrays.copyOfRange(text, time, end));
    }

    private void appendSummary(Exchange exchange) {
        block.ascii('[').localMillis(timestamps, exchange.startNanos()).raw(connectionSummary(exchange));
        if (exchange.isHttp2()) {
            block.ascii("  HTTP/2 stream ").number(exchange.stream());
        }
        GrpcCall grpc = exchange.grpc();
        if (grpc != null && grpc.status() >= 0) {
            block.ascii("  grpc-status ").number(grpc.status());
            if (grpc.message() != null && !grpc.message().isEmpty()) {
                block.ascii(" \"").safe(grpc.message()).ascii('"');
            }
        }
        long duration = exchange.durationNanos();
        if (duration >= 0) {
            block.ascii("  ");
            appendDuration(duration);
        }
        block.ascii('\n');
    }

    /**
     * {@code ] PID 1234 (nginx) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7} (then {@code  TLS} when read from a TLS
     * library): the same for every exchange of a
     * connection, so rendered once per connection.
     */
    private byte[] connectionSummary(Exchange exchange) {
        byte[] summary = connections.get(exchange);
        if (summary == null) {
            connectionBlock.clear();
            connectionBlock.ascii("] PID ").number(exchange.pid()).ascii(" (")
                    .safe(exchange.command() == null ? "?" : exchange.command()).ascii(") ")
                    .ascii(exchange.role().label()).ascii(' ');
            connectionBlock.safe(orUnknown(Addresses.format(exchange.local())));
            connectionBlock.ascii(switch (exchange.role()) {
                case SERVER -> " <- ";
                case CLIENT -> " -> ";
                case UNKNOWN -> " <-> ";
            });
            connectionBlock.safe(orUnknown(Addresses.format(exchange.remote()))).ascii(" fd ").number(exchange.fd());
            if (exchange.tlsLibrary() != null) {
                connectionBlock.ascii("  TLS");
            }
            if (origins != null) {
                appendOrigin(origins.apply(exchange.pid()));
            }
            summary = Arrays.copyOf(connectionBlock.array(), connectionBlock.length());
            connections.put(exchange, summary);
        }
        return summary;
    }

    /** {@code  netns 4026531840 container docker:0123456789ab pod shop/cart-7d9f}: what is known of it. */
    private void appendOrigin(ProcessOrigin origin) {
        if (origin.netnsInode() != 0) {
            connectionBlock.ascii(" netns ").number(origin.netnsInode());
        }
        if (origin.containerId() != null) {
            connectionBlock.ascii(" container ").safe(origin.containerRuntime()).ascii(':')
                    .safe(origin.shortContainerId());
        }
        if (origin.podName() != null) {
            connectionBlock.ascii(" pod ").safe(origin.podNamespace()).ascii('/').safe(origin.podName());
        } else if (origin.podUid() != null) {
            connectionBlock.ascii(" pod ").safe(origin.podUid());
        }
    }

    /** 0.153 ms, 12.3 ms, 1.53 s: three significant digits where it matters. */
    private void appendDuration(long nanos) {
        long micros = nanos / 1000;
        if (micros < 1000) {
            block.ascii("0.").ascii((char) ('0' + micros / 100)).ascii((char) ('0' + micros / 10 % 10))
                    .ascii((char) ('0' + micros % 10)).raw(MILLISECONDS);
        } else if (micros < 1_000_000) {
            long tenths = (micros + 50) / 100;
            block.number(tenths / 10).ascii('.').ascii((char) ('0' + tenths % 10)).raw(MILLISECONDS);
        } else {
            long hundredths = (micros + 5000) / 10_000;
            block.number(hundredths / 100).ascii('.').ascii((char) ('0' + hundredths / 10 % 10))
                    .ascii((char) ('0' + hundredths % 10)).raw(SECONDS);
        }
    }

    private void appendHeaders(List<HttpHeader> headers, byte[] indent) {
        if (headers instanceof HeaderFields fields) {
            appendFields(fields, indent);
            return;
        }
        for (int i = 0; i < headers.size(); i++) {
            HttpHeader header = headers.get(i);
            block.raw(indent);
            byte[] name = names.get(header.name());
            if (name != null) {
                block.raw(name);
            } else {
                block.safe(header.name());
            }
            block.raw(COLON_SPACE).safe(header.value()).ascii('\n');
        }
    }

    /** Parsed fields, from their bytes: ASCII is shown the same from a byte as from the char it is. */
    private void appendFields(HeaderFields fields, byte[] indent) {
        byte[] text = fields.text();
        boolean ascii = fields.isAscii();
        for (int i = 0; i < fields.size(); i++) {
            block.raw(indent);
            int shared = fields.sharedName(i);
            if (shared >= 0) {
                block.raw(names.get(shared));
            } else if (ascii) {
                block.safe(text, fields.nameStart(i), fields.nameEnd(i));
            } else {
                block.safe(fields.name(i));
            }
            block.raw(COLON_SPACE);
            if (ascii) {
                block.safe(text, fields.valueStart(i), fields.valueEnd(i));
            } else {
                block.safe(fields.value(i));
            }
            block.ascii('\n');
        }
    }

    private void appendBody(Body body, GrpcCall grpc, boolean request) {
        if (body.size() == 0) {
            return;
        }
        if (grpc != null) {
            appendGrpcBody(body, grpc.messages(request), grpc.messageCount(request));
            return;
        }
        block.ascii(HEADER_INDENT).ascii("Body (").number(body.size()).ascii(" bytes");
        if (body.keptBytes() < body.size()) {
            block.ascii(", ").number(body.keptBytes()).ascii(" kept");
        }
        byte[] content = body.content();
        if (body.decodedFrom() != null) {
            block.ascii(", ").safe(body.decodedFrom()).ascii(" decoded to ").number(content.length);
            if (body.truncated()) {
                block.ascii('+');
            }
        }
        if (!body.text()) {
            block.ascii(", binary)");
            if (content.length > 0) {
                block.ascii(':');
                appendHex(content);
            }
            block.ascii('\n');
            return;
        }
        block.ascii("):");
        int shown = textPrefixLength(content, previewBytes);
        // The line break that ends the text's last line is where the transcript's line ends anyway: shown as a break
        // it would leave a line of bare indentation (or turn a one-line body into two). The byte count still has it.
        int linesEnd = endOfLastLine(content, shown);
        boolean singleLine = SwarBytes.indexOf(content, 0, linesEnd, (byte) '\n') < 0;
        if (!singleLine) {
            block.safeLines(content, 0, linesEnd, BODY_LINE_BREAK);
        } else if (linesEnd > 0) { // (a body of just a line break shows nothing)
            block.ascii(' ').safe(content, 0, linesEnd);
        }
        if (shown < content.length) {
            if (singleLine) {
                block.ascii(' ');
            } else {
                block.ascii('\n').ascii(BODY_LINE_INDENT);
            }
            block.raw(ELLIPSIS).ascii(" (").number(content.length - shown).ascii(" more bytes)");
        }
        block.ascii('\n');
    }

    /**
     * A gRPC body as its messages: {@code Body (26 bytes, gRPC: 2 messages)}, then one line per message kept whole,
     * its protobuf fields decoded without a schema.
     */
    private void appendGrpcBody(Body body, List<GrpcMessage> messages, long count) {
        block.ascii(HEADER_INDENT).ascii("Body (").number(body.size()).ascii(" bytes, gRPC: ");
        if (count >= 0) {
            block.number(count).ascii(count == 1 ? " message)" : " messages)");
        } else {
            block.ascii("message count unknown after missing bytes)");
        }
        block.ascii('\n');
        for (int i = 0; i < messages.size(); i++) {
            GrpcMessage message = messages.get(i);
            block.ascii(BODY_LINE_INDENT).ascii("message ").number(i + 1).ascii(" (").number(message.size())
                    .ascii(" bytes");
            if (message.compressed()) {
                block.ascii(", compressed)\n");
            } else if (message.fields() == null) {
                block.ascii(", not protobuf)\n");
            } else {
                block.ascii("):");
                if (!message.fields().isEmpty()) {
                    block.ascii(' ').safe(message.fields());
                }
                block.ascii('\n');
            }
        }
        if (count > messages.size()) {
            block.ascii(BODY_LINE_INDENT).raw(ELLIPSIS).ascii(' ').number(count - messages.size())
                    .ascii(" more not kept (--max-body)\n");
        }
    }

    private void appendHex(byte[] content) {
        int shown = Math.min(content.length, HEX_PREVIEW_BYTES);
        for (int i = 0; i < shown; i++) {
            block.ascii(' ').hex(content[i] & 0xff);
        }
        if (shown < content.length) {
            block.ascii(' ').raw(ELLIPSIS);
        }
    }

    /** Where the text's lines end: before a final LF or CR LF of the first {@code length} bytes. */
    private static int endOfLastLine(byte[] content, int length) {
        int end = length;
        if (end > 0 && content[end - 1] == '\n') {
            end--;
            if (end > 0 && content[end - 1] == '\r') {
                end--;
            }
        }
        return end;
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

    private static String orUnknown(String text) {
        return text == null ? "?" : text;
    }

    @Override
    public void flush() throws IOException {
        if (bytesOut != null) {
            bytesOut.flush();
        } else {
            charsOut.flush();
        }
    }

    @Override
    public void close() throws IOException {
        if (bytesOut != null) {
            bytesOut.close();
        } else {
            charsOut.close();
        }
    }
}
