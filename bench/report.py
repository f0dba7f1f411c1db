#!/usr/bin/env python3
"""Helpers for bench/run.sh.

  report.py wrk FILE                      wrk's output -> "requests seconds rps p99_ms" (p99 needs --latency)
  report.py totals FILE                   the profiler's stderr -> JSON of its "http-profiler stopped:" counters
  report.py trace FILE BODY_BYTES         JSON Lines trace -> JSON counts: exchanges per role, exact sizes, notes
  report.py totals-fields FILE            the same, as "events ring_full_records ring_full_bytes gaps gap_bytes
                                          not_copied_bytes" (-1 when missing)
  report.py trace-fields FILE BODY_BYTES  the same, as "server_exchanges server_exact server_wrong client_exchanges
                                          client_exact client_wrong"
  report.py summarize RUNS_CSV OUT_DIR    per-run rows -> summary.csv, summary.md, chart data (chart.dat)
  report.py results-md OUT_DIR FILE K=V.. summary + setup -> the README snippet (bench/RESULTS.md), ending with
                                          bench/KERNEL-MODES.md when it exists
  report.py kernel-modes RUNS_CSV SETUP FILE   bench/kernel-modes.sh's runs -> its section (bench/KERNEL-MODES.md)
  report.py include-kernel-modes RESULTS_MD KERNEL_MODES_MD   put (or replace) that section at the end of RESULTS_MD

Standard library only.
"""
import csv
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path


