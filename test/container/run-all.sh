#!/usr/bin/env bash
# Runs every container scenario (docker compose, then podman; after each, two containers on one address with that
# engine), each to its end even when another fails, and closes with one 'container: N passed, N failed' line over the
# scenarios. Root only (engines, debootstrap, BPF).
set -uo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
passed=0 failed=0
# podman runs the images compose-e2e.sh built (docker save | podman load) rather than building them again.
# (Only when compose-e2e.sh built them in this run: see podman-e2e.sh.)
export HP_PODMAN_IMAGES=${HP_PODMAN_IMAGES:-docker}
# shellcheck source=lib.sh
source "$here/lib.sh"
rm -f "$HP_OUT/compose-built-images" "$HP_OUT/podman-built-images"
# same-address-e2e.sh runs the images the scenario before it made (two containers on one address, one profiler).
for scenario in compose-e2e.sh "same-address-e2e.sh docker" podman-e2e.sh "same-address-e2e.sh podman"; do
  echo "=== $scenario"
  read -r -a command <<<"$scenario"
  if "$here/${command[0]}" "${command[@]:1}"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "container: $passed passed, $failed failed"
((failed == 0))
