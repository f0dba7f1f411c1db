#!/usr/bin/env python3
"""Checks the trace files a containerised profiler wrote while test/container/*-e2e.sh drove the demo app.

  check-trace.py --dir TRACES --nonce NONCE --decoy MARKER [--app-pid PID] [--pid-check strict|warn]
                 [--app-port 8080] [--backend-port 8081]

Reads TRACES/http-trace.txt (text transcript) and TRACES/http-trace.jsonl (JSON Lines, fields as in README.md's
"JSON Lines" section) and prints one PASS/FAIL line per check, then 'N passed, N failed'. Exit status 1 on any FAIL.
"""

import argparse
import json
import os
import sys

from traces import body_text, check, port_of, read_traces, summary

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--nonce", required=True)
    ap.add_argument("--decoy", required=True)
    ap.add_argument("--app-pid", type=int, default=None, help="PID of the app in its own PID namespace")
    ap.add_argument("--app-port", type=int, default=8080)
    ap.add_argument("--backend-port", type=int, default=8081)
    ap.add_argument("--tls-port", type=int, default=8443)
    ap.add_argument("--pid-check", choices=("strict", "warn"), default="strict",
                    help="warn: report PIDs that are not the app's own without failing")
    a = ap.parse_args()

    text, records, bad = read_traces(a.dir)
    text_path = os.path.join(a.dir, "http-trace.txt")
    json_path = os.path.join(a.dir, "http-trace.jsonl")
    check(text.strip(), "text transcript %s is not empty" % text_path)
    check(records and not bad, "JSON Lines %s parse" % json_path, "%d records, %d bad lines" % (len(records), bad))

    def find(method, target, role="server", port=a.app_port, local=True):
        for r in records:
            req = r.get("request") or {}
            addr = r.get("local") if local else r.get("remote")
            if (r.get("role") == role and req.get("method") == method and req.get("target") == target
                    and port_of(addr) == port):
                return r
        return None

    n = a.nonce
    expected = [
        ("GET", "/", 200, None),
        ("GET", "/users", 200, "alice"),
        ("GET", "/user/2", 200, "bob"),
        ("GET", "/user/9", 404, None),
        ("GET", "/message?text=e2e-" + n, 200, "e2e-" + n),
        ("GET", "/health", 200, "ok"),
        ("GET", "/slow?ms=300", 200, None),
        ("GET", "/chunked", 200, None),
        ("GET", "/gzip", 200, None),
        ("POST", "/echo", 200, "echo-" + n),
        ("GET", "/proxy?path=/user/1", 200, "alice"),
    ]
    app_records = []
    for method, target, status, body in expected:
        r = find(method, target)
        what = "server exchange %s %s on :%d" % (method, target, a.app_port)
        if not check(r, what, "not in the JSON trace"):
            continue
        app_records.append(r)
        resp = r.get("response") or {}
        check(resp.get("status") == status, what + " -> %d" % status, "response %r" % (resp.get("status"),))
        if body:
            check(body in body_text(resp), what + " response body has %r" % body, repr(body_text(resp)[:120]))

    slow = find("GET", "/slow?ms=300")
    if slow:
        check((slow.get("duration_ms") or 0) >= 250, "/slow duration_ms >= 250", repr(slow.get("duration_ms")))
    echo = find("POST", "/echo")
    if echo:
        check("echo-" + n in body_text(echo.get("request")), "POST /echo request body captured",
              repr(body_text(echo.get("request"))[:120]))

    # The /proxy call: the app as a client of its backend, and the backend's server side, both in the app's netns.
    check(find("GET", "/user/1", role="client", port=a.backend_port, local=False),
          "client exchange GET /user/1 -> :%d (the app calling its backend)" % a.backend_port)
    check(find("GET", "/user/1", role="server", port=a.backend_port), "server exchange GET /user/1 on :%d" % a.backend_port)

    # /proxy-tls: HTTPS from the app to its own TLS listener, through the libssl of the app's image; both ends must
    # be in plaintext, marked TLS.
    tls_target = "/message?text=tls-" + n
    for role, local in (("server", True), ("client", False)):
        r = find("GET", tls_target, role=role, port=a.tls_port, local=local)
        what = "HTTPS %s exchange GET %s (:%d) in plaintext" % (role, tls_target, a.tls_port)
        if check(r, what, "not in the JSON trace"):
            check(r.get("tls"), what + " is marked TLS", repr(r.get("tls")))
            check("tls-" + n in body_text(r.get("response")), what + " response body",
                  repr(body_text(r.get("response"))[:120]))
    tls_blocks = [b.strip() for b in text.split("\n\n") if ("GET " + tls_target + " ") in b]
    check(tls_blocks and all("  TLS" in b.split("\n")[0] for b in tls_blocks),
          "text transcript marks the HTTPS exchanges TLS in their header lines",
          repr([b.split("\n")[0] for b in tls_blocks]))

    check("/message?text=e2e-" + n in text, "text transcript shows GET /message?text=e2e-" + n)
    check(" server " in text, "text transcript names the server role")

    leaked = [r for r in records if a.decoy in json.dumps(r)]
    check(records and a.decoy not in text and not leaked,
          "nothing of the host's own traffic (%s) is traced" % a.decoy,
          "%d JSON records mention it" % len(leaked) if records else "no records to judge by")

    if a.app_pid is not None and app_records:
        pids = sorted({r.get("pid") for r in app_records})
        what = "PIDs are the app's own (pid %d in its namespace)" % a.app_pid
        if pids == [a.app_pid] or a.pid_check == "strict":
            check(pids == [a.app_pid], what, "saw %s" % pids)
        else:
            print("WARN %s: saw %s (not counted: --pid-check warn)" % (what, pids))
        comms = sorted({str(r.get("comm")) for r in app_records})
        check(all(c.startswith("python") for c in comms), "comm is the app's (python3)", "saw %s" % comms)

    return summary("check-trace")


if __name__ == "__main__":
    sys.exit(main())
