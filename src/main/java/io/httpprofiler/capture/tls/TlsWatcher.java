package io.httpprofiler.capture.tls;

import io.httpprofiler.bpf.BpfException;
import io.httpprofiler.bpf.Errno;
import io.httpprofiler.bpf.BpfLink;
import io.httpprofiler.bpf.BpfProgram;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Finds the TLS libraries processes use and attaches the TLS uprobes of bpf/http_probe.c to each library file once: a
 * uprobe belongs to a file (device and inode), so one attachment covers every process that maps it, now or later; the
 * kernel's filters (pids, ports, network namespace) decide what is captured.
 *
 * <p>Where libraries are found: the system's library directories at start; every process's memory map (shared objects
 * whose name says ssl) and executable (TLS linked in statically, like Node.js's OpenSSL, found by its exported
 * symbols), read through {@code /proc/PID/root} so that a container's own libraries are found beside it. Processes are
 * looked at when first seen (a background scan each second), again when a connection of theirs turns out to carry
 * TLS records the probes did not decrypt ({@link #lookAgain}), and all of them every {@link #FULL_RESCAN_NANOS}.
 */
public final class TlsWatcher implements AutoCloseable {
    /** Symbol to the program its uprobe runs; the uretprobe of every symbol runs {@link #EXIT_PROGRAM}. */
    static final Map<String, String> ENTRY_PROGRAMS = entryPrograms();
    static final String EXIT_PROGRAM = "tls_call_exit";
    /** A file is probed when it has at least these (the rest are probed where present). */
    private static final List<String> REQUIRED = List.of("SSL_read", "SSL_write");
    static final List<String> LIBRARY_DIRECTORIES = List.of("/lib", "/usr/lib", "/lib64", "/usr/lib64",
            "/usr/local/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu");
    private static final long SCAN_EVERY_MILLIS = 1000;
    static final long FULL_RESCAN_NANOS = 30_000_000_000L;
    /** Files looked at are remembered (so each is read once) up to this many; beyond, the oldest are forgotten. */
    private static final int MAX_EXAMINED_FILES = 65_536;

    private static Map<String, String> entryPrograms() {
        Map<String, String> programs = new LinkedHashMap<>();
        programs.put("SSL_write", "tls_write_enter");
        programs.put("SSL_write_ex", "tls_write_ex_enter");
        programs.put("SSL_read", "tls_read_enter");
        programs.put("SSL_read_ex", "tls_read_ex_enter");
        // So that the socket calls of a handshake are known to carry ciphertext, and the SSL object's socket early.
        programs.put("SSL_do_handshake", "tls_handshake_enter");
        programs.put("SSL_connect", "tls_handshake_enter");
        programs.put("SSL_accept", "tls_handshake_enter");
        return Map.copyOf(programs);
    }

    /** A file by identity, whatever path (or mount namespace) it was reached through. */
    private record FileKey(long device, long inode) {
    }

    private final Function<String, BpfProgram> programs;
    private final Set<Integer> onlyPids;
    private final int ownPid;
    private final Path proc;
    private final Consumer<String> log;
    private final TlsLibraries libraries = new TlsLibraries();
    private final List<BpfLink> links = new ArrayList<>();
    /** Files already looked at, in order: null value = not a TLS library; else its library name. */
    private final LinkedHashMap<FileKey, String> examined = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<FileKey, String> eldest) {
            return size() > MAX_EXAMINED_FILES;
        }
    };
    /** Probed library names each live process maps (read by the pipeline thread to explain what it cannot see). */
    private final Map<Integer, List<String>> librariesByPid = new ConcurrentHashMap<>();
    /** Processes to look at soon: a pid to read whole, or (negated) one that exec'd, whose executable is all to read. */
    private final LinkedBlockingQueue<Integer> lookAgain = new LinkedBlockingQueue<>(4096);
    private Set<Integer> knownPids = new HashSet<>();
    private long lastFullScanNanos;
    private Thread thread;
    private volatile boolean closing;
    /** Library files whose probes are attached (the libraries table also names those that failed). */
    private int probedFiles;
    /** A refused attach is explained once, not once per library file. */
    private boolean refusalExplained;

    TlsWatcher(Function<String, BpfProgram> programs, Set<Integer> onlyPids, int ownPid, Path proc, Consumer<String> log) {
        this.programs = programs;
        this.onlyPids = Set.copyOf(onlyPids);
        this.ownPid = ownPid;
        this.proc = proc;
        this.log = log;
    }

    /**
     * Probes the libraries found now (system directories, running processes) before returning, then keeps watching on
     * a background thread.
     *
     * @param programs the loaded TLS programs by name
     * @param onlyPids {@code --pid}: only these processes' maps are read (empty: all)
     */
    public static TlsWatcher start(Function<String, BpfProgram> programs, Set<Integer> onlyPids, int ownPid,
                                   Consumer<String> log) {
        TlsWatcher watcher = new TlsWatcher(programs, onlyPids, ownPid, Path.of("/proc"), log);
        watcher.scanSystemLibraries();
        watcher.scanProcesses(true);
        watcher.thread = new Thread(watcher::watch, "tls-watcher");
        watcher.thread.setDaemon(true);
        watcher.thread.start();
        return watcher;
    }

    public TlsLibraries libraries() {
        return libraries;
    }

    /** Attached uprobes and uretprobes. */
    public synchronized int attachedProbes() {
        return links.size();
    }

    /** Probed TLS libraries a process maps, as last seen (empty when none or not looked at). */
    public List<String> librariesOf(int pid) {
        return librariesByPid.getOrDefault(pid, List.of());
    }

    /** Reads this process's maps again soon: it may have loaded a TLS library since. */
    public void lookAgain(int pid) {
        lookAgain.offer(pid); // full queue: the periodic scans will get there
    }

    /**
     * A process exec'd: its executable is looked at soon (once per file: a machine that runs many programs costs a
     * link read and a stat per exec). Its libraries are not mapped yet; the scan of new processes reads those.
     */
    public void executed(int pid) {
        lookAgain.offer(-pid);
    }

    private void watch() {
        long nextScan = System.nanoTime() + SCAN_EVERY_MILLIS * 1_000_000;
        while (!closing) {
            try {
                Integer pid = lookAgain.poll(Math.max(1, (nextScan - System.nanoTime()) / 1_000_000),
                        TimeUnit.MILLISECONDS);
                if (pid != null && pid < 0) {
                    scanExecutable(-pid);
                } else if (pid != null) {
                    scanProcess(pid);
                }
                if (System.nanoTime() >= nextScan) {
                    scanProcesses(System.nanoTime() - lastFullScanNanos >= FULL_RESCAN_NANOS);
                    nextScan = System.nanoTime() + SCAN_EVERY_MILLIS * 1_000_000;
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.accept("TLS library watch: " + e); // keep watching: one odd process must not end it
            }
        }
    }

    private void scanSystemLibraries() {
        for (String directory : LIBRARY_DIRECTORIES) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(Path.of(directory), "lib*ssl*.so*")) {
                for (Path file : files) {
                    Path real = file.toRealPath(); // libssl.so -> libssl.so.3: named as processes' maps name it
                    examine(real, real.getFileName().toString());
                }
            } catch (IOException | RuntimeException e) {
                // a directory this system does not have
            }
        }
    }

    /** New processes; all of them when {@code all}. */
    private void scanProcesses(boolean all) {
        if (all) {
            lastFullScanNanos = System.nanoTime();
        }
        Set<Integer> live = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path entry : entries) {
                int pid = pidOf(entry.getFileName().toString());
                if (pid > 0) {
                    live.add(pid);
                    if (all || !knownPids.contains(pid)) {
                        scanProcess(pid);
                    }
                }
            }
        } catch (IOException e) {
            return;
        }
        librariesByPid.keySet().retainAll(live);
        knownPids = live;
    }

    private static int pidOf(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        return name.isEmpty() || name.length() > 9 ? -1 : Integer.parseInt(name);
    }

    private boolean watched(int pid) {
        return pid != ownPid && (onlyPids.isEmpty() || onlyPids.contains(pid));
    }

    private void scanExecutable(int pid) {
        if (watched(pid)) {
            String library = examineExecutable(proc.resolve(Integer.toString(pid)));
            if (library != null) {
                librariesByPid.put(pid, List.of(library));
            }
        }
    }

    /**
     * The process's executable, if it carries a TLS library (looked at once per file). Read by the path its exe link
     * names, through the process's root, not through the link itself: a process may exec again meanwhile (a JVM's
     * jspawnhelper execs the program it starts), and the file read must be the one named.
     */
    private String examineExecutable(Path process) {
        try {
            String target = Files.readSymbolicLink(process.resolve("exe")).toString();
            if (!target.startsWith("/") || target.endsWith(" (deleted)")) {
                return null; // replaced on disk since: a new file, seen when something maps it
            }
            Path file = process.resolve("root").resolve(target.substring(1));
            return examine(file, file.getFileName().toString());
        } catch (IOException | RuntimeException e) {
            return null; // a kernel thread, or gone
        }
    }

    private void scanProcess(int pid) {
        if (!watched(pid)) {
            return;
        }
        Path process = proc.resolve(Integer.toString(pid));
        List<String> found = new ArrayList<>();
        String executable = examineExecutable(process);
        if (executable != null) {
            found.add(executable);
        }
        Path root = process.resolve("root");
        for (String path : sslObjectsMapped(process)) {
            String library = examine(root.resolve(path.substring(1)), Path.of(path).getFileName().toString());
            if (library != null && !found.contains(library)) {
                found.add(library);
            }
        }
        if (found.isEmpty()) {
            librariesByPid.remove(pid);
        } else {
            librariesByPid.put(pid, List.copyOf(found));
        }
    }

    /** Paths of the shared objects a process maps whose file name says ssl (libssl, libboringssl, ...). */
    private static Set<String> sslObjectsMapped(Path process) {
        Set<String> paths = new HashSet<>();
        try {
            for (String line : Files.readAllLines(process.resolve("maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0 || line.endsWith(" (deleted)")) {
                    continue;
                }
                String path = line.substring(slash);
                String name = path.substring(path.lastIndexOf('/') + 1);
                if (name.contains("ssl") && name.contains(".so")) {
                    paths.add(path);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read
        }
        return paths;
    }

    /** Looks at a file once; probes it if it is a TLS library. Returns its library name if it is one. */
    private String examine(Path file, String name) {
        FileKey key;
        try {
            key = new FileKey(((Number) Files.getAttribute(file, "unix:dev")).longValue(),
                    ((Number) Files.getAttribute(file, "unix:ino")).longValue());
        } catch (IOException | RuntimeException e) {
            return null;
        }
        synchronized (this) {
            if (examined.containsKey(key)) {
                return examined.get(key);
            }
        }
        Map<String, Long> offsets = ElfSymbols.offsets(file, ENTRY_PROGRAMS.keySet());
        String library = offsets.keySet().containsAll(REQUIRED) && attach(file, name, offsets) ? name : null;
        synchronized (this) {
            examined.put(key, library);
        }
        return library;
    }

    private boolean attach(Path file, String name, Map<String, Long> offsets) {
        int index = libraries.add(name);
        if (index < 0) {
            log.accept("TLS: " + file + " not probed: more than " + TlsLibraries.MAX_LIBRARIES + " TLS libraries");
            return false;
        }
        List<BpfLink> attached = new ArrayList<>();
        try {
            BpfProgram exit = programs.apply(EXIT_PROGRAM);
            for (Map.Entry<String, Long> symbol : offsets.entrySet()) {
                BpfProgram entry = programs.apply(ENTRY_PROGRAMS.get(symbol.getKey()));
                attached.add(entry.attachUprobe(file.toString(), symbol.getValue(), false, index));
                attached.add(exit.attachUprobe(file.toString(), symbol.getValue(), true, index));
            }
        } catch (BpfException e) {
            attached.forEach(BpfLink::close);
            log.accept("TLS: cannot probe " + file + ": " + e.getMessage());
            explainRefusal(e);
            return false;
        }
        synchronized (this) {
            links.addAll(attached);
            probedFiles++;
        }
        log.accept("TLS: probing " + name + " (" + file + ", " + offsets.size() + " functions)");
        return true;
    }

    /**
     * Kernels differ in what a uprobe needs: this project's 6.18 host refuses them (EACCES) to a process that has only
     * CAP_BPF + CAP_PERFMON, which is enough for everything else the profiler attaches. Say what to do, once.
     */
    private synchronized void explainRefusal(BpfException e) {
        if (!e.permissionDenied() || refusalExplained) {
            return;
        }
        refusalExplained = true;
        log.accept("TLS: the kernel refuses uprobes to this process (" + Errno.name(Math.abs(e.errno()))
                + "), so HTTPS is not shown in plaintext: give it CAP_SYS_ADMIN (root on a host; in a container"
                + " --cap-add SYS_ADMIN), or --tls off to silence this");
    }

    /** How many library files are probed now. */
    public synchronized int probedFiles() {
        return probedFiles;
    }

    /** Stops watching and detaches every probe. */
    @Override
    public void close() {
        closing = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            for (int i = links.size() - 1; i >= 0; i--) {
                links.get(i).close();
            }
            links.clear();
        }
    }
}
