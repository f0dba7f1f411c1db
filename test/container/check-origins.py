#!/usr/bin/env python3
"""Checks which container each record names, in the trace files of test/container/same-address-e2e.sh: two containers
serving the same 127.0.0.1:8080, each driven by a client inside it whose every request carries the container's tag.

  check-origins.py --dir TRACES --runtime docker|podman --expect TAG,ID,NETNS [--expect ...] [--absent TAG,ID ...]
                   [--only]

--expect: this container's exchanges must all be in the trace, every one naming this container (JSON origin:
container_id, container_runtime, netns; the transcript's header line: `netns N container RUNTIME:SHORTID`), and no
record carrying its tag may name anything else. --absent: no record may carry this container's tag or id. --only: every
record in the trace is one of the --expect containers' (what --container promises).
Reads TRACES/http-trace.txt and TRACES/http-trace.jsonl (README.md's "JSON Lines"); prints one PASS/FAIL line per check,
then 'check-origins: N passed, N failed'. Exit status 1 on any FAIL.
"""

import argparse
import os
import sys

from traces import body_text, check, port_of, read_traces, summary

def exchanges_of(tag):
    """What the in-container client (see same-address-e2e.sh) causes: (role, method, target, port, body marker)."""
    proxied = "/message?text=proxied-" + tag
    return [
        ("server", "GET", "/message?text=" + tag, 8080, tag),
        ("client", "GET", "/message?text=" + tag, 8080, tag),
        ("server", "POST", "/echo", 8080, "body-" + tag),
        ("client", "POST", "/echo", 8080, "body-" + tag),
        ("server", "GET", "/proxy?path=/message%3Ftext%3Dproxied-" + tag, 8080, "proxied-" + tag),
        ("client", "GET", "/proxy?path=/message%3Ftext%3Dproxied-" + tag, 8080, "proxied-" + tag),
        # The app calling its own backend (the proxy): its process as a client, and the backend's server side.
        ("client", "GET", proxied, 8081, "proxied-" + tag),
        ("server", "GET", proxied, 8081, "proxied-" + tag),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--runtime", required=True, choices=("docker", "podman"))
    ap.add_argument("--expect", action="append", default=[], help="TAG,CONTAINER_ID,NETNS_INODE")
    ap.add_argument("--absent", action="append", default=[], help="TAG,CONTAINER_ID")
    ap.add_argument("--only", action="store_true", help="every record is one of the --expect containers'")
    a = ap.parse_args()

    text, records, bad = read_traces(a.dir)
    json_path = os.path.join(a.dir, "http-trace.jsonl")
    check(records and not bad, "JSON Lines %s parse" % json_path, "%d records, %d bad lines" % (len(records), bad))

    def carries(r, marker):
        req, resp = r.get("request") or {}, r.get("response") or {}
        return marker in (req.get("target") or "") or marker in body_text(req) or marker in body_text(resp)

    def find(role, method, target, port, marker):
        """The exchange, told from the other container's by its tag (POST /echo: in its body only)."""
        for r in records:
            req = r.get("request") or {}
            addr = r.get("local") if role == "server" else r.get("remote")
            if r.get("role") == role and req.get("method") == method and req.get("target") == target \
                    and port_of(addr) == port and carries(r, marker):
                return r
        return None

    blocks = [b for b in text.split("\n\n") if b.strip()]
    server_addresses = {}
    for spec in a.expect:
        tag, cid, netns = spec.split(",")
        netns = int(netns)
        want = {"container_id": cid, "container_runtime": a.runtime, "netns": netns}
        for role, method, target, port, marker in exchanges_of(tag):
            r = find(role, method, target, port, marker)
            what = "[%s] %s %s %s (:%d) is in the trace, names %s:%s, netns %d" % (
                tag, role, method, target, port, a.runtime, cid[:12], netns)
            if not r:
                check(False, what, "not in the JSON trace")
                continue
            origin = r.get("origin") or {}
            got = {k: origin.get(k) for k in want}
            if not check(got == want, what, "origin %r" % (origin,)):
                continue
            if role == "server" and port == 8080:
                server_addresses[tag] = r.get("local")
        tagged = [r for r in records if carries(r, tag)]
        wrong = [r for r in tagged if (r.get("origin") or {}).get("container_id") != cid]
        check(tagged and not wrong, "[%s] all %d records carrying its tag name its container" % (tag, len(tagged)),
              "%d name another: %r" % (len(wrong), [(w.get("origin") or {}).get("container_id") for w in wrong][:3]))
        header = "netns %d container %s:%s" % (netns, a.runtime, cid[:12])
        tagged_blocks = [b for b in blocks if tag in b]
        wrong_blocks = [b.split("\n")[0] for b in tagged_blocks if header not in b.split("\n")[0]]
        check(tagged_blocks and not wrong_blocks,
              "[%s] transcript: all %d blocks with its tag have '%s' in their header line"
              % (tag, len(tagged_blocks), header), repr(wrong_blocks[:3]))
    if len(a.expect) > 1 and len(server_addresses) == len(a.expect):
        check(len(set(server_addresses.values())) == 1,
              "the containers serve the same address (%s)" % ", ".join(sorted(set(server_addresses.values()))),
              repr(server_addresses))

    for spec in a.absent:
        tag, cid = spec.split(",")
        leaked = [r for r in records if carries(r, tag) or (r.get("origin") or {}).get("container_id") == cid]
        check(not leaked and tag not in text and cid[:12] not in text,
              "[%s] none of container %s's exchanges is in the trace" % (tag, cid[:12]),
              "%d records" % len(leaked))

    if a.only:
        ids = {spec.split(",")[1] for spec in a.expect}
        others = [r for r in records if (r.get("origin") or {}).get("container_id") not in ids]
        check(records and not others, "every one of the %d records is the selected container's" % len(records),
              "%d are not: %r" % (len(others), [((r.get("request") or {}).get("target"), r.get("comm"),
                                                 (r.get("origin") or {}).get("container_id")) for r in others[:3]]))

    return summary("check-origins")


if __name__ == "__main__":
    sys.exit(main())
