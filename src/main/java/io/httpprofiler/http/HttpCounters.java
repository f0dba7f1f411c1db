package io.httpprofiler.http;

/** Mutable counters behind the HTTP part of {@link PipelineStats}; owned by one {@link HttpPipeline}. */
final class HttpCounters {
    long requests;
    long responses;
    long exchanges;
    long incompleteExchanges;
    long responsesWithoutRequest;
    long parseErrors;
    long messagesLost;
    long nonHttpConnections;
    long upgrades;
    long pendingOverflows;
    long http2Connections;
    long http2Streams;
    /** HTTP/2 frames that broke the protocol's rules (the reader then sought the next plausible frame). */
    long http2FrameErrors;
    /** HTTP/2 header blocks not decoded whole (HPACK table not seen, HPACK error, or over the limits). */
    long http2HeadersNotDecoded;
}