def parse_wrk(path):
    text = Path(path).read_text()
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    requests = int(m.group(1))
    seconds = float(m.group(2)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(3)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else float("nan")
    errors = re.search(r"Socket errors: (.*)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"requests": requests, "seconds": seconds, "rps": rps, "p99_ms": p99_ms,
            "socket_errors": errors.group(1).strip() if errors else "",
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def parse_totals(path):
    """'http-profiler stopped: events N, bytes N, exchanges N (incomplete N), connections N, drops: ring full N
    records/N bytes, gaps N/N bytes, not copied N bytes, parse errors N, shed connections N'"""
    line = ""
    for candidate in Path(path).read_text().splitlines():
        if "http-profiler stopped:" in candidate:
            line = candidate
    if not line:
        return {"missing": True}
    grab = lambda pattern: int(re.search(pattern, line).group(1)) if re.search(pattern, line) else -1
    return {
        "events": grab(r"events (\d+)"),
        "bytes": grab(r"bytes (\d+), exchanges"),
        "exchanges": grab(r"exchanges (\d+)"),
        "incomplete": grab(r"incomplete (\d+)"),
        "ring_full_records": grab(r"ring full (\d+) records"),
        "ring_full_bytes": grab(r"ring full \d+ records/(\d+) bytes"),
        "gaps": grab(r"gaps (\d+)/"),
        "gap_bytes": grab(r"gaps \d+/(\d+) bytes"),
        "not_copied_bytes": grab(r"not copied (\d+) bytes"),
        "parse_errors": grab(r"parse errors (\d+)"),
        "shed_connections": grab(r"shed connections (\d+)"),
    }


def check_trace(path, body_bytes):
    """Counts per role: exchanges, complete ones (200 with the exact body size), incomplete, notes by kind.

    Traces of 64 KiB bodies run to gigabytes, so a line is not parsed whole: the fields needed are found by position
    (a quote inside a JSON string is always escaped, so an unescaped '"response":{' or '"notes":[' is the field)."""
    roles = Counter()
    exact = Counter()
    wrong_size = Counter()
    no_response = Counter()
    notes = Counter()
    role_re = re.compile(rb'"role":"([a-z]+)"')
    status_re = re.compile(rb'"status":(\d+)')
    size_re = re.compile(rb'(?<!\\)"body_size":(\d+)')
    with open(path, "rb") as f:
        for raw in f:
            m = role_re.search(raw, 0, 400)
            role = m.group(1).decode() if m else "unknown"
            roles[role] += 1
            at = raw.find(b',"response":')
            if at < 0 or raw.startswith(b'null', at + 12):
                no_response[role] += 1
            else:
                status = status_re.search(raw, at)
                size = size_re.search(raw, at)
                if status and size and int(status.group(1)) == 200 and int(size.group(1)) == body_bytes:
                    exact[role] += 1
                else:
                    wrong_size[role] += 1
            at = raw.rfind(b',"notes":[')
            if at >= 0 and raw[at + 10:at + 11] != b"]":
                for note in json.loads(raw[at + 9:raw.rindex(b"]") + 1]):
                    notes[re.sub(r"\d+", "N", note)] += 1
    return {"exchanges": dict(roles), "exact": dict(exact), "wrong_size": dict(wrong_size),
            "no_response": dict(no_response), "notes": dict(notes)}


def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def fmt(value, digits=0):
    if value is None or value != value:
        return "n/a"
    return f"{value:,.{digits}f}"


REFERENCES = {
    "floor": "empty programs on the profiler's tracepoints",
    "tcpdump": "tcpdump writing the port's packets",
}


# bench/run.sh's profiler cases besides "both" (both ends traced, files written), as the tables and the chart name them.
VARIANTS = {
    "server": "server side only",
    "nofiles": "output to /dev/null",
}
# The variant whose output goes to /dev/null: its records cannot be checked.
NO_FILES = "nofiles"


def variant_suffix(summary_row, separator=" "):
    """How a profiler case differs from "both", after `separator`; empty for "both" itself."""
    traced = summary_row["traced"]
    return separator + VARIANTS[traced] if traced in VARIANTS else ""


def reference(summary_row):
    """What ran instead of the profiler (bench/run.sh's floor and tcpdump cases), or None for the profiler."""
    return REFERENCES.get(summary_row["traced"])


def summarize(runs_csv, out_dir):
    out = Path(out_dir)
    rows = list(csv.DictReader(open(runs_csv)))
    for row in rows:
        for key, value in row.items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):
                pass
    cases = []
    for row in rows:
        if row["case"] not in cases:
            cases.append(row["case"])
    summary = []
    for case in cases:
        sat = [r for r in rows if r["case"] == case and r["kind"] == "saturation"]
        paced = [r for r in rows if r["case"] == case and r["kind"] == "paced"]
        pairs = sorted({int(r["pair"]) for r in sat})
        ratios, a_rps, b_rps, a_p99, b_p99 = [], [], [], [], []
        for p in pairs:
            a = [r for r in sat if int(r["pair"]) == p and r["profiler"] == "off"]
            b = [r for r in sat if int(r["pair"]) == p and r["profiler"] == "on"]
            if a and b:
                ratios.append(b[0]["rps"] / a[0]["rps"])
                a_rps.append(a[0]["rps"])
                b_rps.append(b[0]["rps"])
                a_p99.append(a[0]["p99_ms"])
                b_p99.append(b[0]["p99_ms"])
        on = [r for r in sat if r["profiler"] == "on"]
        recorded = sum(r["server_exact"] for r in on)
        completed = sum(r["requests_total"] for r in on)
        client_recorded = sum(r["client_exact"] for r in on)
        pa = [r for r in paced if r["profiler"] == "off"]
        pb = [r for r in paced if r["profiler"] == "on"]
        per10k = lambda rs, key: median([r[key] / r["requests"] * 1e4 for r in rs if r["requests"] > 0])
        first = (sat or paced)[0]
        s = {
            "case": case,
            "body": first["body"], "sendfile": first["sendfile"], "max_body": first["max_body"],
            "traced": first.get("traced", "both"),
            "pairs": len(ratios),
            "throughput_ratio": median(ratios),
            "ratio_min": min(ratios) if ratios else float("nan"),
            "ratio_max": max(ratios) if ratios else float("nan"),
            "rps_without": median(a_rps), "rps_with": median(b_rps),
            "p99_ms_without": median(a_p99), "p99_ms_with": median(b_p99),
            "profiler_cpu_s_per_10k": per10k(on, "profiler_cpu_s"),
            "peak_rss_mb": max([r["vmhwm_kb"] / 1024 for r in on], default=float("nan")),
            "server_recorded": recorded, "requests_completed": completed,
            "completeness": recorded / completed if completed else float("nan"),
            "client_completeness": client_recorded / completed if completed else float("nan"),
            "ring_full_records": sum(max(0, r["ring_full_records"]) for r in on),
            # The totals line's gaps count lost bytes only (not copied ones are apart): no subtraction needed.
            "gap_bytes_unexplained": sum(max(0, r["gap_bytes"]) for r in on),
            "wrong_size": sum(r["server_wrong"] + r["client_wrong"] for r in on),
            "paced_rps_without": median([r["rps"] for r in pa]), "paced_rps_with": median([r["rps"] for r in pb]),
            "workload_cpu_s_per_10k_without": per10k(pa, "workload_cpu_s"),
            "workload_cpu_s_per_10k_with": per10k(pb, "workload_cpu_s"),
            "machine_cpu_s_per_10k_without": per10k(pa, "machine_cpu_s"),
            "machine_cpu_s_per_10k_with": per10k(pb, "machine_cpu_s"),
            "paced_profiler_cpu_s_per_10k": per10k(pb, "profiler_cpu_s"),
            "paced_peak_rss_mb": max([r["vmhwm_kb"] / 1024 for r in pb], default=float("nan")),
            "paced_completeness": sum(r["server_exact"] for r in pb) / max(1, sum(r["requests_total"] for r in pb)),
            "paced_ring_full_records": sum(max(0, r["ring_full_records"]) for r in pb),
            "paced_p99_ms_without": median([r["p99_ms"] for r in pa]), "paced_p99_ms_with": median([r["p99_ms"] for r in pb]),
            # Where the profiler's own CPU went: its JIT compiler threads (a start-up cost, still running in the first
            # seconds of a run) and its VM/GC threads; the rest is the capture thread (pipeline and file writes).
            "paced_profiler_jit_s_per_10k": per10k(pb, "profiler_jit_cpu_s"),
            "paced_profiler_vm_s_per_10k": per10k(pb, "profiler_vm_cpu_s"),
            # The BPF programs' own run time in nginx's and wrk's system calls (kind bpf: bpf_stats_enabled).
            "bpf_us_per_request": median([r["bpf_run_s"] / r["requests"] * 1e6 for r in rows
                                          if r["case"] == case and r["kind"] == "bpf" and r["requests"] > 0]),
            "bpf_runs_per_request": median([r["bpf_runs"] / r["requests"] for r in rows
                                            if r["case"] == case and r["kind"] == "bpf" and r["requests"] > 0]),
            "background_busy_pct": median([r["background_busy_pct"] for r in rows if r["case"] == case]),
            "ready_s_max": max([r["ready_s"] for r in on if isinstance(r["ready_s"], float)], default=float("nan")),
        }
        if s["traced"] == NO_FILES:
            s["completeness"] = s["client_completeness"] = s["paced_completeness"] = float("nan")
        for kind in ("workload", "machine"):
            a, b = s[f"{kind}_cpu_s_per_10k_without"], s[f"{kind}_cpu_s_per_10k_with"]
            s[f"{kind}_cpu_increase"] = b / a - 1 if a == a and b == b and a > 0 else float("nan")
            # CPU seconds per 10k requests -> microseconds per request: x 100.
            s[f"{kind}_added_us_per_request"] = (b - a) * 100 if a == a and b == b else float("nan")
        s["paced_profiler_us_per_request"] = s["paced_profiler_cpu_s_per_10k"] * 100
        s["paced_profiler_jit_us_per_request"] = s["paced_profiler_jit_s_per_10k"] * 100
        s["paced_profiler_vm_us_per_request"] = s["paced_profiler_vm_s_per_10k"] * 100
        summary.append(s)

    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(summary[0].keys()))
        writer.writeheader()
        writer.writerows(summary)

    lines = [
        "| body | sendfile | `--max-body` | traced | throughput kept (min-max) | req/s without / with | p99 ms without / with "
        "| profiler CPU s per 10k req | peak RSS MB | exchanges recorded / requests | drops |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summary:
        drops = f"ring full {int(s['ring_full_records'])}"
        if s["gap_bytes_unexplained"] > 0:
            drops += f", gaps {int(s['gap_bytes_unexplained'])} B"
        if s["wrong_size"] > 0:
            drops += f", wrong size {int(s['wrong_size'])}"
        profiler_columns = (
            f"{fmt(s['profiler_cpu_s_per_10k'], 3)} | {fmt(s['peak_rss_mb'])} | {int(s['server_recorded']):,} / "
            f"{int(s['requests_completed']):,} = {fmt(100 * s['completeness'], 2)}% | {drops}")
        if reference(s):
            profiler_columns = f"{fmt(s['profiler_cpu_s_per_10k'], 3)} | {fmt(s['peak_rss_mb'])} | not an HTTP record | "
        elif s["traced"] == NO_FILES:
            profiler_columns = (f"{fmt(s['profiler_cpu_s_per_10k'], 3)} | {fmt(s['peak_rss_mb'])} | written to /dev/null "
                                f"| {drops}")
        lines.append(
            f"| {s['body']} | {s['sendfile']} | {s['max_body']} | {s['traced']} | **{fmt(s['throughput_ratio'], 2)}** "
            f"({fmt(s['ratio_min'], 2)}-{fmt(s['ratio_max'], 2)}) | {fmt(s['rps_without'])} / {fmt(s['rps_with'])} "
            f"| {fmt(s['p99_ms_without'], 2)} / {fmt(s['p99_ms_with'], 2)} | {profiler_columns} |")
    lines += [
        "",
        "| body | sendfile | `--max-body` | traced | offered 10k req/s: achieved without / with | CPU us per request, nginx + wrk + "
        "profiler: without / with (**added**) | whole machine: added us per request | profiler's own CPU, us per request "
        "(of which JIT / VM+GC) | BPF programs, us per request (runs) | p99 ms without / with | peak RSS MB "
        "| recorded / requests, drops |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in summary:
        recorded = f"{fmt(100 * s['paced_completeness'], 2)}%, ring full {int(s['paced_ring_full_records'])}"
        if reference(s):
            recorded = "not an HTTP record"
        elif s["traced"] == NO_FILES:
            recorded = f"written to /dev/null, ring full {int(s['paced_ring_full_records'])}"
        lines.append(
            f"| {s['body']} | {s['sendfile']} | {s['max_body']} | {s['traced']} | {fmt(s['paced_rps_without'])} / "
            f"{fmt(s['paced_rps_with'])} | {fmt(100 * s['workload_cpu_s_per_10k_without'], 1)} / "
            f"{fmt(100 * s['workload_cpu_s_per_10k_with'], 1)} (**+{fmt(s['workload_added_us_per_request'], 1)}**) | "
            f"+{fmt(s['machine_added_us_per_request'], 1)} | {fmt(s['paced_profiler_us_per_request'], 1)} "
            f"({fmt(s['paced_profiler_jit_us_per_request'], 1)} / {fmt(s['paced_profiler_vm_us_per_request'], 1)}) | "
            f"{fmt(s['bpf_us_per_request'], 1)} ({fmt(s['bpf_runs_per_request'], 1)}) | "
            f"{fmt(s['paced_p99_ms_without'], 2)} / {fmt(s['paced_p99_ms_with'], 2)} | {fmt(s['paced_peak_rss_mb'])} | "
            f"{recorded} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")

    with open(out / "chart.dat", "w") as f:
        f.write("# label rps_without rps_with ratio cpu_without cpu_with line1 line2\n")
        for s in summary:
            line1 = f"{s['body'].replace('k', ' KiB')}, sendfile {s['sendfile']}"
            if reference(s):
                line2 = "empty programs" if s["traced"] == "floor" else "tcpdump"
                label = f"{s['body']} sendfile {s['sendfile']} {line2}"
            else:
                line2 = VARIANTS.get(s["traced"], f"max-body {s['max_body']}")
                label = f"{s['body']} sendfile {s['sendfile']}" + ("" if s["max_body"] == "8k" else f" max-body {s['max_body']}") \
                    + variant_suffix(s)
            # Full precision: the chart rounds its labels itself and must agree with summary.md's.
            f.write(f"\"{label}\" {s['rps_without']:.0f} {s['rps_with']:.0f} {s['throughput_ratio']!r} "
                    f"{s['workload_cpu_s_per_10k_without']!r} {s['workload_cpu_s_per_10k_with']!r} "
                    f"\"{line1}\" \"{line2}\"\n")


def results_md(out_dir, target, setup):
    out = Path(out_dir)
    summary = list(csv.DictReader(open(out / "summary.csv")))
    f = lambda s, k: float(s[k])
    checks = []
    for s in summary:
        if reference(s):
            name = f"{s['body']} sendfile {s['sendfile']}, {reference(s)}"
            ratio = f(s, "throughput_ratio")
            floor = s["traced"] == "floor"
            checks.append((name, "throughput kept at saturation", f"{ratio:.2f}",
                           "the most any tracepoint-mode profiler can keep here" if floor else "reference"))
            checks.append((name, "CPU added at 10k req/s", f"{f(s, 'workload_added_us_per_request'):.1f} us per request",
                           "the least any tracepoint-mode profiler can add here" if floor else "reference"))
            continue
        name = f"{s['body']} sendfile {s['sendfile']} max-body {s['max_body']}" + variant_suffix(s, ", ")
        if s["traced"] == NO_FILES:
            checks.append((name, "profiler process at 10k req/s, without the page cache",
                           f"{f(s, 'paced_profiler_us_per_request'):.1f} us per request",
                           "compare with the same case writing its files"))
            continue
        # The targets of issue #14 (see README "Measured").
        ratio, kept = f(s, "throughput_ratio"), 0.75 if s["traced"] == "server" else 0.65
        checks.append((name, f"throughput kept at saturation >= {kept:.2f}", f"{ratio:.2f}",
                       "met" if ratio >= kept else f"missed by {kept - ratio:.2f}"))
        if s["body"] == "1k":
            added, own = f(s, "workload_added_us_per_request"), f(s, "paced_profiler_us_per_request")
            jit = f(s, "paced_profiler_jit_us_per_request")
            checks.append((name, "CPU added at 10k req/s <= 12 us per request", f"{added:.1f} us",
                           "met" if added <= 12 else f"missed by {added - 12:.1f} us"))
            checks.append((name, "profiler process <= 6 us per request", f"{own:.1f} us ({jit:.1f} of it JIT)",
                           "met" if own <= 6 else f"missed by {own - 6:.1f} us"))
        complete = f(s, "paced_completeness")
        clean = f(s, "paced_ring_full_records") == 0
        checks.append((name, "10k req/s: 100% recorded, exact sizes, zero drops",
                       f"{100 * complete:.2f}%, ring full {int(f(s, 'paced_ring_full_records'))}",
                       "met" if complete >= 0.999 and clean else "missed"))
        rss = f(s, "paced_peak_rss_mb")
        checks.append((name, "peak RSS <= 100 MB at 10k req/s", f"{rss:.0f} MB (at saturation {f(s, 'peak_rss_mb'):.0f})",
                       "met" if rss <= 100 else f"missed by {rss - 100:.0f} MB"))
        checks.append((name, "p99 latency at 10k req/s, without / with", f"{f(s, 'paced_p99_ms_without'):.2f} / "
                       f"{f(s, 'paced_p99_ms_with'):.2f} ms", "reported"))
    body = [
        "### Overhead beside nginx",
        "",
        f"Measured {setup.get('date', '')} on this project's {setup.get('cores', '?')}-core machine ({setup.get('cpu', '')}, "
        f"kernel {setup.get('kernel', '')}; nginx {setup.get('nginx', '')}, wrk {setup.get('wrk', '')}, "
        f"Java {setup.get('java', '')}; commit {setup.get('commit', '')}). Reproduce: `sudo make bench` "
        "(`bench/run.sh`; knobs at its top).",
        "",
        f"nginx: 1 worker on 127.0.0.1, keep-alive, static text files of 1 KiB and 64 KiB, `access_log off`. "
        f"wrk: 1 thread, {setup.get('connections', '32')} connections. The profiler: "
        f"`java @bin/jvm.options {setup.get('java_opts', '')} -jar http-profiler.jar --port <nginx port> --max-body "
        f"<as listed> --json ... -o ...` {setup.get('profiler_args', '')} (bin/jvm.options: the JVM flags every start "
        "uses, the container image's and bin/http-profiler's), attached with "
        "syscall tracepoints (this kernel has no kprobes). *traced* `both`: `--port` matches both ends of each loopback "
        "connection, so every request is recorded twice, once for nginx (server) and once for wrk (client); `server`: "
        "`--pid <nginx worker>` as well, only nginx's side, as beside a server whose clients are on other machines; "
        "`nofiles`: as `both`, with `-o /dev/null --json /dev/null`: all the profiler's work but the page cache's; "
        "`floor`: no profiler, but a program that returns at once on each syscall tracepoint the profiler attaches "
        "(`bench/floor/`): what tracepoint mode costs before any program or user-space work, the floor under every other "
        "row; `tcpdump`: no profiler, `tcpdump -i lo -s 0 -U -w FILE 'tcp port <nginx port>'` as a reference (both ends "
        "of each loopback connection, every packet whole, no HTTP parsing); its CPU and RSS columns are tcpdump's.",
        "",
        f"Saturation: {setup.get('pairs', '3')} interleaved pairs (without, then with the profiler) of "
        f"{setup.get('duration', '10')} s runs after {setup.get('warmup', '3')} s of warm-up; 'throughput kept' is the "
        "median of the pairs' ratios (range in brackets). Completeness counts nginx-side exchanges in the JSON Lines with "
        "status 200 and the exact `body_size`, over the requests wrk completed (warm-up included); a few requests still "
        "in flight when wrk stops are answered by nginx but not counted by wrk, so it can exceed 100% by a hair. Drops "
        "come from the profiler's totals line (ring buffer full; bytes lost in capture gaps, which sendfile and "
        "skipped bytes are not). 'Wrong size' counts exchanges without the exact body size; without drops those are "
        "the exchanges still in flight when the profiler is stopped (one per connection at most, reported as incomplete).",
        "",
        f"Fixed rate: wrk paced by `bench/pace.lua` at {setup.get('rate', '10000')} req/s offered, "
        f"{setup.get('rate_pairs', '2')} pairs; CPU seconds per 10k requests from /proc/PID/stat (nginx + wrk + "
        "profiler, user + system, which includes the BPF programs run in nginx's and wrk's system calls) and from "
        "/proc/stat (whole machine, which also sees whatever else the machine was doing).",
        "",
        "**Two cores for everything**: nginx, wrk and the profiler (plus the kernel's BPF work inside nginx's and wrk's "
        "system calls) share two CPUs, so every CPU cycle the profiler uses is taken from nginx or wrk. On a machine "
        "with spare cores the throughput cost would be lower; the CPU per request is the portable number.",
        "",
        (out / "summary.md").read_text().rstrip(),
        "",
        "![throughput without and with the profiler](bench/throughput.png)",
        "",
        "| case | target | measured | |",
        "| --- | --- | --- | --- |",
    ]
    body += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in checks]
    Path(target).write_text("\n".join(body) + "\n")
    kernel_modes_md = Path(__file__).resolve().parent / "KERNEL-MODES.md"
    if kernel_modes_md.exists():
        include_kernel_modes(target, kernel_modes_md)


KERNEL_MODES_HEADING = "### kprobe mode vs tracepoint mode"


def include_kernel_modes(results_md, kernel_modes_md):
    """bench/kernel-modes.sh's section (measured in a qemu guest, separately from bench/run.sh) is the last one of
    RESULTS.md: whatever follows its heading is replaced, so both scripts can rewrite their part."""
    text = Path(results_md).read_text() if Path(results_md).exists() else ""
    at = text.find(KERNEL_MODES_HEADING)
    if at >= 0:
        text = text[:at]
    text = text.rstrip() + "\n\n" if text.strip() else ""
    Path(results_md).write_text(text + Path(kernel_modes_md).read_text())


KERNEL_MODE_NAMES = {
    "tracepoint-floor": "empty programs, tracepoint-mode hooks",
    "tracepoint": "profiler, `--attach tracepoint`",
    "kprobe-floor": "empty programs, kprobe-mode hooks",
    "kprobe": "profiler, `--attach kprobe`",
}


def kernel_modes(runs_csv, setup_file, target):
    rows = list(csv.DictReader(open(runs_csv)))
    setup = dict(line.split("=", 1) for line in Path(setup_file).read_text().splitlines() if "=" in line)
    run = {}
    for r in rows:
        for key, value in r.items():
            try:
                r[key] = float(value)
            except (TypeError, ValueError):
                pass
        run[(int(r["round"]), r["mode"], r["kind"])] = r
    rounds = sorted({k[0] for k in run})
    modes = [m for m in dict.fromkeys(r["mode"] for r in rows) if m != "none"]
    cpu = lambda r: (r["nginx_cpu_s"] + r["wrk_cpu_s"] + r["attached_cpu_s"]) / r["requests"]

    def per_round(mode, kind, value, against="none"):
        """value(row of mode) / value(row of `against`), one per round that has both."""
        out = []
        for n in rounds:
            a, b = run.get((n, mode, kind)), run.get((n, against, kind))
            if a and b and value(b) > 0:
                out.append(value(a) / value(b))
        return out

    def spread(values, bold=True):
        if not values:
            return "n/a"
        mid = f"{median(values):.2f}"
        return f"{f'**{mid}**' if bold else mid} ({min(values):.2f}-{max(values):.2f})"

    def mode_rows(mode, kind):
        return [run[(n, mode, kind)] for n in rounds if (n, mode, kind) in run]

    table = [
        "| attached | throughput vs none (min-max) | req/s: none / this (median) | CPU per request vs none, paced "
        "(min-max) | CPU per request vs none, saturation | profiler CPU µs per request, paced | recorded / requests | "
        "ready after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in modes:
        sat, paced = mode_rows(mode, "saturation"), mode_rows(mode, "paced")
        profiler = mode in ("tracepoint", "kprobe")
        if profiler:
            exact = sum(r["server_exact"] for r in sat)
            total = sum(r["requests_total"] for r in sat)
            ring = sum(r["ring_full_records"] for r in sat)
            recorded = f"{int(exact):,} / {int(total):,} = {100 * exact / total:.2f}%" + (
                f", ring full {int(ring):,}" if ring else "") if total else "n/a"
            own = fmt(median([1e6 * r["attached_cpu_s"] / r["requests"] for r in paced]))
        else:
            recorded, own = "no records", "-"
        table.append(
            f"| {KERNEL_MODE_NAMES.get(mode, mode)} | {spread(per_round(mode, 'saturation', lambda r: r['rps']))} | "
            f"{fmt(median([r['rps'] for r in mode_rows('none', 'saturation')]))} / {fmt(median([r['rps'] for r in sat]))} | "
            f"{spread(per_round(mode, 'paced', cpu))} | {spread(per_round(mode, 'saturation', cpu), bold=False)} | "
            f"{own} | {recorded} | {fmt(median([r['ready_s'] for r in sat]))} s |")

    # kprobe mode against tracepoint mode directly, round by round.
    versus = [
        "| kprobe mode / tracepoint mode, per round | median (min-max) |",
        "| --- | --- |",
    ]
    headline = {}
    if "kprobe" in modes and "tracepoint" in modes:
        comparisons = [
            ("throughput, profiler", "kprobe", "tracepoint", "saturation", lambda r: r["rps"]),
            ("CPU per request (nginx + wrk + profiler), paced", "kprobe", "tracepoint", "paced", cpu),
            ("profiler process CPU per request, paced", "kprobe", "tracepoint", "paced",
             lambda r: r["attached_cpu_s"] / r["requests"]),
            ("throughput, empty programs", "kprobe-floor", "tracepoint-floor", "saturation", lambda r: r["rps"]),
            ("CPU per request, empty programs, paced", "kprobe-floor", "tracepoint-floor", "paced", cpu),
        ]
        for name, a, b, kind, value in comparisons:
            values = per_round(a, kind, value, against=b)
            headline[name] = median(values) if values else float("nan")
            versus.append(f"| {name} | {spread(values)} |")
        for mode in ("tracepoint-floor", "tracepoint", "kprobe-floor", "kprobe"):
            values = per_round(mode, "paced", cpu)
            headline[f"{mode} added"] = median(values) - 1 if values else float("nan")

    paced_rates = [r["rps"] for r in rows if r["kind"] == "paced"]
    body = [
        f"{KERNEL_MODES_HEADING} (Debian 6.1 guest, qemu TCG)",
        "",
        f"Measured {setup.get('date', '')}, commit {setup.get('commit', '')}, with `sudo make bench-kernels` "
        "(`bench/kernel-modes.sh`): one boot of the test/kernels/ guest (Debian bookworm, kernel "
        f"{setup.get('guest_kernel', '?')}, {setup.get('guest_cpus', '?')} vCPUs under qemu TCG"
        f"{' (`-accel ' + setup['guest_accel'] + ' -cpu ' + setup.get('guest_cpu', '?') + '`)' if 'guest_accel' in setup else ''}"
        ", no KVM) on this "
        f"{setup.get('host_cpus', '?')}-core host ({setup.get('host_cpu', '')}; host load average "
        f"{setup.get('host_load_before', '?')} before, {setup.get('host_load_after', '?')} after: other work shared "
        f"the host), nginx {setup.get('nginx', '?')}, wrk {setup.get('wrk', '?')}, Java {setup.get('java', '?')}. "
        f"Run took {int(float(setup.get('wall_s', 0))) // 60} min.",
        "",
        f"nginx: 1 worker, keep-alive, the 1 KiB static file, sendfile on; wrk: 1 thread, {setup.get('connections', '?')} "
        f"connections. {setup.get('rounds', '?')} rounds; each runs every mode once (order rotated by one per round and "
        f"backwards every second round, so drift falls on all alike): {setup.get('warmup', '?')} s of warm-up at saturation ("
        f"{setup.get('profiler_warmup', '?')} s for the profiler, whose JIT compilers take about a minute of traffic to "
        f"settle under emulation), a {setup.get('duration', '?')} s "
        f"saturation run, a {setup.get('duration', '?')} s run paced at {setup.get('rate', '?')} req/s offered "
        f"({setup.get('rate_fraction', '?')} of a calibration run with nothing attached; achieved "
        f"{fmt(min(paced_rates) if paced_rates else float('nan'))}-{fmt(max(paced_rates) if paced_rates else float('nan'))}). "
        f"Profiler: `java @bin/jvm.options -jar http-profiler.jar --attach MODE --port <nginx port> "
        f"{setup.get('profiler_args', '')} -o ... --json ...` (both ends of each connection, traces in the guest's tmpfs). "
        "Empty programs: `bench/floor/` (`floor_loader OBJECT MODE`), on exactly the hooks the profiler attaches in "
        "that mode (checked against its object by `bench/floor/build.sh`): the syscall tracepoints, and in kprobe mode "
        "also `tcp_sendmsg` (entry and return), `tcp_recvmsg` and `tcp_cleanup_rbuf`. CPU per request: nginx + wrk + "
        "the attached process, user + system from /proc/PID/stat (BPF programs run inside nginx's and wrk's calls). "
        "Ratios are to the same round's run with nothing attached; medians over the rounds. Emulation makes absolute "
        "numbers meaningless (everything runs 5-200x slower, the BPF verifier most), so only the ratios are reported "
        "as results; recorded: nginx-side records with status 200 and the exact body size over wrk's requests "
        "(warm-up included).",
        "",
    ] + table + [""]
    if headline:
        body += versus + [""]
        h = lambda name: headline.get(name, float("nan"))
        body += [
            f"Kprobe mode against tracepoint mode in the same rounds: throughput {h('throughput, profiler'):.2f}x, CPU "
            f"per request {h('CPU per request (nginx + wrk + profiler), paced'):.2f}x, the profiler process's own CPU "
            f"per request {h('profiler process CPU per request, paced'):.2f}x; with empty programs on each mode's "
            f"hooks, throughput {h('throughput, empty programs'):.2f}x and CPU per request "
            f"{h('CPU per request, empty programs, paced'):.2f}x. CPU per request over nothing attached: tracepoint "
            f"mode {100 * h('tracepoint-floor added'):+.0f}% with empty programs, {100 * h('tracepoint added'):+.0f}% "
            f"with the profiler; kprobe mode {100 * h('kprobe-floor added'):+.0f}% and "
            f"{100 * h('kprobe added'):+.0f}%.",
            "",
        ]
    Path(target).write_text("\n".join(body))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    command = argv[1]
    if command == "wrk":
        w = parse_wrk(argv[2])
        print(w["requests"], w["seconds"], w["rps"], w["p99_ms"], w["non2xx"])
    elif command == "totals":
        print(json.dumps(parse_totals(argv[2])))
    elif command == "trace":
        print(json.dumps(check_trace(argv[2], int(argv[3]))))
    elif command == "totals-fields":
        t = parse_totals(argv[2])
        print(" ".join(str(t.get(k, -1)) for k in
                       ("events", "ring_full_records", "ring_full_bytes", "gaps", "gap_bytes", "not_copied_bytes")))
    elif command == "trace-fields":
        path = Path(argv[2])
        c = check_trace(path, int(argv[3])) if path.exists() else {}
        get = lambda key, role: c.get(key, {}).get(role, 0)
        print(get("exchanges", "server"), get("exact", "server"), get("wrong_size", "server") + get("no_response", "server"),
              get("exchanges", "client"), get("exact", "client"), get("wrong_size", "client") + get("no_response", "client"))
    elif command == "results-md":
        results_md(argv[2], argv[3], dict(a.split("=", 1) for a in argv[4:]))
    elif command == "kernel-modes":
        kernel_modes(argv[2], argv[3], argv[4])
    elif command == "include-kernel-modes":
        include_kernel_modes(argv[2], argv[3])
    elif command == "summarize":
        summarize(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
