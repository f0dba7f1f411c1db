#!/usr/bin/env bash
# Kernel-probe smoke test, run INSIDE a test guest (as root):
#   test/kernels/run-in-guest.sh test/kernels/smoke.sh
# Proves the three kprobes the profiler's kprobe mode uses attach and fire for real HTTP traffic:
# tcp_sendmsg, tcp_recvmsg and tcp_cleanup_rbuf, via the tracefs kprobe_events interface (no BPF
# compiler needed), for curl <-> `python3 -m http.server` on loopback. Prints the evidence (trace lines
# and per-function, per-command counts) and exits 1 when any probe cannot attach or never fires.
set -uo pipefail
T=/sys/kernel/tracing
GROUP=hpsmoke
PORT="${SMOKE_PORT:-18080}"
REQUESTS="${SMOKE_REQUESTS:-3}"
fail() { echo "smoke: FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root"
[ -f "$T/kprobe_events" ] || mount -t tracefs nodev "$T" 2>/dev/null
[ -f "$T/kprobe_events" ] || fail "$T/kprobe_events missing (tracefs not mounted or CONFIG_KPROBE_EVENTS off)"
echo "smoke: kernel $(uname -r); BTF: $([ -f /sys/kernel/btf/vmlinux ] && echo yes || echo no);" \
  "kprobe blacklist entries: $(wc -l </sys/kernel/debug/kprobes/blacklist 2>/dev/null || echo '?')"
if command -v bpftool >/dev/null; then
  echo "smoke: bpftool: $(bpftool feature probe kernel 2>/dev/null | grep -E "program_type kprobe|map_type ringbuf" | tr '\n' ';')"
fi

SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  echo 0 >"$T/tracing_on"
  [ -d "$T/events/$GROUP" ] && echo 0 >"$T/events/$GROUP/enable"
  for f in tcp_sendmsg tcp_recvmsg tcp_cleanup_rbuf; do echo "-:$GROUP/$f" >>"$T/kprobe_events" 2>/dev/null; done
}
trap cleanup EXIT

echo 0 >"$T/tracing_on"
: >"$T/trace"
# x86-64 calling convention: $argN are the function's arguments.
#   int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
#   int tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
#   void tcp_cleanup_rbuf(struct sock *sk, int copied)
for def in "tcp_sendmsg size=\$arg3:u64" "tcp_recvmsg len=\$arg3:u64" "tcp_cleanup_rbuf copied=\$arg2:s32"; do
  fn=${def%% *}
  echo "p:$GROUP/$fn $def" >>"$T/kprobe_events" || fail "could not create kprobe on $fn"
  echo "smoke: kprobe on $fn attached: $(grep "$GROUP/$fn " "$T/kprobe_events")"
done
echo 1 >"$T/events/$GROUP/enable" || fail "could not enable the kprobe events"

mkdir -p /tmp/smoke-www && printf 'hello from the guest\n' >/tmp/smoke-www/index.html
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory /tmp/smoke-www >/tmp/smoke-server.log 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
echo 1 >"$T/tracing_on"
for i in $(seq "$REQUESTS"); do
  body="$(curl -sS --max-time 10 "http://127.0.0.1:$PORT/index.html?i=$i")" || fail "curl request $i failed"
  [ "$body" = "hello from the guest" ] || fail "unexpected body: $body"
done
echo 0 >"$T/tracing_on"
echo "smoke: $REQUESTS HTTP requests done (curl -> python3 http.server on 127.0.0.1:$PORT)"

cp "$T/trace" /tmp/smoke-trace.txt
echo "smoke: trace excerpt (curl/python3 lines):"
grep -E '^ *(curl|python3)' /tmp/smoke-trace.txt | head -n 12 | sed 's/^/  /'
echo "smoke: hits per probe and command:"
rc=0
for fn in tcp_sendmsg tcp_recvmsg tcp_cleanup_rbuf; do
  c_curl=$(grep -cE "^ *curl-[0-9]+ .* $fn: " /tmp/smoke-trace.txt)
  c_py=$(grep -cE "^ *python3-[0-9]+ .* $fn: " /tmp/smoke-trace.txt)
  printf '  %-17s curl=%-4s python3=%s\n' "$fn" "$c_curl" "$c_py"
  [ "$c_curl" -gt 0 ] && [ "$c_py" -gt 0 ] || { echo "smoke: FAIL: $fn did not fire for both curl and python3"; rc=1; }
done
[ "$rc" = 0 ] && echo "smoke: PASS: tcp_sendmsg, tcp_recvmsg and tcp_cleanup_rbuf kprobes attach and fire on $(uname -r)"
exit "$rc"
