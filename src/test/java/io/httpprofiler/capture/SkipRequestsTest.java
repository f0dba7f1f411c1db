package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link SkipRequests}: a skip reaches the kernel only once its stream has passed the range's start. */
class SkipRequestsTest {
    private static final ConnectionId CONNECTION = new ConnectionId(10, 5, 99);
    private static final ConnectionId OTHER = new ConnectionId(10, 6, 99);

    private final List<String> sent = new ArrayList<>();
    private final SkipRequests skips = new SkipRequests((c, d, until) -> sent.add(c.fd() + " " + d + " " + until));

    @Test
    void waitsUntilTheStreamReachesTheRange() {
        // The head of a body arrived (positions 0-99); keep 65536 bytes of a 1 MB body starting at 100.
        skips.observe(data(CONNECTION, Direction.INGRESS, 0, 100));
        skips.request(CONNECTION, Direction.INGRESS, 100 + 65536, 100 + 1_000_000);
        assertEquals(List.of(), sent, "the kept part has not passed yet: the kernel would skip it too");
        skips.observe(data(CONNECTION, Direction.EGRESS, 0, 70_000)); // other direction: no
        skips.observe(data(OTHER, Direction.INGRESS, 0, 70_000));     // other connection: no
        skips.observe(data(CONNECTION, Direction.INGRESS, 100, 16384));
        assertEquals(List.of(), sent);
        skips.observe(data(CONNECTION, Direction.INGRESS, 100 + 65536 - 10, 16384));
        assertEquals(List.of("5 INGRESS " + (100 + 1_000_000)), sent);
        assertEquals(0, skips.waiting());
    }

    @Test
    void sentAtOnceWhenTheCurrentRecordAlreadyReachedTheRange() {
        skips.observe(data(CONNECTION, Direction.EGRESS, 0, 16384));
        skips.request(CONNECTION, Direction.EGRESS, 8000, 200_000);
        assertEquals(List.of("5 EGRESS 200000"), sent);
    }

    @Test
    void theRestOfTheStreamIsSkippedWholly() {
        skips.observe(data(CONNECTION, Direction.EGRESS, 0, 100));
        skips.request(CONNECTION, Direction.EGRESS, 100, Long.MAX_VALUE);
        assertEquals(List.of("5 EGRESS " + Long.MAX_VALUE), sent);
    }

    @Test
    void aNewerRequestReplacesAWaitingOneAndACloseForgetsThem() {
        skips.observe(data(CONNECTION, Direction.INGRESS, 0, 10));
        skips.request(CONNECTION, Direction.INGRESS, 1000, 2000);
        skips.request(CONNECTION, Direction.INGRESS, 5000, 9000);
        assertEquals(1, skips.waiting());
        skips.observe(data(CONNECTION, Direction.INGRESS, 10, 1500));
        assertEquals(List.of(), sent, "the first range was replaced");
        skips.request(CONNECTION, Direction.EGRESS, 5000, 9000);
        skips.observe(new ConnectionClosed(1, CONNECTION, 10, 0, 0));
        assertEquals(0, skips.waiting());
    }

    @Test
    void waitingRequestsAreBounded() {
        for (int fd = 0; fd < SkipRequests.MAX_WAITING + 100; fd++) {
            skips.request(new ConnectionId(1, fd, 1), Direction.INGRESS, 1000, 2000);
        }
        assertEquals(SkipRequests.MAX_WAITING, skips.waiting());
    }

    private static DataEvent data(ConnectionId connection, Direction direction, long position, int length) {
        return new DataEvent(1, connection, 10, direction, position, length, new byte[length]);
    }
}
