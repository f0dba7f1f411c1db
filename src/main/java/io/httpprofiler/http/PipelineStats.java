package io.httpprofiler.http;

/**
 * Counters of an {@link HttpPipeline} since it started.
 *
 * @param events                  capture events accepted (all kinds)
 * @param dataEvents              data events among them
 * @param bytes                   payload bytes in data events
 * @param connections             connections tracked, ever
 * @param openConnections         connections tracked now
 * @param shedConnections         connections dropped for the tracking limit
 * @param expiredConnections      connections ended by the idle timeout
 * @param exchanges               exchanges delivered
 * @param incompleteExchanges     delivered without (the end of) a response
 * @param responsesWithoutRequest responses whose request was not seen
 * @param requests                request heads parsed
 * @param responses               response heads parsed, interim ones included
 * @param gaps                    holes of lost bytes in the byte streams (position jumps no record explains)
 * @param gapBytes                bytes in those holes
 * @param skippedBytes            bytes the pipeline did not need and told the capture side to skip, seen as holes
 * @param uncopiedBytes           bytes the kernel marked as not copied otherwise (sendfile, capture cap, unreadable)
 * @param duplicateBytes          bytes that arrived more than once and were dropped
 * @param reorderedEvents         data events that waited behind a hole (in their own direction or the other)
 * @param parseErrors             malformed messages
 * @param messagesLost            times lost data cost the parser its place (it then sought the next message start)
 * @param nonHttpConnections      connections ignored because their first bytes were not HTTP
 * @param upgrades                connections that switched protocols (101) or became a tunnel (CONNECT)
 * @param pendingOverflows        requests reported without response because too many were pending
 * @param bufferedBytes           bytes held now
 * @param peakBufferedBytes       most bytes held at any time
 * @param refusedBufferBytes      total size of buffer reservations refused by a cap (data then not kept or not waited
 *                                for)
 * @param http2Connections        connections read as HTTP/2 (preface, h2c upgrade, or frames found mid-stream)
 * @param http2Streams            HTTP/2 streams delivered as exchanges
 * @param http2FrameErrors        HTTP/2 frames that broke the protocol's rules (the reader then sought frames again),
 *                                and flow-control windows overflowed
 * @param http2HeadersNotDecoded  HTTP/2 header blocks not decoded whole (HPACK table entries not seen, HPACK errors,
 *                                blocks over the limits)
 */
public record PipelineStats(long events, long dataEvents, long bytes, long connections, long openConnections,
                            long shedConnections, long expiredConnections, long exchanges, long incompleteExchanges,
                            long responsesWithoutRequest, long requests, long responses, long gaps, long gapBytes,
                            long skippedBytes, long uncopiedBytes, long duplicateBytes, long reorderedEvents, long parseErrors,
                            long messagesLost, long nonHttpConnections, long upgrades, long pendingOverflows,
                            long bufferedBytes, long peakBufferedBytes, long refusedBufferBytes,
                            long http2Connections, long http2Streams, long http2FrameErrors,
                            long http2HeadersNotDecoded) {
}
