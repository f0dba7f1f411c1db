#!/usr/bin/env bash
# Diagnostic, not a test: puts kprobes on tcp_sendmsg/tcp_recvmsg/tcp_cleanup_rbuf and takes them off again, CYCLES
# times, while wrk keeps nginx busy, and stops at the first kernel BUG/oops/soft lockup in the kernel log. Run it in
# the qemu guest, e.g.
#   test/kernels/run-in-guest.sh --no-m2 -t 600 test/kernels/kprobe-churn.sh tracefs 300
# to tell whether the guest kernel survives its own text patching under load under a given qemu setup (GUEST_ACCEL,
# GUEST_CPU of run-in-guest.sh). HOW picks who attaches:
#   tracefs      the kernel's own kprobe events (kprobe_events): no BPF at all;
#   floor DIR    bench/floor's empty BPF programs in kprobe mode (DIR holds floor_loader and floor_probe.bpf.o, as
#                built by bench/floor/build.sh).
# Exit status: 0 when every cycle ran and the kernel log stayed clean, 1 when it did not.
set -euo pipefail
HOW=${1:?usage: kprobe-churn.sh tracefs|floor DIR CYCLES}
[ "$HOW" = floor ] && { FLOOR_DIR=$2; shift; }
CYCLES=${2:?usage: kprobe-churn.sh tracefs|floor DIR CYCLES}
PORT=${PORT:-18081}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$REPO/bench/lib.sh"
TRACING=/sys/kernel/tracing

TMP=$(mktemp -d /tmp/kprobe-churn.XXXXXX)
mkdir -p "$TMP/html" "$TMP/tmp"
write_static_files "$TMP/html"
sed -e "s|@PREFIX@|$TMP|g" -e "s|@PORT@|$PORT|g" -e "s|@SENDFILE@|on|g" -e "s|@SSL@||g" -e "s|@SSL_FILES@||g" \
    "$REPO/bench/nginx.conf.in" > "$TMP/nginx.conf"
nginx -p "$TMP" -c "$TMP/nginx.conf"
WRK_PID=
cleanup() {
    [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
    [ -e "$TRACING/events/kprobes/enable" ] && echo 0 > "$TRACING/events/kprobes/enable"
    echo > "$TRACING/kprobe_events" 2>/dev/null || true
    nginx -p "$TMP" -c "$TMP/nginx.conf" -s stop || true
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/1k" && break; sleep 0.1; done

attach() {
    case $HOW in
        tracefs)
            echo 'p:churn_send tcp_sendmsg' >> "$TRACING/kprobe_events"
            echo 'r:churn_send_ret tcp_sendmsg' >> "$TRACING/kprobe_events"
            echo 'p:churn_recv tcp_recvmsg' >> "$TRACING/kprobe_events"
            echo 'p:churn_cleanup tcp_cleanup_rbuf' >> "$TRACING/kprobe_events"
            echo 1 > "$TRACING/events/kprobes/enable"
            ;;
        floor)
            "$FLOOR_DIR/floor_loader" "$FLOOR_DIR/floor_probe.bpf.o" kprobe 2> "$TMP/floor.err" &
            FLOOR_PID=$!
            until grep -q ready "$TMP/floor.err"; do
                kill -0 "$FLOOR_PID" 2>/dev/null || { cat "$TMP/floor.err"; exit 1; }
                sleep 0.05
            done
            ;;
    esac
}
detach() {
    case $HOW in
        tracefs)
            echo 0 > "$TRACING/events/kprobes/enable"
            echo > "$TRACING/kprobe_events"
            ;;
        floor) kill -TERM "$FLOOR_PID"; wait "$FLOOR_PID" || true ;;
    esac
}
kernel_trouble() { dmesg | grep -E 'BUG:|Oops|soft lockup|general protection|invalid opcode|int3|RIP: 0010' ; }

dmesg -C
wrk -t1 -c32 -d3600s "http://127.0.0.1:$PORT/1k" > "$TMP/wrk.txt" 2>&1 &
WRK_PID=$!
sleep 2
T0=$SECONDS
for cycle in $(seq "$CYCLES"); do
    attach
    sleep 0.$((RANDOM % 3))
    detach
    sleep 0.$((RANDOM % 3))
    if kernel_trouble > /dev/null || ! kill -0 "$WRK_PID" 2>/dev/null; then
        echo "kprobe-churn ($HOW): kernel trouble after $cycle cycles ($((SECONDS - T0)) s)"
        dmesg | tail -n 80
        exit 1
    fi
done
kill -INT "$WRK_PID"; wait "$WRK_PID" || true; WRK_PID=
echo "kprobe-churn ($HOW): $CYCLES attach/detach cycles in $((SECONDS - T0)) s under wrk load, kernel log clean"
grep -E 'Requests/sec|requests in' "$TMP/wrk.txt" || true
