package io.httpprofiler.http;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;
import io.httpprofiler.capture.Role;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Turns a {@link Conversation} into the capture events the kernel side would produce for one process's side of the
 * connection, cut into records as a {@link Splitter} says. Every record of a turn carries the turn's timestamp, so the
 * exchanges come out identical however the turns are cut and interleaved.
 */
final class EventScript {
    static final long T0 = 1_795_000_000_000_000_000L;
    static final long TURN_NANOS = 1_000_000;
    static final int PID = 4242;
    static final int TID = 4243;
    static final InetSocketAddress SERVER_ADDRESS = new InetSocketAddress("127.0.0.1", 8080);
    static final InetSocketAddress CLIENT_ADDRESS = new InetSocketAddress("127.0.0.1", 51234);

    /** Record lengths for one turn. */
    interface Splitter {
        int[] split(int turnIndex, int length);

        static Splitter whole() {
            return (turn, length) -> new int[] {length};
        }

        /** Turn {@code turn} cut in two at {@code at}. */
        static Splitter at(int turn, int at) {
            return (t, length) -> t == turn && at > 0 && at < length ? new int[] {at, length - at} : new int[] {length};
        }

        /** Turn {@code turn} cut at each of the ascending offsets {@code at}. */
        static Splitter cuts(int turn, int... at) {
            return (t, length) -> {
                if (t != turn) {
                    return new int[] {length};
                }
                int[] lengths = new int[at.length + 1];
                int previous = 0;
                for (int i = 0; i < at.length; i++) {
                    lengths[i] = at[i] - previous;
                    previous = at[i];
                }
                lengths[at.length] = length - previous;
                return lengths;
            };
        }

        static Splitter fragments(int size) {
            return (turn, length) -> {
                int[] lengths = new int[(length + size - 1) / size];
                Arrays.fill(lengths, size);
                if (length % size != 0) {
                    lengths[lengths.length - 1] = length % size;
                }
                return lengths;
            };
        }

        static Splitter random(Random random, int maxRecord) {
            return (turn, length) -> {
                List<Integer> lengths = new ArrayList<>();
                for (int left = length; left > 0; ) {
                    int next = Math.min(left, 1 + random.nextInt(maxRecord));
                    lengths.add(next);
                    left -= next;
                }
                return lengths.stream().mapToInt(Integer::intValue).toArray();
            };
        }
    }

    private final ConnectionId id;
    private final Role role;

    EventScript(ConnectionId id, Role role) {
        this.id = id;
        this.role = role;
    }

    static EventScript server(int fd) {
        return new EventScript(new ConnectionId(PID, fd, 1_000 + fd), Role.SERVER);
    }

    static EventScript client(int fd) {
        return new EventScript(new ConnectionId(PID, fd, 1_000 + fd), Role.CLIENT);
    }

    ConnectionId id() {
        return id;
    }

    Direction directionOf(boolean request) {
        boolean egress = role == Role.CLIENT ? request : !request;
        return egress ? Direction.EGRESS : Direction.INGRESS;
    }

    ConnectionOpened opened() {
        InetSocketAddress local = role == Role.CLIENT ? CLIENT_ADDRESS : SERVER_ADDRESS;
        InetSocketAddress remote = role == Role.CLIENT ? SERVER_ADDRESS : CLIENT_ADDRESS;
        return new ConnectionOpened(T0 - 1, id, TID, "demo", role, local, remote);
    }

    /** The data records of every turn, turn after turn. */
    List<List<DataEvent>> records(Conversation conversation, Splitter splitter) {
        List<List<DataEvent>> perTurn = new ArrayList<>();
        long[] positions = new long[2];
        List<Conversation.Turn> turns = conversation.turns();
        for (int t = 0; t < turns.size(); t++) {
            Conversation.Turn turn = turns.get(t);
            Direction direction = directionOf(turn.request());
            List<DataEvent> records = new ArrayList<>();
            int offset = 0;
            for (int length : splitter.split(t, turn.bytes().length)) {
                byte[] data = Arrays.copyOfRange(turn.bytes(), offset, offset + length);
                long position = positions[direction.ordinal()];
                records.add(new DataEvent(T0 + t * TURN_NANOS, id, TID, direction, position, length, data));
                positions[direction.ordinal()] += length;
                offset += length;
            }
            perTurn.add(records);
        }
        return perTurn;
    }

    /** Opened, every record in turn order, closed. */
    List<CaptureEvent> events(Conversation conversation, Splitter splitter) {
        List<CaptureEvent> events = new ArrayList<>();
        events.add(opened());
        records(conversation, splitter).forEach(events::addAll);
        events.add(closed(conversation));
        return events;
    }

    /**
     * Opened, the records of both sides merged at random (each side's own order kept, and no turn starting before the
     * turn it reacts to is complete), closed.
     */
    List<CaptureEvent> interleaved(Conversation conversation, Splitter splitter, Random random) {
        List<List<DataEvent>> perTurn = records(conversation, splitter);
        List<Conversation.Turn> turns = conversation.turns();
        int[] delivered = new int[turns.size()];
        List<CaptureEvent> events = new ArrayList<>();
        events.add(opened());
        while (true) {
            List<Integer> ready = new ArrayList<>();
            for (boolean request : new boolean[] {true, false}) {
                int next = nextTurn(turns, perTurn, delivered, request);
                int after = next < 0 ? -1 : turns.get(next).after();
                if (next >= 0 && (after < 0 || delivered[after] == perTurn.get(after).size())) {
                    ready.add(next);
                }
            }
            if (ready.isEmpty()) {
                break;
            }
            int turn = ready.get(random.nextInt(ready.size()));
            events.add(perTurn.get(turn).get(delivered[turn]++));
        }
        events.add(closed(conversation));
        return events;
    }

    private static int nextTurn(List<Conversation.Turn> turns, List<List<DataEvent>> perTurn, int[] delivered,
                                boolean request) {
        for (int t = 0; t < turns.size(); t++) {
            if (turns.get(t).request() == request && delivered[t] < perTurn.get(t).size()) {
                return t;
            }
        }
        return -1;
    }

    ConnectionClosed closed(Conversation conversation) {
        long[] totals = new long[2];
        for (Conversation.Turn turn : conversation.turns()) {
            totals[directionOf(turn.request()).ordinal()] += turn.bytes().length;
        }
        long end = T0 + conversation.turns().size() * TURN_NANOS;
        return new ConnectionClosed(end, id, TID, totals[Direction.EGRESS.ordinal()],
                totals[Direction.INGRESS.ordinal()]);
    }
}
