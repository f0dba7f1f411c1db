package io.httpprofiler.http;

import io.httpprofiler.stream.ConnectionBudget;
import io.httpprofiler.stream.GapCause;
import io.httpprofiler.stream.StreamEnd;

import java.util.List;

/**
 * Incremental HTTP/1.x parser for one direction of one connection: requests or responses, fed in order, in pieces of
 * any size. An explicit state machine: each state consumes what it can of the bytes at hand and either finishes its
 * part of the message or remembers where it stands.
 *
 * <p>Heads are parsed in place in the capture record when they lie in one record; only heads split across records are
 * copied. Body bytes are counted, and copied only up to the keep limit. Malformed input and lost data never throw: the
 * parser reports what it can to its {@link MessageEvents} and looks for the next plausible message start.
 */
final class MessageParser {
    /** Longest request or status line. Servers usually stop at 8 KiB; an observer can afford to be more patient. */
    static final int MAX_START_LINE = 16 * 1024;
    /** Longest head (start line, header lines, empty line) and longest trailer section. */
    static final int MAX_HEAD = 64 * 1024;
    /** Most header lines in a head, or trailer lines in a trailer section. */
    static final int MAX_HEADERS = 256;
    /** Longest chunk-size line, chunk extensions included. */
    static final int MAX_CHUNK_LINE = 4 * 1024;
    /** Unneeded body ranges shorter than this are not worth telling the capture side about. */
    static final int MIN_UNNEEDED_RANGE = 4 * 1024;
    /** Most hex digits in a chunk size, leading zeros excluded: 15 keep it below 2^60. */
    private static final int MAX_CHUNK_SIZE_DIGITS = 15;

    private static final int NOT_YET = -1;
    private static final int OVER_LIMIT = -2;

    private enum State {
        /** At a message boundary; blank lines before a start line are skipped. */
        AWAIT_MESSAGE,
        /** Lost track (lost data, malformed input, unknown start): looking for a plausible message start. */
        SEEK_MESSAGE,
        /** Reading the start line and header lines up to the empty line. */
        HEAD,
        /** Reading a body of known length. */
        FIXED_BODY,
        CHUNK_SIZE,
        CHUNK_DATA,
        /** The line break after a chunk's data. */
        CHUNK_DATA_END,
        /** The trailer section after the last chunk, up to the empty line. */
        TRAILERS,
        /** A response without length: its body runs until the connection closes. */
        BODY_UNTIL_CLOSE,
        /** Waiting to learn from the other direction whether the protocol changes; bytes are dropped meanwhile. */
        PAUSED,
        /** Not HTTP/1.x any more (upgraded, tunnelled, or never was): bytes are ignored. */
        STOPPED
    }

    private final StartLines.Kind kind;
    private final MessageEvents events;
    private final int maxBody;
    private final ConnectionBudget budget;
    /** Shared by every parser of the pipeline (one thread): a head is parsed in one go, nothing kept between heads. */
    private final HeadParser heads;
    private final ByteAccumulator pending;
    private final byte[] prefixScratch = new byte[2 * StartLines.PREFIX_BYTES];

    private State state;
    /** SEEK_MESSAGE: the next byte may start a message (a record's first byte, or one after a line feed or gap). */
    private boolean candidate = true;
    /** The head being read was found while seeking: failing to parse it is not news. */
    private boolean seeking;
    private boolean droppedWhilePaused;
    /**
     * Lost messages were reported since the last message start. Seeking does not imply it: the parser also seeks from a
     * connection's unseen start and after input it could not parse, and a gap then may swallow whole messages just the
     * same; the pairing must hear of it, or it answers a request with the response to a later one.
     */
    private boolean lossReported;
    private long messagesParsed;

    /** Stream position of index 0 of the record being fed, its timestamp and thread. */
    private long base;
    private long nanos;
    private int tid;

    // Where and when the message being read began.
    private long startPosition;
    private long startNanos;
    private int startTid;

    // Scan state of a head or trailer section split across records.
    private int lineLength;
    private byte lastByte;
    private int blockLength;
    private int lineCount;
    private boolean prefixChecked;
    private String scanError;

    private Message message;
    /** FIXED_BODY: body bytes left; CHUNK_DATA: bytes left in this chunk. */
    private long remaining;
    private boolean sawCr;

