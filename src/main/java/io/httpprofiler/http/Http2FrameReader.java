package io.httpprofiler.http;

import io.httpprofiler.stream.ConnectionBudget;
import io.httpprofiler.stream.GapCause;

import java.util.Arrays;

/**
 * Incremental HTTP/2 frame reader for one direction of one connection, fed in order in pieces of any size. DATA
 * payloads are passed on as they arrive, never held; a header block (HEADERS or PUSH_PROMISE and its CONTINUATION
 * frames) is collected, up to {@link #MAX_HEADER_BLOCK} bytes reserved from the connection's budget, and passed on whole;
 * control frames are read into a few bytes. A frame that breaks the framing rules, or missing bytes where a frame header
 * or header block was, cost the reader its place: it reports that and waits for a record that starts with a plausible
 * run of frames (as it does from the start when the connection's start was not seen).
 */
final class Http2FrameReader {
    /** Most bytes of one header block (compressed, over all its frames); a larger block is dropped and counted. */
    static final int MAX_HEADER_BLOCK = 64 * 1024;

    /** What the reader finds. Stream ids are those of the frames. */
    interface Events {
        void onData(int stream, byte[] data, int offset, int length);

        /** Bytes of a DATA payload that will never come, for {@code cause}. */
        void onDataGap(int stream, long length, GapCause cause);

        /** A DATA frame ended; {@code frameLength} counts its padding too (flow control does). */
        void onDataEnd(int stream, int frameLength, boolean endStream);

        /**
         * A complete header block, {@code block[0, length)}; {@code promisedStream} is the stream a PUSH_PROMISE
         * reserves, 0 for HEADERS. The array is the reader's: read it during the call.
         */
        void onHeaderBlock(int stream, byte[] block, int length, boolean endStream, int promisedStream);

        /** A header block that could not be held (over {@link #MAX_HEADER_BLOCK} or the budget): it is not decoded. */
        void onHeaderBlockDropped(int stream, boolean endStream, int promisedStream);

        void onRstStream(int stream, long errorCode);

        void onSetting(int id, long value);

        void onGoAway(int lastStream, long errorCode);

        void onWindowUpdate(int stream, int increment);

        /** The reader lost its place ({@code reason} is about framing only, never payload). */
        void onLostPlace(String reason, boolean bytesMissing);
    }

    private enum State {
        /** Expecting the 24-byte client connection preface. */
        PREFACE,
        HEADER,
        /** DATA: the pad length byte. */
        DATA_PAD_LENGTH,
        DATA_PAYLOAD,
        /** Padding, or payload bytes nobody needs. */
        SKIP,
        /** HEADERS, PUSH_PROMISE, CONTINUATION: payload into the header block. */
        BLOCK_FRAGMENT,
        /** SETTINGS, RST_STREAM, GOAWAY, WINDOW_UPDATE: payload into {@link #control}. */
        CONTROL,
        /** Lost: waiting for a record that starts with frames. */
        SEEK
    }

    private final Events events;
    private final ConnectionBudget budget;
    private final byte[] header = new byte[Http2Frames.HEADER_BYTES];
    /** A SETTINGS entry (6 bytes) or the first bytes of another control frame (GOAWAY keeps its first 8). */
    private final byte[] control = new byte[8];
    private State state;
    private int maxFrameSize;
    private int headerLength;
    private int controlLength;
    /** Payload bytes of the current frame not read yet. */
    private int remaining;
    /** DATA_PAYLOAD: data bytes left before the padding; SKIP after DATA: padding. */
    private int dataRemaining;
    private int padding;
    private int frameLength;
    private int frameType;
    private int frameFlags;
    private int frameStream;

    // The header block being collected.
    private byte[] block = new byte[0];
    private int blockLength;
    /** Where the current frame's payload starts in {@link #block}. */
    private int fragmentStart;
    private int blockStream;
    private int blockPromised;
    private boolean blockEndStream;
    private boolean blockOpen;
    private boolean blockDropped;
    private int prefaceMatched;

    /**
     * @param expectPreface the direction is the client's and starts with the connection preface
     * @param atFrameStart  the next byte starts a frame (or the preface); otherwise the reader first seeks frames
     */
    Http2FrameReader(Events events, ConnectionBudget budget, boolean expectPreface, boolean atFrameStart) {
        this.events = events;
        this.budget = budget;
        this.state = !atFrameStart ? State.SEEK : expectPreface ? State.PREFACE : State.HEADER;
        this.maxFrameSize = atFrameStart ? Http2Frames.DEFAULT_MAX_FRAME_SIZE : Http2Frames.LARGEST_FRAME_SIZE;
    }

    /** The receiving peer allowed frames this large (SETTINGS_MAX_FRAME_SIZE). */
    void maxFrameSize(long size) {
        maxFrameSize = (int) Math.max(Http2Frames.DEFAULT_MAX_FRAME_SIZE,
                Math.min(size, Http2Frames.LARGEST_FRAME_SIZE));
    }

    /** Whether the reader knows where it stands. */
    boolean inPlace() {
        return state != State.SEEK;
    }

