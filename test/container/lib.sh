# Shared helpers for the container tests (sourced, not run). Everything works as root on a Debian host with no
# image registry: engines come from Debian's packages, base images from make-base-images.sh, Maven artifacts from
# the host's Maven (seeded into the image build, see container/maven-repo/README).
#
# Two places on disk:
#   HP_CACHE  machine-level cache, outside any clone, so that CI (a fresh clone every run) starts warm on a machine
#             that ran it before, and a new machine builds everything from scratch: base image root file systems
#             (make-base-images.sh) and the Maven repository the image build is seeded from.
#             ${HTTP_PROFILER_CACHE:-/var/cache/http-profiler}; safe to delete at any time.
#   HP_OUT    this run's outputs (logs, trace files): target/container-tests/ in the clone (git-ignored).
# The engines' own stores (/var/lib/docker, /var/lib/containers) hold the imported base images and the build cache.
# shellcheck shell=bash

HP_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HP_CACHE=${HTTP_PROFILER_CACHE:-/var/cache/http-profiler}
HP_OUT=${HP_OUT_DIR:-$HP_REPO/target/container-tests}
HP_LOGS=$HP_OUT/logs
mkdir -p "$HP_LOGS" "$HP_CACHE"

# Local base images (test/container/make-base-images.sh); the Dockerfiles default to public ones.
HP_BUILD_IMAGE=http-profiler-base/build:bookworm
HP_RUNTIME_IMAGE=http-profiler-base/runtime:bookworm
HP_APP_BASE_IMAGE=http-profiler-base/python:bookworm

hp_log() { printf '[%s %(%H:%M:%S)T] %s\n' "${HP_TEST:-container}" -1 "$*" >&2; }
hp_die() { hp_log "FAIL: $*"; exit 1; }
hp_ms() { date +%s%3N; }

# Installs what the container tests call (the container group of scripts/deps.txt: engines, debootstrap, curl, ...).
hp_setup() {
  "$HP_REPO/scripts/setup.sh" container || hp_die "scripts/setup.sh container failed"
}

# Tracepoints need tracefs; containers get it by a bind mount of the host's /sys/kernel/tracing.
hp_ensure_tracefs() {
  [[ -e /sys/kernel/tracing/events ]] && return 0
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
  [[ -e /sys/kernel/tracing/events ]] || hp_die "tracefs is not mounted at /sys/kernel/tracing"
}

# Starts dockerd unless an engine already answers. HP_STARTED_DOCKERD holds the pid of one we started.
HP_STARTED_DOCKERD=""
hp_ensure_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  hp_log "starting dockerd (log: $HP_LOGS/dockerd.log)"
  dockerd >"$HP_LOGS/dockerd.log" 2>&1 &
  HP_STARTED_DOCKERD=$!
  local i
  for ((i = 0; i < 60; i++)); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$HP_STARTED_DOCKERD" 2>/dev/null || { tail -20 "$HP_LOGS/dockerd.log" >&2; hp_die "dockerd exited"; }
    sleep 0.5
  done
  hp_die "dockerd did not answer within 30 s"
}

hp_stop_dockerd() {
  [[ -n $HP_STARTED_DOCKERD && ${HP_KEEP_DOCKERD:-0} != 1 ]] || return 0
  hp_log "stopping the dockerd we started (pid $HP_STARTED_DOCKERD)"
  kill "$HP_STARTED_DOCKERD" 2>/dev/null || true
  local i
  for ((i = 0; i < 40; i++)); do kill -0 "$HP_STARTED_DOCKERD" 2>/dev/null || break; sleep 0.25; done
  HP_STARTED_DOCKERD=""
}

