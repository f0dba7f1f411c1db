#!/usr/bin/env bash
# Boots a test/kernels guest under qemu (TCG), runs one shell command in it as root, streams the
# command's output to stdout and exits with the command's exit code.
#
#   test/kernels/run-in-guest.sh [options] [--] COMMAND...
#
# COMMAND is joined with spaces and run by bash in the guest (like ssh does), in the repo's directory.
# Inside the guest:
#   - this checkout (found from this script's location) is mounted read-write over 9p at the same path
#     as on the host, and also at /repo;
#   - the host's Maven repository (M2_REPO, default ~/.m2/repository) is mounted read-only over 9p at
#     the same path as on the host, so classpaths written on the host (mvn dependency:build-classpath)
#     work unchanged in the guest;
#   - java 17 (JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64), libbpf1, bpftool, curl, python3, iproute2, nginx-light, wrk;
#   - tracefs on /sys/kernel/tracing, debugfs on /sys/kernel/debug, bpffs on /sys/fs/bpf, lo up; no other network.
#
# Options:
#   -k, --kernel NAME       kernel from kernels.conf (default: the first one)
#   -t, --timeout SECONDS   hard limit for the whole run, boot included (default 900 = 15 min, or GUEST_TIMEOUT)
#   -e, --env NAME=VALUE    set an environment variable for the command (repeatable)
#   --smp N / --mem MiB     vCPUs (default 2) / memory (default 4096)
#   --no-m2                 do not share the Maven repository
#   --console               also copy the guest's kernel console to stderr as it boots
#   (GUEST_KERNEL_FILE=vmlinuz boots the compressed bzImage instead of the extracted vmlinux (PVH);
#   GUEST_INITRD=debian boots with Debian's initramfs-tools initrd instead of the tiny busybox one;
#   GUEST_CMDLINE_EXTRA adds kernel command line options, e.g. "loglevel=7" to see the whole boot log;
#   GUEST_CPU is qemu's -cpu model, default max; GUEST_ACCEL is qemu's -accel, default tcg,thread=single: all vCPUs
#   in one host thread, so that code one vCPU rewrites while another runs it (the JVM replacing compiled methods, the
#   kernel patching kprobe sites) behaves as on real hardware. tcg,thread=multi (a host thread per vCPU) is ~40%
#   faster, but qemu 7.2 then sometimes runs the stale code: see test/kernels/README.md)
# Exit status: the command's; 124 on timeout; 125 when the guest never reported one (crash, panic,
# could not boot). In both of the latter cases the guest's console is printed to stderr.
# The guest image is built first if needed (build-guest.sh; needs root then). No stdin is read.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KERNEL="$(default_kernel)"
TIMEOUT="${GUEST_TIMEOUT:-900}"
SMP="${GUEST_SMP:-2}"
MEM="${GUEST_MEM:-4096}"
GUEST_ACCEL="${GUEST_ACCEL:-tcg,thread=single}"
M2_REPO="${M2_REPO:-${HOME:-/root}/.m2/repository}"
SHARE_M2=1
SHOW_CONSOLE=0
USER_ENV=()
while [ $# -gt 0 ]; do
  case $1 in
    -k|--kernel) KERNEL=$2; shift 2 ;;
    -t|--timeout) TIMEOUT=$2; shift 2 ;;
    -e|--env) [[ $2 == *=* ]] || die "--env wants NAME=VALUE"; USER_ENV+=("$2"); shift 2 ;;
    --smp) SMP=$2; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    --no-m2) SHARE_M2=0; shift ;;
    --console) SHOW_CONSOLE=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || die "no command given (see --help)"

if [ -n "${GUEST_IMAGE_DIR:-}" ]; then
  IMG_DIR=$GUEST_IMAGE_DIR # build-guest.sh's verification boot of an image not yet in place
else
  "$KERNELS_DIR/build-guest.sh" "$KERNEL"
  IMG_DIR="$(kernel_dir "$KERNEL")"
fi
# qemu (the image may come from the cache of a machine where it is not installed yet).
"$REPO_ROOT/scripts/setup.sh" kernels || die "scripts/setup.sh kernels failed"

