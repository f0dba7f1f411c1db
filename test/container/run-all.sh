#!/usr/bin/env bash
# Runs every container scenario (docker compose, then podman), each to its end even when the other fails, and
# closes with one 'container: N passed, N failed' line over the scenarios. Root only (engines, debootstrap, BPF).
set -uo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
passed=0 failed=0
# podman runs the images compose-e2e.sh built (docker save | podman load) rather than building them again.
# (Only when compose-e2e.sh built them in this run: see podman-e2e.sh.)
export HP_PODMAN_IMAGES=${HP_PODMAN_IMAGES:-docker}
# shellcheck source=lib.sh
source "$here/lib.sh"
rm -f "$HP_OUT/compose-built-images"
for scenario in compose-e2e podman-e2e; do
  echo "=== $scenario"
  if "$here/$scenario.sh"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "container: $passed passed, $failed failed"
((failed == 0))
