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
}
