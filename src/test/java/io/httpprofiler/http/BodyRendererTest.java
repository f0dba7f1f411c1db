package io.httpprofiler.http;

import io.httpprofiler.stream.BufferBudget;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntConsumer;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BodyRendererTest {
    private static final int MAX_BODY = 64 * 1024;

    private static Body render(byte[] bytes, String coding) {
        return render(bytes, coding, MAX_BODY);
    }

    private static Body render(byte[] bytes, String coding, int maxBody) {
        BufferBudget budget = new BufferBudget(1 << 24);
        BodyBuffer buffer = new BodyBuffer(maxBody, budget.forConnection(1 << 24));
        buffer.append(bytes, 0, bytes.length);
        Body body = new BodyRenderer(maxBody).render(buffer, coding);
        buffer.release();
        assertEquals(0, budget.used());
        return body;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void plainTextIsShownAsIs() {
        Body body = render(utf8("héllo wörld\r\n\tdone"), null);
        assertTrue(body.text());
        assertEquals("héllo wörld\r\n\tdone", new String(body.content(), StandardCharsets.UTF_8));
        assertFalse(body.truncated());
        assertNull(body.decodedFrom());
    }

    @Test
    void controlCharactersOrInvalidUtf8MakeABodyBinary() {
        assertFalse(render(new byte[] {'a', 0, 'b'}, null).text());
        assertFalse(render(new byte[] {'a', 0x1b, '[', '3', '1', 'm'}, null).text(), "terminal escapes are not text");
        assertFalse(render(new byte[] {(byte) 0xc0, (byte) 0x80}, null).text(), "overlong NUL");
        assertFalse(render(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, null).text(), "surrogate");
        assertFalse(render(new byte[] {(byte) 0xff, 'a'}, null).text());
        assertFalse(render(new byte[] {'a', (byte) 0xe2, (byte) 0x82}, null).text(), "cut sequence in a whole body");
    }

    @Test
    void aCharacterCutByTheKeepLimitIsDroppedNotMangled() {
        byte[] euros = utf8("€€€€"); // 3 bytes each
        Body body = render(euros, null, 7);
        assertTrue(body.text());
        assertTrue(body.truncated());
        assertEquals(12, body.size());
        assertEquals(7, body.keptBytes());
        assertEquals("€€", new String(body.content(), StandardCharsets.UTF_8));
    }

    @Test
    void gzipAndDeflateAreDecodedForDisplay() {
        byte[] text = utf8("compressible ".repeat(100));
        Body gzip = render(Fixtures.gzip(text), "gzip");
        assertEquals("gzip", gzip.decodedFrom());
        assertArrayEquals(text, gzip.content());
        assertEquals(Fixtures.gzip(text).length, gzip.size());
        assertEquals("gzip", render(Fixtures.gzip(text), "x-gzip").decodedFrom());

        Body zlib = render(deflate(text, false), "deflate");
        assertEquals("deflate", zlib.decodedFrom());
        assertArrayEquals(text, zlib.content());
        Body raw = render(deflate(text, true), "deflate");
        assertArrayEquals(text, raw.content(), "raw deflate, as some servers send it");
    }

    @Test
    void concatenatedGzipMembersAreAllDecoded() {
        byte[] both = Conversation.concat(Fixtures.gzip(utf8("first,")), Fixtures.gzip(utf8("second")));
        assertEquals("first,second", new String(render(both, "gzip").content(), StandardCharsets.UTF_8));
    }

    @Test
    void gzipBombStopsAtTheLimit() {
        byte[] zeros = new byte[50 << 20];
        byte[] bomb = Fixtures.gzip(zeros);
        assertTrue(bomb.length < MAX_BODY);
        Body body = render(bomb, "gzip");
        assertEquals(MAX_BODY, body.content().length);
        assertTrue(body.truncated());
        assertFalse(body.text(), "zeros are not text");
        assertEquals(bomb.length, body.size());
    }

    @Test
    void truncatedGzipDecodesAsFarAsItGoes() {
        byte[] text = new byte[200_000];
        new Random(3).ints(text.length, 'a', 'z' + 1).forEach(new IntConsumer() {
            int i;

            @Override
            public void accept(int c) {
                text[i++] = (byte) c;
            }
        });
        byte[] compressed = Fixtures.gzip(text);
        Body body = render(compressed, "gzip", 50_000);
        assertTrue(body.keptBytes() < compressed.length);
        assertEquals("gzip", body.decodedFrom());
        assertTrue(body.content().length > 0);
        assertArrayEquals(Arrays.copyOf(text, body.content().length), body.content());
        assertTrue(body.truncated());
    }

    @Test
    void undecodableContentIsShownRaw() {
        byte[] notGzip = utf8("this is not gzip at all");
        Body body = render(notGzip, "gzip");
        assertNull(body.decodedFrom());
        assertArrayEquals(notGzip, body.content());
        Body brotli = render(new byte[] {0x1b, 0x2c, 0x00}, "br");
        assertNull(brotli.decodedFrom());
        assertFalse(brotli.text());
    }

    @Test
    void emptyBodyIsTheSharedEmptyBody() {
        assertEquals(Body.EMPTY, render(new byte[0], "gzip"));
    }

    private static byte[] deflate(byte[] bytes, boolean raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION,
                raw))) {
            deflater.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
