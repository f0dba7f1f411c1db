package io.httpprofiler.capture;

/**
 * Bytes that moved through one socket call, or a part of them. {@code position} is the stream offset (per connection and
 * direction, counted by the kernel) of {@code data[0]}; {@code callSize} is the full byte count the call transferred.
 * A record with no data is a marker: {@code callSize} bytes at {@code position} moved but were not copied, and
 * {@code markerReason} says why (sendfile, past the per-call capture cap, a body nobody keeps, unreadable memory). Bytes
 * lost without a marker (ring buffer full) show up as a jump in position: the kernel always advances the position by
 * the whole call. {@code loss} says what a full ring took from the connection before this record.
 */
public record DataEvent(long timestampNanos, ConnectionId connection, int tid, Direction direction, long position,
                        long callSize, byte[] data, MarkerReason markerReason, LossNotice loss)
        implements CaptureEvent {

    /** A record that reports no earlier loss. */
    public DataEvent(long timestampNanos, ConnectionId connection, int tid, Direction direction, long position,
                     long callSize, byte[] data, MarkerReason markerReason) {
        this(timestampNanos, connection, tid, direction, position, callSize, data, markerReason, LossNotice.NONE);
    }

    /** A record with data, or a marker whose reason is unknown. */
    public DataEvent(long timestampNanos, ConnectionId connection, int tid, Direction direction, long position,
                     long callSize, byte[] data) {
        this(timestampNanos, connection, tid, direction, position, callSize, data, MarkerReason.NONE);
    }

    /** Stream offset just past this record's bytes. */
    public long end() {
        return position + data.length;
    }
}
