package io.httpprofiler.stream;

import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.Direction;

import java.util.ArrayList;

/**
 * One direction of a connection, by stream position: where it stands, which records wait ahead of a hole (in position
 * order), and how a record is delivered: bytes already delivered are trimmed, bytes missing before it are reported as a
 * gap. When records wait and when they go is decided by the {@link TrackedConnection}, for both directions together.
 *
 * <p>A record without data is a marker from the capture side: {@code callSize} bytes at {@code position} passed without
 * being copied, for the reason it gives. It turns them into a gap with that cause at once, so that the end of a message
 * whose tail was not copied is known when it happens rather than when the next bytes arrive. Bytes missing with no
 * record at all (a jump in position) are a gap of cause {@link GapCause#LOST}.
 */
final class DirectionStream {
    private final Direction direction;
    private final ReassemblyCounters counters;
    private final ArrayList<DataEvent> held = new ArrayList<>(0);
    private long next;
    private long missingFrom = -1;
    private long missingTo = -1;

    DirectionStream(Direction direction, ReassemblyCounters counters) {
        this.direction = direction;
        this.counters = counters;
    }

    /** The record continues the stream: nothing lies between but bytes the listener said it does not want. */
    boolean fits(DataEvent event) {
        return event.position() <= next || expectedMissing(next, event.position());
    }

    /** Delivers a record now: a gap first for bytes missing before it, bytes already delivered trimmed. */
    void deliver(DataEvent event, StreamListener listener) {
        if (event.loss().recordsLost(direction.opposite())) {
            listener.onRecordsLost(direction.opposite(), event.timestampNanos());
        }
        int length = event.data().length;
        if (coveredEnd(event) <= next) {
            counters.duplicateBytes += length;
            return;
        }
        long position = event.position();
        if (position > next) {
            gap(position, GapCause.LOST, event.timestampNanos(), listener);
        }
        if (length == 0) {
            gap(coveredEnd(event), GapCause.of(event.markerReason()), event.timestampNanos(), listener);
            return;
        }
        int skip = (int) (next - position);
        counters.duplicateBytes += skip;
        next = event.end();
        listener.onData(direction, event.data(), skip, length - skip, position + skip, event.timestampNanos(),
                event.tid());
    }

    /** Keeps a record until its turn, in position order (a late record goes before those that overtook it). */
    void hold(DataEvent event) {
        int index = held.size();
        while (index > 0 && held.get(index - 1).position() > event.position()) {
            index--;
        }
        held.add(index, event);
    }

    boolean isHolding() {
        return !held.isEmpty();
    }

    /** The held record that comes first in the stream. */
    DataEvent firstHeld() {
        return held.get(0);
    }

    DataEvent removeFirstHeld() {
        return held.remove(0);
    }

    /** The connection closed with the kernel's final position for this direction; trailing lost bytes become a gap. */
    void close(long finalPosition, long timestampNanos, StreamListener listener) {
        if (finalPosition > next) {
            gap(finalPosition, GapCause.LOST, timestampNanos, listener);
        }
    }

    void expectMissing(long fromPosition, long toPosition) {
        missingFrom = fromPosition;
        missingTo = toPosition;
    }

    private boolean expectedMissing(long from, long to) {
        return from >= missingFrom && to <= missingTo;
    }

    private void gap(long upTo, GapCause cause, long timestampNanos, StreamListener listener) {
        long length = upTo - next;
        if (expectedMissing(next, upTo)) {
            counters.skippedBytes += length;
        } else if (cause.isLoss()) {
            counters.gaps++;
            counters.gapBytes += length;
        } else {
            counters.uncopiedBytes += length;
        }
        long from = next;
        next = upTo;
        listener.onGap(direction, from, length, cause, timestampNanos);
    }

    /** Where the stream stands after this record: past its bytes, or past the bytes an empty record says passed. */
    static long coveredEnd(DataEvent event) {
        return event.data().length > 0 ? event.end() : event.position() + Math.max(0, event.callSize());
    }
}
