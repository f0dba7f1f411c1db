#!/usr/bin/env bash
# Where the live profiler's CPU goes: nginx (1 worker, static file FILE=1k or 64k, sendfile on) under wrk paced at RATE req/s,
# the profiler started as shipped (bin/jvm.options) with its JIT frames named for perf (-XX:+DumpPerfMapAtExit), and
# `perf record -g` on the profiler for SECONDS once WARMUP seconds of traffic have passed. Writes to OUT (default
# bench/profile/): profile.folded (collapsed stacks, one line per stack: frames;...;frame count: open in speedscope or
# feed to any flame graph tool), profile.md (the busiest frames, self and inclusive, and the split between Java,
# JVM, kernel and libraries) and threads.txt (CPU per thread over the window). Run as root: `sudo make bench-profile`.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RATE=${RATE:-10000}
WARMUP=${WARMUP:-15}
SECONDS_RECORDED=${SECONDS_RECORDED:-10}
PORT=${PORT:-18095}
OUT=${OUT:-$REPO/bench/profile}
JAR=${JAR:-$REPO/target/http-profiler.jar}
PROFILER_ARGS=${PROFILER_ARGS:-}
FILE=${FILE:-1k} # or 64k
export RATE # read by bench/pace.lua

# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
log() { printf '[profile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (the profiler loads BPF programs)"
"$REPO/scripts/setup.sh" build bench
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
[ -f "$JAR" ] || (cd "$REPO" && mvn -B -q -DskipTests package)

WORK=$(mktemp -d /tmp/http-profiler-profile.XXXXXX)
PROFILER_PID=
cleanup() {
    [ -n "$PROFILER_PID" ] && kill "$PROFILER_PID" 2>/dev/null || true
    [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/nginx/html" "$WORK/nginx/tmp" "$OUT"
write_static_files "$WORK/nginx/html" # bench/lib.sh: the 1 KiB and 64 KiB files of make bench
sed -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@PORT@|$PORT|g" -e "s|@SENDFILE@|on|g" -e "s|@SSL@||g" -e "s|@SSL_FILES@||g" \
    "$REPO/bench/nginx.conf.in" > "$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"

# shellcheck disable=SC2086 # PROFILER_ARGS holds several arguments
java "@$REPO/bin/jvm.options" -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer \
    -jar "$JAR" --port "$PORT" -o "$WORK/trace.txt" --json "$WORK/trace.jsonl" $PROFILER_ARGS 2> "$WORK/profiler.err" &
PROFILER_PID=$!
for _ in $(seq 600); do grep -q ready "$WORK/profiler.err" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$WORK/profiler.err" || die "the profiler did not get ready: $(tail -3 "$WORK/profiler.err")"

log "traffic at $RATE req/s: ${WARMUP} s warm-up, then ${SECONDS_RECORDED} s recorded"
wrk -t1 -c32 -d"$((WARMUP + SECONDS_RECORDED + 2))s" -s "$REPO/bench/pace.lua" "http://127.0.0.1:$PORT/$FILE" \
    > "$WORK/wrk.txt" 2>&1 &
WRK_PID=$!
sleep "$WARMUP"
thread_cpu() { for t in /proc/"$PROFILER_PID"/task/*; do echo "$(cat "$t/comm")|$(awk '{ print $14 + $15 }' "$t/stat")"; done; }
thread_cpu > "$WORK/threads0"
perf record -F 999 -g -p "$PROFILER_PID" -o "$WORK/perf.data" -- sleep "$SECONDS_RECORDED" > /dev/null 2>&1
thread_cpu > "$WORK/threads1"
wait "$WRK_PID"
kill -INT "$PROFILER_PID"
wait "$PROFILER_PID" || true
PROFILER_PID_DONE=$PROFILER_PID
PROFILER_PID=
# The JIT's symbol map is written at exit; perf report reads /tmp/perf-PID.map.
perf script -i "$WORK/perf.data" 2> /dev/null > "$WORK/perf.script"
rm -f "/tmp/perf-$PROFILER_PID_DONE.map"

python3 "$REPO/bench/fold.py" "$WORK/perf.script" "$OUT/profile.folded" "$OUT/profile.md" \
    "rate=$RATE" "seconds=$SECONDS_RECORDED" "file=$FILE" "wrk_seconds=$((WARMUP + SECONDS_RECORDED + 2))" "requests=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")" \
    "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)" "date=$(date -u +%Y-%m-%d)" \
    "load=$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/threads0" "$WORK/threads1" "$(getconf CLK_TCK)" > "$OUT/threads.txt" <<'EOF'
import collections, sys
def read(path):
    ticks = collections.Counter()
    for line in open(path):
        name, value = line.rsplit("|", 1)
        ticks[name.strip()] += int(value)
    return ticks
before, after, tick = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
for name in sorted(after, key=lambda n: before[n] - after[n]):
    if after[name] > before[name]:
        print(f"{name}: {(after[name] - before[name]) / tick:.2f} s")
EOF
log "wrote $OUT/profile.folded, $OUT/profile.md, $OUT/threads.txt"
