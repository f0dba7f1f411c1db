package io.httpprofiler.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link JsonLine} escapes as Jackson's UTF-8 generator does, which the JSON Lines output was written with before. */
class JsonLineTest {

    @Test
    void everyByteValueAloneAndAmongTextAsJackson() {
        for (int b = 0; b < 256; b++) {
            assertBytesAsJackson(new byte[] {(byte) b});
            byte[] among = "a longer run of plain text around it: x_here_y and more plain text".getBytes(StandardCharsets.US_ASCII);
            among[40] = (byte) b;
            assertBytesAsJackson(among);
        }
    }

    @Test
    void everyCharAsJackson() {
        for (int c = 0; c <= 0xffff; c++) {
            assertStringAsJackson(String.valueOf((char) c));
            assertStringAsJackson("plain " + (char) c + " text");
        }
    }

    @Test
    void surrogatesPairedLoneAndReversedAsJackson() {
        for (String text : new String[] {"\ud83d\ude00", "a\ud800b", "a\udc00b", "\udc00\ud800", "\ud800", "\udfff",
                "x\ud83d", "\ude00x", "\ud83d\ude00\ud83d\ude00", "\ud800\ud800\udc00"}) {
            assertStringAsJackson(text);
        }
    }

    @Test
    void fourByteAndInvalidUtf8AreCopiedAsJackson() {
        byte[][] cases = {
                "😀 emoji".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xf0, (byte) 0x9f, (byte) 0x98},        // cut 4-byte sequence
                {(byte) 0xc0, (byte) 0xaf, '"'},                // overlong
                {(byte) 0xed, (byte) 0xa0, (byte) 0x80},        // encoded surrogate
                {(byte) 0x80, '\\', (byte) 0xbf},               // stray continuations
                {(byte) 0xff, (byte) 0xfe, 0, 1, 0x7f},
                {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        };
        for (byte[] bytes : cases) {
            assertBytesAsJackson(bytes);
        }
    }

    @Test
    void randomBytesAndTextAtEverySplitAsJackson() {
        Random random = new Random(6);
        String alphabet = "abc \t\r\n\"\\/\u0000\u001f\u007fé€\ud83d\ude00\ud800";
        for (int round = 0; round < 300; round++) {
            byte[] bytes = new byte[random.nextInt(70)];
            random.nextBytes(bytes);
            if (round % 2 == 0) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] &= 0x7f; // mostly ASCII: more escapes, more runs
                }
            }
            assertBytesAsJackson(bytes);
            for (int split = 0; split <= bytes.length; split++) {
                // Escaping is per byte: two halves escape to the whole, wherever the cut (word scans included).
                assertArrayEquals(unquoted(jackson(bytes)), concat(unquoted(line(Arrays.copyOf(bytes, split))),
                        unquoted(line(Arrays.copyOfRange(bytes, split, bytes.length)))), "split at " + split);
            }
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(60); i > 0; i--) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            assertStringAsJackson(text.toString());
        }
    }

    @Test
    void longRunsAsJackson() {
        byte[] plain = new byte[100_000];
        Arrays.fill(plain, (byte) 'x');
        assertBytesAsJackson(plain);
        plain[99_999] = '"';
        plain[0] = '\n';
        plain[50_000] = (byte) 0xe2;
        assertBytesAsJackson(plain);
        byte[] escapes = new byte[10_000];
        Arrays.fill(escapes, (byte) 1);
        assertBytesAsJackson(escapes);
        assertStringAsJackson("y".repeat(50_000) + "\u0001" + "€".repeat(20_000));
    }

    @Test
    void numbersAndLiterals() {
        JsonLine line = new JsonLine();
        for (long value : new long[] {0, 7, 9, 10, 99, 100, 123456789, -1, -10, Long.MAX_VALUE, Long.MIN_VALUE,
                999_999_999_999_999_999L, 1_000_000_000_000_000_000L}) {
            line.clear();
            line.number(value);
            assertEquals(Long.toString(value), line.toString());
        }
        line.clear();
        line.string(null).comma().bool(true).comma().bool(false);
        assertEquals("null,true,false", line.toString());
    }

    private static void assertBytesAsJackson(byte[] bytes) {
        assertArrayEquals(jackson(bytes), line(bytes), () -> "bytes " + Arrays.toString(bytes));
    }

    private static void assertStringAsJackson(String text) {
        JsonLine line = new JsonLine();
        line.string(text);
        byte[] ours = Arrays.copyOf(line.array(), line.length());
        assertArrayEquals(jackson(text), ours, () -> "string " + text.chars().mapToObj(Integer::toHexString).toList());
    }

    private static byte[] line(byte[] bytes) {
        JsonLine line = new JsonLine();
        line.utf8String(bytes, 0, bytes.length);
        return Arrays.copyOf(line.array(), line.length());
    }

    private static byte[] jackson(byte[] bytes) {
        return jackson(generator -> generator.writeUTF8String(bytes, 0, bytes.length));
    }

    private static byte[] jackson(String text) {
        return jackson(generator -> generator.writeString(text));
    }

    private interface Write {
        void to(JsonGenerator generator) throws IOException;
    }

    private static byte[] jackson(Write write) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator generator = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
                write.to(generator);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] unquoted(byte[] quoted) {
        return Arrays.copyOfRange(quoted, 1, quoted.length - 1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
