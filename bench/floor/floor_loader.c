// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loads the empty programs of floor_probe.c for one attach mode, attaches them, says "ready" on stderr and holds the
 * links until SIGTERM or SIGINT. bench/run.sh (traced: floor) and bench/kernel-modes.sh use it.
 * Usage: floor_loader OBJECT [tracepoint|kprobe]
 *   tracepoint (default): the programs on tracepoints only, as the profiler's tracepoint mode;
 *   kprobe: every program, kprobes and kretprobes included, as its kprobe mode.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void stop(int signal) { stopping = signal; }

int main(int argc, char **argv)
{
	const char *mode = argc == 3 ? argv[2] : "tracepoint";
	bool kprobes = strcmp(mode, "kprobe") == 0;
	if (argc < 2 || argc > 3 || (!kprobes && strcmp(mode, "tracepoint") != 0)) {
		fprintf(stderr, "usage: %s OBJECT [tracepoint|kprobe]\n", argv[0]);
		return 2;
	}
	struct bpf_object *object = bpf_object__open_file(argv[1], NULL);
	if (!object || libbpf_get_error(object)) {
		fprintf(stderr, "floor_loader: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *program;
	bpf_object__for_each_program(program, object) {
		const char *section = bpf_program__section_name(program);
		bool kprobe = strncmp(section, "kprobe/", 7) == 0 || strncmp(section, "kretprobe/", 10) == 0;
		bpf_program__set_autoload(program, kprobes || !kprobe);
	}
	if (bpf_object__load(object)) {
		fprintf(stderr, "floor_loader: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int attached = 0;
	bpf_object__for_each_program(program, object) {
		if (!bpf_program__autoload(program))
			continue;
		struct bpf_link *link = bpf_program__attach(program);
		if (!link || libbpf_get_error(link)) {
			fprintf(stderr, "floor_loader: cannot attach %s: %s\n", bpf_program__name(program), strerror(errno));
			return 1;
		}
		attached++;
	}
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	fprintf(stderr, "floor_loader ready: %d empty programs attached (%s mode)\n", attached, mode);
	while (!stopping)
		pause();
	bpf_object__close(object); /* detaches */
	return 0;
}
