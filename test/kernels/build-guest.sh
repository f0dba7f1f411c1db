#!/usr/bin/env bash
# Builds (or reuses) the qemu guest images of test/kernels/: a Debian bookworm userland made by
# debootstrap plus one kernel from kernels.conf, as an ext4 disk image + the kernel's vmlinuz + initrd.
#
#   test/kernels/build-guest.sh [KERNEL...]     default: the first kernel of kernels.conf
#   test/kernels/build-guest.sh --all           every kernel of kernels.conf
#   test/kernels/build-guest.sh --print-dir K   print K's cache directory (built or not) and exit
#   test/kernels/build-guest.sh --no-verify ... skip the verification boot (smoke.sh) of a new image
#
# Cache ($HTTP_PROFILER_CACHE/kernels, default /var/cache/http-profiler/kernels; KERNELS_CACHE overrides):
#                      base-<hash>.tar.gz                  the debootstrapped userland, shared by kernels
#                      <KERNEL>-<hash>/                    rootfs.img vmlinuz initrd.img manifest
# The hashes cover this script, lib.sh, guest/guest-init, the package list and the kernel's kernels.conf
# line: change any of them and the next run rebuilds; otherwise the cached image is reused as it is.
# Needs root (debootstrap, chroot) and the kernels group of scripts/deps.txt (debootstrap, e2fsprogs, cpio,
# qemu-system-x86, ...: installed by scripts/setup.sh kernels when missing).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_tools() { "$REPO_ROOT/scripts/setup.sh" kernels || die "scripts/setup.sh kernels failed"; }

