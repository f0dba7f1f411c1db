package io.httpprofiler.http;

import io.httpprofiler.capture.Direction;

/** One HTTP/2 stream while it is open: the request and response it carries, and their gRPC message counts. */
final class Http2Stream {
    final int id;
    /** The direction the stream's request travels (the client's). */
    final Direction requestDirection;
    final PendingRequest request;
    Message response;
    GrpcFraming requestGrpc;
    GrpcFraming responseGrpc;
    /** Stream 1 of an h2c upgrade: its request was reported with the 101; without an answer there is nothing to add. */
    boolean quietUnlessAnswered;

    Http2Stream(int id, Direction requestDirection, PendingRequest request) {
        this.id = id;
        this.requestDirection = requestDirection;
        this.request = request;
    }

    /** The message the bytes travelling {@code direction} belong to, or null while it has no head. */
    Message message(Direction direction) {
        return direction == requestDirection ? request.message : response;
    }

    GrpcFraming grpc(Direction direction) {
        return direction == requestDirection ? requestGrpc : responseGrpc;
    }
}
