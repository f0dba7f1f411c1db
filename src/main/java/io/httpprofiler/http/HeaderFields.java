package io.httpprofiler.http;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A parsed header (or trailer) section, kept as the bytes it arrived as: every value, and every name that is not one of
 * {@link HeaderNames#SHARED}, in one array, with their bounds. A String (and its array) per header was most of what
 * parsing a head allocated, and writing it meant turning the chars back into bytes; the writers read the bytes from
 * here instead. As a {@code List} it shows each field as an {@link HttpHeader}, made when asked for.
 *
 * <p>An obs-fold continuation line is part of the previous field's value, joined with a space, as
 * {@link HttpHeader#value()} always showed it.
 */
public final class HeaderFields extends AbstractList<HttpHeader> implements RandomAccess {
    /** Ints per field in {@link #bounds}: shared name index (or -1), name start, name end, value start, value end. */
    private static final int STRIDE = 5;

    private final byte[] text;
    private final int[] bounds;
    private final int size;
    private final boolean ascii;

    private HeaderFields(byte[] text, int[] bounds, int size, boolean ascii) {
        this.text = text;
        this.bounds = bounds;
        this.size = size;
        this.ascii = ascii;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public HttpHeader get(int index) {
        return new HttpHeader(name(index), value(index));
    }

    /** The name as sent: the shared String for a common one. */
    public String name(int index) {
        int shared = sharedName(index);
        return shared >= 0 ? HeaderNames.SHARED.get(shared) : Ascii.string(text, nameStart(index), nameEnd(index));
    }

    public String value(int index) {
        return Ascii.string(text, valueStart(index), valueEnd(index));
    }

    /** The name's index in {@link HeaderNames#SHARED}, or -1 when it is not a shared one (its bytes are then here). */
    public int sharedName(int index) {
        return bounds[checked(index) * STRIDE];
    }

    /**
     * The names and values, as bounded by the start and end methods. Shared, not copied: do not modify. UTF-8 as sent
     * (names are ASCII tokens); see {@link #isAscii()}.
     */
    public byte[] text() {
        return text;
    }

    public int nameStart(int index) {
        return bounds[checked(index) * STRIDE + 1];
    }

    public int nameEnd(int index) {
        return bounds[checked(index) * STRIDE + 2];
    }

    public int valueStart(int index) {
        return bounds[checked(index) * STRIDE + 3];
    }

    public int valueEnd(int index) {
        return bounds[checked(index) * STRIDE + 4];
    }

    /**
     * Every byte of {@link #text()} is ASCII, so each byte is the char {@link #value(int)} would hold: a writer can
     * write the bytes as it would the String. Otherwise (UTF-8 or stray bytes from the wire) the Strings tell.
     */
    public boolean isAscii() {
        return ascii;
    }

    private int checked(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("field " + index + " of " + size);
        }
        return index;
    }

    /**
     * Collects one section's fields while it is parsed, then hands them out as a right-sized {@link HeaderFields}.
     * Reused from section to section; whatever grew large is let go of afterwards.
     */
    static final class Builder {
        private static final int RETAINED_TEXT = 4096;
        private static final int RETAINED_FIELDS = 64;
        private static final byte[] SPACE = {Ascii.SP};

        private byte[] text = new byte[512];
        private int[] bounds = new int[16 * STRIDE];
        private int length;
        private int fields;
        private long highBits;

        void clear() {
            length = 0;
            fields = 0;
            highBits = 0;
            if (text.length > RETAINED_TEXT) {
                text = new byte[RETAINED_TEXT];
            }
            if (bounds.length > RETAINED_FIELDS * STRIDE) {
                bounds = new int[RETAINED_FIELDS * STRIDE];
            }
        }

        boolean isEmpty() {
            return fields == 0;
        }

        /** A field; {@code sharedName} is the name's index in {@link HeaderNames#SHARED}, or -1 to keep its bytes. */
        void add(int sharedName, byte[] bytes, int nameFrom, int nameTo, int valueFrom, int valueTo) {
            if ((fields + 1) * STRIDE > bounds.length) {
                bounds = Arrays.copyOf(bounds, 2 * bounds.length);
            }
            int at = fields * STRIDE;
            bounds[at] = sharedName;
            int nameStart = length;
            if (sharedName < 0) {
                append(bytes, nameFrom, nameTo);
            }
            bounds[at + 1] = nameStart;
            bounds[at + 2] = length;
            bounds[at + 3] = length;
            append(bytes, valueFrom, valueTo);
            bounds[at + 4] = length;
            fields++;
        }

        /** An obs-fold line: joined to the last field's value (which ends the text) with a space. */
        void continueLast(byte[] bytes, int from, int to) {
            append(SPACE, 0, 1);
            append(bytes, from, to);
            bounds[(fields - 1) * STRIDE + 4] = length;
        }

        HeaderFields build() {
            return new HeaderFields(Arrays.copyOf(text, length), Arrays.copyOf(bounds, fields * STRIDE), fields,
                    highBits == 0);
        }

        private void append(byte[] bytes, int from, int to) {
            int n = to - from;
            if (length + n > text.length) {
                text = Arrays.copyOf(text, Math.max(length + n, 2 * text.length));
            }
            System.arraycopy(bytes, from, text, length, n);
            highBits |= SwarBytes.highBits(bytes, from, to);
            length += n;
        }
    }
}
