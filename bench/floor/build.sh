#!/usr/bin/env bash
# Builds the floor (floor_probe.bpf.o + floor_loader) into OUT_DIR and checks that, in each attach mode, its empty
# programs sit on exactly the hooks the profiler's object (taken from JAR) attaches in that mode with --tls off.
#   bench/floor/build.sh OUT_DIR JAR
# Used by bench/run.sh (tracepoint mode) and bench/kernel-modes.sh (both modes). Needs clang, libbpf-dev, readelf,
# python3 (the bench group of scripts/deps.txt).
set -euo pipefail
FLOOR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$FLOOR/../.." && pwd)
OUT=$1
JAR=$2
mkdir -p "$OUT"

clang -g -O2 -target bpf -I "$REPO/bpf" -c "$FLOOR/floor_probe.c" -o "$OUT/floor_probe.bpf.o"
clang -O2 -Wall "$FLOOR/floor_loader.c" -o "$OUT/floor_loader" -lbpf
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("bpf/http_probe.bpf.o"))' \
    "$JAR" > "$OUT/http_probe.bpf.o"

# object mode -> the hooks (ELF sections) of the programs attached in that mode, one a line, sorted.
# For the profiler's object these are capture/ProgramSet's rules: kprobes and forget_exit_* only in kprobe mode,
# copy_exit_* only in tracepoint mode, the TLS programs (uprobes, tls_*) in neither (--tls off), the rest in both.
# For the floor: floor_loader's rule, the kprobes only in kprobe mode.
hooks() {
    local object=$1 mode=$2
    join -1 1 -2 1 \
        <(readelf -SW "$object" | sed -n 's/^ *\[ *\([0-9]*\)\] \([^ ]*\) .*/\1 \2/p' | sort -k1,1) \
        <(readelf -sW "$object" | awk '$4 == "FUNC" && $5 == "GLOBAL" { print $7, $8 }' | sort -k1,1) |
    awk -v mode="$mode" '
        $2 == ".text" { next }                                   # subprograms, not programs
        $2 ~ /^u(ret)?probe/ || $3 ~ /^tls_/ { next }             # TLS
        $2 ~ /^k(ret)?probe\// || $3 ~ /^forget_exit_/ { if (mode == "kprobe") print $2; next }
        $3 ~ /^copy_exit_/ { if (mode == "tracepoint") print $2; next }
        { print $2 }' | sort -u
}

for mode in tracepoint kprobe; do
    theirs=$(hooks "$OUT/http_probe.bpf.o" "$mode")
    ours=$(hooks "$OUT/floor_probe.bpf.o" "$mode")
    if [ "$theirs" != "$ours" ]; then
        echo "bench/floor: floor_probe.c does not attach the profiler's $mode-mode hooks:" \
            "$(diff <(echo "$theirs") <(echo "$ours") | grep '^[<>]' | tr '\n' ' ')" >&2
        exit 1
    fi
done
