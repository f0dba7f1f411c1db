package io.httpprofiler.capture.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ElfSymbols against binutils on real files: the system's libssl (small, symbols in the first window) and node (about
 * 100 MB, thousands of exported symbols, so the symbol table and its names span many read windows), then malformed
 * and truncated files, which must give no symbols rather than an exception.
 */
class ElfSymbolsTest {
    private static final Set<String> WANTED = TlsWatcher.ENTRY_PROGRAMS.keySet();
    private static final Path LIBSSL = Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.3");
    private static final Path NODE = Path.of("/usr/bin/node");

    @Test
    void libsslOffsetsAreWhereBinutilsPutThem() throws Exception {
        Map<String, Long> offsets = ElfSymbols.offsets(LIBSSL, WANTED);
        assertTrue(offsets.keySet().containsAll(List.of("SSL_read", "SSL_write")), "found: " + offsets.keySet());
        assertEquals(binutilsOffsets(LIBSSL), offsets);
    }

    @Test
    void nodesExportedTlsFunctionsAcrossManyWindows() throws Exception {
        Map<String, Long> offsets = ElfSymbols.offsets(NODE, WANTED);
        assertTrue(offsets.keySet().containsAll(List.of("SSL_read", "SSL_write")), "found: " + offsets.keySet());
        assertEquals(binutilsOffsets(NODE), offsets);
    }

    @Test
    void notElfGivesNothing(@TempDir Path dir) throws IOException {
        Path noise = dir.resolve("noise");
        byte[] bytes = new byte[200_000];
        new Random(7).nextBytes(bytes);
        Files.write(noise, bytes);
        assertEquals(Map.of(), ElfSymbols.offsets(noise, WANTED));
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[] {0x7f, 'E', 'L', 'F'});
        assertEquals(Map.of(), ElfSymbols.offsets(tiny, WANTED));
        assertEquals(Map.of(), ElfSymbols.offsets(dir.resolve("missing"), WANTED));
    }

    @Test
    void truncatedOrCorruptedLibraryNeverThrows(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(LIBSSL);
        Map<String, Long> full = ElfSymbols.offsets(LIBSSL, WANTED);
        Random random = new Random(11);
        for (int i = 0; i < 40; i++) {
            int length = i < 20 ? 64 + random.nextInt(whole.length - 64) : whole.length;
            byte[] copy = java.util.Arrays.copyOf(whole, length);
            if (i >= 20) { // whole length, a few bytes of the headers and tables overwritten
                for (int k = 0; k < 8; k++) {
                    copy[random.nextInt(Math.min(copy.length, 4096))] = (byte) random.nextInt();
                }
            }
            Path file = dir.resolve("libssl-" + i);
            Files.write(file, copy);
            Map<String, Long> found = ElfSymbols.offsets(file, WANTED);
            // Whatever a damaged file yields, it never names a function the real library does not have.
            assertTrue(full.keySet().containsAll(found.keySet()), "case " + i + ": " + found);
        }
        Path headerOnly = dir.resolve("header-only");
        Files.write(headerOnly, java.util.Arrays.copyOf(whole, 64));
        assertFalse(ElfSymbols.offsets(headerOnly, WANTED).containsKey("SSL_read"));
    }

    @Test
    void aSymbolTableSizeThatLiesEndsAtTheFilesEndWithoutAnException(@TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(LIBSSL);
        ByteBuffer elf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long sectionTable = elf.getLong(0x28);
        int entrySize = Short.toUnsignedInt(elf.getShort(0x3a));
        int sections = Short.toUnsignedInt(elf.getShort(0x3c));
        int lied = 0;
        for (int i = 0; i < sections; i++) {
            int header = (int) (sectionTable + (long) i * entrySize);
            if (elf.getInt(header + 4) == 11) { // SHT_DYNSYM: its size says a trillion bytes of symbols
                elf.putLong(header + 0x20, 1L << 40);
                lied++;
            }
        }
        assertEquals(1, lied, "libssl has one .dynsym");
        Path file = Files.write(dir.resolve("libssl-lying"), bytes);

        Map<String, Long> found = ElfSymbols.offsets(file, WANTED); // reads to the file's end, then gives up
        assertTrue(ElfSymbols.offsets(LIBSSL, WANTED).keySet().containsAll(found.keySet()), "found: " + found);
    }

    /** Defined functions' file offsets the way binutils sees them: nm's address through readelf's LOAD segments. */
    private static Map<String, Long> binutilsOffsets(Path file) throws Exception {
        Map<String, Long> addresses = new HashMap<>();
        Pattern symbol = Pattern.compile("^([0-9a-f]+) [Tt] (\\w+)(@@?\\S+)?$");
        for (String line : run("nm", "-D", "--defined-only", file.toString())) {
            Matcher m = symbol.matcher(line.trim());
            if (m.matches() && WANTED.contains(m.group(2))) {
                addresses.putIfAbsent(m.group(2), Long.parseUnsignedLong(m.group(1), 16));
            }
        }
        List<long[]> segments = new ArrayList<>(); // offset, vaddr, filesz
        for (String line : run("readelf", "-lW", file.toString())) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[0].equals("LOAD")) {
                segments.add(new long[] {Long.decode(f[1]), Long.decode(f[2]), Long.decode(f[4])});
            }
        }
        Map<String, Long> offsets = new HashMap<>();
        addresses.forEach((name, address) -> {
            for (long[] s : segments) {
                if (address >= s[1] && address < s[1] + s[2]) {
                    offsets.put(name, address - s[1] + s[0]);
                }
            }
        });
        return offsets;
    }

    private static List<String> run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), String.join(" ", command));
        return new String(out, StandardCharsets.UTF_8).lines().toList();
    }
}
