// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor under the profiler's overhead in tracepoint mode: a program that does nothing, on each syscall tracepoint
 * the profiler attaches. Attaching any program to a syscall tracepoint sends every system call of every task through
 * the kernel's syscall-tracing slow path, and each traced call pays for the tracepoint's record and the program call
 * even when the program returns at once. bench/run.sh measures nginx + wrk beside these programs (traced: floor) to
 * show how much of the profiler's cost no work inside the programs can remove. run.sh checks that this list and the
 * profiler's tracepoint set are the same.
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
