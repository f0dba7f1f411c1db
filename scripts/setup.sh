#!/usr/bin/env bash
# Installs what building and testing http-profiler needs on a Debian/Ubuntu machine, and nothing when it is all there.
# Idempotent; safe to run before every build. Needs root for apt and for mounting tracefs.
set -euo pipefail

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have_cmd clang || need+=(clang)
have_cmd llc || need+=(llvm)
have_cmd make || need+=(make)
have_cmd bpftool || need+=(bpftool)
have_pkg libbpf-dev || need+=(libbpf-dev)
/sbin/ldconfig -p 2>/dev/null | grep -q "libbpf.so.1 " || have_pkg libbpf1 || need+=(libbpf1)
have_cmd mvn || need+=(maven)
java_major() { java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p'; }
if ! have_cmd java || [ "$(java_major)" -lt 17 ] 2>/dev/null; then need+=(openjdk-17-jdk-headless); fi
# Real peers the end-to-end tests drive.
have_cmd curl || need+=(curl)
have_cmd python3 || need+=(python3)
have_cmd nginx || need+=(nginx-light)
have_cmd ip || need+=(iproute2)
# Validating the Kubernetes manifests against the API schema (test/kubernetes, npm's kubernetes-models).
have_cmd node || need+=(nodejs)
have_cmd npm || need+=(npm)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run as root (sudo make setup) or install them yourself" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Tracepoints need tracefs; many minimal systems don't mount it.
if [ "$(id -u)" -eq 0 ] && [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || echo "setup: could not mount tracefs at /sys/kernel/tracing" >&2
fi
