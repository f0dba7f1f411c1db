# http-profiler build entry points. `make help` lists them.
SHELL := /bin/bash
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_OBJECT ?= target/classes/bpf/http_probe.bpf.o
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Wno-unused-function -I bpf
MVN ?= mvn -B -q

.PHONY: help setup build bpf-object vmlinux test run clean bench-ring image compose-up compose-down podman-run \
	test-container test-kernels check-deps

help:
	@echo "make setup       install build and test dependencies (apt, needs root; list: scripts/deps.txt)"
	@echo "make build       build target/http-profiler.jar (BPF object included)"
	@echo "make test        run every test (as root: real BPF capture)"
	@echo "make run         build, then profile this host's HTTP traffic into traces/"
	@echo "make vmlinux     regenerate bpf/vmlinux.h from this kernel's BTF"
	@echo "make image       build the container image http-profiler (container/Dockerfile)"
	@echo "make compose-up  start the demo app with the profiler beside it (traces/ in the repo)"
	@echo "make podman-run APP=name   run the profiler image beside a running podman container"
	@echo "make test-container        docker compose + podman end-to-end tests (installs the engines)"
	@echo "make test-kernels          capture tests with kprobes inside a qemu guest (Debian 6.1 kernel)"
	@echo "make check-deps            every command the scripts and tests call is listed in scripts/deps.txt"

setup:
	@scripts/setup.sh

# Called by Maven (generate-resources) so that `mvn package` alone builds the object too.
bpf-object: $(BPF_OBJECT)

$(BPF_OBJECT): bpf/http_probe.c bpf/http_probe.h bpf/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c bpf/http_probe.c -o $@

vmlinux:
	@scripts/setup.sh build
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h

build:
	$(MVN) -DskipTests package

# Not quiet: the Surefire/Failsafe summaries ("Tests run: ...") are what CI and people read.
test:
	@scripts/setup.sh
	@scripts/check-deps.py
	mvn -B --no-transfer-progress verify

run:
	@scripts/setup.sh
	$(MVN) -DskipTests package
	bin/http-profiler $(ARGS)

clean:
	$(MVN) clean

# Ring buffer reader throughput: mmap reader vs libbpf's callback (needs root).
bench-ring:
	$(MVN) -DskipTests test-compile
	$(MVN) exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.httpprofiler.bench.RingReaderBenchmark

COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
APP ?= myapp

image:
	@scripts/setup.sh container
	docker build -f container/Dockerfile -t http-profiler .

compose-up:
	@scripts/setup.sh container
	$(COMPOSE) -f container/docker-compose.yml up --build -d

compose-down:
	$(COMPOSE) -f container/docker-compose.yml down

podman-run:
	@scripts/setup.sh container
	podman run -d --name http-profiler --cap-add CAP_SYS_ADMIN \
		--network container:$(APP) --pid container:$(APP) -v /sys/kernel/tracing:/sys/kernel/tracing:ro \
		-v $(CURDIR)/traces:/traces http-profiler --json traces/http-trace.jsonl

test-container:
	test/container/run-all.sh

check-deps:
	scripts/check-deps.py

test-kernels:
	@scripts/setup.sh
	$(MVN) -DskipTests package
	test/kernels/run-matrix.sh

.PHONY: bench bench-kernels bench-jmh bench-json bench-profile

# Cost beside nginx + wrk, without and with the profiler, interleaved A/B (needs root, ~25 min; knobs at the top of
# bench/run.sh, e.g. `make bench BENCH_ENV="QUICK=1"`). Writes bench/results/, bench/RESULTS.md, bench/throughput.png.
bench:
	$(MVN) -DskipTests package
	env $(BENCH_ENV) bench/run.sh

# Tracepoint mode against kprobe mode (and the empty-program floor of each) in the Debian 6.1 qemu guest of
# test/kernels/, one boot, interleaved rounds (needs root, ~15 min; knobs at the top of bench/kernel-modes.sh, e.g.
# `make bench-kernels BENCH_ENV="QUICK=1"`). Writes target/bench-kernels/, bench/KERNEL-MODES.md, bench/RESULTS.md's
# last section.
bench-kernels:
	$(MVN) -DskipTests package
	env $(BENCH_ENV) bench/kernel-modes.sh

# Where the live profiler's CPU goes beside nginx + wrk at 10k req/s: perf's collapsed stacks and a summary in
# bench/profile/ (needs root, ~1 min).
bench-profile:
	$(MVN) -DskipTests package
	bench/profile.sh

# The Java pipeline on recorded kernel records, one thread (JMH, ~2 min). JMH options in JMH_ARGS, e.g.
# JMH_ARGS="-p bodySize=1024 -p output=both,json,transcript,none".
bench-jmh:
	$(MVN) -DskipTests test-compile
	$(MVN) dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
	java -cp target/test-classes:target/classes:$$(cat target/bench-classpath.txt) \
		io.httpprofiler.bench.PipelineBenchmark $(JMH_ARGS)

# JSON Lines: the hand-made writer against Jackson's streaming generator writing the same bytes (JMH, ~8 min), the two
# run alternately three times so that a shared machine's load falls on both.
bench-json:
	$(MVN) -DskipTests test-compile
	$(MVN) dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
	for round in 1 2 3; do for writer in handmade jackson; do \
		java -cp target/test-classes:target/classes:$$(cat target/bench-classpath.txt) org.openjdk.jmh.Main \
			JsonLinesBenchmark -p writer=$$writer $(JMH_ARGS) || exit 1; done; done