# Mounts made inside a chroot; undone by the EXIT trap even when a step fails.
CHROOT_MOUNTS=()
umount_chroot() {
  local i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${CHROOT_MOUNTS[$i]}" 2>/dev/null || true; done
  CHROOT_MOUNTS=()
}
mount_chroot() {
  local root=$1 d
  for d in proc sys dev dev/pts; do
    mkdir -p "$root/$d"
    case $d in
      proc) mount -t proc proc "$root/proc" ;;
      sys) mount -t sysfs sysfs "$root/sys" ;;
      dev) mount --bind /dev "$root/dev" ;;
      dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
    esac
    CHROOT_MOUNTS+=("$root/$d")
  done
}
# Unmounts whatever is still mounted below $1 (debootstrap has been seen leaving /proc mounted in its
# target when a process of the chroot kept it busy); fails if something stays mounted.
umount_below() {
  local root m
  root="$(realpath "$1")"
  for m in $(awk -v r="$root/" 'index($5, r) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  ! awk -v r="$root/" 'index($5, r) == 1 {found = 1} END {exit !found}' /proc/self/mountinfo ||
    die "something is still mounted below $root"
}
# rm -rf that never crosses into a mount (a bind-mounted /dev or /proc left in a chroot).
safe_rm() {
  local d
  for d in "$@"; do
    [ -e "$d" ] || continue
    umount_below "$d"
    rm -rf --one-file-system "$d"
  done
}
TMP_DIRS=()
cleanup() {
  umount_chroot
  local d
  for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do safe_rm "$d"; done
}
trap cleanup EXIT

# The bookworm userland, shared by every kernel: kept as a tarball (no live tree with device nodes or
# stray mounts in the cache) that build_kernel unpacks.
build_base() {
  local base
  base="$CACHE_DIR/base-$(base_key).tar.gz"
  BASE_TAR=$base
  if [ -f "$base" ]; then
    log "reusing base rootfs $base"
    return
  fi
  local tmp="$CACHE_DIR/base.tmp.$$"
  TMP_DIRS+=("$tmp")
  safe_rm "$tmp"
  mkdir -p "$tmp"
  local include
  include="$(IFS=,; echo "${GUEST_PACKAGES[*]}")"
  log "debootstrap $GUEST_SUITE (minbase + $include)"
  local t0=$SECONDS rc=0
  debootstrap --variant=minbase --include="$include" "$GUEST_SUITE" "$tmp/rootfs" "$DEBIAN_MIRROR" \
    >"$tmp/debootstrap.log" 2>&1 || rc=$?
  umount_below "$tmp/rootfs"
  if [ "$rc" != 0 ]; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    [ -f "$tmp/rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$tmp/rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  log "debootstrap took $((SECONDS - t0)) s"
  local r="$tmp/rootfs"
  # Debian's initrd (kept as a fallback): only what mounting the root disk and the 9p shares needs.
  sed -i 's/^MODULES=.*/MODULES=list/' "$r/etc/initramfs-tools/initramfs.conf"
  cat >"$r/etc/initramfs-tools/modules" <<'MODS'
virtio_pci
virtio_blk
virtio_console
ext4
crc32c_generic
9pnet_virtio
9p
MODS
  install -m 0755 "$KERNELS_DIR/guest/guest-init" "$r/sbin/guest-init"
  echo kernel-guest >"$r/etc/hostname"
  printf '127.0.0.1 localhost kernel-guest\n::1 localhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  printf '/dev/vda / ext4 rw 0 1\n' >"$r/etc/fstab"
  # No kernel postinst hook should try to install a boot loader.
  printf 'do_symlinks = yes\nlink_in_boot = yes\ndo_bootloader = no\n' >"$r/etc/kernel-img.conf"
  rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages
  tar --one-file-system --numeric-owner -C "$r" -cf - . | gzip -1 >"$tmp/base.tar.gz"
  mv "$tmp/base.tar.gz" "$base"
  safe_rm "$tmp"
  local old
  for old in "$CACHE_DIR"/base-*; do
    [ "$old" != "$base" ] && safe_rm "$old"
  done
  log "base rootfs: $base ($(du -m "$base" | cut -f1) MiB)"
}

# vmlinux: the uncompressed ELF kernel inside vmlinuz. qemu boots it directly through its PVH entry
# point (Debian's kernels have CONFIG_PVH), which skips the bzImage's self-decompression: under TCG that
# saves 5-10 s per boot. run-in-guest.sh falls back to vmlinuz when there is no vmlinux.
extract_vmlinux() {
  local in=$1 out=$2 spec name magic off
  for spec in 'xz|\xfd7zXZ\x00' 'zstd|\x28\xb5\x2f\xfd' 'gzip|\x1f\x8b\x08' 'lz4|\x02\x21\x4c\x18'; do
    name=${spec%%|*} magic=${spec#*|}
    command -v "$name" >/dev/null || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1 | head -n 5); do
      tail -c +$((off + 1)) "$in" | "$name" -dqc >"$out" 2>/dev/null
      if [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        if command -v readelf >/dev/null && ! readelf -n "$out" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
          log "vmlinux has no PVH entry note: booting the bzImage instead"
          break 2
        fi
        return 0
      fi
    done
  done
  rm -f "$out"
  return 1
}

# The guest's own initramfs: busybox-static + the modules that mounting the root disk and the 9p
# shares needs (with their dependencies, in load order) + guest/initramfs-init. Uncompressed: under TCG
# unpacking is cheaper than decompressing. Debian's own initrd is kept as initrd-debian.img (fallback:
# GUEST_INITRD=debian run-in-guest.sh ...).
INITRAMFS_MODULES=(virtio_pci virtio_blk ext4 crc32c_generic 9pnet_virtio 9p)
make_initramfs() {
  local r=$1 release=$2 out=$3 ir line ko base
  ir="$(dirname "$out")/initramfs.d"
  rm -rf "$ir" && mkdir -p "$ir/bin" "$ir/lib/modules"
  cp "$r/bin/busybox" "$ir/bin/busybox"
  install -m 0755 "$KERNELS_DIR/guest/initramfs-init" "$ir/init"
  : >"$ir/modules"
  while read -r line; do
    case $line in
      insmod\ *)
        ko=$(awk '{print $2}' <<<"$line")
        base=$(basename "$ko")
        grep -qx "${base%%.ko*}.ko" "$ir/modules" && continue
        case $ko in
          *.ko) cp "$r$ko" "$ir/lib/modules/$base" ;;
          *.ko.xz) xz -dc "$r$ko" >"$ir/lib/modules/${base%.xz}" ;;
          *.ko.zst) zstd -qdc "$r$ko" >"$ir/lib/modules/${base%.zst}" ;;
          *.ko.gz) gzip -dc "$r$ko" >"$ir/lib/modules/${base%.gz}" ;;
          *) die "unknown module format: $ko" ;;
        esac
        echo "${base%%.ko*}.ko" >>"$ir/modules"
        ;;
    esac
  done < <(chroot "$r" modprobe -a -S "$release" --show-depends "${INITRAMFS_MODULES[@]}")
  (cd "$ir" && find . -print0 | cpio --null -o -H newc --quiet) >"$out"
  log "initramfs: $(wc -l <"$ir/modules") modules ($(tr '\n' ' ' <"$ir/modules")), $(du -k "$out" | cut -f1) KiB"
  rm -rf "$ir"
}

