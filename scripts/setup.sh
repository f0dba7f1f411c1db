#!/usr/bin/env bash
# Installs what http-profiler's build, tests and scripts call on a Debian/Ubuntu machine, and nothing when it is all
# there. The list is scripts/deps.txt (command, package, groups); this script only reads it.
#
#   scripts/setup.sh [GROUP...]     default: build test (what `make run` and `make test` need)
#
# GROUP: build test container kernels bench (see scripts/deps.txt). Every script that runs a group's commands calls
# this first, so each works on a machine that has only what the project installs. Idempotent and quick when nothing is
# missing (no apt call then); installing needs root.
set -euo pipefail
DEPS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/deps.txt"
(($#)) || set -- build test
# Debian installs daemons and admin tools in sbin, which a non-login root shell's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

present() {
  case $1 in
    /*) [[ -e $1 ]] ;;
    *.so.*) /sbin/ldconfig -p 2>/dev/null | awk -v lib="$1" '$1 == lib { found = 1 } END { exit !found }' ;;
    *) type -P "$1" >/dev/null ;; # a program, not a shell builtin (kill)
  esac
}
java_major() { java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p'; }

wanted=" $* "
need=()
while read -r what package groups _; do
  [[ -z $what || $what == \#* ]] && continue
  for group in ${groups//,/ }; do
    [[ $group != base && $wanted == *" $group "* ]] || continue
    package=${package%%|*} # alternatives (a|b): any of them may provide it; the first is what gets installed
    present "$what" || [[ " ${need[*]-} " == *" $package "* ]] || need+=("$package")
    break
  done
done <"$DEPS"
# A java on the PATH is not enough: the build and the tests need 17 or later.
if [[ $wanted == *" build "* || $wanted == *" test "* ]] && present java && [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  [[ " ${need[*]-} " == *" openjdk-17-jdk-headless "* ]] || need+=(openjdk-17-jdk-headless)
fi

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing ${need[*]}; run as root (sudo scripts/setup.sh $*) or install them yourself" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Waits for another apt or dpkg run on this machine instead of failing at once.
  apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
  "${apt[@]}" update
  "${apt[@]}" install -y --no-install-recommends "${need[@]}" >/dev/null
  for package in "${need[@]}"; do
    while read -r what p _; do
      [[ ${p%%|*} == "$package" && $what != \#* ]] && ! present "$what" &&
        { echo "setup: $package is installed but $what is still missing" >&2; exit 1; }
    done <"$DEPS"
  done
fi

# Tracepoints need tracefs; many minimal systems don't mount it.
if [[ $(id -u) -eq 0 && ! -d /sys/kernel/tracing/events && ! -d /sys/kernel/debug/tracing/events ]]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || echo "setup: could not mount tracefs at /sys/kernel/tracing" >&2
fi

# The HAR validator and consumer HarIT runs, into test/har/node_modules (project-local; HarIT installs them itself when
# missing, and is skipped, saying so, only when the npm registry cannot be reached).
har_tools="$(cd "$(dirname "$0")/.." && pwd)/test/har"
if [[ $wanted == *" test "* ]] && { [ ! -d "$har_tools/node_modules/har-validator" ] || [ ! -d "$har_tools/node_modules/har-to-k6" ]; }; then
  (cd "$har_tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "setup: npm ci in test/har failed; HarIT will try again" >&2
fi
