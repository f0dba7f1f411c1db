package io.httpprofiler.output;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TranscriptWriterTest {
    private final StringWriter out = new StringWriter();
    private final TranscriptWriter writer = new TranscriptWriter(out);

    @Test
    void serverExchangeAsInTheBrief() throws IOException {
        writer.write(Samples.serverGet());
        assertEquals("""
                [2026-11-22 11:30:00.123] PID 1234 (nginx) server 127.0.0.1:8080 <- 127.0.0.1:51234 fd 7  1.2 ms
                  → GET /users?id=1 HTTP/1.1
                     Host: localhost:8080
                  ← HTTP/1.1 200 OK
                     Content-Type: application/json
                     Content-Length: 25
                     Body (25 bytes): [{"id":1,"name":"alice"}]

                """, out.toString());
    }

    @Test
    void tlsExchangeIsMarkedInItsHeaderLine() throws IOException {
        writer.write(Samples.serverGetOverTls());
        assertTrue(out.toString().startsWith("[2026-11-22 11:30:00.123] PID 1234 (nginx) server 127.0.0.1:8080 <-"
                + " 127.0.0.1:51234 fd 7  TLS  1.2 ms\n  → GET /users?id=1 HTTP/1.1\n"), out::toString);
    }

    @Test
    void clientExchangeWithoutResponseMultiLineBodyAndNotes() throws IOException {
        writer.write(Samples.clientPostWithoutResponse());
        assertEquals("""
                [2026-11-22 11:30:00.123] PID 99 (curl) client [::1]:40000 -> [2001:db8::1]:443 fd 3
                  → POST /submit HTTP/1.1
                     Content-Length: 12
                     Body (13 bytes):
                       line one
                       two
                  ← (no response)
                  [response not seen]
                  [incomplete: connection closed]

                """, out.toString());
    }

    @Test
    void binaryTruncatedBodyWithTrailersAndUnknownConnectionDetails() throws IOException {
        byte[] image = new byte[40];
        for (int i = 0; i < image.length; i++) {
            image[i] = (byte) (0x80 + i);
        }
        writer.write(Samples.binaryChunkedResponse(image));
        assertEquals("""
                [2026-11-22 11:30:00.123] PID 5 (?) unknown ? <-> ? fd 4  1.53 s
                  → GET /logo.png HTTP/1.1
                  ← HTTP/1.1 200 OK
                     Transfer-Encoding: chunked
                     Body (1048576 bytes, 40 kept, binary): 80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 \
                93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f …
                     Trailer X-Checksum: abc
                  [response body truncated: 1048536 of 1048576 bytes not kept]

                """, out.toString());
    }

    @Test
    void decodedBodiesSayWhatTheyWereDecodedFrom() {
        byte[] decoded = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
        Exchange exchange = withResponseBody(new Body(30, 30, decoded, true, "gzip", true));
        assertTrue(writer.format(exchange).contains("     Body (30 bytes, gzip decoded to 100+): xxxx"),
                writer.format(exchange));
    }

    @Test
    void longTextIsPreviewedAndTheRestCounted() {
        TranscriptWriter shortPreview = new TranscriptWriter(out, ZoneId.of("UTC"), 10);
        String block = shortPreview.format(withResponseBody(Samples.text("0123456789abcdefghij")));
        assertTrue(block.contains("     Body (20 bytes): 0123456789 … (10 more bytes)\n"), block);
        String multiLine = shortPreview.format(withResponseBody(Samples.text("ab\ncd\nefghijklmnop")));
        assertTrue(multiLine.contains("     Body (18 bytes):\n       ab\n       cd\n       efgh\n       … (8 more bytes)\n"),
                multiLine);
        String euro = shortPreview.format(withResponseBody(Samples.text("€€€€€")));
        assertTrue(euro.contains("Body (15 bytes): €€€ … (6 more bytes)"), euro);
    }

    @Test
    void theLineBreakEndingABodyEndsItsLastLineWithoutAnEmptyIndentedLine() {
        String endsInLineFeed = writer.format(withResponseBody(Samples.text("one\ntwo\n")));
        assertTrue(endsInLineFeed.contains("     Body (8 bytes):\n       one\n       two\n\n"), endsInLineFeed);
        String endsInCrLf = writer.format(withResponseBody(Samples.text("one\r\ntwo\r\n")));
        assertTrue(endsInCrLf.contains("     Body (10 bytes):\n       one\n       two\n\n"), endsInCrLf);
        String blankLineInside = writer.format(withResponseBody(Samples.text("one\n\ntwo\n")));
        assertTrue(blankLineInside.contains("     Body (9 bytes):\n       one\n       \n       two\n\n"),
                blankLineInside); // a blank line inside a body stays indented: the block never looks finished early
        String oneLine = writer.format(withResponseBody(Samples.text("{\"hello\":\"world\"}\n")));
        assertTrue(oneLine.contains("     Body (18 bytes): {\"hello\":\"world\"}\n\n"), oneLine);
        String onlyLineFeeds = writer.format(withResponseBody(Samples.text("\r\n")));
        assertTrue(onlyLineFeeds.contains("     Body (2 bytes):\n\n"), onlyLineFeeds);
        TranscriptWriter shortPreview = new TranscriptWriter(out, ZoneId.of("UTC"), 8);
        String cutAfterLineFeed = shortPreview.format(withResponseBody(Samples.text("one\ntwo\nthree")));
        assertTrue(cutAfterLineFeed.contains("     Body (13 bytes):\n       one\n       two\n       … (5 more bytes)\n"),
                cutAfterLineFeed);
    }

    @Test
    void controlCharactersFromTheWireAreNeutralised() {
        HttpRequest request = new HttpRequest("GET", "/", "HTTP/1.1",
                List.of(new HttpHeader("X-Evil", "a\u001b[2Jb\rc")), List.of(), Body.EMPTY);
        Exchange exchange = new Exchange(new ConnectionId(1, 2, 3), 1, "app\u0007", Role.SERVER, null, null,
                Samples.START, Samples.START, request, null, List.of());
        String block = writer.format(exchange);
        assertTrue(block.contains("     X-Evil: a?[2Jb?c\n"), block);
        assertTrue(block.contains("(app?)"), block);
    }

    @Test
    void durationsReadNaturally() {
        assertTrue(withDuration(153_400).endsWith("  0.153 ms"));
        assertTrue(withDuration(12_340_000).endsWith("  12.3 ms"));
        assertTrue(withDuration(999_960_000).endsWith("  1000.0 ms"));
        assertTrue(withDuration(61_234_000_000L).endsWith("  61.23 s"));
    }

    @Test
    void localTimeZoneIsUsedWhenAsked() {
        TranscriptWriter tokyo = new TranscriptWriter(out, ZoneId.of("Asia/Tokyo"), 100);
        assertTrue(tokyo.format(Samples.serverGet()).startsWith("[2026-11-22 20:30:00.123] "));
    }

    @Test
    void eachBlockIsFlushedAtOnce() throws IOException {
        int[] flushes = {0};
        Writer counting = new Writer() {
            @Override
            public void write(char[] buffer, int offset, int length) {
            }

            @Override
            public void flush() {
                flushes[0]++;
            }

            @Override
            public void close() {
            }
        };
        TranscriptWriter flushing = new TranscriptWriter(counting);
        flushing.write(Samples.serverGet());
        flushing.write(Samples.serverGet());
        assertEquals(2, flushes[0]);
    }

    private String withDuration(long nanos) {
        Exchange base = Samples.serverGet();
        Exchange exchange = new Exchange(base.connection(), base.tid(), base.command(), base.role(), base.local(),
                base.remote(), base.startNanos(), base.startNanos() + nanos, base.request(), base.response(),
                base.notes());
        return writer.format(exchange).lines().findFirst().orElseThrow();
    }

    private static Exchange withResponseBody(Body body) {
        Exchange base = Samples.serverGet();
        HttpResponse response = new HttpResponse("HTTP/1.1", 200, "OK", List.of(), List.of(), body);
        return new Exchange(base.connection(), base.tid(), base.command(), base.role(), base.local(), base.remote(),
                base.startNanos(), base.endNanos(), base.request(), response, base.notes());
    }
}