    /** Feeds one capture record (or the rest of one): a record's first byte is where a lost reader looks for frames. */
    void feed(byte[] data, int offset, int length) {
        if (state == State.SEEK) {
            if (!Http2Frames.plausibleRun(data, offset, length)) {
                return;
            }
            state = State.HEADER;
        }
        int i = offset;
        int end = offset + length;
        while (i < end && state != State.SEEK) {
            i = switch (state) {
                case PREFACE -> readPreface(data, i, end);
                case HEADER -> readHeader(data, i, end);
                case DATA_PAD_LENGTH -> readPadLength(data, i);
                case DATA_PAYLOAD -> readData(data, i, end);
                case SKIP -> skip(i, end);
                case BLOCK_FRAGMENT -> readFragment(data, i, end);
                case CONTROL -> readControl(data, i, end);
                case SEEK -> end;
            };
        }
    }

    /** {@code length} bytes at the current position will never come. */
    void gap(long length, GapCause cause) {
        if (state == State.DATA_PAYLOAD && length <= dataRemaining) {
            events.onDataGap(frameStream, length, cause);
            dataRemaining -= (int) length;
            remaining -= (int) length;
            afterPayloadBytes();
        } else if (state == State.SKIP && length <= remaining) {
            remaining -= (int) length;
            afterPayloadBytes();
        } else if (state != State.SEEK) {
            if (state == State.DATA_PAYLOAD) {
                events.onDataGap(frameStream, dataRemaining, cause);
            }
            lose("bytes missing", true);
        }
    }

    /** Gives back the header block's buffer. */
    void release() {
        budget.release(block.length);
        block = new byte[0];
        blockLength = 0;
    }

    private int readPreface(byte[] data, int i, int end) {
        byte[] preface = Http2Preface.PREFACE;
        while (i < end && prefaceMatched < preface.length) {
            if (data[i++] != preface[prefaceMatched++]) {
                lose("no connection preface", false);
                return end;
            }
        }
        if (prefaceMatched == preface.length) {
            state = State.HEADER;
        }
        return i;
    }

    private int readHeader(byte[] data, int i, int end) {
        int take = Math.min(end - i, Http2Frames.HEADER_BYTES - headerLength);
        System.arraycopy(data, i, header, headerLength, take);
        headerLength += take;
        if (headerLength < Http2Frames.HEADER_BYTES) {
            return i + take;
        }
        headerLength = 0;
        startFrame();
        return i + take;
    }

    private void startFrame() {
        frameLength = Http2Frames.length(header, 0);
        frameType = Http2Frames.type(header, 0);
        frameFlags = Http2Frames.flags(header, 0);
        frameStream = Http2Frames.stream(header, 0);
        remaining = frameLength;
        String problem = Http2Frames.problem(header, 0, maxFrameSize);
        if (problem == null && blockOpen && (frameType != Http2Frames.CONTINUATION || frameStream != blockStream)) {
            problem = "header block interrupted";
        }
        if (problem == null && !blockOpen && frameType == Http2Frames.CONTINUATION) {
            problem = "CONTINUATION without a header block";
        }
        if (problem != null) {
            lose(problem, false);
            return;
        }
        switch (frameType) {
            case Http2Frames.DATA -> {
                padding = 0;
                if ((frameFlags & Http2Frames.FLAG_PADDED) != 0) {
                    state = frameLength == 0 ? lostState("padded DATA without pad length") : State.DATA_PAD_LENGTH;
                } else {
                    dataRemaining = frameLength;
                    state = State.DATA_PAYLOAD;
                    afterPayloadBytes();
                }
            }
            case Http2Frames.HEADERS, Http2Frames.PUSH_PROMISE -> {
                blockOpen = true;
                blockDropped = false;
                blockLength = 0;
                blockStream = frameStream;
                blockPromised = 0;
                blockEndStream = frameType == Http2Frames.HEADERS && (frameFlags & Http2Frames.FLAG_END_STREAM) != 0;
                startFragment();
            }
            case Http2Frames.CONTINUATION -> startFragment();
            case Http2Frames.SETTINGS, Http2Frames.RST_STREAM, Http2Frames.GOAWAY, Http2Frames.WINDOW_UPDATE -> {
                controlLength = 0;
                state = State.CONTROL;
                if (frameLength == 0) {
                    endFrame();
                }
            }
            default -> { // PING, PRIORITY, and unknown types: nothing to learn
                state = State.SKIP;
                afterPayloadBytes();
            }
        }
    }

    private State lostState(String reason) {
        lose(reason, false);
        return State.SEEK;
    }

    private int readPadLength(byte[] data, int i) {
        padding = data[i] & 0xff;
        remaining--;
        if (padding > remaining) {
            lose("padding longer than the frame", false);
            return i + 1;
        }
        dataRemaining = remaining - padding;
        state = State.DATA_PAYLOAD;
        afterPayloadBytes();
        return i + 1;
    }

    private int readData(byte[] data, int i, int end) {
        int take = Math.min(end - i, dataRemaining);
        if (take > 0) {
            events.onData(frameStream, data, i, take);
        }
        dataRemaining -= take;
        remaining -= take;
        afterPayloadBytes();
        return i + take;
    }

