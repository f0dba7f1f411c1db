package io.httpprofiler.capture;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What one end of a connection did, as the application saw it: every byte it sent and received, and one {@link Call}
 * per socket call with the byte count the call returned and the thread that made it. This is the ground truth the
 * captured events are compared with.
 */
final class SocketCallLog {
    /** One socket call: the bytes it moved (its return value) and the kernel tid of the caller. */
    record Call(long bytes, int tid) {
    }

    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final List<Call> sendCalls = new ArrayList<>();
    private final List<Call> receiveCalls = new ArrayList<>();

    synchronized void sent(byte[] bytes, int offset, int length) {
        sent.write(bytes, offset, length);
        sendCalls.add(new Call(length, ProcFs.currentTid()));
    }

    synchronized void received(byte[] bytes, int offset, int length) {
        received.write(bytes, offset, length);
        receiveCalls.add(new Call(length, ProcFs.currentTid()));
    }

    /** Egress: what was sent; ingress: what was received. */
    synchronized byte[] bytes(Direction direction) {
        return direction == Direction.EGRESS ? sent.toByteArray() : received.toByteArray();
    }

    synchronized List<Call> calls(Direction direction) {
        return List.copyOf(direction == Direction.EGRESS ? sendCalls : receiveCalls);
    }
}
