#!/usr/bin/env bash
# The docker compose scenario of QUICKSTART.md, for real, on a host with no image registry (run as root):
#   starts dockerd if none answers, builds local Debian base images, seeds the image build's Maven repository,
#   builds both images with container/docker-compose.yml, brings it up, waits for the profiler's `ready` line,
#   drives every endpoint of the demo app through its published port while a web server in the host's own network
#   namespace gets traffic too, then checks the trace files on the volume (server side in the app's namespace, the
#   app's own PIDs, nothing of the host's traffic), stops the profiler (exit 0, counts printed) and brings it down.
#
#   test/container/compose-e2e.sh
#
# Prints PASS/FAIL lines, timings and image sizes, and 'compose-e2e: N passed, N failed'; exits 1 on any failure.
# Environment: HP_KEEP_DOCKERD=1 leaves a dockerd this script started running; HP_E2E_KEEP=1 leaves the containers
# up; HP_E2E_PID_CHECK=warn does not fail on PIDs other than the app's own; HP_E2E_SRC=DIR uses DIR's container/ and
# test/app/ instead of this repository's (for plumbing tests).
set -euo pipefail
HP_TEST=compose-e2e
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=${HP_E2E_SRC:-$HP_REPO}
COMPOSE_FILE=$SRC/container/docker-compose.yml
PROJECT=hp-e2e
TRACES=$HP_OUT/compose-traces
declare -a TIMINGS=()
UP=0

finish() {
  local rc=$?
  set +e
  if ((UP)) && [[ ${HP_E2E_KEEP:-0} != 1 ]]; then
    "${COMPOSE[@]}" down --remove-orphans >>"$HP_LOGS/compose-e2e.log" 2>&1
  fi
  hp_stop_decoy
  [[ ${HP_E2E_KEEP:-0} == 1 ]] || hp_stop_dockerd
  echo
  echo "== timings"
  printf '  %s\n' "${TIMINGS[@]}"
  if ((rc != 0 && HP_FAILED == 0)); then hp_result FAIL "aborted (exit status $rc)"; fi
  echo "compose-e2e: $HP_PASSED passed, $HP_FAILED failed"
  ((HP_FAILED == 0)) || exit 1
}
trap finish EXIT

hp_setup
hp_ensure_tracefs
hp_ensure_dockerd

if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
hp_log "engine: Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null); compose: $("${COMPOSE[@]}" version --short 2>/dev/null)"
COMPOSE+=(-p "$PROJECT" -f "$COMPOSE_FILE")

t=$(hp_ms)
"$HP_REPO/test/container/make-base-images.sh" --engine docker build runtime python
TIMINGS+=("base images: $(( ($(hp_ms) - t) / 1000 )) s")
t=$(hp_ms)
hp_maven_seed "$SRC"
TIMINGS+=("maven seed: $(( ($(hp_ms) - t) / 1000 )) s")

export HTTP_PROFILER_BPF_BUILD_IMAGE=$HP_BUILD_IMAGE HTTP_PROFILER_BUILD_IMAGE=$HP_BUILD_IMAGE
export HTTP_PROFILER_RUNTIME_IMAGE=$HP_RUNTIME_IMAGE APP_BASE_IMAGE=$HP_APP_BASE_IMAGE
APP_PORT=$(hp_free_port)
export APP_PORT TRACES_DIR=$TRACES
rm -rf "$TRACES"
mkdir -p "$TRACES"

"${COMPOSE[@]}" down --remove-orphans >"$HP_LOGS/compose-e2e.log" 2>&1 || true

hp_log "building images (log: $HP_LOGS/compose-build.log)"
rm -f "$HP_OUT/compose-built-images"
t=$(hp_ms)
if "${COMPOSE[@]}" build >"$HP_LOGS/compose-build.log" 2>&1; then
  hp_result PASS "images build (docker compose build)"
  # For podman-e2e.sh (HP_PODMAN_IMAGES=docker): these images are this tree's, not an earlier run's.
  docker image inspect -f '{{.Id}}' http-profiler:latest http-profiler-demo-app:latest >"$HP_OUT/compose-built-images"
else
  tail -40 "$HP_LOGS/compose-build.log"
  hp_result FAIL "images build (docker compose build), see $HP_LOGS/compose-build.log"
  exit 1
fi
TIMINGS+=("image build: $(( ($(hp_ms) - t) / 1000 )) s")
TIMINGS+=("image size: $(hp_image_size docker http-profiler:latest)")
TIMINGS+=("image size: $(hp_image_size docker http-profiler-demo-app:latest)")

hp_log "up (app on 127.0.0.1:$APP_PORT, traces in $TRACES)"
t=$(hp_ms)
UP=1
"${COMPOSE[@]}" up -d >>"$HP_LOGS/compose-e2e.log" 2>&1 || { tail -20 "$HP_LOGS/compose-e2e.log"; hp_result FAIL "compose up"; exit 1; }
APP=$("${COMPOSE[@]}" ps -q app)
PROF=$("${COMPOSE[@]}" ps -q profiler)
if hp_wait_ready docker "$PROF" 90 >/dev/null; then
  TIMINGS+=("up -> ready: $(( $(hp_ms) - t )) ms")
  hp_result PASS "profiler logged its ready line: $(docker logs "$PROF" 2>&1 | grep -m1 ready)"
else
  hp_result FAIL "profiler never became ready"
  exit 1
fi

hp_e2e_namespace_checks docker "$APP" "$PROF"
hp_e2e_traffic_and_checks docker "$PROF" "$APP_PORT" "$TRACES"
hp_e2e_stop_and_checks docker "$PROF" "$HP_LOGS/compose-profiler.log"
hp_e2e_show_first_exchange "$TRACES"
