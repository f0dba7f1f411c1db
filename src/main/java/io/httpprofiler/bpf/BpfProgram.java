package io.httpprofiler.bpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** One program of a {@link BpfObject}; its ELF section says where it attaches ("kprobe/tcp_sendmsg", ...). */
public final class BpfProgram {
    private final Pointer program;
    private final String name;
    private final String section;

    BpfProgram(Pointer program) {
        this.program = program;
        this.name = LibBpf.INSTANCE.bpf_program__name(program);
        this.section = LibBpf.INSTANCE.bpf_program__section_name(program);
    }

    public String name() {
        return name;
    }

    public String section() {
        return section;
    }

    /** Whether {@link BpfObject#load()} loads this program; only before loading. */
    public void setAutoload(boolean autoload) {
        int result = LibBpf.INSTANCE.bpf_program__set_autoload(program, autoload);
        if (result != 0) {
            throw new BpfException("set autoload of " + name, -result, LibbpfLog.get().drain());
        }
    }

    /** The loaded program's fd, or a negative value when it was not loaded. */
    public int fd() {
        return LibBpf.INSTANCE.bpf_program__fd(program);
    }

    /** Attaches where the section name says. */
    public BpfLink attach() {
        Pointer link = LibBpf.INSTANCE.bpf_program__attach(program);
        if (link == null) {
            throw new BpfException("attach " + name + " (" + section + ")", Native.getLastError(),
                    LibbpfLog.get().drain());
        }
        return new BpfLink(name, link);
    }
}
