package io.httpprofiler.capture.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The file offsets of named functions in an ELF file, from its symbol tables ({@code .dynsym}, and {@code .symtab} when
 * not stripped): where a uprobe for each goes. Only 64-bit little-endian files (x86-64, arm64) are read; anything else
 * has no symbols as far as this class goes. An executable can be 100 MB, so only the headers, the symbol tables and
 * the names looked at are read, through small windows. Not mapped: a mapped file's pages count in the profiler's
 * resident memory until the collector happens to free the mapping, and examining dockerd, containerd and the like
 * kept 20-40 MB of them resident in a profiler whose budget is 100 MB.
 */
public final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNSYM = 11;
    private static final int PT_LOAD = 1;
    private static final int STT_FUNC = 2;
    private static final int SYMBOL_SIZE = 24;
    private static final int LONGEST_NAME = 64;
    /** Symbols looked at together: their names are read in string-table order (node's tables hold ~100 k). */
    private static final int BATCH = 1 << 16;
    /** Bits of a symbol's index within its batch in a sort key. */
    private static final int INDEX_BITS = 16;

    private ElfSymbols() {
    }

    /**
     * Offsets (from the file's start) of the defined functions among {@code wanted}; empty when the file is not an ELF
     * file this class reads, has none of them, or cannot be read.
     */
    public static Map<String, Long> offsets(Path file, Set<String> wanted) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 64) {
                return Map.of();
            }
            return offsets(new Reader(channel, size), new Reader(channel, size), wanted);
        } catch (IOException | RuntimeException e) {
            return Map.of(); // unreadable or malformed: no symbols, the file is simply not probed
        }
    }

    /**
     * {@code elf} walks the headers and symbol tables in order. The names of the candidate symbols (defined functions)
     * are then read in the order they lie in the string table, so that {@code names} also moves forwards only: node's
     * 7 MB string table costs about a hundred reads instead of one per symbol.
     */
    private static Map<String, Long> offsets(Reader elf, Reader names, Set<String> wanted) {
        if (elf.u32(0) != 0x464c457f || elf.u8(4) != 2 || elf.u8(5) != 1) {
            return Map.of(); // not ELF, not 64-bit, or not little-endian
        }
        long sectionTable = elf.u64(0x28);
        int sectionSize = elf.u16(0x3a);
        int sections = elf.u16(0x3c);
        Map<String, Long> addresses = new HashMap<>();
        for (int i = 0; i < sections; i++) {
            long header = sectionTable + (long) i * sectionSize;
            int type = elf.u32(header + 4);
            if (type != SHT_SYMTAB && type != SHT_DYNSYM) {
                continue;
            }
            long symbols = elf.u64(header + 0x18);
            long symbolsSize = elf.u64(header + 0x20);
            long strings = elf.u64(sectionTable + (long) elf.u32(header + 0x28) * sectionSize + 0x18);
            long count = symbolsSize / SYMBOL_SIZE;
            Map<String, Long> inSection = new HashMap<>();
            long[] candidates = new long[(int) Math.min(count, BATCH)];
            long[] values = new long[candidates.length];
            // In batches, so that memory stays small whatever a (possibly lying) section header says; a table past
            // the file's end throws, which ends the file's reading.
            for (long first = 0; first < count; first += BATCH) {
                int batch = (int) Math.min(BATCH, count - first);
                int found = 0;
                for (int k = 0; k < batch; k++) {
                    long at = symbols + (first + k) * SYMBOL_SIZE;
                    int info = elf.u8(at + 4);
                    int sectionIndex = elf.u16(at + 6);
                    long value = elf.u64(at + 8);
                    if ((info & 0xf) != STT_FUNC || sectionIndex == 0 || value == 0) {
                        continue;
                    }
                    long nameAt = strings + Integer.toUnsignedLong(elf.u32(at));
                    if (nameAt >= 1L << (63 - INDEX_BITS)) {
                        continue; // past any file this reads: malformed
                    }
                    values[k] = value;
                    // (name offset, index in the batch): sorted, names in file order, ties by index.
                    candidates[found++] = nameAt << INDEX_BITS | k;
                }
                Arrays.sort(candidates, 0, found);
                Map<String, Integer> firstInBatch = new HashMap<>();
                for (int c = 0; c < found; c++) {
                    long nameAt = candidates[c] >>> INDEX_BITS;
                    int index = (int) (candidates[c] & (BATCH - 1));
                    if (names.u8(nameAt) != 'S') {
                        continue; // every name looked for starts so; most symbols are passed over without a String
                    }
                    String name = names.name(nameAt);
                    if (name != null && wanted.contains(name)
                            && firstInBatch.getOrDefault(name, Integer.MAX_VALUE) > index) {
                        firstInBatch.put(name, index);
                    }
                }
                // The table's first definition wins, as a linker's lookup finds it: earlier batches come first.
                firstInBatch.forEach((name, index) -> inSection.putIfAbsent(name, values[index]));
            }
            inSection.forEach(addresses::putIfAbsent);
        }
        Map<String, Long> offsets = new HashMap<>();
        addresses.forEach((name, address) -> {
            long offset = fileOffset(elf, address);
            if (offset >= 0) {
                offsets.put(name, offset);
            }
        });
        return offsets;
    }

    /** The file offset of a virtual address, through the loadable segment that holds it; -1 if none does. */
    private static long fileOffset(Reader elf, long address) {
        long programTable = elf.u64(0x20);
        int entrySize = elf.u16(0x36);
        int entries = elf.u16(0x38);
        for (int i = 0; i < entries; i++) {
            long header = programTable + (long) i * entrySize;
            if (elf.u32(header) != PT_LOAD) {
                continue;
            }
            long fileOffset = elf.u64(header + 0x08);
            long virtualAddress = elf.u64(header + 0x10);
            long fileSize = elf.u64(header + 0x20);
            if (address >= virtualAddress && address < virtualAddress + fileSize) {
                return address - virtualAddress + fileOffset;
            }
        }
        return -1;
    }

    /**
     * Bounds-checked little-endian reads through a window of the file (a malformed file throws, which {@link #offsets}
     * turns into "no symbols"). Sequential reads cost one system call per window.
     */
    private static final class Reader {
        private static final int WINDOW = 64 * 1024;

        private final FileChannel file;
        private final long size;
        private final ByteBuffer window = ByteBuffer.allocate(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
        /** File offset of the window's first byte; the window holds window.limit() bytes. */
        private long windowStart = -1;

        Reader(FileChannel file, long size) {
            this.file = file;
            this.size = size;
        }

        int u8(long at) {
            return Byte.toUnsignedInt(window.get(index(at, 1)));
        }

        int u16(long at) {
            return Short.toUnsignedInt(window.getShort(index(at, 2)));
        }

        int u32(long at) {
            return window.getInt(index(at, 4));
        }

        long u64(long at) {
            return window.getLong(index(at, 8));
        }

        /** The NUL-terminated name at {@code at}, or null when longer than any name looked for. */
        String name(long at) {
            byte[] bytes = new byte[LONGEST_NAME + 1];
            for (int i = 0; i < bytes.length && at + i < size; i++) {
                int b = u8(at + i);
                if (b == 0) {
                    return new String(bytes, 0, i, StandardCharsets.ISO_8859_1);
                }
                bytes[i] = (byte) b;
            }
            return null;
        }

        /** Where in the window the {@code length} bytes at file offset {@code at} are, reading them in if needed. */
        private int index(long at, int length) {
            if (at < 0 || at + length > size) {
                throw new IndexOutOfBoundsException("offset " + at + " outside the file");
            }
            if (windowStart < 0 || at < windowStart || at + length > windowStart + window.limit()) {
                fill(at);
            }
            return (int) (at - windowStart);
        }

        private void fill(long at) {
            window.clear();
            try {
                while (window.hasRemaining() && at + window.position() < size) {
                    if (file.read(window, at + window.position()) < 0) {
                        break;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            window.flip();
            windowStart = at;
        }
    }
}
