#!/usr/bin/env bash
# The profiler's two attach modes side by side, in the Debian 6.1 qemu guest of test/kernels/ (the development host
# cannot attach kprobes). Run as root: `sudo make bench-kernels`.
#
# One guest boot; inside it nginx (1 worker, keep-alive, the 1 KiB static file, sendfile on, as bench/run.sh) under
# wrk (1 thread, CONNECTIONS connections) beside each of five modes:
#   none               nothing attached;
#   tracepoint-floor   empty programs on the hooks of tracepoint mode (bench/floor/, floor_loader ... tracepoint);
#   tracepoint         the profiler, --attach tracepoint;
#   kprobe-floor       empty programs on the hooks of kprobe mode (the same tracepoints + tcp_sendmsg entry/return,
#                      tcp_recvmsg, tcp_cleanup_rbuf);
#   kprobe             the profiler, --attach kprobe.
# ROUNDS rounds, each running every mode once, in an order rotated by one each round and reversed every second round
# (so that each mode runs sometimes before and sometimes after each other: a rotation alone keeps kprobe mode always
# two runs behind tracepoint mode), so that drift (the host's other work, the guest warming up) falls on all alike. Per mode and round: a WARMUP s saturation run (PROFILER_WARMUP s
# for the profiler: its JIT compilers need about a minute of traffic to settle under emulation), then a
# DURATION s saturation run (throughput) and a DURATION s run paced at RATE req/s (bench/pace.lua; CPU per request of
# nginx + wrk + profiler from /proc/PID/stat, at the same offered load for every mode). RATE defaults to RATE_FRACTION
# of what a calibration run without anything attached reaches. The profiler traces both ends (--port) into the guest's
# tmpfs; completeness: nginx-side records with status 200 and the exact body size over the requests wrk completed.
# Under TCG emulation absolute numbers mean little; the report gives ratios to the same round's `none` run.
#
# Results: target/bench-kernels/<stamp>/ (runs.csv, per-run logs, KERNEL-MODES.md); with PUBLISH=1 (default)
# bench/KERNEL-MODES.md, which bench/RESULTS.md includes as its last section (report.py). QUICK=1: one short round.
# Knobs (environment): see below. The guest part is this script with --in-guest WORK_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BENCH=$REPO/bench

QUICK=${QUICK:-0}
ROUNDS=${ROUNDS:-$([ "$QUICK" = 1 ] && echo 1 || echo 3)}
WARMUP=${WARMUP:-$([ "$QUICK" = 1 ] && echo 2 || echo 4)}
# Measured in the guest with the profiler at 200 req/s: its CPU per 5 s of traffic fell from 6-13 s (C1 and C2 compiling)
# to ~3.5 s after 70-80 s, and stayed there.
PROFILER_WARMUP=${PROFILER_WARMUP:-$([ "$QUICK" = 1 ] && echo 5 || echo 60)}
DURATION=${DURATION:-$([ "$QUICK" = 1 ] && echo 3 || echo 6)}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
RATE=${RATE:-}
RATE_FRACTION=${RATE_FRACTION:-0.2}
MODES=${MODES:-"none tracepoint-floor tracepoint kprobe-floor kprobe"}
# --tls off: plain HTTP here, so the TLS programs (library uprobes, exec tracepoint) would never fire, but they would
# add their verification to every start, which takes minutes under TCG.
PROFILER_ARGS=${PROFILER_ARGS:-"--tls off"}
JAVA_OPTS=${JAVA_OPTS:-}
KERNEL=${KERNEL:-}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-2400}
# qemu's -accel and -cpu: test/kernels/run-in-guest.sh's defaults (one host thread for both vCPUs, -cpu max), written
# out here so that the report can name them. With a thread per vCPU, qemu 7.2's TCG sometimes runs stale code after
# another vCPU rewrote it: the JVM died of SIGILL/SIGSEGV at the entry of a C1-compiled method that C2 had just
# replaced, and the kernel oopsed when kprobe sites were patched back under load (test/kernels/kprobe-churn.sh).
export GUEST_ACCEL=${GUEST_ACCEL:-tcg,thread=single}
export GUEST_CPU=${GUEST_CPU:-max}
PUBLISH=${PUBLISH:-1}
JAR=${JAR:-$REPO/target/http-profiler.jar}

log() { printf '[bench-kernels %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
. "$BENCH/lib.sh"

# ---- inside the guest ---------------------------------------------------------------------------------------------

wait_ready() { # pid errfile timeout-s -> sets READY_S
    local pid=$1 err=$2 limit=$3 t0=$SECONDS
    until grep -q 'ready' "$err" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; die "$(basename "$err" .err) exited before it was ready"; }
        [ $((SECONDS - t0)) -lt "$limit" ] || { cat "$err" >&2; die "not ready after $limit s"; }
        sleep 0.2
    done
    READY_S=$((SECONDS - t0))
}