    /**
     * @param atMessageBoundary the stream starts at a message start (the connection's start was seen); otherwise the
     *                          parser first seeks a plausible one
     */
    MessageParser(StartLines.Kind kind, MessageEvents events, HeadParser heads, int maxBody, ConnectionBudget budget,
                  boolean atMessageBoundary) {
        this.kind = kind;
        this.heads = heads;
        this.events = events;
        this.maxBody = maxBody;
        this.budget = budget;
        this.pending = new ByteAccumulator(budget);
        this.state = atMessageBoundary ? State.AWAIT_MESSAGE : State.SEEK_MESSAGE;
    }

    void feed(byte[] data, int offset, int length, long position, long timestampNanos, int threadId) {
        base = position - offset;
        nanos = timestampNanos;
        tid = threadId;
        if (state == State.SEEK_MESSAGE) {
            candidate = true; // messages usually start with a write of their own
        }
        int i = offset;
        int end = offset + length;
        while (i < end) {
            i = switch (state) {
                case AWAIT_MESSAGE -> awaitMessage(data, i, end);
                case SEEK_MESSAGE -> seekMessage(data, i, end);
                case HEAD -> readHead(data, i, end);
                case FIXED_BODY -> readFixedBody(data, i, end);
                case CHUNK_SIZE -> readChunkSize(data, i, end);
                case CHUNK_DATA -> readChunkData(data, i, end);
                case CHUNK_DATA_END -> readChunkDataEnd(data, i, end);
                case TRAILERS -> readTrailers(data, i, end);
                case BODY_UNTIL_CLOSE -> readUntilClose(data, i, end);
                case PAUSED -> {
                    droppedWhilePaused = true;
                    yield end;
                }
                case STOPPED -> end;
            };
        }
    }

    /** {@code length} bytes at the current position will not come: lost, or not captured (see {@code cause}). */
    void gap(long length, GapCause cause, long timestampNanos) {
        nanos = timestampNanos;
        switch (state) {
            case AWAIT_MESSAGE -> messagesLost(cause);
            case SEEK_MESSAGE -> {
                if (lossReported) {
                    candidate = true;
                } else {
                    messagesLost(cause);
                }
            }
            case HEAD -> {
                pending.clear();
                messagesLost(cause);
            }
            case FIXED_BODY, CHUNK_DATA -> gapInCountedBody(length, cause);
            case CHUNK_SIZE, CHUNK_DATA_END, TRAILERS -> {
                cutByGap(cause);
                messagesLost(cause);
            }
            case BODY_UNTIL_CLOSE -> message.body.gap(length, cause);
            case PAUSED -> droppedWhilePaused = true;
            case STOPPED -> {
            }
        }
    }

    /**
     * Records of this direction were lost; their bytes show as a gap later. Between messages, whole messages may be
     * missing already: say so now, before the other direction pairs with what it has. Within a message, the gap will
     * tell when it comes.
     */
    void recordsLost(GapCause cause, long timestampNanos) {
        if (state == State.AWAIT_MESSAGE || state == State.SEEK_MESSAGE && !lossReported) {
            nanos = timestampNanos;
            messagesLost(cause);
        }
    }

    /** The stream ended: a close-delimited body is complete if the connection closed; anything else is cut short. */
    void end(StreamEnd reason, long lastDataNanos) {
        if (message != null) {
            boolean closeDelimited = state == State.BODY_UNTIL_CLOSE && reason == StreamEnd.CLOSED;
            finishMessage(closeDelimited ? Message.Outcome.COMPLETE : Message.Outcome.ENDED, lastDataNanos);
        }
        state = State.STOPPED;
        pending.release();
    }

    /** Drops bytes until {@link #resume()}: the other direction decides whether the protocol changes. */
    void pause() {
        state = State.PAUSED;
        droppedWhilePaused = false;
    }

    void resume() {
        if (state == State.PAUSED) {
            state = droppedWhilePaused ? State.SEEK_MESSAGE : State.AWAIT_MESSAGE;
            candidate = true;
        }
    }

    /** No more HTTP/1.x in this direction. A message in progress is abandoned (its connection still holds it). */
    void stop() {
        message = null;
        state = State.STOPPED;
        pending.release();
    }

    private int awaitMessage(byte[] data, int from, int end) {
        int i = from;
        while (i < end && (data[i] == Ascii.CR || data[i] == Ascii.LF)) {
            i++; // blank lines between messages are allowed (RFC 9112 section 2.2)
        }
        if (i < end) {
            beginHead(i, false);
        }
        return i;
    }

