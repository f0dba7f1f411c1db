package io.httpprofiler.bpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads struct layouts and enum values from the BTF inside a compiled BPF object, so that a user-space mirror of a kernel
 * struct can be checked against the compiler's own idea of it rather than trusted.
 */
public final class BtfTypes implements AutoCloseable {
    private static final int KIND_STRUCT = 4;
    private static final int KIND_ENUM = 6;
    private static final int TYPE_HEADER_BYTES = 12;

    /** A struct member: byte offset and size. */
    public record Member(String name, int offset, long size) {
    }

    /** A struct: total size and members in declaration order. */
    public record StructLayout(String name, long size, Map<String, Member> members) {
    }

    private Pointer btf;

    private BtfTypes(Pointer btf) {
        this.btf = btf;
    }

    /** Parses the .BTF section of an ELF object file. */
    public static BtfTypes ofElf(Path elf) {
        Pointer btf = LibBpf.INSTANCE.btf__parse_elf(elf.toString(), null);
        if (btf == null) {
            throw new BpfException("read BTF from " + elf, Native.getLastError(), LibbpfLog.get().drain());
        }
        return new BtfTypes(btf);
    }

    public StructLayout struct(String name) {
        Pointer type = find(name, KIND_STRUCT);
        int info = type.getInt(4);
        long size = Integer.toUnsignedLong(type.getInt(8));
        boolean bitfieldEncoding = info < 0;
        Map<String, Member> members = new LinkedHashMap<>();
        for (int i = 0; i < (info & 0xffff); i++) {
            long at = TYPE_HEADER_BYTES + 12L * i;
            String memberName = LibBpf.INSTANCE.btf__name_by_offset(btf, type.getInt(at));
            int memberType = type.getInt(at + 4);
            int bitOffset = type.getInt(at + 8);
            if (bitfieldEncoding) {
                bitOffset &= 0xffffff;
            }
            long memberSize = LibBpf.INSTANCE.btf__resolve_size(btf, memberType);
            members.put(memberName, new Member(memberName, bitOffset / 8, memberSize));
        }
        return new StructLayout(name, size, members);
    }

    public Map<String, Long> enumValues(String name) {
        Pointer type = find(name, KIND_ENUM);
        int count = type.getInt(4) & 0xffff;
        Map<String, Long> values = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long at = TYPE_HEADER_BYTES + 8L * i;
            values.put(LibBpf.INSTANCE.btf__name_by_offset(btf, type.getInt(at)), (long) type.getInt(at + 4));
        }
        return values;
    }

    private Pointer find(String name, int kind) {
        int id = LibBpf.INSTANCE.btf__find_by_name_kind(btf, name, kind);
        if (id < 0) {
            throw new IllegalArgumentException("no " + (kind == KIND_STRUCT ? "struct " : "enum ") + name + " in BTF");
        }
        return LibBpf.INSTANCE.btf__type_by_id(btf, id);
    }

    @Override
    public void close() {
        if (btf != null) {
            LibBpf.INSTANCE.btf__free(btf);
            btf = null;
        }
    }
}
