package io.httpprofiler.bpf;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The slice of libbpf's C API this project uses, bound by JNA. Loaded by soname so that the distribution's libbpf1 package
 * is all a machine needs. libbpf >= 1.0 reports failures as NULL or a negative return with errno set.
 */
interface LibBpf extends Library {
    LibBpf INSTANCE = Native.load(System.getProperty("httpprofiler.libbpf", "libbpf.so.1"), LibBpf.class);

    /** {@code int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *, va_list ap)}. */
    interface PrintFunction extends Callback {
        int invoke(int level, String format, Pointer vaList);
    }

    Pointer libbpf_set_print(PrintFunction fn);

    int libbpf_num_possible_cpus();

    Pointer bpf_object__open_mem(Pointer buffer, long size, Pointer options);

    int bpf_object__load(Pointer object);

    void bpf_object__close(Pointer object);

    Pointer bpf_object__next_program(Pointer object, Pointer previous);

    Pointer bpf_object__next_map(Pointer object, Pointer previous);

    Pointer bpf_object__find_map_by_name(Pointer object, String name);

    String bpf_program__name(Pointer program);

    String bpf_program__section_name(Pointer program);

    int bpf_program__set_autoload(Pointer program, boolean autoload);

    int bpf_program__fd(Pointer program);

    Pointer bpf_program__attach(Pointer program);

    /** {@code opts} is a {@code struct bpf_uprobe_opts} (see {@link BpfProgram#attachUprobe}). */
    Pointer bpf_program__attach_uprobe_opts(Pointer program, int pid, String binaryPath, long funcOffset, Pointer opts);

    int bpf_link__destroy(Pointer link);

    String bpf_map__name(Pointer map);

    int bpf_map__fd(Pointer map);

    int bpf_map__set_max_entries(Pointer map, int maxEntries);

    int bpf_map__max_entries(Pointer map);

    int bpf_map__key_size(Pointer map);

    int bpf_map__value_size(Pointer map);

    /*
     * Keys and values as Java arrays: JNA copies them to native memory for the call (and back, for lookup's value) on
     * its own stack, where a Memory per argument cost a malloc, a free and a Cleaner registration each: the pipeline
     * writes a skip range per long body, tens of thousands a second.
     */
    int bpf_map_update_elem(int fd, byte[] key, byte[] value, long flags);

    int bpf_map_lookup_elem(int fd, byte[] key, byte[] value);

    int bpf_map_delete_elem(int fd, byte[] key);

    int bpf_map_get_next_key(int fd, Pointer key, Pointer nextKey);

    /** {@code int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size)}. */
    interface RingSampleFunction extends Callback {
        int invoke(Pointer context, Pointer data, long size);
    }

    Pointer ring_buffer__new(int mapFd, RingSampleFunction sample, Pointer context, Pointer options);

    int ring_buffer__poll(Pointer ringBuffer, int timeoutMillis);

    int ring_buffer__consume(Pointer ringBuffer);

    void ring_buffer__free(Pointer ringBuffer);

    Pointer btf__parse_elf(String path, Pointer ext);

    Pointer btf__parse(String path, Pointer ext);

    void btf__free(Pointer btf);

    int btf__find_by_name_kind(Pointer btf, String name, int kind);

    Pointer btf__type_by_id(Pointer btf, int id);

    String btf__name_by_offset(Pointer btf, int offset);

    long btf__resolve_size(Pointer btf, int typeId);
}
