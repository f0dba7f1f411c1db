package io.httpprofiler.http;

import io.httpprofiler.stream.GapCause;

/** What a {@link MessageParser} reports to its connection. */
interface MessageEvents {

    /** A head was parsed. Returns false when the message cannot have a body whatever its headers say. */
    boolean onHead(Message message);

    /** The message ended: see {@link Message#outcome}. */
    void onComplete(Message message);

    /**
     * What should have been a message start could not be parsed. {@code streamStart}: the stream's very first bytes do
     * not even look like a start line, so the stream is probably not HTTP at all.
     */
    void onMalformed(String reason, long startNanos, int tid, boolean streamStart);

    /** A head split across records could not be held within the buffer limits: that message is lost. */
    void onHeadNotKept(long startNanos, int tid);

    /** Bytes between or beyond messages are missing, for {@code cause}: whole messages may be missing. */
    void onMessagesLost(long timestampNanos, GapCause cause);

    /** Stream bytes in {@code [fromPosition, toPosition)} will only be counted, never kept. */
    void onUnneededBytes(long fromPosition, long toPosition);
}
