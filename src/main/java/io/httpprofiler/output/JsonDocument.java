package io.httpprofiler.output;

import java.util.Arrays;

/**
 * Nested JSON (objects, arrays, named members) over {@link JsonLine}, which writes the values: the commas are placed
 * here. For the HAR entries and the summary, whose shape varies; the JSON Lines writer places its own.
 */
final class JsonDocument {
    private static final int MAX_DEPTH = 32;

    private final JsonLine line = new JsonLine();
    /** Per open container: has it a member or element already (the next one needs a comma). */
    private final boolean[] filled = new boolean[MAX_DEPTH];
    private int depth;
    /** A member name was just written: its value needs no comma. */
    private boolean afterName;

    void clear() {
        line.clear();
        depth = 0;
        afterName = false;
    }

    JsonDocument startObject() {
        beforeValue();
        line.raw('{');
        filled[depth++] = false;
        return this;
    }

    JsonDocument endObject() {
        depth--;
        line.raw('}');
        return this;
    }

    JsonDocument startArray() {
        beforeValue();
        line.raw('[');
        filled[depth++] = false;
        return this;
    }

    JsonDocument endArray() {
        depth--;
        line.raw(']');
        return this;
    }

    /** A member's name; its value follows. */
    JsonDocument name(String name) {
        beforeValue();
        line.string(name).raw(':');
        afterName = true;
        return this;
    }

    JsonDocument string(String value) {
        beforeValue();
        line.string(value);
        return this;
    }

    JsonDocument number(long value) {
        beforeValue();
        line.number(value);
        return this;
    }

    /** Finite values only (durations, sizes): Java's shortest round-trip form, which JSON reads. */
    JsonDocument number(double value) {
        beforeValue();
        line.ascii(value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : Double.toString(value));
        return this;
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (depth > 0) {
            if (filled[depth - 1]) {
                line.comma();
            }
            filled[depth - 1] = true;
        }
    }

    byte[] bytes() {
        return Arrays.copyOf(line.array(), line.length());
    }
}
