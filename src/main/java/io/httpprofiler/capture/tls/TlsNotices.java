package io.httpprofiler.capture.tls;

import io.httpprofiler.capture.CaptureEvent;
import io.httpprofiler.capture.ConnectionClosed;
import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.ConnectionOpened;
import io.httpprofiler.capture.TlsMark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Connections that carry TLS the probes do not decrypt: counted, and explained once per process, never shown as
 * garbage. The kernel opens a ciphertext generation when it sees TLS records on a socket outside a probed library's
 * calls; a library the probes reach only that way (Node.js's, whose event loop moves the ciphertext itself) follows it
 * at the handshake's end with a plaintext generation on the same fd. (TLS records moved inside a probed library's
 * calls open a handshake generation instead: that library is seen, even if its handshake fails.) One that is closed, or
 * {@link #DECIDE_AFTER_NANOS} old, without that, is one whose plaintext cannot be seen here (Java's JSSE, Go's
 * crypto/tls, a stripped or unknown TLS library).
 */
public final class TlsNotices {
    static final long DECIDE_AFTER_NANOS = 3_000_000_000L;
    /** Undecided connections tracked at most; past this, new ones are decided (counted) at once. */
    static final int MAX_UNDECIDED = 65_536;
    private static final int MAX_EXPLAINED_PROCESSES = 4096;

    private record Undecided(ConnectionId id, String command, long openedNanos) {
    }

    private final TlsWatcher watcher;
    private final Path proc;
    private final Consumer<String> log;
    /** By (pid, fd). */
    private final Map<Long, Undecided> undecided = new HashMap<>();
    private final Set<Integer> explained = new HashSet<>();
    private long notDecrypted;

    /** @param watcher what was probed where (null: TLS libraries are not probed) */
    public TlsNotices(TlsWatcher watcher, Path proc, Consumer<String> log) {
        this.watcher = watcher;
        this.proc = proc;
        this.log = log;
    }

    public void observe(CaptureEvent event) {
        if (event instanceof ConnectionOpened opened) {
            Undecided before = undecided.remove(socketKey(opened.connection()));
            if (before != null && (opened.tls() == null || opened.tls().kind() == TlsMark.Kind.CIPHERTEXT)) {
                decide(before); // the fd went to another connection: that one never showed plaintext
            }
            if (opened.tls() != null && opened.tls().kind() == TlsMark.Kind.CIPHERTEXT) {
                if (undecided.size() >= MAX_UNDECIDED) {
                    decide(new Undecided(opened.connection(), opened.command(), opened.timestampNanos()));
                } else {
                    undecided.put(socketKey(opened.connection()),
                            new Undecided(opened.connection(), opened.command(), opened.timestampNanos()));
                    if (watcher != null) {
                        watcher.lookAgain(opened.connection().pid()); // a library it loaded since?
                    }
                }
            }
        } else if (event instanceof ConnectionClosed closed) {
            Undecided pending = undecided.get(socketKey(closed.connection()));
            if (pending != null && pending.id().equals(closed.connection())) {
                undecided.remove(socketKey(closed.connection()));
                decide(pending);
            }
        }
    }

    /** Decides the connections that waited long enough ({@code nowNanos} on the events' clock). */
    public void expire(long nowNanos) {
        for (Iterator<Undecided> it = undecided.values().iterator(); it.hasNext(); ) {
            Undecided pending = it.next();
            if (nowNanos - pending.openedNanos() >= DECIDE_AFTER_NANOS) {
                it.remove();
                decide(pending);
            }
        }
    }

    /** The profiler stops: whatever is undecided was not decrypted. */
    public void finish() {
        undecided.values().forEach(this::decide);
        undecided.clear();
    }

    /** TLS connections whose plaintext was not seen. */
    public long notDecrypted() {
        return notDecrypted;
    }

    private void decide(Undecided connection) {
        notDecrypted++;
        int pid = connection.id().pid();
        if (explained.size() < MAX_EXPLAINED_PROCESSES && explained.add(pid)) {
            log.accept("PID " + pid + " (" + (connection.command() == null ? "?" : connection.command())
                    + ") uses TLS whose plaintext the profiler cannot see: " + reason(pid)
                    + "; its TLS connections are counted (\"TLS not decrypted\"), not shown");
        }
    }

    /** Why, as far as the process's memory map tells. */
    private String reason(int pid) {
        List<String> probed = watcher == null ? List.of() : watcher.librariesOf(pid);
        if (watcher == null) {
            return "--tls off";
        }
        String maps;
        try {
            maps = Files.readString(proc.resolve(pid + "/maps"));
        } catch (IOException | RuntimeException e) {
            maps = "";
        }
        if (maps.contains("/libjvm.so")) {
            return "Java's own TLS (JSSE) is not supported";
        }
        if (!probed.isEmpty()) {
            return "its TLS library " + String.join(", ", probed) + " is probed, but this connection's plaintext did not"
                    + " pass through it (another TLS implementation in the same process?)";
        }
        return "no TLS library the profiler can probe was found in it (supported: OpenSSL and its kin with symbols,"
                + " as a shared library or in the executable; not: Java's JSSE, Go's crypto/tls, stripped static"
                + " binaries)";
    }

    private static long socketKey(ConnectionId id) {
        return ((long) id.pid() << 32) | (id.fd() & 0xffffffffL);
    }
}
