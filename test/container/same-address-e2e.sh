#!/usr/bin/env bash
# Two containers serving the same address, one profiler beside them (run as root; after compose-e2e.sh or
# podman-e2e.sh, whose images it runs):
#   starts two demo apps, each in its own network namespace listening on 127.0.0.1:8080 (and :8081, its backend), and
#   one profiler as deploy/kubernetes/daemonset.yaml runs it: the host's PID namespace, --netns all, least privilege
#   (every capability dropped, then the DaemonSet's BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE; Docker 20.10 knows no
#   CAP_BPF, so SYS_ADMIN and SYS_PTRACE there), the engine's container state mounted read-only for names. Then:
#   1. without SYS_PTRACE, --container NAME stops with the message naming it (exit 2);
#   2. --netns all: a client inside each container sends requests tagged with its container's name; every record
#      names the right container (JSON origin, transcript header), both serve 127.0.0.1:8080;
#   3. --container NAME of the first: only its exchanges are recorded, while the second's client, in the same run,
#      prints that its requests were answered.
#
#   test/container/same-address-e2e.sh docker|podman
#
# Prints PASS/FAIL lines and timings, and 'same-address-ENGINE: N passed, N failed'; exits 1 on any failure.
# Environment: HP_E2E_KEEP=1 leaves the containers; HP_E2E_IMAGES=any runs whatever http-profiler:latest and
# http-profiler-demo-app:latest the engine has (default: only those compose-e2e.sh / podman-e2e.sh made in this run).
set -euo pipefail
ENGINE=${1:-}
[[ $ENGINE == docker || $ENGINE == podman ]] || { echo "usage: $0 docker|podman" >&2; exit 2; }
HP_TEST=same-address-$ENGINE
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

A=hp-same-a
B=hp-same-b
PROF=hp-same-profiler
TRACES=$HP_OUT/same-address-$ENGINE-traces
declare -a TIMINGS=()

remove_containers() {
  local c
  for c in "$PROF" "$A" "$B"; do
    if [[ $ENGINE == docker ]]; then docker rm -f "$c" >/dev/null 2>&1; else podman rm -f -i -t 5 "$c" >/dev/null 2>&1; fi
  done
  return 0
}

finish() {
  local rc=$?
  set +e
  [[ ${HP_E2E_KEEP:-0} == 1 ]] || remove_containers
  [[ ${HP_E2E_KEEP:-0} == 1 ]] || hp_stop_dockerd
  echo
  echo "== timings"
  printf '  %s\n' "${TIMINGS[@]}"
  if ((rc != 0 && HP_FAILED == 0)); then hp_result FAIL "aborted (exit status $rc)"; fi
  echo "$HP_TEST: $HP_PASSED passed, $HP_FAILED failed"
  ((HP_FAILED == 0)) || exit 1
}
trap finish EXIT

hp_setup
hp_ensure_tracefs
if [[ $ENGINE == docker ]]; then
  hp_ensure_dockerd
  # Docker 20.10 (Debian 12) refuses CAP_BPF ("unknown capability"); SYS_ADMIN stands for BPF + PERFMON there.
  PRIVS=(--cap-drop ALL --cap-add SYS_ADMIN)
  # Names: Docker's containers/ID/config.v2.json, where ContainerLookup reads them.
  STATE=(-v "$(docker info -f '{{.DockerRootDir}}')/containers:/var/lib/docker/containers:ro")
  marker=$HP_OUT/compose-built-images
else
  hp_ensure_podman
  # deploy/kubernetes/daemonset.yaml's capabilities; podman 4's default seccomp profile allows bpf() only with SYS_ADMIN.
  PRIVS=(--cap-drop ALL --cap-add BPF --cap-add PERFMON --cap-add SYS_RESOURCE --security-opt seccomp=unconfined)
  # Names: containers/storage's overlay-containers/containers.json.
  STATE=(-v "$(podman info -f '{{.Store.GraphRoot}}')/overlay-containers:/var/lib/containers/storage/overlay-containers:ro")
  marker=$HP_OUT/podman-built-images
fi
hp_log "engine: $ENGINE $("$ENGINE" version --format '{{.Server.Version}}' 2>/dev/null || "$ENGINE" version --format '{{.Client.Version}}')"

