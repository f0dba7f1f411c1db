package io.httpprofiler.capture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/** Turns one ring buffer record (a {@code struct probe_event}, see {@link EventLayout}) into a {@link CaptureEvent}. */
public final class EventDecoder {
    private final long wallClockOffsetNanos;
    private final IntFunction<String> tlsLibraries;
    private long malformedRecords;

    /** @param wallClockOffsetNanos added to the kernel's CLOCK_MONOTONIC timestamps to get epoch nanoseconds */
    public EventDecoder(long wallClockOffsetNanos) {
        this(wallClockOffsetNanos, index -> "TLS library " + index);
    }

    /**
     * @param tlsLibraries the name of a TLS library from the index its uprobes carry (the {@code tls_library} byte)
     */
    public EventDecoder(long wallClockOffsetNanos, IntFunction<String> tlsLibraries) {
        this.wallClockOffsetNanos = wallClockOffsetNanos;
        this.tlsLibraries = tlsLibraries;
    }

    /**
     * Decodes the record between the buffer's position and limit; returns null (and counts it) if it is malformed.
     * Reads at absolute offsets from the record's position, so a record in native byte order (as the ring hands them
     * out) is read in place, without a sliced view per record.
     */
    public CaptureEvent decode(ByteBuffer record) {
        ByteBuffer in = record.order() == ByteOrder.nativeOrder()
                ? record : record.slice().order(ByteOrder.nativeOrder());
        int at = in.position();
        if (in.remaining() < EventLayout.HEADER_SIZE) {
            malformedRecords++;
            return null;
        }
        long time = in.getLong(at + EventLayout.TIMESTAMP_NS) + wallClockOffsetNanos;
        ConnectionId id = new ConnectionId(in.getInt(at + EventLayout.TGID), in.getInt(at + EventLayout.FD),
                in.getLong(at + EventLayout.GENERATION));
        int tid = in.getInt(at + EventLayout.TID);
        int lossFlags = in.get(at + EventLayout.LOSS) & 0xff;
        switch (in.get(at + EventLayout.KIND)) {
            case EventLayout.EVENT_DATA -> {
                int length = in.getInt(at + EventLayout.DATA_LEN);
                if (length < 0 || length > in.remaining() - EventLayout.HEADER_SIZE) {
                    malformedRecords++;
                    return null;
                }
                byte[] data = new byte[length];
                in.get(at + EventLayout.DATA, data);
                Direction direction = in.get(at + EventLayout.DIRECTION) == EventLayout.DIRECTION_EGRESS
                        ? Direction.EGRESS : Direction.INGRESS;
                return new DataEvent(time, id, tid, direction, in.getLong(at + EventLayout.POSITION),
                        in.getLong(at + EventLayout.CALL_SIZE), data,
                        MarkerReason.of(in.get(at + EventLayout.MARKER_REASON)), loss(lossFlags, in, at, time, id, tid));
            }
            case EventLayout.EVENT_OPEN -> {
                return new ConnectionOpened(time, id, tid, comm(in, at), role(in.get(at + EventLayout.ROLE)),
                        address(in, at, EventLayout.LOCAL_ADDR, EventLayout.LOCAL_PORT),
                        address(in, at, EventLayout.REMOTE_ADDR, EventLayout.REMOTE_PORT),
                        lossFlags == 0 ? LossNotice.NONE : new LossNotice(lossFlags, null), tls(in, at));
            }
            case EventLayout.EVENT_CLOSE -> {
                return new ConnectionClosed(time, id, tid, in.getLong(at + EventLayout.POSITION),
                        in.getLong(at + EventLayout.CALL_SIZE), loss(lossFlags, in, at, time, id, tid));
            }
            case EventLayout.EVENT_EXEC -> {
                return null; // about a process, not a connection: see execedPid
            }
            default -> {
                malformedRecords++;
                return null;
            }
        }
    }

