#!/usr/bin/env bash
# The podman scenario of QUICKSTART.md, for real, on a host with no image registry (run as root): builds local
# Debian base images into podman's store, builds both images with podman, starts the demo app, starts the profiler
# beside it with the podman line QUICKSTART gives (CAP_BPF + CAP_PERFMON, seccomp=unconfined since podman 4's default
# profile allows bpf() only with CAP_SYS_ADMIN), then the same checks as compose-e2e.sh.
#
#   test/container/podman-e2e.sh
#
# Prints PASS/FAIL lines, timings and image sizes, and 'podman-e2e: N passed, N failed'; exits 1 on any failure.
# Environment: HP_E2E_KEEP=1 leaves the containers running; HP_E2E_PID_CHECK=warn (see compose-e2e.sh);
# HP_E2E_SRC=DIR builds from DIR (plumbing tests); HP_PODMAN_PRIVS overrides the privilege flags (default: the
# QUICKSTART line's); HP_PODMAN_IMAGES=docker takes both images from docker's store (docker save | podman load)
# instead of building them again with podman (run-all.sh does that after compose-e2e.sh: same Dockerfiles, ~2 min
# less on a cold machine).
set -euo pipefail
HP_TEST=podman-e2e
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=${HP_E2E_SRC:-$HP_REPO}
APP=hp-e2e-app
PROF=hp-e2e-profiler
TRACES=$HP_OUT/podman-traces
# CAP_SYS_ADMIN: the HTTPS checks need uprobes, which this project's 6.18 host refuses (EACCES) with CAP_BPF +
# CAP_PERFMON alone. HP_PODMAN_PRIVS="--cap-add CAP_BPF --cap-add CAP_PERFMON --security-opt seccomp=unconfined" runs the
# plain-HTTP least-privilege setting (its HTTPS checks then fail, as they should).
read -r -a PRIVS <<<"${HP_PODMAN_PRIVS:---cap-add CAP_SYS_ADMIN}"
declare -a TIMINGS=()

# The profiler depends on the app's namespaces: remove it first.
remove_containers() {
  podman rm -f -i -t 5 "$PROF" >/dev/null 2>&1 || true
  podman rm -f -i -t 5 "$APP" >/dev/null 2>&1 || true
}

finish() {
  local rc=$?
  set +e
  [[ ${HP_E2E_KEEP:-0} == 1 ]] || remove_containers
  hp_stop_decoy
  hp_stop_dockerd
  echo
  echo "== timings"
  printf '  %s\n' "${TIMINGS[@]}"
  if ((rc != 0 && HP_FAILED == 0)); then hp_result FAIL "aborted (exit status $rc)"; fi
  echo "podman-e2e: $HP_PASSED passed, $HP_FAILED failed"
  ((HP_FAILED == 0)) || exit 1
}
trap finish EXIT

hp_setup
hp_ensure_tracefs
hp_ensure_podman
hp_log "engine: podman $(podman version --format '{{.Client.Version}}' 2>/dev/null)"

rm -f "$HP_OUT/podman-built-images"
HP_PODMAN_IMAGES=${HP_PODMAN_IMAGES:-build}
if [[ $HP_PODMAN_IMAGES == docker ]]; then
  hp_ensure_dockerd
  # Only images compose-e2e.sh has just built from this tree: after a failed build, docker's are an earlier run's.
  if [[ ! -s $HP_OUT/compose-built-images ]] ||
     [[ $(docker image inspect -f '{{.Id}}' http-profiler:latest http-profiler-demo-app:latest 2>/dev/null) != \
        "$(cat "$HP_OUT/compose-built-images")" ]]; then
    hp_log "docker's images are not the ones compose-e2e.sh built from this tree: building with podman"
    HP_PODMAN_IMAGES=build
  fi
fi
if [[ $HP_PODMAN_IMAGES == docker ]]; then
  t=$(hp_ms)
  if docker save http-profiler:latest http-profiler-demo-app:latest | podman load -q >"$HP_LOGS/podman-build.log" 2>&1; then
    hp_result PASS "images loaded from docker's store"
  else
    tail -20 "$HP_LOGS/podman-build.log"
    hp_result FAIL "docker save | podman load"
    exit 1
  fi
  TIMINGS+=("image load from docker: $(( ($(hp_ms) - t) / 1000 )) s")
else
  t=$(hp_ms)
  "$HP_REPO/test/container/make-base-images.sh" --engine podman build runtime python
  TIMINGS+=("base images: $(( ($(hp_ms) - t) / 1000 )) s")
  t=$(hp_ms)
  hp_maven_seed "$SRC"
  TIMINGS+=("maven seed: $(( ($(hp_ms) - t) / 1000 )) s")

  hp_log "building images (log: $HP_LOGS/podman-build.log)"
  t=$(hp_ms)
  if podman build -f "$SRC/container/Dockerfile" -t http-profiler:latest \
       --build-arg BPF_BUILD_IMAGE="$HP_BUILD_IMAGE" --build-arg BUILD_IMAGE="$HP_BUILD_IMAGE" \
       --build-arg RUNTIME_IMAGE="$HP_RUNTIME_IMAGE" "$SRC" >"$HP_LOGS/podman-build.log" 2>&1 &&
     podman build -t http-profiler-demo-app:latest --build-arg APP_BASE_IMAGE="$HP_APP_BASE_IMAGE" "$SRC/test/app" \
       >>"$HP_LOGS/podman-build.log" 2>&1; then
    hp_result PASS "images build (podman build)"
  else
    tail -40 "$HP_LOGS/podman-build.log"
    hp_result FAIL "images build (podman build), see $HP_LOGS/podman-build.log"
    exit 1
  fi
  TIMINGS+=("image build: $(( ($(hp_ms) - t) / 1000 )) s")
fi
# For same-address-e2e.sh podman: these images are this tree's, not an earlier run's.
podman image inspect -f '{{.Id}}' http-profiler:latest http-profiler-demo-app:latest >"$HP_OUT/podman-built-images"
TIMINGS+=("image size: $(hp_image_size podman http-profiler:latest)")
TIMINGS+=("image size: $(hp_image_size podman http-profiler-demo-app:latest)")

remove_containers
rm -rf "$TRACES"
mkdir -p "$TRACES"
APP_PORT=$(hp_free_port)
hp_log "app on 127.0.0.1:$APP_PORT, traces in $TRACES"
podman run -d --name "$APP" -p "127.0.0.1:$APP_PORT:8080" http-profiler-demo-app:latest >/dev/null
hp_wait_http "http://127.0.0.1:$APP_PORT/health" 30

# The QUICKSTART line, with absolute paths.
t=$(hp_ms)
podman run -d --name "$PROF" "${PRIVS[@]}" --network "container:$APP" --pid "container:$APP" \
  -v /sys/kernel/tracing:/sys/kernel/tracing:ro -v "$TRACES:/traces" \
  http-profiler:latest --json traces/http-trace.jsonl >/dev/null
if hp_wait_ready podman "$PROF" 90 >/dev/null; then
  TIMINGS+=("run -> ready: $(( $(hp_ms) - t )) ms")
  hp_result PASS "profiler logged its ready line: $(podman logs "$PROF" 2>&1 | grep -m1 ready)"
else
  hp_result FAIL "profiler never became ready"
  exit 1
fi

hp_e2e_namespace_checks podman "$APP" "$PROF"
hp_e2e_traffic_and_checks podman "$PROF" "$APP_PORT" "$TRACES"
hp_e2e_stop_and_checks podman "$PROF" "$HP_LOGS/podman-profiler.log"
hp_e2e_show_first_exchange "$TRACES"
