package io.httpprofiler.output;

import io.httpprofiler.http.HeaderNames;

import java.util.function.Function;

/**
 * A writer's rendering of every {@link HeaderNames#SHARED shared header name}, looked up by identity: the parser hands
 * out those very String objects for the common names, so most header names are rendered once per writer instead of
 * once per header. Any other String (an uncommon name, an equal String from elsewhere) misses and is rendered as usual.
 */
final class RenderedNames {
    private static final int SLOTS = 1024;

    private final String[] names = new String[SLOTS];
    private final byte[][] renderings = new byte[SLOTS][];
    /** By index in {@link HeaderNames#SHARED}, as {@link io.httpprofiler.http.HeaderFields} names them. */
    private final byte[][] bySharedIndex = new byte[HeaderNames.SHARED.size()][];

    RenderedNames(Function<String, byte[]> render) {
        for (int index = 0; index < HeaderNames.SHARED.size(); index++) {
            String name = HeaderNames.SHARED.get(index);
            int slot = slot(name);
            while (names[slot] != null) {
                slot = (slot + 1) & (SLOTS - 1);
            }
            names[slot] = name;
            renderings[slot] = render.apply(name);
            bySharedIndex[index] = renderings[slot];
        }
    }

    /** The rendering of the shared name with this index in {@link HeaderNames#SHARED}. */
    byte[] get(int sharedIndex) {
        return bySharedIndex[sharedIndex];
    }

    /** The rendering of {@code name} if it is one of the shared names (the same object), else null. */
    byte[] get(String name) {
        for (int slot = slot(name); names[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
            if (names[slot] == name) {
                return renderings[slot];
            }
        }
        return null;
    }

    /** From the String's own hash, which a shared name computes once and then keeps. */
    private static int slot(String name) {
        int hash = name.hashCode();
        return (hash ^ hash >>> 16) & (SLOTS - 1);
    }
}
