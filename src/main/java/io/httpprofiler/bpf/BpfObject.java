package io.httpprofiler.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled BPF object (ELF) opened by libbpf: its programs and maps, like cilium/ebpf's Collection. Open, adjust
 * (autoload, map sizes), {@link #load()}, then attach programs and use maps; {@link #close()} unloads everything, and the
 * kernel drops programs whose last link and fd are gone.
 */
public final class BpfObject implements AutoCloseable {
    private Pointer object;
    private final Memory elf;
    private final Map<String, BpfProgram> programs = new LinkedHashMap<>();

    private BpfObject(Pointer object, Memory elf) {
        this.object = object;
        this.elf = elf;
        for (Pointer p = LibBpf.INSTANCE.bpf_object__next_program(object, null); p != null;
             p = LibBpf.INSTANCE.bpf_object__next_program(object, p)) {
            BpfProgram program = new BpfProgram(p);
            programs.put(program.name(), program);
        }
    }

    /** Opens an object from its ELF bytes (e.g. a resource inside the jar). Nothing reaches the kernel yet. */
    public static BpfObject open(byte[] elfBytes) {
        LibbpfLog log = LibbpfLog.get();
        log.drain();
        Memory elf = new Memory(elfBytes.length);
        elf.write(0, elfBytes, 0, elfBytes.length);
        Pointer object = LibBpf.INSTANCE.bpf_object__open_mem(elf, elfBytes.length, null);
        if (object == null) {
            int errno = Native.getLastError();
            elf.close();
            throw new BpfException("open BPF object", errno, log.drain());
        }
        return new BpfObject(object, elf);
    }

    /** Loads maps and autoloaded programs into the kernel; a verifier rejection carries the verifier's log. */
    public void load() {
        int result = LibBpf.INSTANCE.bpf_object__load(requireOpen());
        if (result != 0) {
            throw new BpfException("load BPF object", -result, LibbpfLog.get().drain());
        }
    }

    public List<BpfProgram> programs() {
        return Collections.unmodifiableList(new ArrayList<>(programs.values()));
    }

    public BpfProgram program(String name) {
        BpfProgram program = programs.get(name);
        if (program == null) {
            throw new IllegalArgumentException("no program named " + name + " in the BPF object");
        }
        return program;
    }

    public BpfMap map(String name) {
        Pointer map = LibBpf.INSTANCE.bpf_object__find_map_by_name(requireOpen(), name);
        if (map == null) {
            throw new IllegalArgumentException("no map named " + name + " in the BPF object");
        }
        return new BpfMap(map);
    }

    private Pointer requireOpen() {
        if (object == null) {
            throw new IllegalStateException("BPF object is closed");
        }
        return object;
    }

    @Override
    public void close() {
        if (object != null) {
            LibBpf.INSTANCE.bpf_object__close(object);
            object = null;
            elf.close();
        }
    }
}
