# Shared by build-guest.sh and run-in-guest.sh. Sourced, not run.
# shellcheck shell=bash

KERNELS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KERNELS_DIR/../.." && pwd)"
# Images live outside the clone, so that CI (a fresh clone on the same machine) reuses them; a new machine builds them.
CACHE_DIR="${KERNELS_CACHE:-${HTTP_PROFILER_CACHE:-/var/cache/http-profiler}/kernels}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
GUEST_SUITE=bookworm

# Userland of every guest (the kernel package comes on top, per kernel).
# kmod + initramfs-tools + linux-base: so the kernel package's postinst runs in the chroot;
# busybox-static: for the guest's own tiny initramfs (build-guest.sh make_initramfs).
# nginx-light + wrk: bench/kernel-modes.sh (make bench-kernels) measures the attach modes in the guest.
GUEST_PACKAGES=(
  openjdk-17-jre-headless libbpf1 bpftool
  curl python3 iproute2 procps openssl
  nginx-light wrk
  kmod initramfs-tools linux-base busybox-static
)

log() { printf '[kernels] %s\n' "$*" >&2; }
die() { printf '[kernels] error: %s\n' "$*" >&2; exit 1; }

# kernels_list: the NAMEs in kernels.conf, in order.
kernels_list() { awk '!/^[[:space:]]*(#|$)/ {print $1}' "$KERNELS_DIR/kernels.conf"; }

# kernel_field NAME COLUMN(2=suite 3=package 4=expect)
kernel_field() {
  local v
  v="$(awk -v n="$1" -v c="$2" '!/^[[:space:]]*(#|$)/ && $1 == n {print $c; exit}' "$KERNELS_DIR/kernels.conf")"
  [ -n "$v" ] || die "unknown kernel '$1' (known: $(kernels_list | tr '\n' ' '))"
  printf '%s\n' "$v"
}

default_kernel() { kernels_list | head -n1; }

# Hash of everything that goes into the base rootfs (not per kernel).
base_key() {
  {
    printf '%s\n' "$GUEST_SUITE" "${GUEST_PACKAGES[@]}"
    cat "$KERNELS_DIR/build-guest.sh" "$KERNELS_DIR/lib.sh" "$KERNELS_DIR/guest/guest-init" "$KERNELS_DIR/guest/initramfs-init"
  } | sha256sum | cut -c1-12
}

# Hash of one kernel's image: the base plus its kernels.conf line.
kernel_key() {
  {
    base_key
    awk -v n="$1" '!/^[[:space:]]*(#|$)/ && $1 == n' "$KERNELS_DIR/kernels.conf"
  } | sha256sum | cut -c1-12
}

# Directory holding rootfs.img, vmlinuz, initrd.img, manifest for kernel NAME.
kernel_dir() { printf '%s/%s-%s\n' "$CACHE_DIR" "$1" "$(kernel_key "$1")"; }
