package io.httpprofiler.output;

import org.apache.commons.io.FileUtils;
import org.apache.commons.io.output.UnsynchronizedByteArrayOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A file for output that must survive its surroundings. Bytes are collected until {@link #flush()}: the exchange writers
 * flush once per exchange, so what lies between two flushes is one block (a transcript block, a JSON line) and a block is
 * only ever written whole, into one file:
 * <ul>
 * <li>rotation by size happens before a block that would take the file past the limit ({@code name} becomes
 *     {@code name.1} ... {@code name.N}); a file is bigger than the limit only when one block alone is;</li>
 * <li>a block the disk refuses halfway (full disk) is cut off again, so a retry does not leave half a block behind;</li>
 * <li>a failing disk, or a file or directory removed while open (whose writes would otherwise vanish silently), is
 *     reported once, and retried later (the directory is created again) while the profiler keeps capturing; blocks are
 *     held meanwhile up to {@link #MAX_PENDING_BYTES}, further ones are dropped whole and counted.</li>
 * <li>every file it creates, rotated ones included, gets its {@code mode} (default {@link #DEFAULT_MODE}: the traffic
 *     of others is in there), and so does an existing file it appends to;</li>
 * <li>with a {@link Framing} (a document format such as HAR, where the blocks are entries of one array), each file
 *     starts with the header, has the separator between blocks and gets the footer when it is rotated away or closed:
 *     every rotated file is a complete document. Such a file is started afresh, not appended to.</li>
 * </ul>
 * Not thread-safe.
 */
public final class RotatingFileOutput extends OutputStream {
    /** Bytes held while the file cannot be written; beyond this whole blocks are dropped (and counted). */
    static final int MAX_PENDING_BYTES = 4 * 1024 * 1024;
    /** How long to wait after a failure before trying the file again. */
    static final long RETRY_NANOS = 5_000_000_000L;
    /** How often to check that the file is still there: writes to a removed file succeed and are lost. */
    static final long PRESENCE_CHECK_NANOS = 100_000_000L;
    /** Read and write for the owner only. */
    public static final Set<PosixFilePermission> DEFAULT_MODE = PosixFilePermissions.fromString("rw-------");

    /**
     * What makes a file of blocks one document: {@code header} before the first block, {@code separator} between two
     * blocks, {@code footer} after the last (when the file is rotated away or closed).
     */
    public record Framing(byte[] header, byte[] separator, byte[] footer) {
    }

    private final Path path;
    private final long maxBytes;
    private final int maxFiles;
    private final Consumer<String> problems;
    private final Set<PosixFilePermission> mode;
    /** Null for a plain file of blocks. */
    private final Framing framing;
    /** The open file holds at least one block after its header (the next one needs a separator first). */
    private boolean blocksInFile;
    /**
     * A document is not appended to: what the file held before is cut away, but only when the first bytes are written,
     * so that a profiler that fails to start leaves the previous document as it was.
     */
    private boolean startAfresh;
    private boolean modeProblemReported;
    /** The block being written (since the last flush); written to the file from here while the file works. */
    private final DirectBlock block = new DirectBlock();
    /** Complete blocks waiting for the file to work again (only ever filled after a failure). */
    private final UnsynchronizedByteArrayOutputStream pending = UnsynchronizedByteArrayOutputStream.builder().get();
    /** Created by this instance (and still to be removed by {@link #discardIfUnused()} when nothing was written). */
    private final List<Path> createdDirectories = new ArrayList<>();
    private boolean createdFile;
    private FileChannel channel;
    private OutputStream out;
    private long size;
    private boolean failing;
    private long retryAt;
    private long nextPresenceCheck;
    /** The open file's identity (device and inode), to notice it being removed or replaced. */
    private Object fileKey;
    private long droppedBytes;
    private long writeFailures;
    private long rotations;
    private boolean written;

    /**
     * Opens (creating it and its directories if needed) the file for appending.
     *
     * @param maxBytes rotate once the file would grow past this size (0: never)
     * @param maxFiles rotated files kept besides the live one
     * @param problems receives one line per failure episode (and one when writing works again)
     */
    public RotatingFileOutput(Path path, long maxBytes, int maxFiles, Consumer<String> problems) throws IOException {
        this(path, maxBytes, maxFiles, DEFAULT_MODE, null, problems);
    }

    /**
     * As {@link #RotatingFileOutput(Path, long, int, Consumer)}, with the files' permissions and, for a document format,
     * its framing (null for none).
     */
    public RotatingFileOutput(Path path, long maxBytes, int maxFiles, Set<PosixFilePermission> mode, Framing framing,
                              Consumer<String> problems) throws IOException {
        this.path = path;
        this.mode = Set.copyOf(mode);
        this.framing = framing;
        this.startAfresh = framing != null;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        this.problems = problems;
        Path parent = path.toAbsolutePath().getParent();
        for (Path dir = parent; dir != null && !Files.exists(dir); dir = dir.getParent()) {
            createdDirectories.add(dir);
        }
        createdFile = !Files.exists(path);
        try {
            open();
        } catch (IOException e) {
            discardIfUnused();
            throw e;
        }
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
        channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(mode));
        applyMode();
        out = Channels.newOutputStream(channel);
        size = channel.size();
        blocksInFile = framing != null && size > framing.header().length;
        fileKey = fileKey(path);
        nextPresenceCheck = System.nanoTime() + PRESENCE_CHECK_NANOS;
    }

    /** The mode asked for, whatever the umask took away at creation (and on a file that existed already). */
    private void applyMode() {
        try {
            if (!Files.getPosixFilePermissions(path).equals(mode)) {
                Files.setPosixFilePermissions(path, mode);
            }
        } catch (IOException | UnsupportedOperationException e) {
            if (!modeProblemReported) {
                modeProblemReported = true;
                problems.accept("cannot set the mode of " + path + " to "
                        + PosixFilePermissions.toString(mode) + " (" + e.getClass().getSimpleName() + ")");
            }
        }
    }

    @Override
    public void write(int b) {
        block.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        block.write(bytes, offset, length);
    }

    /** Ends the current block: writes it (and any held before it), or holds it while the file cannot be written. */
    @Override
    public void flush() {
        if (block.size() > 0 && (failing || pending.size() > 0)) {
            // Blocks go to the file in order: behind the ones already held, or dropped once too much is held.
            if (failing && pending.size() + block.size() > MAX_PENDING_BYTES) {
                droppedBytes += block.size(); // a whole block, never half of one
            } else {
                appendBlockToPending();
            }
            block.reset();
        }
        // While the file works nothing is held, and the block is written from where it was built.
        boolean fromPending = pending.size() > 0;
        int length = fromPending ? pending.size() : block.size();
        if (length == 0 || failing && System.nanoTime() < retryAt) {
            return;
        }
        long sizeBefore = size;
        try {
            checkPresence();
            if (channel == null) {
                open();
                sizeBefore = size;
            }
            startAfreshIfDue();
            sizeBefore = size;
            if (maxBytes > 0 && (framing == null ? size > 0 : blocksInFile)
                    && size + prefix().length + length + footerLength() > maxBytes) {
                rotate();
                sizeBefore = size;
            }
            byte[] prefix = prefix();
            if (prefix.length > 0) {
                out.write(prefix);
            }
            if (fromPending) {
                pending.writeTo(out);
                pending.reset();
            } else {
                block.writeTo(channel);
            }
            size += prefix.length + length;
            blocksInFile = true;
            written = true;
            if (failing) {
                failing = false;
                problems.accept("writing " + path + " works again");
            }
        } catch (IOException e) {
            cutBackTo(sizeBefore);
            if (!fromPending) {
                appendBlockToPending(); // held for the retry
                block.reset();
            }
            writeFailures++;
            closeQuietly();
            if (!failing) {
                failing = true;
                problems.accept("cannot write " + path + " (" + describe(e) + "); capture continues, retrying every "
                        + RETRY_NANOS / 1_000_000_000L + " s");
            }
            retryAt = System.nanoTime() + RETRY_NANOS;
        }
    }

    /**
     * Writes held blocks if the retry time has come, without ending a block: call it now and then, so that output held
     * during a failure reaches the file once the disk works again even when no new exchange comes along.
     */
    public void retry() {
        if (block.size() == 0 && pending.size() > 0) {
            flush();
        }
    }

    private void appendBlockToPending() {
        try {
            if (framing != null && pending.size() > 0) {
                pending.write(framing.separator());
            }
            block.copyTo(pending);
        } catch (IOException impossible) { // memory to memory
            throw new UncheckedIOException(impossible);
        }
    }

    /** A removed file (or directory) swallows writes without an error: notice it and start a new file. */
    private void checkPresence() {
        if (channel == null || System.nanoTime() < nextPresenceCheck) {
            return;
        }
        nextPresenceCheck = System.nanoTime() + PRESENCE_CHECK_NANOS;
        Object now = fileKey(path);
        if (now == null) {
            closeQuietly();
            problems.accept(path + " was removed while being written; creating it again");
        } else if (fileKey != null && !fileKey.equals(now)) {
            closeQuietly();
            problems.accept(path + " was replaced while being written; writing to the new one");
        }
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException gone) {
            return null;
        }
    }

    /** Removes what a failed write left of a block, so that a retry does not write part of it twice. */
    private void cutBackTo(long blockStart) {
        if (channel != null) {
            try {
                if (channel.size() > blockStart) {
                    channel.truncate(blockStart);
                }
            } catch (IOException ignored) {
                // Nothing more to do: the file is failing, which is reported.
            }
        }
    }

    /** What goes before the held blocks in the open file: the header of a new document, or a separator. */
    private byte[] prefix() {
        if (framing == null) {
            return NOTHING;
        }
        return size == 0 ? framing.header() : blocksInFile ? framing.separator() : NOTHING;
    }

    private int footerLength() {
        return framing == null ? 0 : framing.footer().length;
    }

    private void startAfreshIfDue() throws IOException {
        if (startAfresh && channel != null) {
            channel.truncate(0);
            size = 0;
            blocksInFile = false;
            startAfresh = false;
        }
    }

    /** Ends the open document; an empty one gets its header first (a valid document with no entries). */
    private void writeFooter() throws IOException {
        startAfreshIfDue();
        if (framing != null && channel != null) {
            if (size == 0) {
                out.write(framing.header());
                size += framing.header().length;
            }
            out.write(framing.footer());
            size += framing.footer().length;
        }
    }

    private static final byte[] NOTHING = new byte[0];

    private void rotate() throws IOException {
        writeFooter();
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

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    private void closeQuietly() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // The file is being abandoned after a failure; the failure is already reported.
            }
            channel = null;
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
        try {
            if (!failing) {
                writeFooter();
            }
        } catch (IOException e) {
            problems.accept("cannot end " + path + " (" + describe(e) + ")");
        }
        closeQuietly();
    }

    /**
     * Closes, and when nothing was ever written removes the file and the directories this instance created: a profiler
     * that fails to start leaves nothing behind.
     */
    public void discardIfUnused() {
        block.reset();
        closeQuietly();
        if (written) {
            return;
        }
        try {
            if (createdFile && Files.exists(path) && Files.size(path) == 0) {
                Files.delete(path);
            }
            for (Path dir : createdDirectories) { // deepest first
                Files.deleteIfExists(dir);
            }
        } catch (IOException ignored) {
            // Something else is in there now: leave it.
        }
    }
}
