#!/usr/bin/env bash
# Side-by-side cost of the profiler on a real server: nginx (1 worker, keep-alive, static files, loopback) under wrk,
# without and with the profiler, interleaved A/B/A/B. Run as root (the profiler loads BPF): `sudo make bench`.
#
# For each case (body size x nginx sendfile on/off x profiler --max-body):
#   saturation: PAIRS pairs of wrk runs (CONNECTIONS connections, 1 thread, DURATION s after a WARMUP s warm-up run),
#               profiler off then on: throughput ratio (median of pairs), p99 latency, profiler CPU per 10k requests,
#               peak RSS (VmHWM), completeness (server-side exchanges in the JSON Lines with status 200 and the exact
#               body size / requests wrk completed), drops (the profiler's totals line).
#   paced:      RATE_PAIRS pairs at a fixed offered RATE req/s (wrk + bench/pace.lua): CPU seconds per 10k requests of
#               nginx + wrk + profiler (from /proc/PID/stat) and of the whole machine (/proc/stat).
# Results: $OUT/runs.csv (every run), $OUT/summary.{csv,md}, $OUT/throughput.png; bench/RESULTS.md and
# bench/throughput.png (for the README). Knobs (environment): see the defaults below. QUICK=1 for a short smoke run.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BENCH=$REPO/bench

QUICK=${QUICK:-0}
PORT=${PORT:-18080}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-$([ "$QUICK" = 1 ] && echo 4 || echo 10)}
WARMUP=${WARMUP:-$([ "$QUICK" = 1 ] && echo 2 || echo 5)}
PAIRS=${PAIRS:-$([ "$QUICK" = 1 ] && echo 1 || echo 3)}
RATE=${RATE:-10000}
RATE_PAIRS=${RATE_PAIRS:-$([ "$QUICK" = 1 ] && echo 1 || echo 2)}
# body:sendfile:max-body[:traced]. sendfile is on, off, or tls (HTTPS: nginx's ssl without sendfile, wrk over TLS,
# the profiler reading both ends' plaintext through libssl's uprobes). The profiler's default --max-body is 8k: of a
# 64 KiB body the first 8 KiB are kept and the rest counted (the kernel reads the head's Content-Length and leaves the
# rest in the kernel, or the pipeline tells it through the skip map). The default cases are those README's "Measured"
# table shows; more, e.g.: 64k:off:8k, 64k:on:64k (bodies kept whole), 64k:tls:8k, 64k:on:-:floor, 1k:on:-:tcpdump. traced: "both"
# (default: --port matches nginx's and wrk's ends of every connection, so each request is recorded twice) or "server"
# (--pid of the nginx worker as well: only nginx's side, as beside a server whose clients are elsewhere) or "nofiles"
# (as both, with the transcript and the JSON Lines written to /dev/null: all the work but the page cache's, so that the
# difference with "both" is what writing the files costs; nothing is kept to check completeness against).
# Two references run instead of the profiler (their max-body field is unused): "floor", empty BPF programs on the same
# syscall tracepoints (bench/floor/), the cost of tracepoint mode itself, which no work inside the programs or in user
# space can remove; "tcpdump", full packets of the port written to a file (`tcpdump -i lo -s 0 -w`), the usual way to
# see HTTP without a profiler.
CASES=${CASES:-"1k:on:8k 1k:off:8k:server 64k:on:8k 1k:tls:8k 1k:on:-:floor"}
OUT=${OUT:-$BENCH/results}
JAR=${JAR:-$REPO/target/http-profiler.jar}
# The container image's JVM flags (container/Dockerfile ENTRYPOINT): the profiler as shipped to run beside an app.
# The JVM settings of every start (bin/jvm.options, as bin/http-profiler and the image use); more flags in JAVA_OPTS.
JAVA_OPTS=${JAVA_OPTS:-}
JVM_OPTIONS="@$(cd "$(dirname "$0")/.." && pwd)/bin/jvm.options"
PROFILER_ARGS=${PROFILER_ARGS:-}
# Before each run wait (up to QUIET_WAIT s) until the machine is at most QUIET_MAX % busy: other work on a 2-core box
# moves the numbers more than the profiler does.
QUIET_MAX=${QUIET_MAX:-20}
QUIET_WAIT=${QUIET_WAIT:-15}
KEEP_TRACES=${KEEP_TRACES:-0}
# 1: one more paced run per profiler case with kernel.bpf_stats_enabled, for the BPF programs' own run time per request.
BPF_STATS=${BPF_STATS:-1}
# 1: write bench/RESULTS.md and bench/throughput.png (the README's copy); 0: only $OUT.
PUBLISH=${PUBLISH:-1}
export RATE # read by bench/pace.lua

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# write_static_files, cpu_ticks, run_wrk: shared with bench/kernel-modes.sh.
. "$BENCH/lib.sh"
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (the profiler loads BPF programs): sudo make bench"

