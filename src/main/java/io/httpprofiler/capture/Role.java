package io.httpprofiler.capture;

import java.util.Locale;

/** The traced process's side of a connection. */
public enum Role {
    /** The connection's start was not seen; user space infers the role from who sends the request line. */
    UNKNOWN,
    /** The socket came from accept(): the traced process answers requests. */
    SERVER,
    /** The socket came from connect(): the traced process sends requests. */
    CLIENT;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
