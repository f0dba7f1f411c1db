package io.httpprofiler.e2e;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Just enough of an HTTP/1.1 client to read responses off a raw socket (for pipelining and exact header control). */
final class RawHttp {
    private RawHttp() {
    }

    /** A response as read: its head (status line and headers, without the blank line) and its de-chunked body. */
    record Response(String head, byte[] body) {
        int status() {
            return Integer.parseInt(head.split(" ", 3)[1]);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Reads one response by Content-Length or chunked coding; {@code noBody} for HEAD/304. */
    static Response readResponse(InputStream in, boolean noBody) throws IOException {
        String head = readHead(in);
        String lower = head.toLowerCase(Locale.ROOT);
        if (noBody) {
            return new Response(head, new byte[0]);
        }
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailers
                    }
                    return new Response(head, body.toByteArray());
                }
                body.write(in.readNBytes(size));
                readLine(in);
            }
        }
        int at = lower.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return new Response(head, in.readAllBytes()); // close-delimited
        }
        int end = lower.indexOf("\r\n", at + 2);
        int length = Integer.parseInt(head.substring(at + 17, end < 0 ? head.length() : end).trim());
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
        }
        return new Response(head, body);
    }

    /** A message's head: start line and headers, CRLF between them, without the blank line that ends it. */
    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            if (head.length() > 0) {
                head.append("\r\n");
            }
            head.append(line);
        }
        return head.toString();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException("connection closed in the middle of a line: " + line);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