images=$("$ENGINE" image inspect -f '{{.Id}}' http-profiler:latest http-profiler-demo-app:latest 2>/dev/null || true)
if [[ ${HP_E2E_IMAGES:-} == any && -n $images ]] || [[ -s $marker && $images == "$(cat "$marker")" ]]; then
  hp_result PASS "images: http-profiler:latest and http-profiler-demo-app:latest from this run"
else
  hp_result FAIL "no images of this run in $ENGINE's store ($marker): run after $([[ $ENGINE == docker ]] && echo compose-e2e.sh || echo podman-e2e.sh) (run-all.sh does), or set HP_E2E_IMAGES=any"
  exit 1
fi

remove_containers
rm -rf "$TRACES"
mkdir -p "$TRACES"

# Two apps, each in a network namespace of its own with only loopback in it: the same 127.0.0.1:8080 in both.
for c in "$A" "$B"; do
  "$ENGINE" run -d --name "$c" --network none -e QUIET=1 -e TLS_PORT=0 http-profiler-demo-app:latest >/dev/null
done
declare -A ID NETNS
for c in "$A" "$B"; do
  ID[$c]=$("$ENGINE" inspect -f '{{.Id}}' "$c")
  NETNS[$c]=$(readlink "/proc/$("$ENGINE" inspect -f '{{.State.Pid}}' "$c")/ns/net" | tr -dc 0-9)
done
if [[ -n ${NETNS[$A]} && ${NETNS[$A]} != "${NETNS[$B]}" ]]; then
  hp_result PASS "$A and $B run in network namespaces of their own (${NETNS[$A]}, ${NETNS[$B]})"
else
  hp_result FAIL "network namespaces: $A '${NETNS[$A]}', $B '${NETNS[$B]}'"
fi

# Inside a container: three requests tagged with $1, the last through the app's proxy (the app as a client too).
# Prints what it was answered. It lives a second longer: the profiler reads each process's origin from /proc.
CLIENT='
import sys, time, urllib.request as u
tag, base, answered = sys.argv[1], "http://127.0.0.1:8080", 0
for req, want in ((base + "/message?text=" + tag, tag),
                  (u.Request(base + "/echo", data=("body-" + tag).encode(), headers={"Content-Type": "text/plain"}),
                   "body-" + tag),
                  (base + "/proxy?path=/message%3Ftext%3Dproxied-" + tag, "proxied-" + tag)):
    answered += want in u.urlopen(req, timeout=10).read().decode()
