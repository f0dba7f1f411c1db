package io.httpprofiler.output;

import io.httpprofiler.capture.ConnectionId;
import io.httpprofiler.capture.Role;
import io.httpprofiler.http.Exchange;

import java.net.InetSocketAddress;

/**
 * What a writer rendered for the parts of an exchange that every exchange of a connection shares (connection, process
 * name, role, addresses), so that it is built once per connection rather than once per exchange. Exchanges of one
 * connection carry the very same objects for these parts, so entries are matched by identity: a connection whose
 * parts changed, or another connection in the same slot, simply misses. Direct-mapped and bounded: a capture with more
 * live connections than slots only misses more often.
 */
final class ConnectionTextCache {
    private static final int SLOTS = 512;

    private record Entry(ConnectionId connection, String command, Role role, InetSocketAddress local,
                         InetSocketAddress remote, byte[] text) {
        boolean matches(Exchange exchange) {
            return connection == exchange.connection() && command == exchange.command() && role == exchange.role()
                    && local == exchange.local() && remote == exchange.remote();
        }
    }

    private final Entry[] entries = new Entry[SLOTS];

    /** The text put for this exchange's connection, or null. */
    byte[] get(Exchange exchange) {
        Entry entry = entries[slot(exchange.connection())];
        return entry != null && entry.matches(exchange) ? entry.text : null;
    }

    void put(Exchange exchange, byte[] text) {
        entries[slot(exchange.connection())] = new Entry(exchange.connection(), exchange.command(), exchange.role(),
                exchange.local(), exchange.remote(), text);
    }

    private static int slot(ConnectionId connection) {
        return System.identityHashCode(connection) & (SLOTS - 1);
    }
}
