package io.httpprofiler.output;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The bulk copy-then-check of {@link Utf8Block#safe(byte[], int, int)} against the byte-at-a-time rule it replaced. */
class Utf8BlockTest {
    private static final byte[] LINE_BREAK = "\n       ".getBytes(StandardCharsets.US_ASCII);

    @Test
    void everyByteValueAloneAndAmongText() {
        for (int b = 0; b < 256; b++) {
            assertSafeAsByteRule(new byte[] {(byte) b});
            byte[] among = "some plain text on both sides of x, long enough for words".getBytes(StandardCharsets.US_ASCII);
            among[31] = (byte) b;
            assertSafeAsByteRule(among);
        }
    }

    @Test
    void randomBytesAtEveryOffsetAndLength() {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            byte[] bytes = new byte[random.nextInt(100)];
            random.nextBytes(bytes);
            if (round % 2 == 0) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (bytes[i] & 0x1f | (random.nextInt(4) == 0 ? 0 : 0x60)); // controls, letters
                }
            }
            for (int from = 0; from <= bytes.length; from += 1 + random.nextInt(5)) {
                for (int to = from; to <= bytes.length; to++) {
                    assertArrayEquals(byteRule(bytes, from, to), safe(bytes, from, to));
                    assertArrayEquals(lineRule(bytes, from, to), lines(bytes, from, to));
                }
            }
        }
    }

    @Test
    void linesDropOneCarriageReturnBeforeEachLineFeedAndAtTheEnd() {
        for (String text : new String[] {"a\nb", "a\r\nb\r\n", "\r\r\n\r", "\n\n", "x\r", "\r", "tab\there\fff\u007f",
                "é\r\n€\n😀\r"}) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(lineRule(bytes, 0, bytes.length), lines(bytes, 0, bytes.length), text);
        }
    }

    @Test
    void longRuns() {
        byte[] bytes = new byte[70_000];
        Arrays.fill(bytes, (byte) 'q');
        bytes[0] = 0;
        bytes[65_537] = 0x7f;
        bytes[69_999] = '\r';
        assertSafeAsByteRule(bytes);
        assertArrayEquals(lineRule(bytes, 0, bytes.length), lines(bytes, 0, bytes.length));
    }

    private static void assertSafeAsByteRule(byte[] bytes) {
        assertArrayEquals(byteRule(bytes, 0, bytes.length), safe(bytes, 0, bytes.length),
                () -> Arrays.toString(bytes));
    }

    private static byte[] safe(byte[] bytes, int from, int to) {
        Utf8Block block = new Utf8Block();
        block.ascii("x");
        block.safe(bytes, from, to);
        return Arrays.copyOfRange(block.array(), 1, block.length());
    }

    private static byte[] lines(byte[] bytes, int from, int to) {
        Utf8Block block = new Utf8Block();
        block.safeLines(bytes, from, to, LINE_BREAK);
        return Arrays.copyOf(block.array(), block.length());
    }

    /** The rule as first written: byte by byte, ASCII controls but tab become '?'. */
    private static byte[] byteRule(byte[] bytes, int from, int to) {
        byte[] out = new byte[to - from];
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            boolean control = b >= 0 && (b < 0x20 && b != '\t' || b == 0x7f);
            out[i - from] = control ? (byte) '?' : b;
        }
        return out;
    }

    /** The transcript's line loop as first written. */
    private static byte[] lineRule(byte[] content, int from, int shown) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int lineStart = from; lineStart <= shown; ) {
            int lineFeed = -1;
            for (int i = lineStart; i < shown; i++) {
                if (content[i] == '\n') {
                    lineFeed = i;
                    break;
                }
            }
            int lineEnd = lineFeed < 0 ? shown : lineFeed;
            int textEnd = lineEnd > lineStart && content[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            out.writeBytes(LINE_BREAK);
            out.writeBytes(byteRule(content, lineStart, textEnd));
            lineStart = lineEnd + 1;
        }
        return out.toByteArray();
    }
}