print("client %s: %d of 3 requests answered" % (tag, answered))
time.sleep(1)
'
# Waits until both apps answer, inside their containers.
wait_apps() {
  local c i
  for c in "$A" "$B"; do
    for ((i = 0; i < 100; i++)); do
      "$ENGINE" exec "$c" python3 -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8080/health")' \
        >/dev/null 2>&1 && continue 2
      sleep 0.2
    done
    hp_die "$c does not answer on 127.0.0.1:8080 inside its container"
  done
}
# Runs the client in both containers at once; $1: a nonce. Leaves each client's output in CLIENT_OUT[container].
declare -A CLIENT_OUT TAG
drive_both() {
  local c pids=()
  for c in "$A" "$B"; do
    TAG[$c]=$c-$1
    "$ENGINE" exec "$c" python3 -c "$CLIENT" "${TAG[$c]}" >"$HP_LOGS/$HP_TEST-client-$c.log" 2>&1 &
    pids+=($!)
  done
  # These two only: a dockerd this script started is a background job of this shell too.
  wait "${pids[@]}" || true
  for c in "$A" "$B"; do
    CLIENT_OUT[$c]=$(cat "$HP_LOGS/$HP_TEST-client-$c.log")
    # Each client's traffic was really sent, during this run (also when the profiler is to leave it out).
    if [[ ${CLIENT_OUT[$c]} == "client ${TAG[$c]}: 3 of 3 requests answered" ]]; then
      hp_result PASS "$c: ${CLIENT_OUT[$c]}"
    else
      hp_result FAIL "$c's client: ${CLIENT_OUT[$c]}"
    fi
  done
}
# Starts the profiler beside the apps (host PID namespace, no network of its own): "$@" are its options.
start_profiler() {
  local t
  "$ENGINE" rm -f "$PROF" >/dev/null 2>&1 || true
  rm -f "$TRACES"/*
  t=$(hp_ms)
  "$ENGINE" run -d --name "$PROF" --pid host --network none "${PRIVS[@]}" --cap-add SYS_PTRACE "${STATE[@]}" \
    -v /sys/kernel/tracing:/sys/kernel/tracing:ro -v "$TRACES:/traces" \
    http-profiler:latest --tls off --json traces/http-trace.jsonl "$@" >/dev/null
  if hp_wait_ready "$ENGINE" "$PROF" 90 >/dev/null; then
    TIMINGS+=("profiler $*: run -> ready $(( $(hp_ms) - t )) ms")
    READY=$("$ENGINE" logs "$PROF" 2>&1 | grep -m1 ready)
    return 0
  fi
  hp_result FAIL "profiler $* never became ready"
  exit 1
}
# Runs check-origins.py and counts its lines.
origins_checks() {
  local out
  out=$(python3 "$HP_REPO/test/container/check-origins.py" --dir "$TRACES" --runtime "$ENGINE" "$@") || true
  echo "$out" | grep -E '^(PASS|FAIL) ' || true
  HP_PASSED=$((HP_PASSED + $(echo "$out" | grep -c '^PASS ' || true)))
  HP_FAILED=$((HP_FAILED + $(echo "$out" | grep -c '^FAIL ' || true)))
}

wait_apps

echo "== without CAP_SYS_PTRACE: --container $A"
out=$("$ENGINE" run --rm --pid host --network none "${PRIVS[@]}" "${STATE[@]}" http-profiler:latest \
  --netns all --container "$A" 2>&1) && code=0 || code=$?
if [[ $code == 2 && $out == *"--container $A: cannot read the network namespace"*"CAP_SYS_PTRACE"* ]]; then
  hp_result PASS "exit 2, saying what is missing: $out"
else
  hp_result FAIL "expected exit 2 naming CAP_SYS_PTRACE, got exit $code: $out"
fi

nonce=$(date +%s)-$$
echo "== --netns all: each record names its container"
start_profiler --netns all
drive_both "all-$nonce"
for c in "$A" "$B"; do
  hp_wait_file_has "$TRACES/http-trace.jsonl" "proxied-${TAG[$c]}" 10 >/dev/null || true
done
sleep 0.5
hp_e2e_stop_and_checks "$ENGINE" "$PROF" "$HP_LOGS/$HP_TEST-all.log"
origins_checks --expect "${TAG[$A]},${ID[$A]},${NETNS[$A]}" --expect "${TAG[$B]},${ID[$B]},${NETNS[$B]}"

echo "== --container $A: only its exchanges"
start_profiler --netns all --container "$A"
if [[ $READY == *"tracing container ${ID[$A]:0:12} (network namespace ${NETNS[$A]})"* ]]; then
  hp_result PASS "--container $A (a name) resolves to its id and namespace: $READY"
else
  hp_result FAIL "ready line does not name container ${ID[$A]:0:12}: $READY"
fi
drive_both "one-$nonce"
hp_wait_file_has "$TRACES/http-trace.jsonl" "proxied-${TAG[$A]}" 10 >/dev/null || true
sleep 0.5
hp_e2e_stop_and_checks "$ENGINE" "$PROF" "$HP_LOGS/$HP_TEST-one.log"
# The kernel keeps to the container's network namespace; what reaches user space from other processes is counted.
if grep -q 'http-profiler stopped' "$HP_LOGS/$HP_TEST-one.log" &&
   ! grep 'http-profiler stopped' "$HP_LOGS/$HP_TEST-one.log" | grep -q 'events of other containers'; then
  hp_result PASS "$B's traffic stopped in the kernel (its network namespace): no events of other containers in the counts"
else
  hp_result FAIL "events of other containers reached user space: $(grep 'http-profiler stopped' "$HP_LOGS/$HP_TEST-one.log")"
fi
origins_checks --expect "${TAG[$A]},${ID[$A]},${NETNS[$A]}" --absent "${TAG[$B]},${ID[$B]}" --only