# Boots the new image once and runs smoke.sh in it (the three TCP kprobes must attach and fire); only a
# passing image goes into the cache. If the PVH vmlinux does not boot, falls back to vmlinuz.
verify_image() {
  local name=$1 dir=$2 rc=0
  log "$name: verification boot (test/kernels/smoke.sh in the guest)"
  GUEST_IMAGE_DIR=$dir "$KERNELS_DIR/run-in-guest.sh" -k "$name" --no-m2 -t 600 test/kernels/smoke.sh \
    >"$dir/verify.log" 2>&1 || rc=$?
  if [ "$rc" = 125 ] && [ -f "$dir/vmlinux" ]; then
    log "$name: the extracted vmlinux did not boot; keeping vmlinuz only"
    rm -f "$dir/vmlinux"
    rc=0
    GUEST_IMAGE_DIR=$dir "$KERNELS_DIR/run-in-guest.sh" -k "$name" --no-m2 -t 600 test/kernels/smoke.sh \
      >"$dir/verify.log" 2>&1 || rc=$?
  fi
  if [ "$rc" != 0 ]; then
    cat "$dir/verify.log" >&2
    die "$name: the verification boot failed (exit $rc)"
  fi
  log "$name: $(grep -E '^smoke: (PASS|FAIL)' "$dir/verify.log" | tail -n1)"
  echo "verified=$(date -u +%Y-%m-%dT%H:%M:%SZ) smoke.sh passed" >>"$dir/manifest"
}

