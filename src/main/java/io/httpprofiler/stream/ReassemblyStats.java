package io.httpprofiler.stream;

/**
 * Counters of the reassembly since it started.
 *
 * @param dataEvents        data records accepted
 * @param bytes             payload bytes in those records
 * @param duplicateBytes    bytes dropped because they had already been delivered (duplicates, overlaps)
 * @param reorderedEvents   records that waited behind a hole (in their own direction or the other)
 * @param gaps              holes of lost bytes ({@link GapCause#LOST}: a position jump no record explains), not counting
 *                          ranges the listener asked to skip
 * @param gapBytes          bytes in those holes
 * @param skippedBytes      bytes in holes the listener had asked for (see {@link StreamControl#expectMissing})
 * @param uncopiedBytes     bytes the kernel marked as not copied (sendfile, capture cap, unreadable, skipped by the
 *                          kernel on its own), not counting ranges the listener asked to skip
 * @param connections       connections ever tracked
 * @param openConnections   connections tracked now
 * @param shedConnections   connections dropped for the tracking limit
 * @param expiredConnections connections ended by the idle timeout
 * @param bufferedBytes     bytes held now (reassembly and listeners together)
 * @param peakBufferedBytes most bytes held at any time
 * @param refusedBufferBytes total size of buffer reservations refused by a cap
 */
public record ReassemblyStats(long dataEvents, long bytes, long duplicateBytes, long reorderedEvents, long gaps,
                              long gapBytes, long skippedBytes, long uncopiedBytes, long connections, long openConnections,
                              long shedConnections, long expiredConnections, long bufferedBytes, long peakBufferedBytes,
                              long refusedBufferBytes) {
}
