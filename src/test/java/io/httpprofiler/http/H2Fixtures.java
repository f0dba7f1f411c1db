package io.httpprofiler.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Conversations recorded from real HTTP/2 peers (src/test/resources/h2/, recorded with scripts/record-h2-fixture.py):
 * every chunk a relay read, in order, as one turn. {@code C} chunks went client to server (requests), {@code S} chunks
 * server to client.
 */
final class H2Fixtures {
    private H2Fixtures() {
    }

    static Conversation load(String name) {
        byte[] file = read(name);
        Conversation conversation = new Conversation();
        ByteBuffer buffer = ByteBuffer.wrap(file);
        while (buffer.hasRemaining()) {
            byte mark = buffer.get();
            int length = buffer.getInt();
            byte[] chunk = Arrays.copyOfRange(file, buffer.position(), buffer.position() + length);
            buffer.position(buffer.position() + length);
            if (mark == 'C') {
                conversation.request(chunk);
            } else {
                conversation.response(chunk);
            }
        }
        return conversation;
    }

    /** The client's bytes and the server's bytes, each direction's chunks joined. */
    static byte[][] directions(String name) {
        byte[][] joined = {new byte[0], new byte[0]};
        for (Conversation.Turn turn : load(name).turns()) {
            int side = turn.request() ? 0 : 1;
            joined[side] = Conversation.concat(joined[side], turn.bytes());
        }
        return joined;
    }

    static byte[] read(String name) {
        try (InputStream in = H2Fixtures.class.getResourceAsStream("/h2/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
