package io.httpprofiler.stream;

import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.EventLayout;
import io.httpprofiler.capture.LossNotice;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.MarkerReason;
import io.httpprofiler.capture.Role;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.httpprofiler.capture.Direction.EGRESS;
import static io.httpprofiler.capture.Direction.INGRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReassemblerTest {
    private static final long MS = 1_000_000;
    private static final ConnectionId A = new ConnectionId(10, 5, 100);
    private static final ConnectionId B = new ConnectionId(10, 6, 200);

    private final Map<ConnectionId, Recording> listeners = new HashMap<>();
    private final List<ConnectionId> created = new ArrayList<>();

    /**
     * Writes down every callback: data as its text, lost bytes as {@code [gap N]}, bytes not copied as
     * {@code [CAUSE N]} (e.g. {@code [SENDFILE 1000]}), the end as {@code [end REASON]}.
     */
    private static class Recording implements StreamListener {
        final StringBuilder egress = new StringBuilder();
        final StringBuilder ingress = new StringBuilder();
        final List<String> calls = new ArrayList<>();
        final long[] next = new long[2];
        ConnectionOpened opened;
        StreamEnd end;

        @Override
        public void onOpened(ConnectionOpened event) {
            opened = event;
        }

        @Override
        public void onData(Direction direction, byte[] data, int offset, int length, long position, long timestampNanos,
                           int tid) {
            assertEquals(next[direction.ordinal()], position, "data must continue where the stream stands");
            next[direction.ordinal()] += length;
            String text = new String(data, offset, length, StandardCharsets.ISO_8859_1);
            text(direction).append(text);
            calls.add(direction.name().charAt(0) + ":" + text);
        }

        @Override
        public void onGap(Direction direction, long position, long length, GapCause cause, long timestampNanos) {
            assertEquals(next[direction.ordinal()], position, "a gap must start where the stream stands");
            assertTrue(length > 0);
            next[direction.ordinal()] += length;
            String gap = "[" + (cause == GapCause.LOST ? "gap" : cause.name()) + " " + length + "]";
            text(direction).append(gap);
            calls.add(direction.name().charAt(0) + ":" + gap);
        }

        @Override
        public void onRecordsLost(Direction direction, long timestampNanos) {
            calls.add(direction.name().charAt(0) + ":[records lost]");
        }

        @Override
        public void onEnd(StreamEnd reason, long timestampNanos) {
            end = reason;
        }

        StringBuilder text(Direction direction) {
            return direction == EGRESS ? egress : ingress;
        }
    }

    private Reassembler reassembler(ReassemblySettings settings) {
        return new Reassembler(settings, (id, control) -> {
            created.add(id);
            Recording recording = new Recording();
            listeners.put(id, recording);
            return recording;
        });
    }

    private static ReassemblySettings settings() {
        return new ReassemblySettings(100, 1 << 20, 8 << 20, 60_000 * MS, 200 * MS);
    }

    private static DataEvent data(ConnectionId id, Direction direction, long position, String text, long millis) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return new DataEvent(millis * MS, id, 1, direction, position, bytes.length, bytes);
    }

    @Test
    void inOrderDataPassesStraightThrough() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "GET / ", 1));
        reassembler.accept(data(A, INGRESS, 6, "HTTP/1.1", 2));
        reassembler.accept(data(A, EGRESS, 0, "HTTP/1.1 200", 3));
        assertEquals("GET / HTTP/1.1", listeners.get(A).ingress.toString());
        assertEquals("HTTP/1.1 200", listeners.get(A).egress.toString());
        assertEquals(0, reassembler.bufferedBytes());
        assertEquals(0, reassembler.stats().reorderedEvents());
    }

    @Test
    void outOfOrderDataIsHeldUntilTheHoleFills() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 6, "world", 1));
        reassembler.accept(data(A, INGRESS, 11, "!", 1));
        assertEquals("", listeners.get(A).ingress.toString());
        assertEquals(6, reassembler.bufferedBytes(), "held bytes are accounted");
        reassembler.accept(data(A, INGRESS, 0, "hello ", 2));
        assertEquals("hello world!", listeners.get(A).ingress.toString());
        assertEquals(0, reassembler.bufferedBytes());
        assertEquals(2, reassembler.stats().reorderedEvents());
        assertEquals(0, reassembler.stats().gaps());
    }

    @Test
    void theOtherDirectionWaitsBehindAHoleSoThatTheOrderBetweenThemHolds() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "req1 ", 1));
        reassembler.accept(data(A, EGRESS, 0, "resp1 ", 2));
        reassembler.accept(data(A, INGRESS, 10, "req3 ", 5)); // "req2 " lost or late
        reassembler.accept(data(A, EGRESS, 6, "resp2 ", 6));
        reassembler.accept(data(A, EGRESS, 12, "resp3 ", 7));
        assertEquals(List.of("I:req1 ", "E:resp1 "), listeners.get(A).calls, "responses wait for the request hole");
        assertEquals(5 + 6 + 6, reassembler.bufferedBytes());
        reassembler.accept(data(A, INGRESS, 5, "req2 ", 8));
        assertEquals(List.of("I:req1 ", "E:resp1 ", "I:req2 ", "I:req3 ", "E:resp2 ", "E:resp3 "),
                listeners.get(A).calls);
        assertEquals(0, reassembler.bufferedBytes());
        assertEquals(3, reassembler.stats().reorderedEvents());
    }

    @Test
    void givingUpOnAHoleReleasesTheOtherDirectionAfterTheGap() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 5, "req2 ", 1));
        reassembler.accept(data(A, EGRESS, 0, "resp2 ", 2));
        reassembler.expire(500 * MS);
        assertEquals(List.of("I:[gap 5]", "I:req2 ", "E:resp2 "), listeners.get(A).calls);
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void givingUpKeepsTheArrivalOrderOfBothDirections() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, EGRESS, 0, "req1 ", 1));
        reassembler.accept(data(A, EGRESS, 5, "req2 ", 3)); // "resp1 " was dropped: nothing shows it yet
        reassembler.accept(data(A, INGRESS, 6, "resp2 ", 4));
        reassembler.accept(data(A, EGRESS, 10, "req3 ", 5));
        reassembler.accept(data(A, INGRESS, 12, "resp3 ", 6));
        assertEquals(List.of("E:req1 ", "E:req2 "), listeners.get(A).calls);
        reassembler.expire(500 * MS);
        assertEquals(List.of("E:req1 ", "E:req2 ", "I:[gap 6]", "I:resp2 ", "E:req3 ", "I:resp3 "),
                listeners.get(A).calls);
    }

    @Test
    void tooManyWaitingRecordsStopTheWait() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 5, "late", 1));
        for (int i = 0; i <= TrackedConnection.MAX_WAITING_EVENTS; i++) {
            reassembler.accept(data(A, EGRESS, i, "x", 1));
        }
        assertEquals("[gap 5]late", listeners.get(A).ingress.toString());
        assertEquals("x".repeat(TrackedConnection.MAX_WAITING_EVENTS + 1), listeners.get(A).egress.toString());
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void aFullBudgetStopsTheWaitRatherThanTheOrder() {
        Reassembler reassembler = reassembler(new ReassemblySettings(100, 16, 1000, 60_000 * MS, 200 * MS));
        reassembler.accept(data(A, INGRESS, 5, "late", 1));
        reassembler.accept(data(A, EGRESS, 0, "0123456789", 2));
        assertEquals(14, reassembler.bufferedBytes());
        reassembler.accept(data(A, EGRESS, 10, "abcdef", 3));
        assertEquals(List.of("I:[gap 5]", "I:late", "E:0123456789", "E:abcdef"), listeners.get(A).calls);
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void closeReleasesWaitingRecordsInOrder() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 3, "def", 1));
        reassembler.accept(data(A, EGRESS, 0, "xyz", 2));
        reassembler.accept(new ConnectionClosed(3 * MS, A, 1, 3, 6));
        assertEquals(List.of("I:[gap 3]", "I:def", "E:xyz"), listeners.get(A).calls);
        assertEquals(StreamEnd.CLOSED, listeners.get(A).end);
    }

    @Test
    void duplicatesAndOverlapsAreTrimmed() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, EGRESS, 0, "abcdef", 1));
        reassembler.accept(data(A, EGRESS, 0, "abcdef", 1));
        reassembler.accept(data(A, EGRESS, 4, "efghij", 2));
        reassembler.accept(data(A, EGRESS, 12, "mn", 2));
        reassembler.accept(data(A, EGRESS, 8, "ijklm", 3));
        assertEquals("abcdefghijklmn", listeners.get(A).egress.toString());
        assertEquals(6 + 2 + 2 + 1, reassembler.stats().duplicateBytes());
    }

    @Test
    void aHoleThatDoesNotFillBecomesAGapOfExactSizeAfterTheWindow() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "abc", 1));
        reassembler.accept(data(A, INGRESS, 1003, "xyz", 2));
        reassembler.expire(100 * MS);
        assertEquals("abc", listeners.get(A).ingress.toString(), "still inside the reorder window");
        reassembler.expire(300 * MS);
        assertEquals("abc[gap 1000]xyz", listeners.get(A).ingress.toString());
        assertEquals(1, reassembler.stats().gaps());
        assertEquals(1000, reassembler.stats().gapBytes());
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void laterEventsPastTheWindowGiveUpOnTheHoleToo() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 10, "late", 1));
        reassembler.accept(data(A, EGRESS, 0, "other direction", 500));
        assertEquals("[gap 10]late", listeners.get(A).ingress.toString());
    }

    @Test
    void tooManyHeldRecordsStopTheWait() {
        Reassembler reassembler = reassembler(settings());
        for (int i = 0; i <= TrackedConnection.MAX_WAITING_EVENTS; i++) {
            reassembler.accept(data(A, INGRESS, 1 + i, "x", 1));
        }
        assertEquals("[gap 1]" + "x".repeat(TrackedConnection.MAX_WAITING_EVENTS + 1), listeners.get(A).ingress.toString());
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void theConnectionBufferCapStopsTheWait() {
        Reassembler reassembler = reassembler(new ReassemblySettings(100, 10, 1000, 60_000 * MS, 200 * MS));
        reassembler.accept(data(A, INGRESS, 5, "12345678", 1));
        assertEquals(8, reassembler.bufferedBytes());
        reassembler.accept(data(A, INGRESS, 20, "abcdef", 1));
        assertEquals("[gap 5]12345678[gap 7]abcdef", listeners.get(A).ingress.toString());
        assertEquals(0, reassembler.bufferedBytes());
        assertTrue(reassembler.stats().refusedBufferBytes() >= 6);
    }

    @Test
    void theTotalBufferCapStopsTheWaitAcrossConnections() {
        Reassembler reassembler = reassembler(new ReassemblySettings(100, 100, 10, 60_000 * MS, 200 * MS));
        reassembler.accept(data(A, INGRESS, 5, "12345678", 1));
        reassembler.accept(data(B, INGRESS, 5, "abcdef", 1));
        assertEquals("[gap 5]abcdef", listeners.get(B).ingress.toString());
        assertEquals("", listeners.get(A).ingress.toString());
        assertEquals(8, reassembler.bufferedBytes());
    }

    @Test
    void closeDeliversWhatIsHeldAndReportsTrailingLoss() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "ab", 1));
        reassembler.accept(data(A, INGRESS, 4, "ef", 1));
        reassembler.accept(data(A, EGRESS, 0, "xy", 1));
        reassembler.accept(new ConnectionClosed(2 * MS, A, 1, 10, 6));
        Recording recording = listeners.get(A);
        assertEquals("ab[gap 2]ef", recording.ingress.toString());
        assertEquals("xy[gap 8]", recording.egress.toString());
        assertEquals(StreamEnd.CLOSED, recording.end);
        assertEquals(0, reassembler.openConnections());
        assertEquals(0, reassembler.bufferedBytes());
    }

    @Test
    void dataWithoutOpenIsTrackedAndTheOpenMayComeLater() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "GET", 1));
        assertNull(listeners.get(A).opened);
        ConnectionOpened opened = new ConnectionOpened(2 * MS, A, 1, "app", Role.SERVER, null, null);
        reassembler.accept(opened);
        assertEquals(opened, listeners.get(A).opened);
        assertEquals(List.of(A), created);
    }

    @Test
    void closeOfAnUnknownConnectionIsIgnored() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(new ConnectionClosed(MS, A, 1, 0, 0));
        assertEquals(0, reassembler.stats().connections());
    }

    @Test
    void theLeastRecentlyActiveConnectionIsShedAtTheLimit() {
        Reassembler reassembler = reassembler(new ReassemblySettings(2, 100, 1000, 60_000 * MS, 200 * MS));
        ConnectionId c = new ConnectionId(10, 7, 300);
        reassembler.accept(data(A, INGRESS, 0, "a", 1));
        reassembler.accept(data(B, INGRESS, 0, "b", 2));
        reassembler.accept(data(A, INGRESS, 1, "a", 3));
        reassembler.accept(data(c, INGRESS, 0, "c", 4));
        assertEquals(StreamEnd.SHED, listeners.get(B).end);
        assertNull(listeners.get(A).end);
        assertEquals(1, reassembler.stats().shedConnections());
        assertEquals(2, reassembler.openConnections());
    }

    @Test
    void idleConnectionsExpire() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "a", 1));
        reassembler.accept(data(B, INGRESS, 0, "b", 50_000));
        reassembler.expire(61_000 * MS);
        assertEquals(StreamEnd.IDLE, listeners.get(A).end);
        assertNull(listeners.get(B).end);
        assertEquals(1, reassembler.stats().expiredConnections());
        assertEquals(1, reassembler.openConnections());
    }

    @Test
    void aNewGenerationOnTheSameFdEndsTheOldConnectionAsClosed() {
        Reassembler reassembler = reassembler(settings());
        ConnectionId reused = new ConnectionId(A.pid(), A.fd(), A.generation() + 1);
        reassembler.accept(data(A, INGRESS, 0, "old", 1));
        reassembler.accept(new ConnectionOpened(2 * MS, reused, 1, "app", Role.SERVER, null, null));
        assertEquals(StreamEnd.CLOSED, listeners.get(A).end);
        assertEquals(1, reassembler.openConnections());
    }

    /** The open was lost (ring full): the first record that got through says what it said. */
    @Test
    void aRecordThatSaysItsOpenWasLostAnnouncesTheConnection() {
        Reassembler reassembler = reassembler(settings());
        ConnectionOpened lost = new ConnectionOpened(MS, A, 1, "nginx", Role.SERVER,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 80),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000));
        byte[] bytes = "GET".getBytes(StandardCharsets.ISO_8859_1);
        reassembler.accept(new DataEvent(MS, A, 1, INGRESS, 0, 3, bytes, MarkerReason.NONE,
                new LossNotice(EventLayout.LOSS_OPEN, lost)));
        assertEquals(lost, listeners.get(A).opened);
        assertEquals(List.of("I:GET"), listeners.get(A).calls);
    }

    /** Records lost the other way are said before the record that reports them. */
    @Test
    void recordsLostInTheOtherDirectionAreToldBeforeTheRecordThatSaysSo() {
        Reassembler reassembler = reassembler(settings());
        byte[] bytes = "HTTP".getBytes(StandardCharsets.ISO_8859_1);
        reassembler.accept(new DataEvent(MS, A, 1, EGRESS, 0, 4, bytes, MarkerReason.NONE,
                new LossNotice(EventLayout.LOSS_INGRESS | EventLayout.LOSS_EGRESS, null)));
        assertEquals(List.of("I:[records lost]", "E:HTTP"), listeners.get(A).calls);
    }

    @Test
    void aSuccessorThatSaysThePreviousCloseWasLostEndsItAsCloseLost() {
        Reassembler reassembler = reassembler(settings());
        ConnectionId reused = new ConnectionId(A.pid(), A.fd(), A.generation() + 1);
        reassembler.accept(data(A, INGRESS, 0, "GET / HTTP/1.1\r\n\r\n", 1));
        reassembler.accept(new ConnectionOpened(2 * MS, reused, 1, "app", Role.SERVER, null, null,
                new LossNotice(EventLayout.LOSS_CLOSE_BEFORE, null)));
        assertEquals(StreamEnd.CLOSE_LOST, listeners.get(A).end);
        assertTrue(StreamEnd.CLOSE_LOST.afterLoss());
    }

    /** Everything of the successor was lost but its close, and that says the predecessor's close was lost too. */
    @Test
    void aSuccessorsCloseAloneStillEndsThePredecessor() {
        Reassembler reassembler = reassembler(settings());
        ConnectionId successor = new ConnectionId(A.pid(), A.fd(), A.generation() + 1);
        ConnectionId next = new ConnectionId(A.pid(), A.fd(), A.generation() + 2);
        reassembler.accept(data(A, INGRESS, 0, "GET", 1));
        reassembler.accept(new ConnectionClosed(2 * MS, successor, 1, 90, 4000,
                new LossNotice(EventLayout.LOSS_CLOSE_BEFORE | EventLayout.LOSS_OPEN, null)));
        assertEquals(StreamEnd.CLOSE_LOST, listeners.get(A).end);
        assertEquals(0, reassembler.openConnections());
        reassembler.accept(data(next, INGRESS, 0, "GET", 3));
        assertEquals(1, reassembler.openConnections());
        assertEquals(List.of(A, next), created, "the successor itself had nothing to report");
    }

    /** A close the kernel kept for user space (lost_closes) ends its connection with the final positions. */
    @Test
    void aCollectedLostCloseEndsItsConnectionWithTheTrailingLoss() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 0, "GET", 1));
        reassembler.accept(new ConnectionClosed(2 * MS, A, 1, 4550, 3));
        assertEquals("[gap 4550]", listeners.get(A).egress.toString());
        assertEquals(StreamEnd.CLOSED, listeners.get(A).end);
    }

    @Test
    void finishEndsEverythingAndFreesAllBuffers() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, INGRESS, 3, "held", 1));
        reassembler.accept(data(B, EGRESS, 0, "b", 1));
        reassembler.finish(5 * MS);
        assertEquals("[gap 3]held", listeners.get(A).ingress.toString());
        assertEquals(StreamEnd.STOPPED, listeners.get(A).end);
        assertEquals(StreamEnd.STOPPED, listeners.get(B).end);
        assertEquals(0, reassembler.bufferedBytes());
        assertEquals(0, reassembler.openConnections());
    }

    @Test
    void expectedMissingBytesAreSkippedWithoutWaiting() {
        Reassembler reassembler = new Reassembler(settings(), (id, control) -> {
            Recording recording = new Recording() {
                @Override
                public void onData(Direction direction, byte[] data, int offset, int length, long position,
                                   long timestampNanos, int tid) {
                    super.onData(direction, data, offset, length, position, timestampNanos, tid);
                    if (position == 0) {
                        control.expectMissing(direction, 10, 1000);
                    }
                }
            };
            listeners.put(id, recording);
            return recording;
        });
        reassembler.accept(data(A, EGRESS, 0, "0123456789ab", 1));
        reassembler.accept(data(A, EGRESS, 900, "tail", 2));
        assertEquals("0123456789ab[gap 888]tail", listeners.get(A).egress.toString());
        assertEquals(888, reassembler.stats().skippedBytes());
        assertEquals(0, reassembler.stats().gaps(), "a requested skip is not a capture gap");
        assertEquals(0, reassembler.stats().reorderedEvents());
    }

    private static DataEvent marker(long position, long bytes, MarkerReason reason, long millis) {
        return new DataEvent(millis * MS, A, 1, EGRESS, position, bytes, new byte[0], reason);
    }

    @Test
    void anEmptyRecordMarksBytesThatPassedUncopiedWithItsReason() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, EGRESS, 0, "head", 1));
        reassembler.accept(marker(4, 1000, MarkerReason.SENDFILE, 2));
        assertEquals("head[SENDFILE 1000]", listeners.get(A).egress.toString(), "known at once, not at the next record");
        reassembler.accept(data(A, EGRESS, 1004, "next", 3));
        reassembler.accept(marker(1010, 10, MarkerReason.CAPTURE_LIMIT, 4));
        reassembler.accept(data(A, EGRESS, 1008, "xy", 4));
        assertEquals("head[SENDFILE 1000]nextxy[CAPTURE_LIMIT 10]", listeners.get(A).egress.toString(),
                "in order after a hold");
        reassembler.accept(marker(0, 20, MarkerReason.SENDFILE, 5));
        assertEquals("head[SENDFILE 1000]nextxy[CAPTURE_LIMIT 10]", listeners.get(A).egress.toString(),
                "stale marker ignored");
        assertEquals(0, reassembler.stats().gaps(), "nothing was lost");
        assertEquals(0, reassembler.stats().gapBytes());
        assertEquals(1010, reassembler.stats().uncopiedBytes());
    }

    @Test
    void aPositionJumpIsLostEvenRightBeforeAMarker() {
        Reassembler reassembler = reassembler(settings());
        reassembler.accept(data(A, EGRESS, 0, "head", 1));
        reassembler.accept(marker(10, 100, MarkerReason.UNREADABLE, 2)); // bytes 4..10: no record says why
        reassembler.accept(marker(110, 5, MarkerReason.SKIPPED, 3));
        reassembler.accept(marker(115, 7, MarkerReason.NONE, 4)); // a reason this build does not know: not trusted
        reassembler.accept(new ConnectionClosed(5 * MS, A, 1, 122, 0)); // gives up on the hole at 4
        assertEquals("head[gap 6][UNREADABLE 100][SKIPPED 5][gap 7]", listeners.get(A).egress.toString());
        assertEquals(2, reassembler.stats().gaps());
        assertEquals(13, reassembler.stats().gapBytes());
        assertEquals(105, reassembler.stats().uncopiedBytes());
    }

    @Test
    void listenersReservationsAreReturnedWhenTheConnectionEnds() {
        Reassembler reassembler = new Reassembler(settings(), (id, control) -> {
            control.budget();
            return new Recording() {
                @Override
                public void onData(Direction direction, byte[] data, int offset, int length, long position,
                                   long timestampNanos, int tid) {
                    assertTrue(control.budget().tryReserve(length));
                }
            };
        });
        reassembler.accept(data(A, INGRESS, 0, "kept by the listener", 1));
        assertEquals(20, reassembler.bufferedBytes());
        reassembler.accept(new ConnectionClosed(2 * MS, A, 1, 0, 20));
        assertEquals(0, reassembler.bufferedBytes());
        assertEquals(20, reassembler.stats().peakBufferedBytes());
    }
}
