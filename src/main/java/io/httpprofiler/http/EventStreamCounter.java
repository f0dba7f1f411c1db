package io.httpprofiler.http;

import java.util.List;

/**
 * Counts Server-Sent Events ({@code text/event-stream}) in a body as it streams past, for progress reports. As a
 * browser does (HTML, "Server-sent events", 9.2.6), an event is dispatched at a blank line when the lines before it had
 * a {@code data} field: comment lines ({@code : keep-alive}) and blocks without data are not events. Lines end at LF,
 * CR LF or CR. Missing bytes hide where events end: the count is then unknown.
 */
final class EventStreamCounter {
    private static final byte[] DATA = {'d', 'a', 't', 'a'};

    private long events;
    private boolean lineStart = true;
    private boolean afterCr;
    /** Bytes of {@code data} matched at the start of this line; -1 once the line cannot be a data field. */
    private int matched;
    /** A data field of the current event has been seen. */
    private boolean pending;
    private boolean lost;

    /**
     * Starts counting the events of a response followed for progress reports from its first byte, when it is an event
     * stream. Only a body of unannounced length can be (a stream has no end to announce): for the usual response with
     * a Content-Length this costs one comparison, no look at the headers.
     */
    static void countIfEventStream(Message response) {
        if (response.head.contentLength() < 0 && isEventStream(response.head.headers())) {
            response.body.countEvents();
        }
    }

    static boolean isEventStream(List<HttpHeader> headers) {
        for (int i = 0; i < headers.size(); i++) {
            HttpHeader header = headers.get(i);
            if (header.name().equalsIgnoreCase("content-type")) {
                return header.value().trim().regionMatches(true, 0, "text/event-stream", 0, 17);
            }
        }
        return false;
    }

    void append(byte[] data, int offset, int length) {
        for (int i = offset, end = offset + length; i < end; i++) {
            byte b = data[i];
            if (b == '\n' && afterCr) {
                afterCr = false; // the LF of a CR LF: the line ended at the CR
                continue;
            }
            afterCr = b == '\r';
            if (b == '\n' || b == '\r') {
                if (lineStart) { // a blank line ends the event
                    if (pending) {
                        events++;
                        pending = false;
                    }
                } else {
                    pending |= matched == DATA.length; // "data" alone is a data field with an empty value
                    lineStart = true;
                }
                matched = 0;
            } else {
                lineStart = false;
                if (matched == DATA.length) {
                    pending |= b == ':';
                    matched = -1;
                } else if (matched >= 0) {
                    matched = b == DATA[matched] ? matched + 1 : -1;
                }
            }
        }
    }

    void gap() {
        lost = true;
    }

    /** Events ended so far, or -1 when missing bytes hid where they end. */
    long count() {
        return lost ? -1 : events;
    }
}
