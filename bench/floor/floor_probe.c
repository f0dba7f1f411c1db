// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor under the profiler's overhead: a program that does nothing on each hook the profiler attaches. Attaching
 * any program to a syscall tracepoint sends every system call of every task through the kernel's syscall-tracing slow
 * path, and each traced call pays for the tracepoint's record and the program call even when the program returns at
 * once; a kprobe adds a trap (or ftrace call) per call of the kernel function, a kretprobe a second one on its return.
 * bench/run.sh measures nginx + wrk beside these programs (traced: floor) to show how much of the profiler's cost no
 * work inside the programs can remove; bench/kernel-modes.sh does it for both attach modes in the qemu guest.
 * floor_loader's mode picks the hooks: "tracepoint" the syscall tracepoints below, "kprobe" those plus the kprobes at
 * the end, as the profiler's two modes do. bench/floor/build.sh checks both sets against the profiler's object.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY(way, syscall)                                                                                          \
	SEC("tracepoint/syscalls/sys_" #way "_" #syscall)                                                           \
	int way##_##syscall(void *ctx) { return 0; }
#define ENTER_AND_EXIT(syscall) EMPTY(enter, syscall) EMPTY(exit, syscall)

ENTER_AND_EXIT(write)
ENTER_AND_EXIT(read)
ENTER_AND_EXIT(sendto)
ENTER_AND_EXIT(recvfrom)
ENTER_AND_EXIT(writev)
ENTER_AND_EXIT(readv)
ENTER_AND_EXIT(sendmsg)
ENTER_AND_EXIT(recvmsg)
ENTER_AND_EXIT(sendfile64)
ENTER_AND_EXIT(accept)
ENTER_AND_EXIT(accept4)
ENTER_AND_EXIT(connect)
EMPTY(enter, close)

/* Kprobe mode only: the profiler copies payloads here instead of at the syscall exits (which it still attaches). */
#define EMPTY_KPROBE(kind, function)                                                                                 \
	SEC(#kind "/" #function)                                                                                    \
	int kind##_##function(void *ctx) { return 0; }

EMPTY_KPROBE(kprobe, tcp_sendmsg)
EMPTY_KPROBE(kretprobe, tcp_sendmsg)
EMPTY_KPROBE(kprobe, tcp_recvmsg)
EMPTY_KPROBE(kprobe, tcp_cleanup_rbuf)
