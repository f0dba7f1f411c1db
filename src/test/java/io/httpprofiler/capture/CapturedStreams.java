package io.httpprofiler.capture;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads captured events the way the stream layer will: by connection, direction and byte position. Holds the checks
 * that compare a capture with an {@link Endpoint}'s {@link SocketCallLog}, the ground truth.
 */
final class CapturedStreams {
    private CapturedStreams() {
    }

    /** The ConnectionOpened whose tuple has these ports, if the probe reported one. */
    static Optional<ConnectionOpened> opened(List<CaptureEvent> events, int localPort, int remotePort) {
        return events.stream().filter(e -> e instanceof ConnectionOpened o && o.local().getPort() == localPort
                && o.remote().getPort() == remotePort).map(ConnectionOpened.class::cast).findFirst();
    }

    static Optional<ConnectionClosed> closed(List<CaptureEvent> events, ConnectionId id) {
        return events.stream().filter(e -> e instanceof ConnectionClosed c && c.connection().equals(id))
                .map(ConnectionClosed.class::cast).findFirst();
    }

    /** For awaiting: the probe reported this connection's close. */
    static boolean sawClose(List<CaptureEvent> events, int localPort, int remotePort) {
        return opened(events, localPort, remotePort).flatMap(o -> closed(events, o.connection())).isPresent();
    }

    static boolean sawClose(List<CaptureEvent> events, Endpoint endpoint) {
        return sawClose(events, endpoint.local.getPort(), endpoint.remote.getPort());
    }

    /** One connection's data records in one direction, in stream order. */
    static List<DataEvent> records(List<CaptureEvent> events, ConnectionId id, Direction direction) {
        return events.stream().filter(e -> e instanceof DataEvent d && d.connection().equals(id)
                        && d.direction() == direction).map(DataEvent.class::cast)
                .sorted(Comparator.comparingLong(DataEvent::position)).toList();
    }

    /** The stream's bytes, checking that the records start at position 0 and follow each other without gap or overlap. */
    static byte[] reassembleContiguousFromZero(List<DataEvent> records, String what) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        long expected = 0;
        for (DataEvent record : records) {
            if (record.position() != expected) {
                fail(what + ": record at position " + record.position() + " where " + expected + " was expected");
            }
            stream.writeBytes(record.data());
            expected = record.end();
        }
        return stream.toByteArray();
    }

    /**
     * The socket calls behind the records: a call starting at position p with callSize n covers the records in
     * [p, p + n), all of which must carry that callSize and the same tid.
     */
    static List<SocketCallLog.Call> calls(List<DataEvent> records, String what) {
        List<SocketCallLog.Call> calls = new ArrayList<>();
        int i = 0;
        while (i < records.size()) {
            DataEvent first = records.get(i);
            long end = first.position() + first.callSize();
            for (; i < records.size() && records.get(i).position() < end; i++) {
                DataEvent part = records.get(i);
                assertEquals(first.callSize(), part.callSize(), what + ": callSize within the call at " + first.position());
                assertEquals(first.tid(), part.tid(), what + ": tid within the call at " + first.position());
                assertTrue(part.end() <= end, what + ": record at " + part.position() + " runs past its call");
            }
            calls.add(new SocketCallLog.Call(first.callSize(), first.tid()));
        }
        return calls;
    }

    /**
     * Everything the probe promises about one end of a connection: its ConnectionOpened (pid, fd, tid, role, tuple,
     * command), both directions' bytes contiguous from position 0 and equal to what was sent and received, one call per
     * socket call with its full size and the caller's tid, records no larger than MAX_RECORD_DATA, and a
     * ConnectionClosed carrying the final byte counts from the thread that closed it.
     */
    static void assertEndpointCaptured(List<CaptureEvent> events, Endpoint endpoint) {
        ConnectionOpened opened = opened(events, endpoint.local.getPort(), endpoint.remote.getPort())
                .orElseGet(() -> fail("no ConnectionOpened for " + endpoint));
        ConnectionId id = opened.connection();
        assertAll(endpoint + " opened",
                () -> assertEquals(ProcFs.pid(), id.pid(), "pid"),
                () -> assertEquals(endpoint.fd, id.fd(), "fd"),
                () -> assertEquals(endpoint.setupTid, opened.tid(), "tid of the connect()/accept() caller"),
                () -> assertEquals(endpoint.role, opened.role(), "role"),
                () -> assertEquals(endpoint.local, opened.local(), "local address"),
                () -> assertEquals(endpoint.remote, opened.remote(), "remote address"),
                () -> assertEquals(ProcFs.comm(), opened.command(), "command"));
        for (Direction direction : Direction.values()) {
            String what = endpoint + " " + direction;
            List<DataEvent> records = records(events, id, direction);
            for (DataEvent record : records) {
                assertTrue(record.data().length <= EventLayout.MAX_RECORD_DATA, what + ": oversized record");
            }
            assertArrayEquals(endpoint.callLog.bytes(direction), reassembleContiguousFromZero(records, what),
                    what + ": bytes");
            assertEquals(endpoint.callLog.calls(direction), calls(records, what),
                    what + ": calls as (callSize, tid)");
        }
        ConnectionClosed closed = closed(events, id).orElseGet(() -> fail("no ConnectionClosed for " + endpoint));
        assertAll(endpoint + " closed",
                () -> assertEquals(endpoint.callLog.bytes(Direction.EGRESS).length, closed.egressBytes(), "egress"),
                () -> assertEquals(endpoint.callLog.bytes(Direction.INGRESS).length, closed.ingressBytes(), "ingress"),
                () -> assertEquals(endpoint.closeTid(), closed.tid(), "tid of the close() caller"));
    }

    /** The pid filter let nothing else through. */
    static void assertOnlyFromThisProcess(List<CaptureEvent> events) {
        for (CaptureEvent event : events) {
            assertEquals(ProcFs.pid(), event.connection().pid(), () -> "event from another process: " + event);
        }
    }
}