# nginx, wrk, gnuplot, tcpdump, clang, ... (the bench group of scripts/deps.txt).
"$REPO/scripts/setup.sh" build bench
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin

case " $CASES " in *:floor\ *) FLOOR=1 ;; *) FLOOR=0 ;; esac

if [ ! -f "$JAR" ]; then
    log "building $JAR"
    (cd "$REPO" && mvn -B -q -DskipTests package)
fi

mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d /tmp/http-profiler-bench.XXXXXX)
# The jar is copied: the tree may be rebuilt while the benchmark runs.
cp "$JAR" "$WORK/http-profiler.jar"
NGINX_PREFIX=$WORK/nginx
mkdir -p "$NGINX_PREFIX/html" "$NGINX_PREFIX/tmp"
TICK=$(getconf CLK_TCK)
PROFILER_PID=

# The floor's empty programs, checked to sit on exactly the tracepoints the profiler attaches in tracepoint mode.
build_floor() {
    "$BENCH/floor/build.sh" "$WORK" "$WORK/http-profiler.jar" || die "building the floor failed"
}

cleanup() {
    if [ -n "$PROFILER_PID" ] && kill -0 "$PROFILER_PID" 2>/dev/null; then
        kill -TERM "$PROFILER_PID" 2>/dev/null || true
        wait "$PROFILER_PID" 2>/dev/null || true
    fi
    if [ -f "$NGINX_PREFIX/nginx.pid" ]; then
        nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -s stop 2>/dev/null || true
    fi
    [ "$KEEP_TRACES" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

write_static_files "$NGINX_PREFIX/html"

# The sendfile field "tls": HTTPS (nginx's ssl, sendfile off; wrk's TLS), read by the profiler through libssl's uprobes.
scheme() { [ "$1" = tls ] && echo https || echo http; }

nginx_start() { # sendfile on|off|tls
    local ssl="" ssl_files="" sendfile=$1
    if [ "$1" = tls ]; then
        [ -f "$NGINX_PREFIX/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
            -keyout "$NGINX_PREFIX/key.pem" -out "$NGINX_PREFIX/cert.pem" 2>/dev/null
        ssl=ssl sendfile=off
        ssl_files="ssl_certificate $NGINX_PREFIX/cert.pem; ssl_certificate_key $NGINX_PREFIX/key.pem;"
    fi
    if [ -f "$NGINX_PREFIX/nginx.pid" ]; then
        nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -s stop 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$NGINX_PREFIX/nginx.pid" ] || break; sleep 0.1; done
    fi
    sed -e "s|@PREFIX@|$NGINX_PREFIX|g" -e "s|@PORT@|$PORT|g" -e "s|@SENDFILE@|$sendfile|g" -e "s|@SSL@|$ssl|g" \
        -e "s|@SSL_FILES@|$ssl_files|g" "$BENCH/nginx.conf.in" > "$NGINX_PREFIX/nginx.conf"
    nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf"
    for _ in $(seq 50); do
        curl -kfs -o /dev/null "$(scheme "$1")://127.0.0.1:$PORT/1k" 2>/dev/null && break
        sleep 0.1
    done
    NGINX_WORKER=$(pgrep -P "$(cat "$NGINX_PREFIX/nginx.pid")" | head -1)
    NGINX_PIDS="$(cat "$NGINX_PREFIX/nginx.pid") $NGINX_WORKER"
    local size
    size=$(curl -kfs "$(scheme "$1")://127.0.0.1:$PORT/64k" | wc -c)
    [ "$size" = 65536 ] || die "nginx does not serve the 64 KiB file (got $size bytes)"
}

thread_ticks() { # pid -> "jit vm": CPU ticks of the JVM's JIT compiler threads and of its VM/GC threads
    local pid=$1 jit=0 vm=0 task name st
    for task in /proc/"$pid"/task/*; do
        name=$(cat "$task/comm" 2>/dev/null) || continue
        read -r -a st < <(sed 's/.*) //' "$task/stat" 2>/dev/null) || continue
        case "$name" in
            C1\ Compiler*|C2\ Compiler*) jit=$((jit + st[11] + st[12])) ;;
            VM\ Thread|GC\ Thread*|VM\ Periodic*) vm=$((vm + st[11] + st[12])) ;;
        esac
    done
    echo "$jit $vm"
}

# The BPF programs' own run time (kernel.bpf_stats_enabled): "ns runs" summed over the programs whose ids are given.
bpf_prog_ids() { bpftool prog show -j | python3 -c 'import json, sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
bpf_run_time() { # ids... -> "ns runs"
    bpftool prog show -j | python3 -c '
import json, sys
ids = {int(a) for a in sys.argv[1:]}
ps = [p for p in json.load(sys.stdin) if p["id"] in ids]
print(sum(p.get("run_time_ns", 0) for p in ps), sum(p.get("run_cnt", 0) for p in ps))' "$@"
}

machine_ticks() { # -> "busy total"
    local cpu user nice system idle iowait irq softirq steal rest
    read -r cpu user nice system idle iowait irq softirq steal rest < /proc/stat
    echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

wait_quiet() { # -> busy % over the last second before the run
    local deadline=$((SECONDS + QUIET_WAIT)) busy
    while :; do
        read -r b0 t0 < <(machine_ticks)
        sleep 1
        read -r b1 t1 < <(machine_ticks)
        busy=$(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
        if [ "$busy" -le "$QUIET_MAX" ] || [ "$SECONDS" -ge "$deadline" ]; then
            [ "$busy" -le "$QUIET_MAX" ] || log "machine still ${busy}% busy with other work; measuring anyway"
            echo "$busy"
            return
        fi
    done
}

start_profiler() { # dir max-body traced
    local dir=$1 only=()
    if [ "$3" = floor ]; then
        "$WORK/floor_loader" "$WORK/floor_probe.bpf.o" tracepoint 2> "$dir/profiler.err" &
        PROFILER_PID=$!
        wait_ready "$dir"
        return
    elif [ "$3" = tcpdump ]; then
        # -U: each packet reaches the file as it is captured, as the profiler's exchanges do.
        tcpdump -Z root -i lo -s 0 -U -w "$dir/trace.pcap" "tcp port $PORT" 2> "$dir/profiler.err" &
        PROFILER_PID=$!
        wait_ready "$dir" # tcpdump says "listening on lo" once capturing
        return
    fi
    [ "$3" = server ] && only=(--pid "$NGINX_WORKER")
    local outputs=(-o "$dir/trace.txt" --json "$dir/trace.jsonl")
    [ "$3" = nofiles ] && outputs=(-o /dev/null --json /dev/null)
    # shellcheck disable=SC2086
    java "$JVM_OPTIONS" $JAVA_OPTS -jar "$WORK/http-profiler.jar" --port "$PORT" --max-body "$2" "${only[@]}" \
        "${outputs[@]}" $PROFILER_ARGS 2> "$dir/profiler.err" &
    PROFILER_PID=$!
    wait_ready "$dir"
}

wait_ready() { # dir
    local dir=$1 i
    for i in $(seq 600); do
        grep -q 'ready\|listening on' "$dir/profiler.err" 2>/dev/null && break
        kill -0 "$PROFILER_PID" 2>/dev/null || { cat "$dir/profiler.err" >&2; die "the profiler exited"; }
        sleep 0.05
    done
    grep -q 'ready\|listening on' "$dir/profiler.err" || die "the profiler did not get ready in 30 s"
    READY_S=$(awk -v n="$i" 'BEGIN { printf "%.2f", n * 0.05 }')
}

stop_profiler() {
    kill -TERM "$PROFILER_PID"
    wait "$PROFILER_PID" || log "the profiler exited with $?"
    PROFILER_PID=
}

RUNS=$OUT/runs.csv
echo "case,kind,pair,profiler,body,sendfile,max_body,traced,requests,seconds,rps,p99_ms,non2xx,requests_total,profiler_cpu_s,nginx_cpu_s,wrk_cpu_s,workload_cpu_s,machine_cpu_s,others_cpu_s,profiler_jit_cpu_s,profiler_vm_cpu_s,bpf_run_s,bpf_runs,background_busy_pct,vmhwm_kb,ready_s,events,ring_full_records,ring_full_bytes,gaps,gap_bytes,not_copied_bytes,server_exchanges,server_exact,server_wrong,client_exchanges,client_exact,client_wrong" > "$RUNS"

one_run() { # case kind pair profiler(on|off) body sendfile max-body traced
    local case=$1 kind=$2 pair=$3 profiler=$4 body=$5 sendfile=$6 maxbody=$7 traced=$8
    local dir=$WORK/runs/$case-$kind-$pair-$profiler
    mkdir -p "$dir"
    local busy
    busy=$(wait_quiet)
    local url="$(scheme "$sendfile")://127.0.0.1:$PORT/$body"
    local pace=()
    [ "$kind" = paced ] && pace=(-s "$BENCH/pace.lua")
    READY_S=
    # kind bpf: one more paced run with the profiler, with kernel.bpf_stats_enabled, for the programs' own run time
    # (the stats add two clock reads to every program run, so the paired runs go without them).
    local before_ids="" our_ids="" bpf0="0 0" bpf1="0 0"
    if [ "$kind" = bpf ]; then
        pace=(-s "$BENCH/pace.lua")
        sysctl -q kernel.bpf_stats_enabled=1
        before_ids=" $(bpf_prog_ids) "
    fi
    [ "$profiler" = on ] && start_profiler "$dir" "$maxbody" "$traced"
    if [ "$kind" = bpf ]; then
        local id
        for id in $(bpf_prog_ids); do [[ "$before_ids" == *" $id "* ]] || our_ids="$our_ids $id"; done
    fi
    run_wrk "$dir/warmup.txt" -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "${pace[@]}" "$url"
    local m0 n0 p0 mt0 th0="0 0"
    read -r m0 mt0 < <(machine_ticks)
    n0=$(cpu_ticks $NGINX_PIDS)
    p0=$([ "$profiler" = on ] && cpu_ticks "$PROFILER_PID" || echo 0)
    [ "$profiler" = on ] && th0=$(thread_ticks "$PROFILER_PID")
    [ -n "$our_ids" ] && bpf0=$(bpf_run_time $our_ids)
    run_wrk "$dir/wrk.txt" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${pace[@]}" "$url"
    [ -n "$our_ids" ] && bpf1=$(bpf_run_time $our_ids)
    sleep 1 # the profiler catches up with what is still in the ring
    local m1 n1 p1 mt1 vmhwm=0 th1="0 0"
    read -r m1 mt1 < <(machine_ticks)
    n1=$(cpu_ticks $NGINX_PIDS)
    p1=$([ "$profiler" = on ] && cpu_ticks "$PROFILER_PID" || echo 0)
    [ "$profiler" = on ] && th1=$(thread_ticks "$PROFILER_PID")
    [ "$kind" = bpf ] && sysctl -q kernel.bpf_stats_enabled=0
    local jit0 vm0 jit1 vm1 bns0 bruns0 bns1 bruns1
    read -r jit0 vm0 <<< "$th0"; read -r jit1 vm1 <<< "$th1"
    read -r bns0 bruns0 <<< "$bpf0"; read -r bns1 bruns1 <<< "$bpf1"
    local totals="-1 -1 -1 -1 -1 -1" trace="0 0 0 0 0 0"
    if [ "$profiler" = on ]; then
        vmhwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PROFILER_PID/status")
        stop_profiler
        # The profiler (not a reference): its totals line, and its records unless they went to /dev/null.
        if [ "$traced" != floor ] && [ "$traced" != tcpdump ]; then
            totals=$(python3 "$BENCH/report.py" totals-fields "$dir/profiler.err")
            [ "$traced" = nofiles ] ||
                trace=$(python3 "$BENCH/report.py" trace-fields "$dir/trace.jsonl" "$([ "$body" = 1k ] && echo 1024 || echo 65536)")
        fi
        [ "$KEEP_TRACES" = 1 ] || rm -f "$dir/trace.jsonl" "$dir/trace.txt" "$dir/trace.pcap"
    fi
    local requests seconds rps p99 non2xx warm
    read -r requests seconds rps p99 non2xx < <(python3 "$BENCH/report.py" wrk "$dir/wrk.txt")
    read -r warm _ < <(python3 "$BENCH/report.py" wrk "$dir/warmup.txt")
    local wrk_cpu
    wrk_cpu=$(cat "$dir/wrk.txt.cpu")
    local row
    row=$(awk -v t="$TICK" -v n=$((n1 - n0)) -v p=$((p1 - p0)) -v w="$wrk_cpu" -v m=$((m1 - m0)) \
        'BEGIN { printf "%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", p/t, n/t, w/t, (n+p+w)/t, m/t, (m-n-p-w)/t }')
    row="$row,$(awk -v t="$TICK" -v j=$((jit1 - jit0)) -v v=$((vm1 - vm0)) -v b=$((bns1 - bns0)) \
        'BEGIN { printf "%.3f,%.3f,%.6f", j/t, v/t, b/1e9 }'),$((bruns1 - bruns0))"
    echo "$case,$kind,$pair,$profiler,$body,$sendfile,$maxbody,$traced,$requests,$seconds,$rps,$p99,$non2xx,$((requests + warm)),$row,$busy,$vmhwm,${READY_S:-},${totals// /,},${trace// /,}" >> "$RUNS"
    log "$case $kind pair $pair profiler $profiler: $rps req/s, p99 $p99 ms$([ "$profiler" = on ] && grep -q stopped: "$dir/profiler.err" && echo ", totals: $(grep -o 'stopped: .*' "$dir/profiler.err")")"
}

[ "$FLOOR" = 1 ] && build_floor
log "environment: $(nproc) cores, kernel $(uname -r), $(nginx -v 2>&1), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
for case in $CASES; do
    IFS=: read -r body sendfile maxbody traced <<< "$case"
    traced=${traced:-both}
    nginx_start "$sendfile"
    for pair in $(seq "$PAIRS"); do
        one_run "$case" saturation "$pair" off "$body" "$sendfile" "$maxbody" "$traced"
        one_run "$case" saturation "$pair" on "$body" "$sendfile" "$maxbody" "$traced"
    done
    for pair in $(seq "$RATE_PAIRS"); do
        one_run "$case" paced "$pair" off "$body" "$sendfile" "$maxbody" "$traced"
        one_run "$case" paced "$pair" on "$body" "$sendfile" "$maxbody" "$traced"
    done
    if [ "$BPF_STATS" = 1 ] && [ "$traced" != floor ] && [ "$traced" != tcpdump ]; then
        one_run "$case" bpf 1 on "$body" "$sendfile" "$maxbody" "$traced"
    fi
done

python3 "$BENCH/report.py" summarize "$RUNS" "$OUT"
gnuplot -e "datafile='$OUT/chart.dat'; outfile='$OUT/throughput.png'" "$BENCH/chart.gp"
cp "$RUNS" "$OUT/runs-$STAMP.csv"
python3 "$BENCH/report.py" results-md "$OUT" "$OUT/RESULTS.md" \
    "cores=$(nproc)" "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "kernel=$(uname -r)" \
    "nginx=$(nginx -v 2>&1 | cut -d/ -f2)" "wrk=$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
    "java=$(java -version 2>&1 | head -1 | cut -d'"' -f2)" "java_opts=$JAVA_OPTS" "profiler_args=$PROFILER_ARGS" \
    "duration=$DURATION" "warmup=$WARMUP" "pairs=$PAIRS" "rate=$RATE" "rate_pairs=$RATE_PAIRS" \
    "connections=$CONNECTIONS" "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo '+changes')" \
    "date=$(date -u +%Y-%m-%d)"
if [ "$PUBLISH" = 1 ]; then
    cp "$OUT/throughput.png" "$BENCH/throughput.png"
    cp "$OUT/RESULTS.md" "$BENCH/RESULTS.md"
fi
cat "$OUT/summary.md"
log "results: $OUT/summary.md, $OUT/runs.csv, $OUT/RESULTS.md$([ "$PUBLISH" = 1 ] && echo ", bench/RESULTS.md, bench/throughput.png")"