    /** Moves on when the DATA bytes or the whole payload are read. */
    private void afterPayloadBytes() {
        if (state == State.DATA_PAYLOAD && dataRemaining == 0) {
            state = State.SKIP; // the padding
        }
        if (remaining == 0 && state == State.SKIP) {
            endFrame();
        }
    }

    private int skip(int i, int end) {
        int take = Math.min(end - i, remaining);
        remaining -= take;
        afterPayloadBytes();
        return i + take;
    }

    private void startFragment() {
        state = State.BLOCK_FRAGMENT;
        fragmentStart = blockLength;
        if (blockLength + (long) frameLength > MAX_HEADER_BLOCK) {
            blockDropped = true;
        }
        if (frameLength == 0) {
            endFragment();
        }
    }

    private int readFragment(byte[] data, int i, int end) {
        int take = Math.min(end - i, remaining);
        if (!blockDropped) {
            if (blockLength + take > block.length && !growBlock(blockLength + take)) {
                blockDropped = true;
            } else {
                System.arraycopy(data, i, block, blockLength, take);
                blockLength += take;
            }
        }
        remaining -= take;
        if (remaining == 0) {
            endFragment();
        }
        return i + take;
    }

    private boolean growBlock(int needed) {
        int capacity = Math.min(MAX_HEADER_BLOCK, Math.max(needed, Math.max(1024, block.length * 2)));
        if (!budget.tryReserve(capacity - block.length)) {
            return false;
        }
        block = Arrays.copyOf(block, capacity);
        return true;
    }

    /** Strips the frame's pad length, priority, promised stream and padding from the fragment just read. */
    private void endFragment() {
        if (!blockDropped) {
            int at = fragmentStart;
            int fragmentEnd = blockLength;
            int pad = 0;
            if (frameType != Http2Frames.CONTINUATION && (frameFlags & Http2Frames.FLAG_PADDED) != 0) {
                pad = at < fragmentEnd ? block[at++] & 0xff : Integer.MAX_VALUE;
            }
            if (frameType == Http2Frames.HEADERS && (frameFlags & Http2Frames.FLAG_PRIORITY) != 0) {
                at += 5;
            }
            if (frameType == Http2Frames.PUSH_PROMISE) {
                blockPromised = at + 4 <= fragmentEnd ? Http2Frames.int31(block, at) : 0;
                at += 4;
            }
            if (at > fragmentEnd || pad > fragmentEnd - at) {
                blockOpen = false;
                blockLength = 0;
                lose("header frame shorter than its padding or fields", false);
                return;
            }
            int fragment = fragmentEnd - at - pad;
            System.arraycopy(block, at, block, fragmentStart, fragment);
            blockLength = fragmentStart + fragment;
        }
        state = State.HEADER;
        if ((frameFlags & Http2Frames.FLAG_END_HEADERS) != 0) {
            blockOpen = false;
            if (blockDropped) {
                events.onHeaderBlockDropped(blockStream, blockEndStream, blockPromised);
            } else {
                events.onHeaderBlock(blockStream, block, blockLength, blockEndStream, blockPromised);
            }
            blockLength = 0;
            if (block.length > 4096) {
                release();
            }
        }
    }

    private int readControl(byte[] data, int i, int end) {
        int entry = frameType == Http2Frames.SETTINGS ? 6 : Math.min(control.length, frameLength);
        int take = Math.min(end - i, Math.min(remaining, entry - controlLength));
        System.arraycopy(data, i, control, controlLength, take);
        controlLength += take;
        remaining -= take;
        i += take;
        if (controlLength == entry) {
            controlLength = 0;
            if (frameType == Http2Frames.SETTINGS) {
                events.onSetting((control[0] & 0xff) << 8 | control[1] & 0xff,
                        Http2Frames.int32(control, 2) & 0xffff_ffffL);
            } else {
                controlFrame();
                state = State.SKIP; // GOAWAY's debug data
                afterPayloadBytes();
                return i;
            }
        }
        if (remaining == 0) {
            endFrame();
        }
        return i;
    }

    private void controlFrame() {
        switch (frameType) {
            case Http2Frames.RST_STREAM -> events.onRstStream(frameStream, Http2Frames.int32(control, 0) & 0xffff_ffffL);
            case Http2Frames.GOAWAY -> events.onGoAway(Http2Frames.int31(control, 0),
                    Http2Frames.int32(control, 4) & 0xffff_ffffL);
            case Http2Frames.WINDOW_UPDATE -> events.onWindowUpdate(frameStream, Http2Frames.int31(control, 0));
            default -> {
            }
        }
    }

    private void endFrame() {
        if (frameType == Http2Frames.DATA) {
            events.onDataEnd(frameStream, frameLength, (frameFlags & Http2Frames.FLAG_END_STREAM) != 0);
        }
        state = State.HEADER;
    }

    private void lose(String reason, boolean bytesMissing) {
        state = State.SEEK;
        headerLength = 0;
        blockOpen = false;
        blockLength = 0;
        events.onLostPlace(reason, bytesMissing);
    }
}
