package io.httpprofiler.bpf;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The few libc calls the bpf package needs: memory mapping, epoll, clocks, errno text. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int PROT_READ = 0x1;
    int PROT_WRITE = 0x2;
    int MAP_SHARED = 0x01;
    int EPOLL_CLOEXEC = 0x80000;
    int EPOLL_CTL_ADD = 1;
    int EPOLLIN = 0x001;
    int CLOCK_MONOTONIC = 1;

    Pointer mmap(Pointer address, long length, int protection, int flags, int fd, long offset);

    int munmap(Pointer address, long length);

    int epoll_create1(int flags);

    /** {@code struct epoll_event} is packed on x86-64: u32 events, then u64 data; 12 bytes. */
    int epoll_ctl(int epollFd, int operation, int fd, byte[] event);

    int epoll_wait(int epollFd, byte[] events, int maxEvents, int timeoutMillis);

    int close(int fd);

    String strerror(int errno);

    int vsnprintf(byte[] buffer, long size, String format, Pointer vaList);

    int clock_gettime(int clock, long[] timespec);

    int getpagesize();

    int geteuid();

    int getpid();

    int mount(String source, String target, String type, long flags, Pointer data);
}
