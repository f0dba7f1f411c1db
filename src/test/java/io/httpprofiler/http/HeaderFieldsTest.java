package io.httpprofiler.http;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.output.JsonLinesWriter;
import io.httpprofiler.output.TranscriptWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsed fields kept as bytes read, and write, exactly as the same fields held as Strings. */
class HeaderFieldsTest {
    private final HeadParser parser = new HeadParser();

    @Test
    void fieldsReadAsTheirStrings() {
        HeaderFields fields = parse("Host: a\r\nX-Folded: first\r\n  second\r\nx-odd: \"q\" \\ \t z\r\nAccept:\r\n");
        assertEquals(List.of(new HttpHeader("Host", "a"), new HttpHeader("X-Folded", "first second"),
                new HttpHeader("x-odd", "\"q\" \\ \t z"), new HttpHeader("Accept", "")), fields);
        assertTrue(fields.isAscii());
        assertFalse(parse("X-Name: Zoë\r\n").isAscii());
    }

    @Test
    void writersWriteFieldsAsTheirStrings() throws IOException {
        Random random = new Random(6);
        String alphabet = "aZ09 \t\"\\:;,=-_/\u0001\u001b\u007féЖ€\uD83D\uDE00";
        for (int round = 0; round < 300; round++) {
            StringBuilder head = new StringBuilder();
            int count = 1 + random.nextInt(6);
            for (int i = 0; i < count; i++) {
                head.append(random.nextBoolean() ? "Content-Type" : "X-H" + i).append(": ");
                for (int n = random.nextInt(30); n > 0; n--) {
                    int bound = round % 2 == 0 ? 17 : alphabet.length(); // half the rounds all ASCII
                    char c = alphabet.charAt(random.nextInt(bound));
                    head.append(c == ' ' || c == '\t' ? 'x' : c);
                    if (Character.isHighSurrogate(c)) {
                        head.append(alphabet.charAt(alphabet.length() - 1));
                    }
                }
                head.append("\r\n");
            }
            HeaderFields fields = parse(head.toString());
            List<HttpHeader> strings = new ArrayList<>(fields);
            assertArrayEquals(transcript(strings), transcript(fields), head.toString());
            assertArrayEquals(json(strings), json(fields), head.toString());
        }
    }

    private HeaderFields parse(String fields) {
        byte[] bytes = ("GET / HTTP/1.1\r\n" + fields + "\r\n").getBytes(StandardCharsets.UTF_8);
        return assertInstanceOf(HeaderFields.class, parser.parseRequest(bytes, 0, bytes.length).headers());
    }

    private static Exchange exchange(List<HttpHeader> headers) {
        HttpRequest request = new HttpRequest("GET", "/", "HTTP/1.1", headers, headers, Body.EMPTY);
        HttpResponse response = new HttpResponse("HTTP/1.1", 200, "OK", headers, List.of(), Body.EMPTY);
        return new Exchange(new ConnectionId(1, 2, 3), 1, "x", Role.SERVER, null, null, 0, 1000, request, response,
                List.of());
    }

    private static byte[] transcript(List<HttpHeader> headers) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new TranscriptWriter(out).write(exchange(headers));
        return out.toByteArray();
    }

    private static byte[] json(List<HttpHeader> headers) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new JsonLinesWriter(out).write(exchange(headers));
        return out.toByteArray();
    }
}
