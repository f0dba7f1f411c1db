#!/bin/sh
# Runs as PID 1 inside the guest for one run-in-guest.sh invocation (exec'd by /sbin/guest-init).
# Mounts what the profiler needs, mounts the host's repo (and Maven repository) over 9p, runs the
# command with its output on the second serial port (the host streams it), reports the exit code
# (file in the run share + marker on the console), then powers off.
RUN=/run/hostrun
. "$RUN/env"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

say() { echo "guest-init: $*" >/dev/console; }
poweroff_now() { sync; echo o >/proc/sysrq-trigger; sleep 30; }

mnt() { # mnt TYPE SOURCE TARGET [OPTIONS]
  mkdir -p "$3"
  mountpoint -q "$3" || mount -t "$1" ${4:+-o "$4"} "$2" "$3" || say "could not mount $1 on $3"
}
mnt devpts devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs tmpfs /dev/shm mode=1777
mnt tmpfs tmpfs /tmp mode=1777
mnt tracefs nodev /sys/kernel/tracing
mnt debugfs nodev /sys/kernel/debug
mnt bpf bpf /sys/fs/bpf mode=0700
mnt cgroup2 cgroup2 /sys/fs/cgroup
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname "${GUEST_HOSTNAME:-kernel-guest}"
ip link set lo up || say "could not bring up lo"

P9="trans=virtio,version=9p2000.L,msize=524288"
mnt 9p repo "$GUEST_REPO" "$P9,cache=mmap"
if [ "$GUEST_REPO" != /repo ]; then mkdir -p /repo 2>/dev/null; mountpoint -q /repo || mount --bind "$GUEST_REPO" /repo; fi
if [ -n "${GUEST_M2:-}" ]; then mnt 9p m2 "$GUEST_M2" "$P9,ro,cache=loose"; fi

export HOME=/root JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 LANG=C.UTF-8 TERM=dumb
[ -f "$RUN/user-env" ] && . "$RUN/user-env"

# Command output goes to ttyS1 (the host's stdout), kernel messages stay on ttyS0 (the console log).
OUT=/dev/ttyS1
stty -F "$OUT" raw -echo 2>/dev/null
cd "$GUEST_REPO" || cd /
echo "guest-init: running command ($(uname -r))" >/dev/console
/bin/bash "$RUN/cmd.sh" <"/dev/null" >"$OUT" 2>&1
rc=$?
echo "$rc" >"$RUN/exit-code"
sync
echo "@@GUEST_EXIT_CODE=$rc@@" >/dev/console
poweroff_now
