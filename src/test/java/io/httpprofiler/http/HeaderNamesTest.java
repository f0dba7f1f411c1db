package io.httpprofiler.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class HeaderNamesTest {

    @Test
    void everySharedNameIsFoundAsItselfAtAnyOffset() {
        for (String name : HeaderNames.SHARED) {
            byte[] bytes = ("xx" + name + ":").getBytes(StandardCharsets.US_ASCII);
            assertSame(name, HeaderNames.shared(bytes, 2, 2 + name.length()));
        }
    }

    @Test
    void otherSpellingsAndPrefixesAreNot() {
        for (String other : List.of("HOST", "HoSt", "Hos", "Hostx", "Content-Lengt", "X", "", "content-Length")) {
            byte[] bytes = other.getBytes(StandardCharsets.US_ASCII);
            assertNull(HeaderNames.shared(bytes, 0, bytes.length), other);
        }
    }

    @Test
    void theParserHandsOutSharedNamesAndKeepsOthersAsSent() {
        byte[] head = "GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\nx-custom: c\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        MessageHead parsed = new HeadParser().parseRequest(head, 0, head.length);
        assertSame(HeaderNames.SHARED.get(HeaderNames.SHARED.indexOf("Host")), parsed.headers().get(0).name());
        assertEquals("HOST", parsed.headers().get(1).name());
        assertEquals("x-custom", parsed.headers().get(2).name());
    }
}
