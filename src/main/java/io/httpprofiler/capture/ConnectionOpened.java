package io.httpprofiler.capture;

import java.net.InetSocketAddress;

/**
 * The kernel started tracking a connection: at accept() (role SERVER), connect() (role CLIENT), or at the first data on a TCP
 * socket whose start was not seen (role UNKNOWN). {@code command} is the process's name (thread group leader's comm).
 * {@code loss} says what a full ring took before it (only that the previous connection on the fd lost its close).
 * A connection found to carry TLS is opened again as a new generation on the same fd, with {@code tls} saying whether its
 * bytes are plaintext from the TLS library; {@code tls} is null for plain TCP.
 */
public record ConnectionOpened(long timestampNanos, ConnectionId connection, int tid, String command, Role role,
                               InetSocketAddress local, InetSocketAddress remote, LossNotice loss, TlsMark tls)
        implements CaptureEvent {

    /** A plain TCP connection, nothing lost before it. */
    public ConnectionOpened(long timestampNanos, ConnectionId connection, int tid, String command, Role role,
                            InetSocketAddress local, InetSocketAddress remote) {
        this(timestampNanos, connection, tid, command, role, local, remote, LossNotice.NONE, null);
    }

    /** A plain TCP connection with what was lost before it. */
    public ConnectionOpened(long timestampNanos, ConnectionId connection, int tid, String command, Role role,
                            InetSocketAddress local, InetSocketAddress remote, LossNotice loss) {
        this(timestampNanos, connection, tid, command, role, local, remote, loss, null);
    }
}
