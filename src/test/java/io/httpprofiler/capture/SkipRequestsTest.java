package io.httpprofiler.capture;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SkipRequestsTest {
    private static final ConnectionId CONNECTION = new ConnectionId(100, 7, 1);
    private static final ConnectionId OTHER = new ConnectionId(100, 8, 2);

    private final List<SkipRequests.Request> toKernel = new ArrayList<>();
    private final SkipRequests requests = new SkipRequests(toKernel::add);

    @Test
    void requestsReachTheKernelAtTheEndOfTheTurnAfterTheirsInTheOrderMade() {
        requests.add(CONNECTION, Direction.INGRESS, 8_300, 65_800);
        requests.add(OTHER, Direction.EGRESS, 100, 200);
        requests.add(CONNECTION, Direction.INGRESS, 70_000, 90_000); // the same stream's next body: it must win
        requests.endTurn();
        assertEquals(List.of(), toKernel, "held through the turn after theirs");
        requests.add(OTHER, Direction.INGRESS, 5, 6); // made in the second turn: waits for the third

        requests.endTurn();

        assertEquals(List.of(
                new SkipRequests.Request(CONNECTION, Direction.INGRESS, 8_300, 65_800),
                new SkipRequests.Request(OTHER, Direction.EGRESS, 100, 200),
                new SkipRequests.Request(CONNECTION, Direction.INGRESS, 70_000, 90_000)), toKernel);
        requests.endTurn();
        assertEquals(new SkipRequests.Request(OTHER, Direction.INGRESS, 5, 6), toKernel.get(3));
        assertEquals(4, requests.passed());
        requests.endTurn();
        assertEquals(4, toKernel.size(), "nothing is passed on twice");
    }

    @Test
    void theKernelsOwnRangeFromTheSameStartMakesARequestNeedlessInTheTurnAfterToo() {
        requests.add(CONNECTION, Direction.INGRESS, 8_300, 65_800);
        requests.add(OTHER, Direction.INGRESS, 8_300, 65_800);
        requests.marker(CONNECTION, Direction.INGRESS, 8_300, 4_000, MarkerReason.SKIPPED);
        requests.endTurn();
        // a read that filled its buffer: the kernel's own range starts in the next read, whose record comes a turn later
        requests.marker(OTHER, Direction.INGRESS, 8_300, 8_192, MarkerReason.SKIPPED);
        requests.endTurn();
        assertEquals(List.of(), toKernel);
        assertEquals(2, requests.dropped());
    }

    @Test
    void bytesThatWentByUncopiedMakeARequestNeedless() {
        // nginx's sendfile: the head went by in a write, the whole body in one uncopied call
        requests.add(CONNECTION, Direction.EGRESS, 8_500, 65_836);
        requests.marker(CONNECTION, Direction.EGRESS, 300, 65_536, MarkerReason.SENDFILE);
        requests.endTurn();
        requests.endTurn();
        assertEquals(List.of(), toKernel);
    }

    @Test
    void markersThatLeaveBytesToComeOrBelongElsewhereChangeNothing() {
        requests.add(CONNECTION, Direction.INGRESS, 8_300, 65_800);
        requests.marker(CONNECTION, Direction.INGRESS, 300, 20_000, MarkerReason.SENDFILE); // ends before the range does
        requests.marker(CONNECTION, Direction.INGRESS, 9_000, 60_000, MarkerReason.SKIPPED); // starts later
        requests.marker(CONNECTION, Direction.EGRESS, 8_300, 60_000, MarkerReason.SKIPPED); // other direction
        requests.marker(OTHER, Direction.INGRESS, 8_300, 60_000, MarkerReason.SKIPPED); // other connection
        requests.marker(CONNECTION, Direction.INGRESS, 8_300, 1_000, MarkerReason.CAPTURE_LIMIT); // not a range
        requests.endTurn();
        requests.endTurn();
        assertEquals(List.of(new SkipRequests.Request(CONNECTION, Direction.INGRESS, 8_300, 65_800)), toKernel);
        assertEquals(0, requests.dropped());
    }

    @Test
    void aFullHoldPassesEverythingOnEarly() {
        for (int i = 0; i < SkipRequests.MAX_HELD; i++) {
            requests.add(CONNECTION, Direction.INGRESS, i * 100L, i * 100L + 50);
        }
        assertEquals(0, toKernel.size());
        requests.add(OTHER, Direction.INGRESS, 0, 10);
        assertEquals(SkipRequests.MAX_HELD, toKernel.size(), "held ones go first, in order");
        assertEquals(0, toKernel.get(0).from());
        requests.endTurn();
        requests.endTurn();
        assertEquals(new SkipRequests.Request(OTHER, Direction.INGRESS, 0, 10), toKernel.get(SkipRequests.MAX_HELD));
    }
}
