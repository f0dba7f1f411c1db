package io.httpprofiler.capture;

import io.httpprofiler.bpf.BpfException;
import io.httpprofiler.bpf.BpfLink;
import io.httpprofiler.bpf.BpfMap;
import io.httpprofiler.bpf.BpfObject;
import io.httpprofiler.bpf.Errno;
import io.httpprofiler.bpf.BpfProgram;
import io.httpprofiler.bpf.RingBufferReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * bpf/http_probe.c loaded, configured and attached: the kernel half of a capture session. Filters are written to the maps
 * before any program attaches, so nothing unwanted is ever captured. {@link #close()} detaches and unloads everything.
 */
public final class KernelProbe implements AutoCloseable {
    /** Where the build puts the compiled object inside the jar. */
    public static final String OBJECT_RESOURCE = "/bpf/http_probe.bpf.o";

    private final BpfObject object;
    private final List<BpfLink> links = new ArrayList<>();
    private final AttachMode mode;
    private final String fallbackReason;
    private final RingBufferReader reader;
    private final BpfMap counters;
    private final BpfMap skips;
    private final SkipRequests skipRequests = new SkipRequests(this::setSkipRange);
    private final BpfMap lostCloses;
    /** (tgid, fd) of each lost_closes entry to the generation last handed out by {@link #newLostCloses()}. */
    private Map<Long, Long> lostClosesHandedOut = new HashMap<>();
    private final long loadMillis;

    private KernelProbe(BpfObject object, CaptureSettings settings, AttachMode mode, String fallbackReason, int ownPid,
                        Consumer<String> log) {
        this.object = object;
        this.mode = mode;
        this.fallbackReason = fallbackReason;
        try {
            object.map(ProbeMaps.EVENTS).setMaxEntries(settings.ringBytes());
            List<BpfProgram> selected = new ArrayList<>();
            for (BpfProgram program : object.programs()) {
                boolean wanted = ProgramSet.of(program).runsIn(mode, settings.tls());
                // Verifying programs this mode never attaches is wasted start-up time (minutes under emulation).
                program.setAutoload(wanted);
                if (wanted) {
                    selected.add(program);
                }
            }
            long loadStart = System.nanoTime();
            load(object, log);
            this.loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
            writeFilters(settings, ownPid);
            if (mode == AttachMode.KPROBE) {
                attachKprobes(selected);
            }
            attachTracepoints(selected);
            this.reader = new RingBufferReader(object.map(ProbeMaps.EVENTS));
            this.counters = object.map(ProbeMaps.COUNTERS);
            this.skips = object.map(ProbeMaps.SKIPS);
            this.lostCloses = object.map(ProbeMaps.LOST_CLOSES);
        } catch (RuntimeException e) {
            closeLinks();
            object.close();
            throw e;
        }
    }

    private static void load(BpfObject object, Consumer<String> log) {
        try {
            object.load();
        } catch (BpfException e) {
            // The verifier rejects a program with EACCES too, but then libbpf has its log; seccomp leaves none.
            boolean verifierSpoke = e.libbpfLog().contains("PROG LOAD LOG");
            if (e.permissionDenied() && !verifierSpoke) {
                // Preflight saw the capabilities, so what is left is a seccomp profile that filters bpf() itself.
                throw new CaptureStartException("the kernel refused bpf() (" + Errno.name(e.errno())
                        + ") although the capabilities are there: a seccomp profile blocks it; in a container add"
                        + " --security-opt seccomp=unconfined (Docker 20.10: --cap-add SYS_ADMIN instead)");
            }
            String verifierLog = e.libbpfLog().strip();
            if (!verifierLog.isEmpty()) {
                log.accept("libbpf said:\n" + verifierLog.substring(Math.max(0, verifierLog.length() - 4000)));
            }
            throw new CaptureStartException("cannot load the BPF programs: " + e.getMessage()
                    + " (please report this with the libbpf output above and `uname -r`)");
        }
    }

    /** Loads the object shipped in the jar and attaches it per the settings. */
    public static KernelProbe start(CaptureSettings settings, int ownPid, Consumer<String> log) {
        return start(bundledObject(), settings, ownPid, log);
    }

    /**
     * {@code --attach auto} tries kprobes where the kernel has them and falls back to tracepoints, saying why;
     * {@code kprobe} fails with the reason instead.
     */
    public static KernelProbe start(byte[] elf, CaptureSettings settings, int ownPid, Consumer<String> log) {
        AttachMode asked = settings.attachMode();
        if (asked == AttachMode.TRACEPOINT) {
            return new KernelProbe(BpfObject.open(elf), settings, AttachMode.TRACEPOINT, null, ownPid, log);
        }
        String reason = KprobeSupport.missingReason();
        if (reason == null) {
            try {
                return new KernelProbe(BpfObject.open(elf), settings, AttachMode.KPROBE, null, ownPid, log);
            } catch (KprobesUnavailable e) {
                reason = e.getMessage();
            }
        }
        if (asked == AttachMode.KPROBE) {
            throw new CaptureStartException("kprobes cannot attach on this kernel (" + reason
                    + "); use --attach tracepoint or --attach auto");
        }
        log.accept("kprobes unavailable (" + reason + "); falling back to syscall tracepoints");
        return new KernelProbe(BpfObject.open(elf), settings, AttachMode.TRACEPOINT, reason, ownPid, log);
    }

    /** A kprobe did not attach; the probe was closed again. */
    private static final class KprobesUnavailable extends RuntimeException {
        KprobesUnavailable(String reason) {
            super(reason);
        }
    }

    public static byte[] bundledObject() {
        try (InputStream in = KernelProbe.class.getResourceAsStream(OBJECT_RESOURCE)) {
            if (in == null) {
                throw new CaptureStartException("the BPF object " + OBJECT_RESOURCE
                        + " is missing from the jar: rebuild with `make build`");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public AttachMode mode() {
        return mode;
    }

    /** Why kprobes were not used in auto mode, or null. */
    public String fallbackReason() {
        return fallbackReason;
    }

    public RingBufferReader reader() {
        return reader;
    }

    /** The ring buffer map itself, for readers other than {@link #reader()}. */
    public BpfMap ringMap() {
        return object.map(ProbeMaps.EVENTS);
    }

    /** Time the kernel took to verify and load the programs. */
    public long loadMillis() {
        return loadMillis;
    }

    public int attachedPrograms() {
        return links.size();
    }

    public KernelCounters counters() {
        return new KernelCounters(counters.sumPerCpuLong(EventLayout.COUNTER_RINGBUF_FULL_RECORDS),
                counters.sumPerCpuLong(EventLayout.COUNTER_RINGBUF_FULL_BYTES),
                counters.sumPerCpuLong(EventLayout.COUNTER_CONN_TABLE_FULL),
                counters.sumPerCpuLong(EventLayout.COUNTER_CAPPED_BYTES),
                counters.sumPerCpuLong(EventLayout.COUNTER_SKIPPED_BYTES),
                counters.sumPerCpuLong(EventLayout.COUNTER_UNREADABLE_BYTES),
                counters.sumPerCpuLong(EventLayout.COUNTER_TLS_NO_SOCKET));
    }

    /** A loaded program by name (the TLS uprobes, which are attached per library file as libraries are found). */
    public BpfProgram program(String name) {
        return object.program(name);
    }

    /**
     * The CLOSE records the ring could not hold that were not handed out before (each as the raw {@code lost_closes}
     * key and value, see {@link EventDecoder#lostClose}). Drain the ring after taking them and before feeding them on: a
     * connection's last records were in the ring before its close failed to join them. Entries are not deleted: the
     * kernel may overwrite one with a newer connection's lost close between a read and a delete, which would lose
     * that one. They are told apart by generation instead, and the LRU map ages them out.
     */
    public List<byte[][]> newLostCloses() {
        List<byte[][]> found = new ArrayList<>();
        Map<Long, Long> seen = new HashMap<>();
        try {
            for (byte[] key : lostCloses.keys()) {
                byte[] value = lostCloses.get(key);
                if (value == null) {
                    continue;
                }
                ByteBuffer k = ByteBuffer.wrap(key).order(ByteOrder.nativeOrder());
                long socket = k.getLong(0);
                long generation = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder())
                        .getLong(EventLayout.LostClose.GENERATION);
                seen.put(socket, generation);
                Long handedOut = lostClosesHandedOut.get(socket);
                if (handedOut == null || handedOut != generation) {
                    found.add(new byte[][]{key, value});
                }
            }
        } catch (BpfException ignored) {
            // best effort: a close not collected still ends its connection when the fd is reused, or idles out
        }
        lostClosesHandedOut = seen; // only what the map still holds: bounded by its size
        return found;
    }

    /**
     * Asks the kernel not to copy this connection's bytes in {@code [from, until)} of one direction: they belong to a
     * body past the kept size (or to a stream no longer parsed). They are still counted, and marked where they were
     * left out. One range per connection and direction: a newer one replaces the last (the kernel may also have put
     * one there itself). Held until the end of the next turn ({@link #endTurn()}), and dropped if markers show it
     * needless (see {@link SkipRequests}). Best effort: a full map just means the bytes get copied.
     */
    public void skip(ConnectionId connection, Direction direction, long from, long until) {
        skipRequests.add(connection, direction, from, until);
    }

    /** A record of bytes the kernel did not copy (a marker), as decoded: it may make a held skip request needless. */
    public void observeMarker(DataEvent marker) {
        skipRequests.marker(marker.connection(), marker.direction(), marker.position(), marker.callSize(),
                marker.markerReason());
    }

    /** The capture loop's turn is over: skip requests held since the turn before go to the kernel. */
    public void endTurn() {
        skipRequests.endTurn();
    }

    private void setSkipRange(SkipRequests.Request request) {
        ConnectionId connection = request.connection();
        ByteBuffer key = ByteBuffer.allocate(EventLayout.Skip.KEY_SIZE).order(ByteOrder.nativeOrder());
        key.putInt(EventLayout.Skip.KEY_TGID, connection.pid());
        key.putInt(EventLayout.Skip.KEY_FD, connection.fd());
        key.putInt(EventLayout.Skip.KEY_DIRECTION, request.direction() == Direction.EGRESS
                ? EventLayout.DIRECTION_EGRESS : EventLayout.DIRECTION_INGRESS);
        ByteBuffer value = ByteBuffer.allocate(EventLayout.Skip.RANGE_SIZE).order(ByteOrder.nativeOrder());
        value.putLong(EventLayout.Skip.RANGE_GENERATION, connection.generation());
        value.putLong(EventLayout.Skip.RANGE_FROM, request.from());
        value.putLong(EventLayout.Skip.RANGE_UNTIL, request.until());
        try {
            skips.put(key.array(), value.array());
        } catch (BpfException ignored) {
            // LRU map: only fails on a kernel error; copying the bytes anyway is correct, just slower.
        }
    }

    private void attachKprobes(List<BpfProgram> selected) {
        for (BpfProgram program : selected) {
            if (ProgramSet.of(program) == ProgramSet.KPROBE) {
                try {
                    links.add(program.attach());
                } catch (BpfException e) {
                    throw new KprobesUnavailable(program.section() + ": " + e.getMessage());
                }
            }
        }
    }

    private void attachTracepoints(List<BpfProgram> selected) {
        for (BpfProgram program : selected) {
            if (program.section().startsWith("tracepoint/")) {
                try {
                    links.add(program.attach());
                } catch (BpfException e) {
                    throw new CaptureStartException("cannot attach " + program.section() + ": " + e.getMessage()
                            + hintFor(e));
                }
            }
        }
    }

    private static String hintFor(BpfException e) {
        if (e.libbpfLog().contains("perf event ID") || e.errno() == Errno.ENOENT) {
            return " (is tracefs mounted at /sys/kernel/tracing? in a container add -v /sys/kernel/tracing:/sys/kernel/tracing)";
        }
        if (e.permissionDenied()) {
            return " (needs CAP_BPF and CAP_PERFMON, or root)";
        }
        return "";
    }

    private void writeFilters(CaptureSettings settings, int ownPid) {
        BpfMap pidFilter = object.map(ProbeMaps.PID_FILTER);
        for (int pid : settings.pids()) {
            pidFilter.put(intKey(pid), new byte[]{1});
        }
        BpfMap portFilter = object.map(ProbeMaps.PORT_FILTER);
        for (int port : settings.ports()) {
            byte[] key = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) port).array();
            portFilter.put(key, new byte[]{1});
        }
        int flags = (settings.pids().isEmpty() ? 0 : EventLayout.Config.FILTER_PIDS)
                | (settings.ports().isEmpty() ? 0 : EventLayout.Config.FILTER_PORTS)
                | (settings.netnsInode() == 0 ? 0 : EventLayout.Config.FILTER_NETNS)
                | (settings.tls() ? EventLayout.Config.TLS : 0);
        ByteBuffer config = ByteBuffer.allocate(EventLayout.Config.SIZE).order(ByteOrder.nativeOrder());
        config.putInt(EventLayout.Config.OWN_TGID, ownPid);
        config.putInt(EventLayout.Config.FLAGS, flags);
        config.putLong(EventLayout.Config.NETNS_INODE, settings.netnsInode());
        config.putInt(EventLayout.Config.MAX_CAPTURE_PER_CALL, settings.maxCapturePerCall());
        config.putInt(EventLayout.Config.WAKEUP_BYTES, settings.wakeupBytes());
        PidNamespace pids = PidNamespace.forKernel();
        config.putLong(EventLayout.Config.PIDNS_DEV, pids.device());
        config.putLong(EventLayout.Config.PIDNS_INODE, pids.inode());
        config.putLong(EventLayout.Config.MAX_BODY, settings.maxBody());
        object.map(ProbeMaps.SETTINGS).put(intKey(0), config.array());
    }

    private static byte[] intKey(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    private void closeLinks() {
        for (int i = links.size() - 1; i >= 0; i--) {
            links.get(i).close();
        }
        links.clear();
    }

    @Override
    public void close() {
        closeLinks();
        if (reader != null) {
            reader.close();
        }
        object.close();
    }
}
