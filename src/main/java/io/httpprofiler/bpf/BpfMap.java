package io.httpprofiler.bpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** One map of a {@link BpfObject}. Keys and values are raw bytes in the kernel's (native) byte order. */
public final class BpfMap {
    private static final int BPF_ANY = 0;

    private final Pointer map;
    private final String name;

    BpfMap(Pointer map) {
        this.map = map;
        this.name = LibBpf.INSTANCE.bpf_map__name(map);
    }

    public String name() {
        return name;
    }

    public int fd() {
        int fd = LibBpf.INSTANCE.bpf_map__fd(map);
        if (fd < 0) {
            throw new IllegalStateException("map " + name + " is not loaded");
        }
        return fd;
    }

    public int keySize() {
        return LibBpf.INSTANCE.bpf_map__key_size(map);
    }

    public int valueSize() {
        return LibBpf.INSTANCE.bpf_map__value_size(map);
    }

    public int maxEntries() {
        return LibBpf.INSTANCE.bpf_map__max_entries(map);
    }

    /** Only before {@link BpfObject#load()}; for a ring buffer this is its size in bytes (a power of two). */
    public void setMaxEntries(int maxEntries) {
        int result = LibBpf.INSTANCE.bpf_map__set_max_entries(map, maxEntries);
        if (result != 0) {
            throw new BpfException("set size of map " + name + " to " + maxEntries, -result, LibbpfLog.get().drain());
        }
    }

    public void put(byte[] key, byte[] value) {
        if (LibBpf.INSTANCE.bpf_map_update_elem(fd(), key, value, BPF_ANY) != 0) {
            throw new BpfException("update map " + name, Native.getLastError(), LibbpfLog.get().drain());
        }
    }

    public void delete(byte[] key) {
        if (LibBpf.INSTANCE.bpf_map_delete_elem(fd(), key) != 0 && Native.getLastError() != Errno.ENOENT) {
            throw new BpfException("delete from map " + name, Native.getLastError(), LibbpfLog.get().drain());
        }
    }

    /** Every key in the map now (a hash map's keys, in the kernel's order; entries may come and go meanwhile). */
    public List<byte[]> keys() {
        List<byte[]> keys = new ArrayList<>();
        int size = keySize();
        try (Memory next = new Memory(size)) {
            Memory previous = null;
            try {
                while (LibBpf.INSTANCE.bpf_map_get_next_key(fd(), previous, next) == 0) {
                    byte[] key = next.getByteArray(0, size);
                    keys.add(key);
                    if (previous == null) {
                        previous = new Memory(size);
                    }
                    previous.write(0, key, 0, size);
                }
            } finally {
                if (previous != null) {
                    previous.close();
                }
            }
        }
        return keys;
    }

    /** The value stored under key, or null when there is none. */
    public byte[] get(byte[] key) {
        return lookup(key, valueSize());
    }

    /**
     * A per-CPU map's value for every possible CPU, each padded to 8 bytes as the kernel lays them out; the caller sums.
     */
    public ByteBuffer getPerCpu(byte[] key) {
        int slot = (valueSize() + 7) & ~7;
        byte[] all = lookup(key, slot * LibBpf.INSTANCE.libbpf_num_possible_cpus());
        return all == null ? null : ByteBuffer.wrap(all).order(ByteOrder.nativeOrder());
    }

    /** Sum of a per-CPU u64 counter over every CPU. */
    public long sumPerCpuLong(int index) {
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(index).array();
        ByteBuffer values = getPerCpu(key);
        if (values == null) {
            return 0;
        }
        long sum = 0;
        while (values.remaining() >= 8) {
            sum += values.getLong();
        }
        return sum;
    }

    private byte[] lookup(byte[] key, int valueBytes) {
        byte[] value = new byte[Math.max(valueBytes, 1)];
        if (LibBpf.INSTANCE.bpf_map_lookup_elem(fd(), key, value) != 0) {
            int errno = Native.getLastError();
            if (errno == Errno.ENOENT) {
                return null;
            }
            throw new BpfException("look up map " + name, errno, LibbpfLog.get().drain());
        }
        return valueBytes == value.length ? value : new byte[0];
    }
}
