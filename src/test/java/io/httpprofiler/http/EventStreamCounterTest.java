package io.httpprofiler.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server-Sent Events counted as a body streams past, whatever the records' cut. */
class EventStreamCounterTest {

    /** The count for {@code text} fed whole, then cut at every one and every two points, then a byte at a time. */
    private static void assertEvents(long expected, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(expected, count(bytes, new int[0]), () -> "whole: " + text);
        for (int a = 1; a < bytes.length; a++) {
            int cut = a;
            assertEquals(expected, count(bytes, new int[] {a}), () -> "cut at " + cut + ": " + text);
            for (int b = a + 1; b < bytes.length; b++) {
                int second = b;
                assertEquals(expected, count(bytes, new int[] {a, b}), () -> "cut at " + cut + ", " + second);
            }
        }
        EventStreamCounter counter = new EventStreamCounter();
        for (byte value : bytes) {
            counter.append(new byte[] {value}, 0, 1);
        }
        assertEquals(expected, counter.count(), () -> "byte by byte: " + text);
    }

    private static long count(byte[] bytes, int[] cuts) {
        EventStreamCounter counter = new EventStreamCounter();
        int from = 0;
        for (int cut : cuts) {
            counter.append(bytes, from, cut - from);
            from = cut;
        }
        counter.append(bytes, from, bytes.length - from);
        return counter.count();
    }

    @Test
    void eventsEndAtABlankLineWhateverTheLineEnds() {
        assertEvents(3, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
        assertEvents(3, "data: 1\r\n\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n");
        assertEvents(3, "data: 1\r\rdata: 2\r\rdata: 3\r\r");
        assertEvents(2, "data: 1\r\n\ndata: 2\n\r\n");
    }

    @Test
    void anEventIsCountedWhenItEndsNotBefore() {
        assertEvents(0, "data: 1\n");
        assertEvents(0, "data: 1\r");
        assertEvents(1, "data: 1\n\ndata: 2\n");
        assertEvents(0, "data: 1\r\n");
    }

    @Test
    void oneEventMayHaveManyLinesAndFields() {
        assertEvents(1, "event: tick\nid: 7\nretry: 100\ndata: a\ndata: b\n\n");
        assertEvents(2, "id: 1\ndata: {\"tick\":1}\n\nid: 2\ndata: {\"tick\":2}\n\n");
    }

    @Test
    void onlyBlocksWithDataAreEvents() {
        assertEvents(0, ": keep-alive\n\n: keep-alive\n\n");
        assertEvents(0, "id: 5\n\nevent: x\n\nretry: 10\n\n");
        assertEvents(1, ": ping\n\ndata: 1\n\n: ping\n\n");
        assertEvents(0, "datax: 1\n\ndat: 1\n\n data: 1\n\n");
        assertEvents(1, "data\n\n");
        assertEvents(1, "data:\n\n");
        assertEvents(0, "\n\n\n\r\n\r\r");
    }

    @Test
    void missingBytesMakeTheCountUnknown() {
        EventStreamCounter counter = new EventStreamCounter();
        byte[] text = "data: 1\n\n".getBytes(StandardCharsets.US_ASCII);
        counter.append(text, 0, text.length);
        assertEquals(1, counter.count());
        counter.gap();
        counter.append(text, 0, text.length);
        assertEquals(-1, counter.count());
    }

    @Test
    void theContentTypeSaysWhetherToCount() {
        assertTrue(EventStreamCounter.isEventStream(List.of(new HttpHeader("Content-Type", "text/event-stream"))));
        assertTrue(EventStreamCounter.isEventStream(List.of(new HttpHeader("content-type",
                " Text/Event-Stream; charset=utf-8"))));
        assertFalse(EventStreamCounter.isEventStream(List.of(new HttpHeader("Content-Type", "text/plain"))));
        assertFalse(EventStreamCounter.isEventStream(List.of(new HttpHeader("X-Type", "text/event-stream"))));
        assertFalse(EventStreamCounter.isEventStream(List.of()));
    }
}
