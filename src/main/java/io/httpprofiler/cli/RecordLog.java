package io.httpprofiler.cli;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A debugging aid, not a user option: with {@code -Dhttpprofiler.debug.records=FILE} the capture loop writes every raw
 * ring buffer record and every expiry tick to FILE, so that a run that went wrong can be replayed through the pipeline
 * offline, exactly as it was fed. Format (big-endian): a header {@code long wallClockOffsetNanos}; then entries, each a
 * tag byte: {@code 'R'} + {@code int length} + the record's bytes, or {@code 'E'} + {@code long nowNanos} (an
 * {@code expire} call). A write error ends the recording, never the capture.
 */
final class RecordLog implements AutoCloseable {
    static final String PROPERTY = "httpprofiler.debug.records";

    private final Path file;
    private final Consumer<String> warn;
    private DataOutputStream out;

    RecordLog(Path file, long wallClockOffsetNanos, Consumer<String> warn) {
        this.file = file;
        this.warn = warn;
        try {
            out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
            out.writeLong(wallClockOffsetNanos);
        } catch (IOException e) {
            failed(e);
        }
    }

    /** The log the system property asks for, or null. */
    static RecordLog fromSystemProperty(long wallClockOffsetNanos, Consumer<String> warn) {
        String file = System.getProperty(PROPERTY);
        return file == null || file.isEmpty() ? null : new RecordLog(Path.of(file), wallClockOffsetNanos, warn);
    }

    void record(ByteBuffer record) {
        if (out == null) {
            return;
        }
        ByteBuffer copy = record.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        try {
            out.writeByte('R');
            out.writeInt(bytes.length);
            out.write(bytes);
        } catch (IOException e) {
            failed(e);
        }
    }

    void expire(long nowNanos) {
        if (out == null) {
            return;
        }
        try {
            out.writeByte('E');
            out.writeLong(nowNanos);
        } catch (IOException e) {
            failed(e);
        }
    }

    @Override
    public void close() {
        if (out == null) {
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            warn.accept("cannot finish " + PROPERTY + " file " + file + ": " + e);
        }
        out = null;
    }

    private void failed(IOException e) {
        warn.accept("cannot write " + PROPERTY + " file " + file + " (" + e + "); not recording any more");
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // already failing: the first error was reported
            }
        }
        out = null;
    }
}
