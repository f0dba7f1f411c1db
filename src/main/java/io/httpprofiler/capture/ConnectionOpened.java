package io.httpprofiler.capture;

import java.net.InetSocketAddress;

/**
 * The kernel started tracking a connection: at accept() (role SERVER), connect() (role CLIENT), or at the first data on a TCP
 * socket whose start was not seen (role UNKNOWN). {@code command} is the process's name (thread group leader's comm).
 * {@code loss} says what a full ring took before it (only that the previous connection on the fd lost its close).
 */
public record ConnectionOpened(long timestampNanos, ConnectionId connection, int tid, String command, Role role,
                               InetSocketAddress local, InetSocketAddress remote, LossNotice loss)
        implements CaptureEvent {

    public ConnectionOpened(long timestampNanos, ConnectionId connection, int tid, String command, Role role,
                            InetSocketAddress local, InetSocketAddress remote) {
        this(timestampNanos, connection, tid, command, role, local, remote, LossNotice.NONE);
    }
}
