#!/usr/bin/env bash
# Builds the local Debian base images that the container build and the compose/podman tests use when no image
# registry is reachable. Everything comes from Debian's package mirror: debootstrap makes a minbase root file system
# once (cached as a tarball), each image adds its packages with apt inside a chroot (cached as a tarball too), and
# the tarball is imported into the engine. Idempotent: an image whose label matches its recipe is left alone.
#
#   test/container/make-base-images.sh [--engine docker|podman]... [IMAGE]...
#
# IMAGE is one of the names below (default: build runtime python). Images made:
#   http-profiler-base/build:bookworm    JDK 17 (with jmods, for jlink) + Maven + clang + libbpf-dev + make
#   http-profiler-base/runtime:bookworm  minbase + libbpf1 (the Dockerfile jlinks a small Java runtime onto it)
#   http-profiler-base/python:bookworm   minbase + python3 (the demo app)
#   http-profiler-base/runtime-jre:bookworm  minbase + openjdk-17-jre-headless + libbpf1 (only when asked for; the
#                                        alternative to jlink, kept for size comparisons)
# Cache: the tarballs (and debootstrap's .deb files) go to $HTTP_PROFILER_CACHE/base-images (default
# /var/cache/http-profiler/base-images): machine-level, outside the clone, so a fresh CI clone on the same machine does
# not debootstrap again. Runs on one machine take turns (flock).
# Environment: HTTP_PROFILER_CACHE, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, HP_BASE_REBUILD=1 to re-import even when
# the label matches.
set -euo pipefail

CACHE=${HTTP_PROFILER_CACHE:-/var/cache/http-profiler}/base-images
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bump when the recipe changes in a way the package lists do not show.
RECIPE_REV=4

declare -A PACKAGES=(
  [build]="openjdk-17-jdk-headless maven clang libbpf-dev make ca-certificates"
  [runtime]="libbpf1"
  [runtime-jre]="openjdk-17-jre-headless libbpf1"
  [python]="python3"
)

ENGINES=()
IMAGES=()
while (($#)); do
  case $1 in
    --engine) ENGINES+=("$2"); shift 2 ;;
    --engine=*) ENGINES+=("${1#--engine=}"); shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) [[ -n ${PACKAGES[$1]:-} ]] || { echo "unknown image '$1' (known: ${!PACKAGES[*]})" >&2; exit 2; }
       IMAGES+=("$1"); shift ;;
  esac
