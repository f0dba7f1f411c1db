package io.httpprofiler.http;

/**
 * Finds the first start line in one direction of a connection whose role is unknown: a request line there means this
 * direction carries requests. Looks at the same candidate positions the parser seeks from (a record's first byte, the
 * byte after a line feed) and holds the few bytes of a candidate split across records.
 */
final class RoleSniffer {
    private final byte[] held = new byte[StartLines.PREFIX_BYTES];
    private final byte[] scratch = new byte[2 * StartLines.PREFIX_BYTES];
    private int heldLength;
    private StartLines.Kind found;

    /**
     * Scans a record. Returns the index where a start line begins, or -1. When {@link #heldLength()} is not zero on
     * return, the start line began in {@link #held()} bytes, just before {@code from}.
     */
    int scan(byte[] data, int from, int end) {
        if (heldLength > 0) {
            int added = Math.min(end - from, StartLines.PREFIX_BYTES);
            System.arraycopy(held, 0, scratch, 0, heldLength);
            System.arraycopy(data, from, scratch, heldLength, added);
            StartLines.Shape shape = StartLines.classify(scratch, 0, heldLength + added);
            if (decided(shape)) {
                return from;
            }
            if (shape == StartLines.Shape.UNDECIDED) {
                System.arraycopy(data, from, held, heldLength, end - from);
                heldLength += end - from;
                return -1;
            }
            heldLength = 0;
        }
        int i = from;
        while (i < end) {
            StartLines.Shape shape = StartLines.classify(data, i, end);
            if (decided(shape)) {
                return i;
            }
            if (shape == StartLines.Shape.UNDECIDED) {
                System.arraycopy(data, i, held, 0, end - i); // undecided means fewer bytes than PREFIX_BYTES
                heldLength = end - i;
                return -1;
            }
            int lineFeed = SwarBytes.indexOf(data, i, end, Ascii.LF);
            if (lineFeed < 0) {
                return -1;
            }
            i = lineFeed + 1;
        }
        return -1;
    }

    private boolean decided(StartLines.Shape shape) {
        if (shape == StartLines.Shape.REQUEST) {
            found = StartLines.Kind.REQUEST;
        } else if (shape == StartLines.Shape.RESPONSE) {
            found = StartLines.Kind.RESPONSE;
        }
        return found != null;
    }

    /** The kind of start line found by the last successful {@link #scan}. */
    StartLines.Kind found() {
        return found;
    }

    byte[] held() {
        return held;
    }

    int heldLength() {
        return heldLength;
    }

    /** Bytes were lost: a candidate held across records is void. */
    void gap() {
        heldLength = 0;
    }
}
