package io.httpprofiler.output;

import org.apache.commons.io.FileUtils;
import org.apache.commons.io.output.UnsynchronizedByteArrayOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * A file for output that must survive its surroundings: bytes are buffered until {@link #flush()} (the exchange writers
 * flush once per exchange, so blocks and lines are never split), the file rotates by size at those flushes
 * ({@code name}, {@code name.1} ... {@code name.N}), and a failing disk or vanished directory is reported once, counted,
 * and retried later while the profiler keeps capturing. Not thread-safe.
 */
public final class RotatingFileOutput extends OutputStream {
    /** Bytes held while the file cannot be written; beyond this they are dropped (and counted) rather than grow the heap. */
    static final int MAX_PENDING_BYTES = 4 * 1024 * 1024;
    /** How long to wait after a failure before trying the file again. */
    static final long RETRY_NANOS = 5_000_000_000L;

    private final Path path;
    private final long maxBytes;
    private final int maxFiles;
    private final Consumer<String> problems;
    private final UnsynchronizedByteArrayOutputStream pending = UnsynchronizedByteArrayOutputStream.builder().get();
    private OutputStream out;
    private long size;
    private boolean failing;
    private long retryAt;
    private long droppedBytes;
    private long writeFailures;
    private long rotations;

    /**
     * @param maxBytes rotate once the file reaches this size (0: never)
     * @param maxFiles rotated files kept besides the live one
     * @param problems receives one line per failure episode (and one when writing works again)
     */
    public RotatingFileOutput(Path path, long maxBytes, int maxFiles, Consumer<String> problems) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        this.problems = problems;
        open();
    }

    /** Fails early, before anything is created, if path cannot be a writable file. */
    public static void checkWritable(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new IOException(path + " is a directory");
        }
        if (Files.exists(path) && !Files.isWritable(path)) {
            throw new IOException(path + " is not writable");
        }
        Path parent = path.toAbsolutePath().getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new IOException("cannot create " + path + ": " + parent + " is not a writable directory");
        }
    }

    private void open() throws IOException {
        FileUtils.forceMkdirParent(path.toFile());
        out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        size = Files.size(path);
    }

    @Override
    public void write(int b) {
        if (pending.size() + 1 > MAX_PENDING_BYTES) {
            droppedBytes++;
            return;
        }
        pending.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        if (pending.size() + length > MAX_PENDING_BYTES) {
            droppedBytes += length;
            return;
        }
        pending.write(bytes, offset, length);
    }

    @Override
    public void flush() {
        if (pending.size() == 0) {
            return;
        }
        if (failing && System.nanoTime() < retryAt) {
            return;
        }
        try {
            if (out == null) {
                open();
            }
            int length = pending.size();
            pending.writeTo(out);
            out.flush();
            pending.reset();
            size += length;
            if (failing) {
                failing = false;
                problems.accept("writing " + path + " works again");
            }
            if (maxBytes > 0 && size >= maxBytes) {
                rotate();
            }
        } catch (IOException e) {
            writeFailures++;
            closeQuietly();
            if (!failing) {
                failing = true;
                problems.accept("cannot write " + path + " (" + e.getMessage() + "); capture continues, retrying every "
                        + RETRY_NANOS / 1_000_000_000L + " s");
            }
            retryAt = System.nanoTime() + RETRY_NANOS;
        }
    }

    private void rotate() throws IOException {
        closeQuietly();
        if (maxFiles == 0) {
            Files.deleteIfExists(path);
        } else {
            Files.deleteIfExists(numbered(maxFiles));
            for (int i = maxFiles - 1; i >= 1; i--) {
                if (Files.exists(numbered(i))) {
                    FileUtils.moveFile(numbered(i).toFile(), numbered(i + 1).toFile());
                }
            }
            FileUtils.moveFile(path.toFile(), numbered(1).toFile());
        }
        rotations++;
        open();
    }

    private Path numbered(int index) {
        return path.resolveSibling(path.getFileName() + "." + index);
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // The stream is being abandoned after a failure; the failure is already reported.
            }
            out = null;
        }
    }

    public Path path() {
        return path;
    }

    /** Bytes thrown away because the file could not be written for too long. */
    public long droppedBytes() {
        return droppedBytes;
    }

    public long writeFailures() {
        return writeFailures;
    }

    public long rotations() {
        return rotations;
    }

    @Override
    public void close() {
        retryAt = 0;
        flush();
        closeQuietly();
    }
}
