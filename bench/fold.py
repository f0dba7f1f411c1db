#!/usr/bin/env python3
"""perf script output -> collapsed stacks and a readable summary (bench/profile.sh).

  fold.py PERF_SCRIPT FOLDED_OUT SUMMARY_MD [key=value ...]

Collapsed stacks: one line per distinct stack, root first, frames joined by ';', then the sample count (the format
flame graph tools and speedscope read). The thread's name is the root frame. Java frames are shortened to
Class.method (no return type, no arguments).
"""
import collections
import re
import sys

JAVA_FRAME = re.compile(r"^(?:[\w.$\[\]<>]+ )?([\w.$]+\.[\w$<>]+)\(.*\)$")


def short(symbol):
    m = JAVA_FRAME.match(symbol)
    return m.group(1) if m else symbol


def kind(dso, symbol):
    if dso.startswith("[kernel") or symbol.startswith("[k]"):
        return "kernel"
    if "libjvm" in dso:
        return "JVM (GC, JIT compiler, runtime)"
    if dso.startswith("[JIT]") or dso.startswith("/tmp/perf-") or "perf-" in dso:
        return "Java (compiled)"
    if symbol == "Interpreter":
        return "Java (interpreted)"
    if "libc" in dso or "ld-linux" in dso:
        return "libc"
    return "other (" + dso + ")"


def samples(path):
    stack, comm = [], None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None and stack:
                yield comm, stack
            stack, comm = [], None
            continue
        if not line.startswith("\t") and not line.startswith(" "):
            comm = line.split()[0]
            continue
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        dso = ""
        if rest.endswith(")") and " (" in rest:
            rest, dso = rest.rsplit(" (", 1)
            dso = dso[:-1]
        symbol = re.sub(r"\+0x[0-9a-f]+$", "", rest)
        stack.append((short(symbol), dso))


def main(argv):
    script, folded_out, summary_out = argv[1:4]
    setup = dict(arg.split("=", 1) for arg in argv[4:])
    folded = collections.Counter()
    self_time = collections.Counter()
    inclusive = collections.Counter()
    kinds = collections.Counter()
    total = 0
    for comm, stack in samples(script):
        total += 1
        frames = [f for f, _ in reversed(stack)]
        folded[";".join([comm] + frames)] += 1
        leaf, leaf_dso = stack[0]
        self_time[leaf] += 1
        kinds[kind(leaf_dso, leaf)] += 1
        for frame in set(frames):
            inclusive[frame] += 1
    with open(folded_out, "w") as f:
        for stack, count in sorted(folded.items(), key=lambda kv: -kv[1]):
            f.write(f"{stack} {count}\n")
    requests = float(setup.get("requests", "0") or 0)
    lines = [
        "# Where the live profiler's CPU goes",
        "",
        f"`perf record -g` on the profiler for {setup.get('seconds', '?')} s, beside nginx ({setup.get('file', '1k')}"
        f" responses, sendfile on, both ends traced) under wrk paced at {setup.get('rate', '?')} req/s "
        f"({int(requests):,} requests in wrk's whole run of {setup.get('wrk_seconds', '?')} s); "
        f"{total:,} samples at 999 Hz. Commit {setup.get('commit', '?')}, {setup.get('date', '')}, load average "
        f"{setup.get('load', '?')}. Reproduce: `sudo make bench-profile` (bench/profile.sh). Collapsed stacks: "
        "[profile.folded](profile.folded) (speedscope.app or any flame graph tool).",
        "",
        "| where | share of samples |",
        "| --- | ---: |",
    ]
    lines += [f"| {k} | {100 * v / total:.1f}% |" for k, v in kinds.most_common()]
    lines += ["", "Busiest frames (self):", "", "| frame | self |", "| --- | ---: |"]
    lines += [f"| `{k}` | {100 * v / total:.1f}% |" for k, v in self_time.most_common(30)]
    lines += ["", "The profiler's own code, inclusive:", "", "| frame | inclusive |", "| --- | ---: |"]
    ours = [(k, v) for k, v in inclusive.most_common() if k.startswith("io.httpprofiler.")][:30]
    lines += [f"| `{k}` | {100 * v / total:.1f}% |" for k, v in ours]
    with open(summary_out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv)
