package io.httpprofiler.http;

import java.util.ArrayList;
import java.util.List;

/**
 * gRPC's length-prefixed messages (a compressed flag byte, a 4-byte big-endian length, the message) in a body: counted
 * as the body streams past, listed and decoded from the body's kept prefix when the exchange is delivered.
 */
final class GrpcFraming {
    static final int PREFIX_BYTES = 5;

    /** The content type said gRPC; otherwise the body is only a candidate (its content type was not decoded). */
    final boolean declared;
    private int prefixRead;
    private long prefixLength;
    private long messageRemaining;
    private long messages;
    private boolean lost;

    GrpcFraming(boolean declared) {
        this.declared = declared;
    }

    /** Whether the body so far is whole messages: none cut, no missing bytes. */
    boolean atMessageBoundary() {
        return !lost && prefixRead == 0 && messageRemaining == 0;
    }

    static boolean isGrpc(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    void append(byte[] data, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && !lost) {
            if (messageRemaining > 0) {
                int take = (int) Math.min(end - i, messageRemaining);
                messageRemaining -= take;
                i += take;
                if (messageRemaining == 0) {
                    messages++;
                }
                continue;
            }
            // the prefix: only the length's bytes matter for counting
            if (prefixRead > 0) {
                prefixLength = prefixLength << 8 | (data[i] & 0xff);
            }
            i++;
            if (++prefixRead == PREFIX_BYTES) {
                prefixRead = 0;
                messageRemaining = prefixLength;
                prefixLength = 0;
                if (messageRemaining == 0) {
                    messages++;
                }
            }
        }
    }

    /** Bytes of the body are missing: messages are still counted if the gap falls inside one. */
    void gap(long length) {
        if (prefixRead == 0 && messageRemaining >= length) {
            messageRemaining -= length;
            if (messageRemaining == 0) {
                messages++;
            }
        } else {
            lost = true;
        }
    }

    /** Whole messages counted so far, or -1 when missing bytes hid where they start. */
    long count() {
        return lost ? -1 : messages;
    }

    /** The messages that lie whole in {@code kept}, a prefix of the body, decoded. */
    static List<GrpcMessage> decode(byte[] kept, int keptLength) {
        List<GrpcMessage> messages = new ArrayList<>();
        int at = 0;
        while (keptLength - at >= PREFIX_BYTES) {
            boolean compressed = kept[at] != 0;
            long size = Http2Frames.int32(kept, at + 1) & 0xffff_ffffL;
            if (at + PREFIX_BYTES + size > keptLength) {
                break;
            }
            int start = at + PREFIX_BYTES;
            String fields = compressed ? null : ProtobufText.render(kept, start, (int) size);
            messages.add(new GrpcMessage(size, compressed, fields));
            at = start + (int) size;
        }
        return messages;
    }
}