    /** A DATA or CLOSE record's loss flags; with LOSS_OPEN its header also holds what the lost open said. */
    private LossNotice loss(int flags, ByteBuffer in, int at, long time, ConnectionId id, int tid) {
        if (flags == 0) {
            return LossNotice.NONE;
        }
        ConnectionOpened reannounced = null;
        int family = in.get(at + EventLayout.FAMILY);
        if ((flags & EventLayout.LOSS_OPEN) != 0 && (family == EventLayout.AF_INET || family == EventLayout.AF_INET6)) {
            reannounced = new ConnectionOpened(time, id, tid, comm(in, at), role(in.get(at + EventLayout.ROLE)),
                    address(in, at, EventLayout.LOCAL_ADDR, EventLayout.LOCAL_PORT),
                    address(in, at, EventLayout.REMOTE_ADDR, EventLayout.REMOTE_PORT), LossNotice.NONE, tls(in, at));
        }
        return new LossNotice(flags, reannounced);
    }

    /**
     * A CLOSE record the ring could not hold, as the kernel kept it in its {@code lost_closes} map instead (key: tgid,
     * fd; value: {@code struct lost_close}). It says what the record would have said, and that it was late.
     */
    public ConnectionClosed lostClose(byte[] key, byte[] value) {
        ByteBuffer k = ByteBuffer.wrap(key).order(ByteOrder.nativeOrder());
        ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
        ConnectionId id = new ConnectionId(k.getInt(EventLayout.LostClose.KEY_TGID), k.getInt(EventLayout.LostClose.KEY_FD),
                v.getLong(EventLayout.LostClose.GENERATION));
        return new ConnectionClosed(v.getLong(EventLayout.LostClose.TIMESTAMP_NS) + wallClockOffsetNanos, id,
                v.getInt(EventLayout.LostClose.TID), v.getLong(EventLayout.LostClose.EGRESS),
                v.getLong(EventLayout.LostClose.INGRESS), lostCloseLoss(v.get(EventLayout.LostClose.LOSS) & 0xff));
    }

    /** What the lost close would have said of earlier losses; the reannounced open is not kept with it. */
    private static LossNotice lostCloseLoss(int flags) {
        return flags == 0 ? LossNotice.NONE : new LossNotice(flags & ~EventLayout.LOSS_OPEN, null);
    }

    /** The process an EVENT_EXEC record is about, or -1 for any other record. */
    public static int execedPid(ByteBuffer record) {
        int at = record.position();
        if (record.remaining() < EventLayout.HEADER_SIZE || record.get(at + EventLayout.KIND) != EventLayout.EVENT_EXEC) {
            return -1;
        }
        return record.order() == ByteOrder.nativeOrder() ? record.getInt(at + EventLayout.TGID)
                : record.duplicate().order(ByteOrder.nativeOrder()).getInt(at + EventLayout.TGID);
    }

    /** Records that did not decode: a sign of a kernel/user-space layout mismatch. */
    public long malformedRecords() {
        return malformedRecords;
    }

    private TlsMark tls(ByteBuffer in, int at) {
        return switch (in.get(at + EventLayout.TLS)) {
            case EventLayout.TLS_PLAINTEXT ->
                    TlsMark.plaintext(tlsLibraries.apply(Byte.toUnsignedInt(in.get(at + EventLayout.TLS_LIBRARY))));
            case EventLayout.TLS_HANDSHAKE ->
                    TlsMark.handshake(tlsLibraries.apply(Byte.toUnsignedInt(in.get(at + EventLayout.TLS_LIBRARY))));
            case EventLayout.TLS_CIPHERTEXT -> TlsMark.CIPHERTEXT;
            default -> null;
        };
    }

    private static Role role(byte code) {
        return switch (code) {
            case EventLayout.ROLE_SERVER -> Role.SERVER;
            case EventLayout.ROLE_CLIENT -> Role.CLIENT;
            default -> Role.UNKNOWN;
        };
    }

    private static String comm(ByteBuffer in, int at) {
        byte[] raw = new byte[EventLayout.COMM_BYTES];
        in.get(at + EventLayout.COMM, raw);
        int end = 0;
        while (end < raw.length && raw[end] != 0) {
            end++;
        }
        return new String(raw, 0, end, StandardCharsets.UTF_8);
    }

    private static InetSocketAddress address(ByteBuffer in, int at, int addressOffset, int portOffset) {
        int family = in.get(at + EventLayout.FAMILY);
        byte[] raw = new byte[EventLayout.ADDR_BYTES];
        in.get(at + addressOffset, raw);
        int port = Short.toUnsignedInt(in.getShort(at + portOffset));
        try {
            InetAddress address = InetAddress.getByAddress(family == EventLayout.AF_INET ? Arrays.copyOf(raw, 4) : raw);
            return new InetSocketAddress(address, port);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