    private int seekMessage(byte[] data, int from, int end) {
        int i = from;
        while (i < end) {
            if (candidate) {
                candidate = false;
                if (StartLines.prefix(kind, data, i, end) != StartLines.Match.NO) {
                    beginHead(i, true);
                    return i;
                }
            }
            int lineFeed = SwarBytes.indexOf(data, i, end, Ascii.LF);
            if (lineFeed < 0) {
                return end;
            }
            i = lineFeed + 1;
            candidate = true;
        }
        return end;
    }

    private void beginHead(int index, boolean foundBySeeking) {
        state = State.HEAD;
        lossReported = false;
        seeking = foundBySeeking;
        startPosition = base + index;
        startNanos = nanos;
        startTid = tid;
        prefixChecked = false;
        resetBlockScan();
    }

    private void resetBlockScan() {
        lineLength = 0;
        lastByte = 0;
        blockLength = 0;
        lineCount = 0;
        pending.clear();
    }

    private int readHead(byte[] data, int from, int end) {
        if (!prefixChecked) {
            StartLines.Match match = pending.isEmpty()
                    ? StartLines.prefix(kind, data, from, end) : prefixAcrossRecords(data, from, end);
            if (match == StartLines.Match.NO) {
                return failHead(kind == StartLines.Kind.REQUEST ? "not a request line" : "not a status line", from, true);
            }
            prefixChecked = match == StartLines.Match.YES;
        }
        int headEnd = findBlockEnd(data, from, end, false);
        if (headEnd == OVER_LIMIT) {
            return failHead(scanError, from, false);
        }
        if (headEnd == NOT_YET) {
            return pending.append(data, from, end - from) ? end : dropHead(from);
        }
        MessageHead head;
        if (pending.isEmpty()) {
            head = parseHead(data, from, headEnd);
        } else {
            if (!pending.append(data, from, headEnd - from)) {
                return dropHead(from);
            }
            head = parseHead(pending.array(), 0, pending.length());
        }
        pending.clear();
        if (head == null) {
            return failHead(heads.error(), headEnd, false);
        }
        startBody(head, base + headEnd);
        return headEnd;
    }

    private MessageHead parseHead(byte[] bytes, int from, int to) {
        return kind == StartLines.Kind.REQUEST ? heads.parseRequest(bytes, from, to) : heads.parseResponse(bytes, from, to);
    }

    private StartLines.Match prefixAcrossRecords(byte[] data, int from, int end) {
        int held = Math.min(pending.length(), StartLines.PREFIX_BYTES);
        int added = Math.min(end - from, StartLines.PREFIX_BYTES);
        System.arraycopy(pending.array(), 0, prefixScratch, 0, held);
        System.arraycopy(data, from, prefixScratch, held, added);
        return StartLines.prefix(kind, prefixScratch, 0, held + added);
    }

    /**
     * A head that does not parse: reported unless found by seeking; then seek the next start from {@code resumeAt}.
     * {@code notStartLine}: the bytes do not even begin like a start line.
     */
    private int failHead(String reason, int resumeAt, boolean notStartLine) {
        pending.clear();
        state = State.SEEK_MESSAGE;
        candidate = false;
        if (!seeking) {
            boolean streamStart = notStartLine && messagesParsed == 0 && startPosition == 0;
            events.onMalformed(reason, startNanos, startTid, streamStart);
        }
        return resumeAt;
    }

    /**
     * The budget refused to hold a split head: give the message up and seek the next from {@code resumeAt}. Once its
     * start line was recognised it was a message, found by seeking or not, and its loss is reported.
     */
    private int dropHead(int resumeAt) {
        pending.clear();
        state = State.SEEK_MESSAGE;
        candidate = false;
        if (!seeking || prefixChecked) {
            events.onHeadNotKept(startNanos, startTid);
        }
        return resumeAt;
    }

    private void startBody(MessageHead head, long bodyStart) {
        messagesParsed++;
        message = new Message(head, (int) (bodyStart - startPosition), startNanos, startTid, maxBody, budget);
        message.headEndPosition = bodyStart;
        boolean bodyAllowed = events.onHead(message);
        int status = head.status();
        if (!bodyAllowed || (status >= 100 && status < 200) || status == 204 || status == 304) {
            complete();
        } else if (head.chunked()) {
            state = State.CHUNK_SIZE;
            pending.clear();
        } else if (head.transferCoded() && head.isRequest()) {
            cutMalformed("Transfer-Encoding without chunked", 0);
        } else if (head.contentLength() >= 0 && !head.transferCoded()) {
            remaining = head.contentLength();
            if (remaining == 0) {
                complete();
                return;
            }
            state = State.FIXED_BODY;
            message.body.expect(remaining);
            unneeded(bodyStart, remaining);
        } else if (head.isRequest()) {
            complete(); // a request without length has no body
        } else {
            state = State.BODY_UNTIL_CLOSE;
            events.onUnneededBytes(bodyStart + maxBody, Long.MAX_VALUE);
        }
    }