done
((${#ENGINES[@]})) || ENGINES=(docker)
((${#IMAGES[@]})) || IMAGES=(build runtime python)

log() { printf '[base-images] %s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { log "must run as root (debootstrap, chroot)"; exit 1; }
# debootstrap and the engines (the container group of scripts/deps.txt).
"$(dirname "${BASH_SOURCE[0]}")/../../scripts/setup.sh" container

mkdir -p "$CACHE/apt-archives/partial"
# Another run on this machine may be writing the same tarballs or importing the same tags: one at a time.
exec 9>"$CACHE/.lock"
flock 9

# A directory under $CACHE with /proc possibly mounted inside: unmount before removing, never remove while mounted.
WORK=""
cleanup() {
  [[ -n $WORK && -d $WORK ]] || return 0
  if mountpoint -q "$WORK/rootfs/proc"; then umount "$WORK/rootfs/proc" || umount -l "$WORK/rootfs/proc" || true; fi
  if mountpoint -q "$WORK/rootfs/var/cache/apt/archives"; then umount "$WORK/rootfs/var/cache/apt/archives" || true; fi
  if mountpoint -q "$WORK/rootfs/proc" || mountpoint -q "$WORK/rootfs/var/cache/apt/archives"; then
    log "still mounted under $WORK, not removing it"; return 0
  fi
  rm -rf --one-file-system "$WORK"
  WORK=""
}
trap cleanup EXIT

# Trim what a container never needs; the same rules as Debian's slim images, applied to later installs too.
configure_rootfs() {
  local root=$1
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  cat >"$root/etc/apt/apt.conf.d/90http-profiler" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/90http-profiler-excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
  # openjdk's postinst registers man pages with update-alternatives and fails when the directory is missing.
  mkdir -p "$root/usr/share/man/man1"
}

trim_rootfs() {
  local root=$1
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/{man,groff,info,lintian,locale}/* "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/debconf/*-old "$root"/var/log/apt/* "$root"/var/log/dpkg.log \
    "$root"/var/log/bootstrap.log "$root"/tmp/* "$root"/root/.cache 2>/dev/null || true
  mkdir -p "$root/usr/share/man/man1"
  : >"$root/etc/resolv.conf"
  # An empty machine-id is what a container expects to be given.
  [[ -f $root/etc/machine-id ]] && : >"$root/etc/machine-id"
  return 0
}

# Results go to globals, not stdout: a $(...) subshell would not run the EXIT trap that unmounts /proc.
minbase_tar() {
  local tar=$CACHE/minbase-$SUITE.tar
  if [[ ! -s $tar ]]; then
    log "debootstrap --variant=minbase $SUITE (once; cached in $tar)"
    WORK=$(mktemp -d "$CACHE/work.XXXXXX")
    local t0=$SECONDS
    debootstrap --variant=minbase --cache-dir="$CACHE/apt-archives" "$SUITE" "$WORK/rootfs" "$MIRROR" \
      >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
    configure_rootfs "$WORK/rootfs"
    tar -C "$WORK/rootfs" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    log "minbase done in $((SECONDS - t0)) s"
    cleanup
  fi
  MINBASE_TAR=$tar
}

recipe_key() { printf '%s|%s|%s|%s' "$RECIPE_REV" "$SUITE" "$MIRROR" "${PACKAGES[$1]}" | sha256sum | cut -c1-16; }

image_tar() {
  local name=$1 key tar
  key=$(recipe_key "$name")
  tar=$CACHE/$name-$SUITE-$key.tar
  if [[ ! -s $tar ]]; then
    minbase_tar
    local base=$MINBASE_TAR
    log "$name: apt-get install ${PACKAGES[$name]}"
    local t0=$SECONDS
    WORK=$(mktemp -d "$CACHE/work.XXXXXX")
    local root=$WORK/rootfs
    mkdir -p "$root"
    tar -C "$root" --numeric-owner -xf "$base"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    mount --bind "$CACHE/apt-archives" "$root/var/cache/apt/archives"
    local rc=0
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
      sh -ec "apt-get update -q; apt-get -y -q upgrade; apt-get install -y -q ${PACKAGES[$name]}; apt-get clean" \
      >"$WORK/apt.log" 2>&1 || rc=$?
    umount "$root/var/cache/apt/archives"
    umount "$root/proc"
    if ((rc)); then tail -30 "$WORK/apt.log" >&2; log "$name: apt failed (rc $rc)"; exit 1; fi
    trim_rootfs "$root"
    tar -C "$root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    log "$name: rootfs $(du -sh --apparent-size "$tar" | cut -f1) in $((SECONDS - t0)) s"
    cleanup
    # Older tarballs of the same image are stale now.
    find "$CACHE" -maxdepth 1 -name "$name-$SUITE-*.tar" -not -name "$(basename "$tar")" -delete
  fi
  IMAGE_TAR=$tar
}

import_image() {
  local engine=$1 name=$2 tag=http-profiler-base/$2:$SUITE key tar current
  key=$(recipe_key "$name")
  current=$("$engine" image inspect --format '{{ index .Config.Labels "io.httpprofiler.base.recipe" }}' "$tag" 2>/dev/null || true)
  if [[ $current == "$key" && ${HP_BASE_REBUILD:-0} != 1 ]]; then
    log "$engine: $tag is up to date"
    return
  fi
  image_tar "$name"
  tar=$IMAGE_TAR
  local -a changes=(--change "LABEL io.httpprofiler.base.recipe=$key"
                    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                    --change "ENV LANG=C.UTF-8"
                    --change 'CMD ["bash"]')
  if [[ $name == build ]]; then
    # debootstrap built for the host's architecture.
    changes+=(--change "ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)")
  fi
  log "$engine: importing $tag"
  "$engine" import "${changes[@]}" "$tar" "$tag" >/dev/null
}

t_start=$SECONDS
for e in "${ENGINES[@]}"; do
  for i in "${IMAGES[@]}"; do import_image "$e" "$i"; done
  for i in "${IMAGES[@]}"; do
    "$e" image inspect --format "$e http-profiler-base/$i:$SUITE {{.Size}}" "http-profiler-base/$i:$SUITE" |
      awk '{ printf "[base-images] %s %s %.0f MB\n", $1, $2, $3 / 1e6 }' >&2
  done
done
log "done in $((SECONDS - t_start)) s"
