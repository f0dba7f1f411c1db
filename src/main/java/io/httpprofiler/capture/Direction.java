package io.httpprofiler.capture;

/** Which way bytes moved, seen from the traced process. */
public enum Direction {
    /** Written by the traced process (send, write, writev...). */
    EGRESS,
    /** Read by the traced process (recv, read, readv...). */
    INGRESS;

    public Direction opposite() {
        return this == EGRESS ? INGRESS : EGRESS;
    }
}