    /** Tells about the part of {@code length} body bytes at {@code start} that lies beyond what will be kept. */
    private void unneeded(long start, long length) {
        long keepRoom = Math.max(0, maxBody - message.body.size());
        if (length - keepRoom >= MIN_UNNEEDED_RANGE) {
            events.onUnneededBytes(start + keepRoom, start + length);
        }
    }

    private int readFixedBody(byte[] data, int from, int end) {
        int take = (int) Math.min(remaining, end - from);
        message.body.append(data, from, take);
        remaining -= take;
        if (remaining == 0) {
            complete();
        }
        return from + take;
    }

    private int readChunkSize(byte[] data, int from, int end) {
        int lineFeed = SwarBytes.indexOf(data, from, end, Ascii.LF);
        if (lineFeed < 0) {
            if (pending.length() + end - from > MAX_CHUNK_LINE || !pending.append(data, from, end - from)) {
                return cutMalformed("chunk size line too long", end);
            }
            return end;
        }
        if (pending.length() + lineFeed - from > MAX_CHUNK_LINE) {
            return cutMalformed("chunk size line too long", lineFeed + 1);
        }
        long size;
        if (pending.isEmpty()) {
            size = chunkSize(data, from, lineFeed);
        } else {
            if (!pending.append(data, from, lineFeed - from)) {
                return cutMalformed("chunk size line too long", lineFeed + 1);
            }
            size = chunkSize(pending.array(), 0, pending.length());
            pending.clear();
        }
        if (size < 0) {
            return cutMalformed(size == OVER_LIMIT ? "chunk size too large" : "invalid chunk size", lineFeed + 1);
        }
        if (size == 0) {
            state = State.TRAILERS;
            resetBlockScan();
        } else {
            state = State.CHUNK_DATA;
            remaining = size;
            unneeded(base + lineFeed + 1, size);
        }
        return lineFeed + 1;
    }

    /** The size on a chunk-size line (extensions ignored), -1 if malformed, OVER_LIMIT if too large. */
    private static long chunkSize(byte[] bytes, int from, int to) {
        int i = from;
        long size = 0;
        int digits = 0;
        for (; i < to; i++) {
            int digit = Character.digit(bytes[i], 16);
            if (digit < 0) {
                break;
            }
            if (size != 0 || digit != 0) {
                digits++;
            }
            size = size << 4 | digit;
            if (digits > MAX_CHUNK_SIZE_DIGITS) {
                return OVER_LIMIT;
            }
        }
        if (i == from) {
            return -1;
        }
        while (i < to && Ascii.isWhitespace(bytes[i])) {
            i++;
        }
        boolean endOfLine = i == to || (i == to - 1 && bytes[i] == Ascii.CR);
        return endOfLine || bytes[i] == ';' ? size : -1;
    }

    private int readChunkData(byte[] data, int from, int end) {
        int take = (int) Math.min(remaining, end - from);
        message.body.append(data, from, take);
        remaining -= take;
        if (remaining == 0) {
            state = State.CHUNK_DATA_END;
            sawCr = false;
        }
        return from + take;
    }

    private int readChunkDataEnd(byte[] data, int from, int end) {
        byte b = data[from];
        if (b == Ascii.CR && !sawCr) {
            sawCr = true;
            return from + 1;
        }
        if (b == Ascii.LF) {
            state = State.CHUNK_SIZE;
            pending.clear();
            return from + 1;
        }
        return cutMalformed("no line break after chunk data", from);
    }

    private int readTrailers(byte[] data, int from, int end) {
        int trailersEnd = findBlockEnd(data, from, end, true);
        if (trailersEnd == OVER_LIMIT) {
            return cutMalformed(scanError, from);
        }
        if (trailersEnd == NOT_YET) {
            return pending.append(data, from, end - from) ? end : cutMalformed("trailers exceed the buffer limit", end);
        }
        List<HttpHeader> trailers;
        if (pending.isEmpty()) {
            trailers = heads.parseTrailers(data, from, trailersEnd);
        } else if (pending.append(data, from, trailersEnd - from)) {
            trailers = heads.parseTrailers(pending.array(), 0, pending.length());
        } else {
            return cutMalformed("trailers exceed the buffer limit", trailersEnd);
        }
        pending.clear();
        if (trailers == null) {
            return cutMalformed(heads.error() + " in trailers", trailersEnd);
        }
        message.trailers = trailers;
        complete();
        return trailersEnd;
    }