RUN="$(mktemp -d "${TMPDIR:-/tmp}/kernel-guest.XXXXXX")"
TAIL_PID=
QEMU_PID=
finish() {
  [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null || true # timeout(1) passes it on to qemu
  [ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null || true
  [ "${KEEP_RUN_DIR:-0}" = 1 ] && log "run directory kept: $RUN" || rm -rf "$RUN"
}
trap finish EXIT
trap 'exit 130' INT TERM

cp "$KERNELS_DIR/guest/init.sh" "$RUN/init.sh"
{
  printf 'GUEST_REPO=%q\n' "$REPO_ROOT"
  [ "$SHARE_M2" = 1 ] && [ -d "$M2_REPO" ] && printf 'GUEST_M2=%q\n' "$(cd "$M2_REPO" && pwd)"
  printf 'GUEST_HOSTNAME=%q\n' "$KERNEL"
} >"$RUN/env"
: >"$RUN/user-env"
for kv in "${USER_ENV[@]+"${USER_ENV[@]}"}"; do printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}" >>"$RUN/user-env"; done
printf '%s\n' "$*" >"$RUN/cmd.sh"

KERNEL_FILE=vmlinux
[ -f "$IMG_DIR/vmlinux" ] || KERNEL_FILE=vmlinuz
KERNEL_FILE=${GUEST_KERNEL_FILE:-$KERNEL_FILE}
INITRD=initrd.img
[ "${GUEST_INITRD:-}" = debian ] && INITRD=initrd-debian.img
# shellcheck disable=SC2054 # the commas are qemu option syntax
QEMU=(qemu-system-x86_64
  -nodefaults -no-user-config -display none -no-reboot
  -machine q35 -accel "$GUEST_ACCEL" -cpu "${GUEST_CPU:-max}" -smp "$SMP" -m "$MEM"
  -kernel "$IMG_DIR/$KERNEL_FILE" -initrd "$IMG_DIR/$INITRD"
  -append "root=/dev/vda rootfstype=ext4 rw init=/sbin/guest-init console=ttyS0 panic=-1 mitigations=off quiet loglevel=4 ${GUEST_CMDLINE_EXTRA:-}"
  -drive "file=$IMG_DIR/rootfs.img,format=raw,if=virtio,snapshot=on,cache=unsafe"
  -device virtio-rng-pci
  -virtfs "local,path=$RUN,mount_tag=hostrun,security_model=none"
  -virtfs "local,path=$REPO_ROOT,mount_tag=repo,security_model=none"
  -serial "file:$RUN/console.log"
  -serial stdio
)
if grep -q '^GUEST_M2=' "$RUN/env"; then
  QEMU+=(-virtfs "local,path=$(cd "$M2_REPO" && pwd -P),mount_tag=m2,security_model=none,readonly=on")
fi

print_console() {
  echo "=== guest console ($KERNEL) ===" >&2
  tr -d '\r' <"$RUN/console.log" >&2 || true
  echo "=== end of guest console ===" >&2
}

log "booting $KERNEL ($(sed -n 's/^kernel_release=//p' "$IMG_DIR/manifest"); -accel $GUEST_ACCEL -cpu ${GUEST_CPU:-max}), timeout ${TIMEOUT}s"
T0=$SECONDS
: >"$RUN/console.log"
if [ "$SHOW_CONSOLE" = 1 ]; then
  tail -n +1 -F "$RUN/console.log" 2>/dev/null | tr -d '\r' >&2 &
  TAIL_PID=$!
fi
# qemu's stdio is the guest's ttyS1, where the command's output goes. No stdin is read.
# timeout: SIGTERM at the limit (qemu exits at once), SIGKILL 10 s later if it did not.
QEMU_RC=0
timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null &
QEMU_PID=$!
wait "$QEMU_PID" || QEMU_RC=$?
QEMU_PID=
if [ -n "$TAIL_PID" ]; then sleep 0.2; kill "$TAIL_PID" 2>/dev/null || true; TAIL_PID=; fi
ELAPSED=$((SECONDS - T0))

if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
  print_console
  log "$KERNEL: timed out after ${TIMEOUT}s; qemu killed"
  exit 124
fi
RC=
if [ -s "$RUN/exit-code" ]; then
  RC="$(tr -dc 0-9 <"$RUN/exit-code")"
else
  RC="$(tr -d '\r' <"$RUN/console.log" | sed -n 's/^@@GUEST_EXIT_CODE=\([0-9]*\)@@$/\1/p' | tail -n1)"
fi
if [ -z "$RC" ]; then
  print_console
  log "$KERNEL: the guest reported no exit code (qemu exit $QEMU_RC after ${ELAPSED}s)"
  exit 125
fi
if [ "$RC" != 0 ]; then
  # Kernel messages (verifier output, warnings, oopses) help when a command fails.
  echo "=== guest kernel messages (tail) ===" >&2
  tr -d '\r' <"$RUN/console.log" | tail -n 40 >&2 || true
fi
log "$KERNEL: command exited $RC (${ELAPSED}s including boot)"
exit "$RC"
