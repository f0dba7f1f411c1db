package io.httpprofiler.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the two sides of one connection said, turn by turn, in the order it happened. Each turn may only start once the
 * turn it reacts to has been fully transferred: by default the previous turn of the other side.
 */
final class Conversation {
    record Turn(boolean request, byte[] bytes, int after) {
    }

    private final List<Turn> turns = new ArrayList<>();

    Conversation request(String text) {
        return request(bytes(text));
    }

    Conversation request(byte[] bytes) {
        return add(true, bytes, previousOf(false));
    }

    Conversation response(String text) {
        return response(bytes(text));
    }

    Conversation response(byte[] bytes) {
        return add(false, bytes, previousOf(true));
    }

    /** A response that answers the turn at {@code index} (pipelining: it need not wait for later requests). */
    Conversation responseAfter(int index, String text) {
        return add(false, bytes(text), index);
    }

    private Conversation add(boolean request, byte[] bytes, int after) {
        turns.add(new Turn(request, bytes, after));
        return this;
    }

    private int previousOf(boolean request) {
        for (int i = turns.size() - 1; i >= 0; i--) {
            if (turns.get(i).request() == request) {
                return i;
            }
        }
        return -1;
    }

    List<Turn> turns() {
        return turns;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
