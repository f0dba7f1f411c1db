package io.httpprofiler.http;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The word-at-a-time scans must agree with the obvious byte-at-a-time ones, at every alignment. */
class ByteScanTest {

    @Test
    void indexOfAgreesWithAPlainLoop() {
        Random random = new Random(11);
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (random.nextInt(4) == 0 ? '\n' : random.nextInt(256));
            }
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
            int to = from + random.nextInt(bytes.length - from + 1);
            byte value = random.nextBoolean() ? (byte) '\n' : (byte) random.nextInt(256);
            int expected = -1;
            for (int i = from; i < to; i++) {
                if (bytes[i] == value) {
                    expected = i;
                    break;
                }
            }
            assertEquals(expected, SwarBytes.indexOf(bytes, from, to, value));
        }
    }

    @Test
    void textDetectionAgreesWithAStrictDecoder() {
        Random random = new Random(12);
        byte[][] pieces = {"a".getBytes(StandardCharsets.UTF_8), "é".getBytes(StandardCharsets.UTF_8),
                "€".getBytes(StandardCharsets.UTF_8), "😀".getBytes(StandardCharsets.UTF_8), {'\n'}, {'\t'}, {0x7f},
                {0x01}, {(byte) 0x80}, {(byte) 0xc3}, {(byte) 0xf8}, {'~'}, {' '}, {'\r'}, {'\f'}, {0x1f}, {0}};
        for (int round = 0; round < 50_000; round++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int count = random.nextInt(30);
            for (int i = 0; i < count; i++) {
                byte[] piece = pieces[random.nextInt(10) < 7 ? random.nextInt(4) : random.nextInt(pieces.length)];
                out.write(piece, 0, piece.length);
            }
            byte[] bytes = out.toByteArray();
            assertEquals(naiveIsText(bytes), TextDetector.textLength(bytes, false) == bytes.length,
                    HexFormat.of().formatHex(bytes));
        }
    }

    @Test
    void everyAsciiByteAtEveryPlaceOfAWordBesideLineEnds() {
        // Words holding a line end take their own path: each ASCII byte, at each of the eight places, next to CR/LF.
        String[] contexts = {"abcdefgh", "abc\r\nfgh", "\n\n\n\n\n\n\n\n", "a\tb\fc d ", "        "};
        for (String context : contexts) {
            for (int place = 0; place < 8; place++) {
                for (int b = 0; b < 0x80; b++) {
                    byte[] bytes = ("0123456789abcdef" + context + "tail").getBytes(StandardCharsets.US_ASCII);
                    bytes[16 + place] = (byte) b;
                    assertEquals(naiveIsText(bytes), TextDetector.textLength(bytes, false) == bytes.length,
                            HexFormat.of().formatHex(bytes));
                }
            }
        }
    }

    private static boolean naiveIsText(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return text.chars().noneMatch(c -> c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f'
                    || c == 0x7f);
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
