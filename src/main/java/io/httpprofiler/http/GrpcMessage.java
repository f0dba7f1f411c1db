package io.httpprofiler.http;

/**
 * One length-prefixed gRPC message.
 *
 * @param size       its length as its prefix gives it (without the 5-byte prefix)
 * @param compressed its compressed flag (then it is not decoded)
 * @param fields     its protobuf fields without a schema, as {@code protoc --decode_raw} shows them on one line
 *                   ({@code 1: "alice" 2: 42 3 { 1: 7 }}), or null when compressed or not protobuf
 */
public record GrpcMessage(long size, boolean compressed, String fields) {
}
