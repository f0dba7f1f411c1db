package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.MarkerReason;
import io.httpprofiler.http.EventScript.Splitter;

import java.util.ArrayList;
import java.util.List;

/**
 * A three-exchange keep-alive conversation whose middle exchange is the one under test, and its server side's events
 * with one record damaged: lost (as a full ring buffer loses it, no trace) or replaced by the marker the kernel sends
 * for bytes it did not copy. Shared by the tests of lost bytes and of bytes not captured, which must treat the same
 * damage differently.
 */
final class DamagedConversation {
    private DamagedConversation() {
    }

    static Conversation threeExchanges(String secondRequest, String secondResponse) {
        return new Conversation()
                .request(Fixtures.request("GET", "/1", "", "Host: x"))
                .response(Fixtures.response("200 OK", "A"))
                .request(secondRequest)
                .response(secondResponse)
                .request(Fixtures.request("GET", "/3", "", "Host: x"))
                .response(Fixtures.response("200 OK", "C"));
    }

    static Conversation threeExchanges(String secondResponse) {
        return threeExchanges(Fixtures.request("GET", "/2", "", "Host: x"), secondResponse);
    }

    /**
     * The server side's events of the conversation, turn {@code turn} cut at {@code cuts}, with its record
     * {@code damaged} replaced by a marker for {@code reason}; with {@link MarkerReason#NONE} the record is left out
     * without a trace instead.
     */
    static List<CaptureEvent> serverEvents(Conversation conversation, MarkerReason reason, int turn, int damaged,
                                           int... cuts) {
        EventScript script = EventScript.server(7);
        List<CaptureEvent> events = new ArrayList<>();
        events.add(script.opened());
        List<List<DataEvent>> turns = script.records(conversation, Splitter.cuts(turn, cuts));
        for (int t = 0; t < turns.size(); t++) {
            for (int r = 0; r < turns.get(t).size(); r++) {
                DataEvent record = turns.get(t).get(r);
                if (t != turn || r != damaged) {
                    events.add(record);
                } else if (reason != MarkerReason.NONE) {
                    events.add(new DataEvent(record.timestampNanos(), record.connection(), record.tid(),
                            record.direction(), record.position(), record.data().length, new byte[0], reason));
                }
            }
        }
        events.add(script.closed(conversation));
        return events;
    }
}
