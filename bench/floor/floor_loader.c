// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loads a BPF object, attaches every program in it, says "ready" on stderr and holds the links until SIGTERM or
 * SIGINT. bench/run.sh uses it for the empty programs of floor_probe.c (traced: floor).
 * Usage: floor_loader OBJECT
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void stop(int signal) { stopping = signal; }

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	struct bpf_object *object = bpf_object__open_file(argv[1], NULL);
	if (!object || libbpf_get_error(object)) {
		fprintf(stderr, "floor_loader: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (bpf_object__load(object)) {
		fprintf(stderr, "floor_loader: cannot load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *program;
	int attached = 0;
	bpf_object__for_each_program(program, object) {
		struct bpf_link *link = bpf_program__attach(program);
		if (!link || libbpf_get_error(link)) {
			fprintf(stderr, "floor_loader: cannot attach %s: %s\n", bpf_program__name(program), strerror(errno));
			return 1;
		}
		attached++;
	}
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	fprintf(stderr, "floor_loader ready: %d empty programs attached\n", attached);
	while (!stopping)
		pause();
	bpf_object__close(object); /* detaches */
	return 0;
}
