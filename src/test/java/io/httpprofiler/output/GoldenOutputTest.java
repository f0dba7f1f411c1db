package io.httpprofiler.output;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Body;
import io.httpprofiler.http.Exchange;
import io.httpprofiler.http.HttpHeader;
import io.httpprofiler.http.HttpRequest;
import io.httpprofiler.http.HttpResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins both outputs, byte for byte, for thousands of random exchanges whose text is drawn from awkward characters
 * (controls, quotes, backslashes, DEL, Latin-1, 3-byte and 4-byte characters, lone surrogates, invalid UTF-8 in bodies,
 * CR/LF mixes) and whose connections repeat, as a capture's do. The digests were taken from the writers before they
 * were optimised: any change to what they write, however small, changes a digest.
 */
class GoldenOutputTest {
    /** Since session 3: a body's final line break no longer leaves a line of bare indentation, and a one-line body ending
     * in a line break is shown on the Body line. */
    private static final String TRANSCRIPT_SHA256 = "d7cf793eae108a145551760aa926519cd1b5fcb25f445cd31236f480cb489ebd";
    private static final String JSON_SHA256 = "194728146b9f3081722bea89b8731892755cd0f86de8cd178b76f32e8f5f09b1";
    private static final int EXCHANGES = 4000;

    @Test
    void transcriptIsUnchanged() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TranscriptWriter writer = new TranscriptWriter(out);
        for (Exchange exchange : exchanges()) {
            writer.write(exchange);
        }
        assertUnchanged(TRANSCRIPT_SHA256, out.toByteArray(), "transcript");
    }

    @Test
    void jsonLinesAreUnchanged() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonLinesWriter writer = new JsonLinesWriter(out);
        for (Exchange exchange : exchanges()) {
            writer.write(exchange);
        }
        assertUnchanged(JSON_SHA256, out.toByteArray(), "json");
    }

    static List<Exchange> exchanges() {
        Random random = new Random(20261123);
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            connections.add(connection(random, i));
        }
        List<Exchange> exchanges = new ArrayList<>();
        long time = Samples.START;
        for (int i = 0; i < EXCHANGES; i++) {
            Connection c = connections.get(random.nextInt(connections.size()));
            time += random.nextInt(3) == 0 ? 86_400_000_000_000L / 7 : random.nextInt(2_000_000_000);
            long duration = random.nextInt(4) == 0 ? random.nextLong() >>> 30 : random.nextInt(5_000_000);
            HttpRequest request = random.nextInt(12) == 0 ? null
                    : new HttpRequest(text(random, 6), text(random, 40), text(random, 9), headers(random),
                    random.nextInt(8) == 0 ? headers(random) : List.of(), body(random));
            HttpResponse response = random.nextInt(8) == 0 ? null
                    : new HttpResponse(text(random, 9), 100 + random.nextInt(500),
                    random.nextInt(5) == 0 ? "" : text(random, 12), headers(random),
                    random.nextInt(8) == 0 ? headers(random) : List.of(), body(random));
            List<String> notes = new ArrayList<>();
            for (int n = random.nextInt(3); n > 0; n--) {
                notes.add(text(random, 30));
            }
            exchanges.add(new Exchange(c.id, c.id.pid() + random.nextInt(3), c.command, c.role, c.local, c.remote,
                    time, time + duration, request, response, List.copyOf(notes)));
        }
        return exchanges;
    }

    private record Connection(ConnectionId id, String command, Role role, InetSocketAddress local,
                              InetSocketAddress remote) {
    }

    private static Connection connection(Random random, int i) {
        String command = random.nextInt(6) == 0 ? null : random.nextInt(3) == 0 ? text(random, 15) : "nginx";
        Role role = Role.values()[random.nextInt(3)];
        InetSocketAddress local = random.nextInt(8) == 0 ? null : address(random);
        InetSocketAddress remote = random.nextInt(8) == 0 ? null : address(random);
        return new Connection(new ConnectionId(1000 + random.nextInt(50), 3 + i, random.nextLong()), command, role,
                local, remote);
    }

    private static InetSocketAddress address(Random random) {
        try {
            byte[] ip = new byte[random.nextBoolean() ? 4 : 16];
            random.nextBytes(ip);
            if (ip.length == 16 && random.nextBoolean()) {
                ip[0] = 0;
                ip[1] = 0;
                ip[2] = 0;
                ip[3] = 0;
            }
            return new InetSocketAddress(InetAddress.getByAddress(ip), random.nextInt(65536));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<HttpHeader> headers(Random random) {
        List<HttpHeader> headers = new ArrayList<>();
        for (int n = random.nextInt(14); n > 0; n--) {
            headers.add(new HttpHeader(text(random, 16), text(random, 60)));
        }
        return List.copyOf(headers);
    }

    private static final String[] PIECES = {"a", "Z", "0", " ", "\t", "\r", "\n", "\r\n", "\"", "\\", "/", "\u0000",
            "\u0001", "\u001b", "\u001f", "\u007f", "\u0080", "\u009f", "é", "ÿ", "Ā", "€", "\u2028", "\uffff",
            "\ud83d\ude00", "\ud800", "\udc00", "<", ">", "&", "'", "plain text ", "…"};

    /** Mostly plain ASCII, sometimes anything in {@link #PIECES}. */
    private static String text(Random random, int maxLength) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(maxLength + 1);
        boolean awkward = random.nextInt(3) == 0;
        for (int i = 0; i < length; i++) {
            if (awkward && random.nextInt(4) == 0) {
                text.append(PIECES[random.nextInt(PIECES.length)]);
            } else {
                text.append((char) (' ' + random.nextInt(95)));
            }
        }
        return text.toString();
    }

    private static Body body(Random random) {
        switch (random.nextInt(6)) {
            case 0:
                return Body.EMPTY;
            case 1: {
                byte[] binary = new byte[random.nextInt(80)];
                random.nextBytes(binary);
                return new Body(binary.length + random.nextInt(3), binary.length, binary, false,
                        random.nextBoolean() ? "gzip" : null, random.nextBoolean());
            }
            case 2: {
                // Raw bytes of every value, as a text body could only hold by mistake: the writers must not care.
                byte[] raw = new byte[random.nextInt(3000)];
                random.nextBytes(raw);
                return new Body(raw.length, raw.length, raw, true, null, false);
            }
            default: {
                StringBuilder text = new StringBuilder();
                int lines = random.nextInt(random.nextInt(10) == 0 ? 200 : 20);
                for (int i = 0; i < lines; i++) {
                    text.append(text(random, 90)).append(random.nextInt(4) == 0 ? "\r\n" : "\n");
                }
                text.append(text(random, 20));
                byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
                boolean truncated = random.nextInt(4) == 0;
                return new Body(bytes.length + (truncated ? 100 : 0), bytes.length, bytes, true,
                        random.nextInt(5) == 0 ? "deflate" : null, truncated);
            }
        }
    }

    /** On a mismatch the output is left in target/ to diff against the last good one. */
    private static void assertUnchanged(String expected, byte[] output, String name) throws IOException {
        String actual = sha256(output);
        if (!expected.equals(actual)) {
            Files.write(Path.of("target", "golden-" + name + ".out"), output);
        }
        assertEquals(expected, actual, name + " output changed; written to target/golden-" + name + ".out");
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
