package io.httpprofiler.http;

import java.util.List;

/**
 * A gRPC call carried by an HTTP/2 exchange ({@code content-type: application/grpc...}).
 *
 * @param status                {@code grpc-status} from the trailers (or a trailers-only response), -1 when not seen
 * @param message               {@code grpc-message}, percent-decoded, or null
 * @param requestMessages       the request's messages that lie whole in its kept body, in order
 * @param requestMessageCount   every message the request carried, kept or not; -1 when lost bytes hid the framing
 * @param responseMessages      the same for the response
 * @param responseMessageCount  the same for the response
 */
public record GrpcCall(int status, String message, List<GrpcMessage> requestMessages, long requestMessageCount,
                       List<GrpcMessage> responseMessages, long responseMessageCount) {

    public List<GrpcMessage> messages(boolean request) {
        return request ? requestMessages : responseMessages;
    }

    public long messageCount(boolean request) {
        return request ? requestMessageCount : responseMessageCount;
    }
}
