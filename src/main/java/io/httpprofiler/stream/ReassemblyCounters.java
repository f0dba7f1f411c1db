package io.httpprofiler.stream;

/** Mutable counters behind {@link ReassemblyStats}; owned by one {@link Reassembler}. */
final class ReassemblyCounters {
    long dataEvents;
    long bytes;
    long duplicateBytes;
    long reorderedEvents;
    long gaps;
    long gapBytes;
    long skippedBytes;
    long uncopiedBytes;
    long connections;
    long shedConnections;
    long expiredConnections;
}