start_mode() { # mode dir -> ATTACHED_PID (empty for none)
    local mode=$1 dir=$2
    ATTACHED_PID= READY_S=0
    case $mode in
        none) return ;;
        *-floor) # tracepoint-floor, kprobe-floor
            "$WORK/floor_loader" "$WORK/floor_probe.bpf.o" "${mode%-floor}" 2> "$dir/attached.err" &
            ;;
        *) # tracepoint, kprobe (the profiler refuses another --attach)
            # shellcheck disable=SC2086
            java "@$REPO/bin/jvm.options" $JAVA_OPTS -jar "$WORK/http-profiler.jar" --attach "$mode" --port "$PORT" \
                -o "$GUEST_TMP/trace.txt" --json "$GUEST_TMP/trace.jsonl" $PROFILER_ARGS 2> "$dir/attached.err" &
            ;;
    esac
    ATTACHED_PID=$!
    wait_ready "$ATTACHED_PID" "$dir/attached.err" 900
}

stop_mode() {
    [ -n "$ATTACHED_PID" ] || return 0
    kill -TERM "$ATTACHED_PID"
    wait "$ATTACHED_PID" || log "$(basename "$1"): exited with $?"
    ATTACHED_PID=
}

is_profiler() { [[ $1 != none && $1 != *-floor ]]; } # mode

wrk_fields() { python3 "$BENCH/report.py" wrk "$1"; } # -> requests seconds rps p99_ms non2xx

one_run() { # round mode
    local round=$1 mode=$2 dir=$WORK/runs/$1-$2
    mkdir -p "$dir"
    rm -f "$GUEST_TMP/trace.txt" "$GUEST_TMP/trace.jsonl"
    start_mode "$mode" "$dir"
    local url=http://127.0.0.1:$PORT/1k
    local warmup=$WARMUP
    is_profiler "$mode" && warmup=$PROFILER_WARMUP
    run_wrk "$dir/warmup.txt" -t1 -c"$CONNECTIONS" -d"${warmup}s" "$url"
    local kind total=0 rows=()
    read -r total _ < <(wrk_fields "$dir/warmup.txt")
    for kind in saturation paced; do
        local pace=() n0 a0 n1 a1
        [ "$kind" = paced ] && pace=(-s "$BENCH/pace.lua")
        n0=$(cpu_ticks $NGINX_PIDS)
        a0=$(cpu_ticks $ATTACHED_PID)
        run_wrk "$dir/$kind.txt" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${pace[@]}" "$url"
        n1=$(cpu_ticks $NGINX_PIDS)
        a1=$(cpu_ticks $ATTACHED_PID)
        local requests seconds rps p99 non2xx
        read -r requests seconds rps p99 non2xx < <(wrk_fields "$dir/$kind.txt")
        total=$((total + requests))
        rows+=("$round,$mode,$kind,$requests,$seconds,$rps,$p99,$non2xx,$(awk -v t="$TICK" -v n=$((n1 - n0)) \
            -v a=$((a1 - a0)) -v w="$(cat "$dir/$kind.txt.cpu")" 'BEGIN { printf "%.3f,%.3f,%.3f", n/t, w/t, a/t }')")
        log "round $round $mode $kind: $rps req/s, p99 $p99 ms"
    done
    sleep 1 # the profiler catches up with what is still in the ring
    stop_mode "$dir"
    local totals="-1 -1 -1 -1 -1 -1" trace="-1 -1 -1 -1 -1 -1"
    if is_profiler "$mode"; then
        grep 'http-profiler \(ready\|stopped\)' "$dir/attached.err" >&2 || true
        totals=$(python3 "$BENCH/report.py" totals-fields "$dir/attached.err")
        trace=$(python3 "$BENCH/report.py" trace-fields "$GUEST_TMP/trace.jsonl" 1024)
    fi
    local row
    for row in "${rows[@]}"; do
        echo "$row,$total,$READY_S,${totals// /,},${trace// /,},$(cut -d' ' -f1 /proc/loadavg)" >> "$WORK/runs.csv"
    done
}