    private int readUntilClose(byte[] data, int from, int end) {
        message.body.append(data, from, end - from);
        return end;
    }

    /**
     * Finds the empty line that ends a head or trailer section, carrying the scan state across records. Returns the
     * index just past it, NOT_YET when these bytes do not hold it, or OVER_LIMIT (with {@link #scanError}) past a
     * limit.
     */
    private int findBlockEnd(byte[] data, int from, int end, boolean trailers) {
        int i = from;
        while (i < end) {
            int lineFeed = SwarBytes.indexOf(data, i, end, Ascii.LF);
            if (lineFeed < 0) {
                lineLength += end - i;
                blockLength += end - i;
                lastByte = data[end - 1];
                return withinLimits(trailers, lineLength) ? NOT_YET : OVER_LIMIT;
            }
            int lineBytes = lineLength + lineFeed - i;
            byte last = lineFeed > i ? data[lineFeed - 1] : lastByte;
            blockLength += lineFeed - i + 1;
            lineLength = 0;
            if ((lineBytes == 0 || lineBytes == 1 && last == Ascii.CR) && (lineCount > 0 || trailers)) {
                return lineFeed + 1;
            }
            lineCount++;
            if (!withinLimits(trailers, lineBytes)) {
                return OVER_LIMIT;
            }
            i = lineFeed + 1;
        }
        return NOT_YET;
    }

    private boolean withinLimits(boolean trailers, int currentLineBytes) {
        if (!trailers && lineCount <= 1 && currentLineBytes > MAX_START_LINE) {
            scanError = (kind == StartLines.Kind.REQUEST ? "request" : "status") + " line longer than " + MAX_START_LINE
                    + " bytes";
            return false;
        }
        if (blockLength > MAX_HEAD) {
            scanError = (trailers ? "trailers" : "head") + " longer than " + MAX_HEAD + " bytes";
            return false;
        }
        if (lineCount > MAX_HEADERS + (trailers ? 0 : 1)) {
            scanError = "more than " + MAX_HEADERS + (trailers ? " trailer" : " header") + " lines";
            return false;
        }
        return true;
    }

    private void gapInCountedBody(long length, GapCause cause) {
        boolean chunk = state == State.CHUNK_DATA;
        if (length <= remaining) {
            message.body.gap(length, cause);
            remaining -= length;
            if (remaining == 0) {
                if (chunk) {
                    state = State.CHUNK_DATA_END;
                    sawCr = false;
                } else {
                    complete();
                }
            }
            return;
        }
        message.body.gap(remaining, cause);
        if (chunk) {
            cutByGap(cause); // the missing bytes held the chunk's end and whatever followed: the body's length is unknown
        } else {
            complete();
        }
        messagesLost(cause);
    }

    private void messagesLost(GapCause cause) {
        if (state == State.PAUSED) {
            droppedWhilePaused = true;
        } else if (state != State.STOPPED) {
            state = State.SEEK_MESSAGE;
            candidate = true;
            lossReported = true;
            events.onMessagesLost(nanos, cause);
        }
    }

    private void complete() {
        state = State.AWAIT_MESSAGE; // before the callback, which may pause or stop this parser
        finishMessage(Message.Outcome.COMPLETE, nanos);
    }

    private void cutByGap(GapCause cause) {
        state = State.SEEK_MESSAGE;
        candidate = true;
        pending.clear();
        message.cutBy = cause;
        finishMessage(Message.Outcome.CUT_BY_GAP, nanos);
    }

    /** The body's framing is malformed: the message ends here; the next one is sought from {@code resumeAt}. */
    private int cutMalformed(String reason, int resumeAt) {
        state = State.SEEK_MESSAGE;
        candidate = true;
        pending.clear();
        message.malformation = reason;
        finishMessage(Message.Outcome.MALFORMED, nanos);
        return resumeAt;
    }

    private void finishMessage(Message.Outcome outcome, long endNanos) {
        Message finished = message;
        message = null;
        finished.finish(outcome, endNanos);
        events.onComplete(finished);
    }
}
