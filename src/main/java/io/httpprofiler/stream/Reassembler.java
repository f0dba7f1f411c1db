package io.httpprofiler.stream;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.DataEvent;
import io.httpprofiler.capture.LossNotice;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns capture events into ordered per-connection byte streams for {@link StreamListener}s. Single-threaded and
 * clock-free: time only advances through event timestamps and {@link #expire(long)}.
 *
 * <p>A connection is tracked from its first event (open or data) until it closes, goes idle, is shed for the tracking
 * limit, or {@link #finish()}. When an fd shows up with a newer generation, the older connection on that fd must have
 * been closed even if the close was not seen, so it is ended as closed.
 */
public final class Reassembler {
    private final ReassemblySettings settings;
    private final StreamListenerFactory listeners;
    private final BufferBudget budget;
    private final ReassemblyCounters counters = new ReassemblyCounters();
    /** Access-ordered: iteration starts at the least recently active connection. */
    private final LinkedHashMap<ConnectionId, TrackedConnection> connections = new LinkedHashMap<>(256, 0.75f, true);
    /** (pid, fd) to the generation currently tracked on it. */
    private final Map<Long, ConnectionId> bySocket = new HashMap<>();

    public Reassembler(ReassemblySettings settings, StreamListenerFactory listeners) {
        this.settings = settings;
        this.listeners = listeners;
        this.budget = new BufferBudget(settings.totalBufferBytes());
    }

    public void accept(CaptureEvent event) {
        if (event instanceof DataEvent data) {
            acceptData(data);
        } else if (event instanceof ConnectionOpened opened) {
            TrackedConnection connection = track(opened.connection(), opened.timestampNanos(), opened.loss());
            connection.listener().onOpened(opened);
        } else if (event instanceof ConnectionClosed closed) {
            TrackedConnection connection = connections.remove(closed.connection());
            if (connection == null) {
                // Every other record of it was lost; still, the connection before it on this fd has ended.
                endPredecessor(closed.connection(), closed.timestampNanos(), closed.loss().previousCloseLost());
            } else {
                reannounce(connection, closed.loss());
                forgetSocket(connection.id);
                connection.close(closed.egressBytes(), closed.ingressBytes(), closed.timestampNanos());
            }
        }
    }

    private void acceptData(DataEvent data) {
        counters.dataEvents++;
        counters.bytes += data.data().length;
        TrackedConnection connection = track(data.connection(), data.timestampNanos(), data.loss());
        reannounce(connection, data.loss());
        connection.accept(data);
        if (connection.isHolding()) {
            connection.giveUpStaleHoles(data.timestampNanos(), settings.reorderWindowNanos());
        }
    }

    /** The connection's open was lost; this record says what it said. */
    private static void reannounce(TrackedConnection connection, LossNotice loss) {
        if (loss.reannounced() != null) {
            connection.listener().onOpened(loss.reannounced());
        }
    }

    private TrackedConnection track(ConnectionId id, long timestampNanos, LossNotice loss) {
        TrackedConnection connection = connections.get(id);
        if (connection == null) {
            connection = startTracking(id, timestampNanos, loss.previousCloseLost());
        }
        connection.lastActivityNanos = Math.max(connection.lastActivityNanos, timestampNanos);
        return connection;
    }

    private TrackedConnection startTracking(ConnectionId id, long timestampNanos, boolean previousCloseLost) {
        endPredecessor(id, timestampNanos, previousCloseLost);
        bySocket.putIfAbsent(socketKey(id), id); // unless a newer connection holds the fd already (a late record)
        if (connections.size() >= settings.maxConnections()) {
            shedLeastRecentlyActive(timestampNanos);
        }
        TrackedConnection connection =
                new TrackedConnection(id, budget.forConnection(settings.connectionBufferBytes()), counters);
        connection.attach(listeners.create(id, connection));
        connections.put(id, connection);
        counters.connections++;
        return connection;
    }

    /**
     * A newer connection on the same fd means the one tracked there was closed, even if its close was not seen;
     * {@code closeLost}: the kernel says that close was lost, with whatever it left unsaid.
     */
    private void endPredecessor(ConnectionId id, long timestampNanos, boolean closeLost) {
        ConnectionId previous = bySocket.get(socketKey(id));
        if (previous == null || previous.generation() >= id.generation()) {
            return;
        }
        bySocket.remove(socketKey(id));
        TrackedConnection superseded = connections.remove(previous);
        if (superseded != null) {
            superseded.end(closeLost ? StreamEnd.CLOSE_LOST : StreamEnd.CLOSED, timestampNanos);
        }
    }

    private void shedLeastRecentlyActive(long timestampNanos) {
        Iterator<TrackedConnection> oldest = connections.values().iterator();
        TrackedConnection victim = oldest.next();
        oldest.remove();
        forgetSocket(victim.id);
        counters.shedConnections++;
        victim.end(StreamEnd.SHED, timestampNanos);
    }

    /**
     * Gives up on holes older than the reorder window and ends connections idle for longer than the idle timeout.
     * {@code nowNanos} is on the events' clock (wall-clock epoch nanoseconds).
     */
    public void expire(long nowNanos) {
        List<TrackedConnection> idle = new ArrayList<>();
        for (TrackedConnection connection : connections.values()) {
            if (nowNanos - connection.lastActivityNanos > settings.idleTimeoutNanos()) {
                idle.add(connection);
            } else if (connection.isHolding()) {
                connection.giveUpStaleHoles(nowNanos, settings.reorderWindowNanos());
            }
        }
        for (TrackedConnection connection : idle) {
            connections.remove(connection.id);
            forgetSocket(connection.id);
            counters.expiredConnections++;
            connection.end(StreamEnd.IDLE, nowNanos);
        }
    }

    /** Ends every connection as {@link StreamEnd#STOPPED}; the reassembler is empty (and usable) afterwards. */
    public void finish(long nowNanos) {
        List<TrackedConnection> all = new ArrayList<>(connections.values());
        connections.clear();
        bySocket.clear();
        for (TrackedConnection connection : all) {
            connection.end(StreamEnd.STOPPED, nowNanos);
        }
    }

    private void forgetSocket(ConnectionId id) {
        bySocket.remove(socketKey(id), id);
    }

    private static long socketKey(ConnectionId id) {
        return ((long) id.pid() << 32) | (id.fd() & 0xffffffffL);
    }

    public int openConnections() {
        return connections.size();
    }

    /** Bytes held now by the reassembly and the listeners, as reserved from the budget. */
    public long bufferedBytes() {
        return budget.used();
    }

    public ReassemblyStats stats() {
        return new ReassemblyStats(counters.dataEvents, counters.bytes, counters.duplicateBytes,
                counters.reorderedEvents, counters.gaps, counters.gapBytes, counters.skippedBytes,
                counters.uncopiedBytes, counters.connections,
                connections.size(), counters.shedConnections, counters.expiredConnections, budget.used(), budget.peak(),
                budget.refusedBytes());
    }
}
