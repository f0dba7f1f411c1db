"""What check-trace.py and check-origins.py share: the PASS/FAIL tally, reading a profiler's trace files, and the
small readers of a JSON Lines record (README.md's "JSON Lines")."""

import base64
import json
import os

results = []


def check(ok, what, detail=""):
    results.append(bool(ok))
    print("%s %s%s" % ("PASS" if ok else "FAIL", what, (": " + detail) if detail and not ok else ""))
    return ok


def summary(name):
    """Prints 'NAME: N passed, N failed'; the exit status: 1 on any FAIL."""
    passed = sum(results)
    failed = len(results) - passed
    print("%s: %d passed, %d failed" % (name, passed, failed))
    return 1 if failed else 0


def read_traces(directory):
    """(transcript text, JSON Lines records, lines that did not parse) of DIR/http-trace.{txt,jsonl}; missing: empty."""
    text_path = os.path.join(directory, "http-trace.txt")
    json_path = os.path.join(directory, "http-trace.jsonl")
    text = open(text_path, encoding="utf-8", errors="replace").read() if os.path.exists(text_path) else ""
    records, bad = [], 0
    if os.path.exists(json_path):
        for line in open(json_path, encoding="utf-8", errors="replace"):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    bad += 1
    return text, records, bad


def port_of(addr):
    try:
        return int(str(addr).rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def body_text(msg):
    if not msg:
        return ""
    body = msg.get("body") or ""
    if msg.get("body_encoding") == "base64":
        try:
            return base64.b64decode(body).decode("utf-8", "replace")
        except ValueError:
            return ""
    return body
