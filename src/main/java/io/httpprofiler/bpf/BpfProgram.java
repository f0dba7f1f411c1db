package io.httpprofiler.bpf;

import com.sun.jna.Memory;
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

    /** {@code struct bpf_uprobe_opts} as of libbpf 1.0: sz, ref_ctr_offset, bpf_cookie, retprobe, func_name. */
    private static final int UPROBE_OPTS_SIZE = 40;
    private static final int UPROBE_OPTS_COOKIE = 16;
    private static final int UPROBE_OPTS_RETPROBE = 24;

    /**
     * Attaches as a uprobe (or uretprobe) at byte {@code offset} of the ELF file at {@code path}, for every process that
     * maps that file; {@code cookie} is what {@code bpf_get_attach_cookie()} returns in the program.
     */
    public BpfLink attachUprobe(String path, long offset, boolean retprobe, long cookie) {
        Memory opts = new Memory(UPROBE_OPTS_SIZE);
        opts.clear();
        opts.setLong(0, UPROBE_OPTS_SIZE);
        opts.setLong(UPROBE_OPTS_COOKIE, cookie);
        opts.setByte(UPROBE_OPTS_RETPROBE, (byte) (retprobe ? 1 : 0));
        Pointer link = LibBpf.INSTANCE.bpf_program__attach_uprobe_opts(program, -1, path, offset, opts);
        if (link == null) {
            throw new BpfException("attach " + name + " to " + path + "+0x" + Long.toHexString(offset),
                    Native.getLastError(), LibbpfLog.get().drain());
        }
        return new BpfLink(name, link);
    }
}
