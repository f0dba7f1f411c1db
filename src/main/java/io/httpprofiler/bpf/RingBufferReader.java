package io.httpprofiler.bpf;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;

/**
 * Reads a BPF_MAP_TYPE_RINGBUF map straight from its mmapped pages, sleeping in epoll on the map fd when it is empty: no
 * native callback per record (libbpf's ring_buffer__poll would cost a JNA upcall each). Like cilium/ebpf's ringbuf.Reader.
 * Not thread-safe: one thread polls.
 */
public final class RingBufferReader implements AutoCloseable {
    private static final long MAP_FAILED = -1L;

    private final int pageSize;
    private final int size;
    private final Pointer consumerMapping;
    private final Pointer producerMapping;
    private final int epollFd;
    private final RingBuffer ring;
    private final byte[] epollEvents = new byte[12];
    private boolean closed;

    public RingBufferReader(BpfMap map) {
        LibC libc = LibC.INSTANCE;
        this.pageSize = libc.getpagesize();
        this.size = map.maxEntries();
        int fd = map.fd();
        consumerMapping = libc.mmap(null, pageSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (Pointer.nativeValue(consumerMapping) == MAP_FAILED) {
            throw new BpfException("mmap consumer page of ring buffer " + map.name(), Native.getLastError(), "");
        }
        // The kernel offers the producer page and the data area twice, read-only. We map the data area once: the kernel
        // fills in every page of the mapping at mmap time, so the second copy would be `size` more bytes resident;
        // RingBuffer copies the rare record that wraps around the end instead.
        producerMapping = libc.mmap(null, producerMappingBytes(), LibC.PROT_READ, LibC.MAP_SHARED, fd, pageSize);
        if (Pointer.nativeValue(producerMapping) == MAP_FAILED) {
            int errno = Native.getLastError();
            libc.munmap(consumerMapping, pageSize);
            throw new BpfException("mmap data pages of ring buffer " + map.name(), errno, "");
        }
        epollFd = libc.epoll_create1(LibC.EPOLL_CLOEXEC);
        byte[] event = new byte[12];
        event[0] = LibC.EPOLLIN;
        if (epollFd < 0 || libc.epoll_ctl(epollFd, LibC.EPOLL_CTL_ADD, fd, event) != 0) {
            int errno = Native.getLastError();
            unmap();
            throw new BpfException("epoll on ring buffer " + map.name(), errno, "");
        }
        ByteBuffer consumerPage = consumerMapping.getByteBuffer(0, pageSize);
        ByteBuffer producerPage = producerMapping.getByteBuffer(0, pageSize);
        ByteBuffer data = producerMapping.getByteBuffer(pageSize, size);
        ring = new RingBuffer(consumerPage, producerPage, data, size);
    }

    /** Ring size in bytes. */
    public int size() {
        return size;
    }

    /**
     * Drains what is there; if nothing was, sleeps until the kernel wakes us or {@code timeoutMillis} passes, then drains
     * again. The kernel side wakes us only past a fill threshold, so the timeout is what bounds latency at low rates.
     *
     * @return records delivered
     */
    public int poll(int timeoutMillis, RecordHandler handler) {
        int delivered = ring.drain(handler);
        if (delivered > 0 || closed) {
            return delivered;
        }
        int ready = LibC.INSTANCE.epoll_wait(epollFd, epollEvents, 1, timeoutMillis);
        if (ready < 0 && Native.getLastError() != Errno.EINTR) {
            throw new BpfException("epoll_wait on ring buffer", Native.getLastError(), "");
        }
        return ring.drain(handler);
    }

    /** Delivers everything already in the ring without waiting. */
    public int drain(RecordHandler handler) {
        return ring.drain(handler);
    }

    public long pendingBytes() {
        return ring.pendingBytes();
    }

    private void unmap() {
        LibC.INSTANCE.munmap(consumerMapping, pageSize);
        LibC.INSTANCE.munmap(producerMapping, producerMappingBytes());
    }

    private long producerMappingBytes() {
        return pageSize + (long) size;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(epollFd);
            unmap();
        }
    }
}