# podman from Debian 12 needs runc (crun is not installed) and ulimits it may set (its defaults are above what this
# host allows); a project-local containers.conf (CONTAINERS_CONF) says so without touching /etc.
hp_ensure_podman() {
  export CONTAINERS_CONF=$HP_OUT/containers.conf
  local nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [[ $nofile == unlimited || $nofile -gt 65536 ]] && nofile=65536
  # Seen here: runc was refused nproc 65536 although the hard limit was higher; 32768 passed.
  [[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
  cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF
  podman info >/dev/null 2>&1 || { podman info 2>&1 | tail -5 >&2; hp_die "podman does not work"; }
}

# Fills container/maven-repo/ (the image build's Maven repository seed, see its README) with every artifact the
# image's Maven stage needs. The artifacts live in the machine cache ($HP_CACHE/maven-repo), resolved there once per
# pom.xml by the host's Maven (which reaches Maven Central here; containers would need the host's TLS trust for that),
# against a copy of pom.xml with no sources, so it neither touches target/ nor depends on the code compiling. The
# clone gets hard links to them (a copy across file systems): the build context can only take files inside the clone.
# $1: the source tree.
hp_maven_seed() {
  local tree=${1:-$HP_REPO}
  local repo=$HP_CACHE/maven-repo dest=$tree/container/maven-repo stamp t0 lock
  stamp=$(sha256sum "$tree/pom.xml" | cut -c1-16)
  mkdir -p "$repo" "$dest"
  # Another run on this machine may be filling the same repository: one at a time.
  exec {lock}>"$HP_CACHE/maven-repo.lock"
  flock "$lock"
  if [[ ! -f $repo/.seeded-$stamp ]]; then
    hp_log "resolving the image build's Maven artifacts into $repo (host Maven)"
    t0=$(hp_ms)
    local work
    work=$(mktemp -d "$HP_CACHE/maven-seed-build.XXXXXX")
    mkdir -p "$work/src/main/java"
    cp "$tree/pom.xml" "$work/"
    if ! (cd "$work" && mvn -B -ntp -q -Dmaven.repo.local="$repo" -Dexec.skip=true -Dmaven.test.skip=true \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:go-offline \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$work/deps" package) >"$HP_LOGS/maven-seed.log" 2>&1; then
      rm -rf "$work"
      tail -30 "$HP_LOGS/maven-seed.log" >&2
      hp_die "Maven could not resolve the build's dependencies"
    fi
    rm -rf "$work"
    touch "$repo/.seeded-$stamp"
    hp_log "Maven artifacts ready: $(du -sh "$repo" | cut -f1) in $(( ($(hp_ms) - t0) / 1000 )) s"
  fi
  # Stamps of other pom.xml versions stay out of the build context (they would only change the COPY layer's key).
  find "$dest" -mindepth 1 -maxdepth 1 ! -name README ! -name .gitignore -exec rm -rf {} +
  if ! cp -al "$repo/." "$dest/" 2>/dev/null; then
    find "$dest" -mindepth 1 -maxdepth 1 ! -name README ! -name .gitignore -exec rm -rf {} +
    cp -a "$repo/." "$dest/"
  fi
  find "$dest" -maxdepth 1 -name '.seeded-*' ! -name ".seeded-$stamp" -delete
  flock -u "$lock"
  exec {lock}>&-
}

# Prints "NAME SIZE_MB" for an image.
hp_image_size() {
  local engine=$1 image=$2
  "$engine" image inspect --format '{{.Size}}' "$image" | awk -v n="$image" '{ printf "%s %.0f MB\n", n, $1 / 1e6 }'
}

# Waits until a container's log has a line containing "ready"; prints ms waited. Fails early when it exits.
hp_wait_ready() {
  local engine=$1 container=$2 timeout_s=${3:-60} t0 i
  t0=$(hp_ms)
  for ((i = 0; i < timeout_s * 10; i++)); do
    if "$engine" logs "$container" 2>&1 | grep -q 'ready'; then
      echo $(( $(hp_ms) - t0 ))
      return 0
    fi
    if [[ $("$engine" inspect --format '{{.State.Running}}' "$container" 2>/dev/null) != true ]]; then
      "$engine" logs "$container" 2>&1 | tail -30 >&2
      hp_log "container $container is not running"
      return 1
    fi
    sleep 0.1
  done
  "$engine" logs "$container" 2>&1 | tail -30 >&2
  hp_log "no 'ready' line from $container within $timeout_s s"
  return 1
}

# A free TCP port on loopback.
hp_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits for an HTTP endpoint to answer 200.
hp_wait_http() {
  local url=$1 timeout_s=${2:-30} i
  for ((i = 0; i < timeout_s * 10; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  hp_die "$url did not answer within $timeout_s s"
}

# Sends the demo app one request per endpoint (all on keep-alive connections where curl can). $1: base URL.
hp_drive_app() {
  local base=$1 nonce=$2
  curl -fsS -o /dev/null "$base/" -o /dev/null "$base/users" -o /dev/null "$base/user/2" || return 1
  curl -sS -o /dev/null "$base/user/9" || return 1
  curl -fsS -o /dev/null "$base/message?text=e2e-$nonce" -o /dev/null "$base/health" \
    -o /dev/null "$base/slow?ms=300" -o /dev/null "$base/chunked" -o /dev/null "$base/gzip" || return 1
  curl -fsS -o /dev/null -H 'Content-Type: text/plain' --data-binary "echo-$nonce" "$base/echo" || return 1
  curl -fsS -o /dev/null "$base/proxy?path=/user/1" || return 1
}

# A web server in the host's own network namespace, and traffic to it, that must stay out of the trace.
HP_DECOY_PID=""
hp_start_decoy() {
  local port=$1 dir=$HP_OUT/decoy-www
  mkdir -p "$dir"
  echo decoy >"$dir/index.html"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$dir" >"$HP_LOGS/decoy.log" 2>&1 &
  HP_DECOY_PID=$!
  hp_wait_http "http://127.0.0.1:$port/" 15
}
hp_stop_decoy() {
  [[ -n $HP_DECOY_PID ]] || return 0
  kill "$HP_DECOY_PID" 2>/dev/null || true
  wait "$HP_DECOY_PID" 2>/dev/null || true
  HP_DECOY_PID=""
}

# Waits until a file contains a string; prints ms waited, fails after $3 seconds.
hp_wait_file_has() {
  local file=$1 needle=$2 timeout_s=${3:-10} t0 i
  t0=$(hp_ms)
  for ((i = 0; i < timeout_s * 20; i++)); do
    if [[ -f $file ]] && grep -qF -- "$needle" "$file"; then echo $(( $(hp_ms) - t0 )); return 0; fi
    sleep 0.05
  done
  return 1
}

# Result bookkeeping for the e2e scripts: hp_result PASS|FAIL text.
HP_PASSED=0
HP_FAILED=0
hp_result() {
  if [[ $1 == PASS ]]; then HP_PASSED=$((HP_PASSED + 1)); else HP_FAILED=$((HP_FAILED + 1)); fi
  printf '%s %s\n' "$1" "$2"
}

# The profiler must sit in the app's network and PID namespaces. $1 engine, $2 app container, $3 profiler container.
hp_e2e_namespace_checks() {
  local engine=$1 app=$2 prof=$3 a p kind
  for kind in net pid; do
    a=$(readlink "/proc/$("$engine" inspect -f '{{.State.Pid}}' "$app")/ns/$kind")
    p=$(readlink "/proc/$("$engine" inspect -f '{{.State.Pid}}' "$prof")/ns/$kind")
    if [[ $a == "$p" ]]; then
      hp_result PASS "profiler shares the app's $kind namespace ($a)"
    else
      hp_result FAIL "$kind namespaces differ: app $a, profiler $p"
    fi
  done
}

# The shared middle of the e2e scenarios: traffic to a host decoy server and to the app, then the trace checks.
# $1 engine, $2 profiler container, $3 app port on 127.0.0.1, $4 traces directory. Appends to TIMINGS.
hp_e2e_traffic_and_checks() {
  local engine=$1 prof=$2 port=$3 traces=$4 nonce decoy decoy_port ms out i
  nonce=$(date +%s)-$$
  decoy="host-decoy-$nonce"
  hp_wait_http "http://127.0.0.1:$port/health" 30
  decoy_port=$(hp_free_port)
  hp_start_decoy "$decoy_port"
  for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$decoy_port/$decoy"; done
  if hp_drive_app "http://127.0.0.1:$port" "$nonce"; then
    hp_result PASS "demo app answered every request"
  else
    hp_result FAIL "demo app requests"
  fi
  if ms=$(hp_wait_file_has "$traces/http-trace.txt" "/proxy?path=/user/1" 10); then
    TIMINGS+=("last request -> in trace file: $ms ms")
    hp_result PASS "trace file shows the requests (the last one after $ms ms)"
  else
    hp_result FAIL "the requests did not reach $traces/http-trace.txt within 10 s"
  fi
  for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$decoy_port/$decoy"; done
  sleep 1
  hp_stop_decoy
  echo "== trace checks"
  # The demo app is PID 1 of its container; sharing its PID namespace, the profiler should report 1.
  # HP_E2E_PID_CHECK=warn reports other PIDs without failing.
  out=$(python3 "$HP_REPO/test/container/check-trace.py" --dir "$traces" --nonce "$nonce" --decoy "$decoy" \
        --app-pid 1 --pid-check "${HP_E2E_PID_CHECK:-strict}") || true
  echo "$out" | grep -E '^(PASS|FAIL|WARN) ' || true
  HP_PASSED=$((HP_PASSED + $(echo "$out" | grep -c '^PASS ' || true)))
  HP_FAILED=$((HP_FAILED + $(echo "$out" | grep -c '^FAIL ' || true)))
}

# SIGTERM: the profiler drains, flushes, prints its counts and exits 0. $1 engine, $2 container, $3 log copy.
hp_e2e_stop_and_checks() {
  local engine=$1 prof=$2 logcopy=$3 t code
  t=$(hp_ms)
  "$engine" stop -t 15 "$prof" >/dev/null
  TIMINGS+=("profiler stop: $(( $(hp_ms) - t )) ms")
  code=$("$engine" inspect -f '{{.State.ExitCode}}' "$prof")
  if [[ $code == 0 ]]; then hp_result PASS "profiler exits 0 on SIGTERM"; else hp_result FAIL "profiler exit code $code on SIGTERM"; fi
  "$engine" logs "$prof" >"$logcopy" 2>&1 || true
  if tail -5 "$logcopy" | grep -qi 'exchanges'; then
    hp_result PASS "profiler printed its counts: $(grep -i exchanges "$logcopy" | tail -1)"
  else
    hp_result FAIL "profiler printed no counts on exit (log: $logcopy)"
  fi
}

hp_e2e_show_first_exchange() {
  echo "== first exchange in $1/http-trace.txt"
  awk 'NR > 1 && /^$/ { exit } { print "  " $0 }' "$1/http-trace.txt" 2>/dev/null | head -20 || true
}