in_guest() {
    WORK=$1
    . "$WORK/knobs.sh"
    GUEST_TMP=$(mktemp -d /tmp/bench-kernels.XXXXXX) # tmpfs: traces stay out of the 9p share
    TICK=$(getconf CLK_TCK)
    NGINX_PREFIX=$GUEST_TMP/nginx
    mkdir -p "$NGINX_PREFIX/html" "$NGINX_PREFIX/tmp"
    write_static_files "$NGINX_PREFIX/html"
    sed -e "s|@PREFIX@|$NGINX_PREFIX|g" -e "s|@PORT@|$PORT|g" -e "s|@SENDFILE@|on|g" -e "s|@SSL@||g" \
        -e "s|@SSL_FILES@||g" "$BENCH/nginx.conf.in" > "$NGINX_PREFIX/nginx.conf"
    nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf"
    trap 'stop_mode x; nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -s stop; rm -rf "$GUEST_TMP"' EXIT
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/1k" && break; sleep 0.1; done
    [ "$(curl -fs "http://127.0.0.1:$PORT/1k" | wc -c)" = 1024 ] || die "nginx does not serve the 1 KiB file"
    NGINX_PIDS="$(cat "$NGINX_PREFIX/nginx.pid") $(pgrep -P "$(cat "$NGINX_PREFIX/nginx.pid")" | head -1)"
    {
        echo "guest_kernel=$(uname -r)"
        echo "guest_cpus=$(nproc)"
        echo "nginx=$(nginx -v 2>&1 | cut -d/ -f2)"
        echo "wrk=$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
        echo "java=$(java -version 2>&1 | head -1 | cut -d'"' -f2)"
    } >> "$WORK/setup.txt"
    if [ -z "$RATE" ]; then
        run_wrk "$WORK/calibration.txt" -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:$PORT/1k"
        local rps
        read -r _ _ rps _ < <(wrk_fields "$WORK/calibration.txt")
        RATE=$(awk -v r="$rps" -v f="$RATE_FRACTION" 'BEGIN { x = int(r * f / 50) * 50; print (x < 50 ? 50 : x) }')
        log "calibration: $rps req/s with nothing attached; paced runs offer $RATE req/s"
    fi
    export RATE # read by bench/pace.lua
    echo "rate=$RATE" >> "$WORK/setup.txt"
    echo "round,mode,kind,requests,seconds,rps,p99_ms,non2xx,nginx_cpu_s,wrk_cpu_s,attached_cpu_s,requests_total,ready_s,events,ring_full_records,ring_full_bytes,gaps,gap_bytes,not_copied_bytes,server_exchanges,server_exact,server_wrong,client_exchanges,client_exact,client_wrong,guest_load" > "$WORK/runs.csv"
    local modes round i n
    read -r -a modes <<< "$MODES"
    n=${#modes[@]}
    for round in $(seq "$ROUNDS"); do
        for i in $(seq 0 $((n - 1))); do
            [ $((round % 2)) = 0 ] && i=$((n - 1 - i)) # even rounds: the rotated order backwards
            one_run "$round" "${modes[$(((i + round - 1) % n))]}"
        done
    done
}

if [ "${1:-}" = --in-guest ]; then
    in_guest "$2"
    exit
fi

# ---- on the host --------------------------------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "run as root (builds or boots the qemu guest): sudo make bench-kernels"
"$REPO/scripts/setup.sh" build bench kernels
if [ ! -f "$JAR" ]; then
    log "building $JAR"
    mvn -B -q -DskipTests package
fi
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
# Inside the repo: the guest sees it over 9p at the same path.
WORK=$REPO/target/bench-kernels/$STAMP
mkdir -p "$WORK"
cp "$JAR" "$WORK/http-profiler.jar" # the tree may be rebuilt while the guest runs
"$BENCH/floor/build.sh" "$WORK" "$WORK/http-profiler.jar" || die "building the floor failed"
{
    for knob in ROUNDS WARMUP PROFILER_WARMUP DURATION CONNECTIONS PORT RATE RATE_FRACTION MODES PROFILER_ARGS JAVA_OPTS; do
        printf '%s=%q\n' "$knob" "${!knob}"
    done
} > "$WORK/knobs.sh"
{
    echo "date=$(date -u +%Y-%m-%d)"
    echo "commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo '+changes')"
    echo "host_cpus=$(nproc)"
    echo "host_cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "host_kernel=$(uname -r)"
    echo "host_load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "guest_accel=$GUEST_ACCEL"
    echo "guest_cpu=$GUEST_CPU"
    for knob in ROUNDS WARMUP PROFILER_WARMUP DURATION CONNECTIONS RATE_FRACTION PROFILER_ARGS JAVA_OPTS; do echo "${knob,,}=${!knob}"; done
    echo "jvm_options=$(grep -v '^#' bin/jvm.options | xargs)"
} > "$WORK/setup.txt"
log "host load $(cut -d' ' -f1-3 /proc/loadavg); booting the guest: $ROUNDS round(s) of: $MODES"
T0=$SECONDS
test/kernels/run-in-guest.sh ${KERNEL:+-k "$KERNEL"} -t "$GUEST_TIMEOUT" --no-m2 bench/kernel-modes.sh --in-guest "$WORK"
{
    echo "host_load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "wall_s=$((SECONDS - T0))"
} >> "$WORK/setup.txt"
python3 "$BENCH/report.py" kernel-modes "$WORK/runs.csv" "$WORK/setup.txt" "$WORK/KERNEL-MODES.md"
cat "$WORK/KERNEL-MODES.md"
if [ "$PUBLISH" = 1 ]; then
    cp "$WORK/KERNEL-MODES.md" "$BENCH/KERNEL-MODES.md"
    python3 "$BENCH/report.py" include-kernel-modes "$BENCH/RESULTS.md" "$BENCH/KERNEL-MODES.md"
fi
log "results: $WORK/ (runs.csv, runs/*/)$([ "$PUBLISH" = 1 ] && echo ", bench/KERNEL-MODES.md, bench/RESULTS.md")"
