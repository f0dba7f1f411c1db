# Shared by bench/run.sh, bench/kernel-modes.sh and bench/profile.sh. Sourced, not run.
# shellcheck shell=bash

# write_static_files DIR: static text files 1k and 64k, 70-character lines, exactly 1 KiB and 64 KiB.
write_static_files() {
    python3 - "$1" <<'PY'
import sys
line = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_/"
for name, size in (("1k", 1024), ("64k", 65536)):
    out, n = bytearray(), 0
    while len(out) < size:
        out += (line[n % 7:] + line[:n % 7] + "\n").encode()
        n += 1
    out = out[:size - 1] + b"\n"
    open(f"{sys.argv[1]}/{name}", "wb").write(out)
PY
}

cpu_ticks() { # pids... -> utime+stime of those still running
    local total=0 pid st
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            read -r -a st < <(sed 's/.*) //' "/proc/$pid/stat")
            total=$((total + st[11] + st[12]))
        fi
    done
    echo "$total"
}

run_wrk() { # output-file wrk-args... ; wrk's CPU ticks go to output-file.cpu
    local out=$1
    shift
    (
        wrk "$@" > "$out" 2>&1
        me=$BASHPID # (inside the <(...) below, $BASHPID would be sed's subshell)
        read -r -a st < <(sed 's/.*) //' "/proc/$me/stat")
        echo $((st[13] + st[14])) > "$out.cpu"
    )
}