build_kernel() {
  local name=$1 suite pkg dir
  suite="$(kernel_field "$name" 2)"
  pkg="$(kernel_field "$name" 3)"
  dir="$(kernel_dir "$name")"
  if [ -f "$dir/manifest" ] && [ -f "$dir/rootfs.img" ] && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ]; then
    log "reusing $name: $dir ($(sed -n 's/^kernel_release=//p' "$dir/manifest"))"
    return
  fi
  local t0=$SECONDS
  build_base
  local tmp="$dir.tmp.$$"
  TMP_DIRS+=("$tmp")
  safe_rm "$tmp"
  mkdir -p "$tmp"
  local r="$tmp/rootfs"
  log "$name: unpacking base rootfs"
  mkdir -p "$r"
  tar --numeric-owner -C "$r" -xzf "$BASE_TAR"
  cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
  local target=()
  if [ "$suite" != "$GUEST_SUITE" ]; then
    echo "deb $DEBIAN_MIRROR $suite main" >"$r/etc/apt/sources.list.d/kernel.list"
    target=(-t "$suite")
  fi
  log "$name: installing $pkg from $suite (the postinst builds the initrd)"
  mount_chroot "$r"
  if ! chroot "$r" /bin/sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${target[*]} $pkg" \
    >"$tmp/kernel-install.log" 2>&1; then
    tail -n 40 "$tmp/kernel-install.log" >&2
    die "$name: installing $pkg failed"
  fi
  umount_chroot
  umount_below "$r"
  rm -f "$r/etc/apt/sources.list.d/kernel.list" "$r/etc/resolv.conf"
  rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages

  local release
  release="$(ls "$r/lib/modules" | sort -V | tail -n1)"
  [ -n "$release" ] && [ -f "$r/boot/vmlinuz-$release" ] && [ -f "$r/boot/initrd.img-$release" ] ||
    die "$name: no vmlinuz/initrd for '$release' in the guest's /boot"
  cp "$r/boot/vmlinuz-$release" "$tmp/vmlinuz"
  extract_vmlinux "$tmp/vmlinuz" "$tmp/vmlinux" || log "$name: could not extract vmlinux; booting vmlinuz (slower)"
  cp "$r/boot/initrd.img-$release" "$tmp/initrd-debian.img"
  make_initramfs "$r" "$release" "$tmp/initrd.img"
  # Debian's initrd (the fallback) must be able to mount the root disk and the 9p shares too.
  local m initrd_list
  initrd_list="$(chroot "$r" lsinitramfs "/boot/initrd.img-$release")"
  for m in virtio_blk.ko ext4.ko 9pnet_virtio.ko 9p.ko; do
    grep -q "/$m" <<<"$initrd_list" || grep -q "/$m\$" "$r/lib/modules/$release/modules.builtin" ||
      die "$name: $m missing from the Debian initrd (see lsinitramfs)"
  done
  local cfg="$r/boot/config-$release" opt
  for opt in CONFIG_KPROBES CONFIG_BPF_SYSCALL CONFIG_DEBUG_INFO_BTF CONFIG_KPROBE_EVENTS; do
    grep -q "^$opt=y" "$cfg" || log "$name: warning: $opt is not =y in $release's config"
  done

  # ext4 image: contents + 25% + 256 MiB of free space; runs use it with qemu's snapshot=on, so it stays pristine.
  local used_kb size_mb
  used_kb="$(du -sk --apparent-size "$r" | cut -f1)"
  size_mb=$((used_kb * 5 / 4 / 1024 + 256))
  log "$name: making ${size_mb} MiB ext4 image"
  mkfs.ext4 -q -F -L guestroot -d "$r" "$tmp/rootfs.img" "${size_mb}M" >/dev/null
  {
    echo "name=$name"
    echo "key=$(kernel_key "$name")"
    echo "suite=$suite"
    echo "package=$pkg"
    echo "kernel_release=$release"
    echo "kernel_package_version=$(chroot "$r" dpkg-query -W -f='${Version}' "linux-image-$release" 2>/dev/null || echo unknown)"
    echo "java=$(chroot "$r" dpkg-query -W -f='${Version}' openjdk-17-jre-headless 2>/dev/null || echo unknown)"
    echo "libbpf=$(chroot "$r" dpkg-query -W -f='${Version}' libbpf1 2>/dev/null || echo unknown)"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$tmp/manifest"
  safe_rm "$r"
  [ "$VERIFY" = 1 ] && verify_image "$name" "$tmp"
  # Older builds of the same kernel are stale now.
  local old
  for old in "$CACHE_DIR/$name"-*; do
    [ -d "$old" ] && [ "$old" != "$dir" ] && case $old in *.tmp.*) ;; *) safe_rm "$old" ;; esac
  done
  mv "$tmp" "$dir"
  log "$name: built $dir ($release) in $((SECONDS - t0)) s"
}

VERIFY=${GUEST_VERIFY:-1}
main() {
  local kernels=()
  if [ "${1:-}" = --no-verify ]; then VERIFY=0; shift; fi
  case "${1:-}" in
    --print-dir) kernel_dir "${2:-$(default_kernel)}"; exit 0 ;;
    --all) mapfile -t kernels < <(kernels_list) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0"; exit 0 ;;
    "") kernels=("$(default_kernel)") ;;
    *) kernels=("$@") ;;
  esac
  local k
  for k in "${kernels[@]}"; do kernel_field "$k" 3 >/dev/null; done
  mkdir -p "$CACHE_DIR"
  # Quick path without root when everything is cached.
  local all_cached=1
  for k in "${kernels[@]}"; do [ -f "$(kernel_dir "$k")/manifest" ] || all_cached=0; done
  if [ "$all_cached" = 0 ]; then
    [ "$(id -u)" = 0 ] || die "building a guest needs root (debootstrap, chroot)"
    need_tools
    # One build at a time per cache; a second caller waits, then finds the image cached.
    exec 9>"$CACHE_DIR/.build.lock"
    flock 9
  fi
  for k in "${kernels[@]}"; do build_kernel "$k"; done
}
main "$@"
