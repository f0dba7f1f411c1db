#!/usr/bin/env python3
"""Demo HTTP service for http-profiler: Python 3 standard library only, nothing in it knows about the profiler.

Endpoints (port 8080 by default):
  GET  /                  small HTML index
  GET  /users             JSON list of users
  GET  /user/{id}         one user as JSON, 404 when unknown
  GET  /message?text=...  echoes the text back as JSON
  GET  /health            plain "ok"
  GET  /slow?ms=300       answers after a delay (default 300 ms, at most 10 s)
  GET  /chunked           a response sent with Transfer-Encoding: chunked, in several pieces
  GET  /gzip              a gzip-compressed JSON body (Content-Encoding: gzip)
  GET  /bytes?n=256       n bytes of binary data (application/octet-stream, at most 1 MiB)
  POST /echo              sends the request body back (Content-Length or chunked request bodies)
  GET  /proxy?path=/users calls the backend (BACKEND_URL + path) and relays its answer: the app acts as an HTTP
                          client too, so a trace shows a client exchange beside the server ones
  GET  /proxy-tls?path=/users  the same over HTTPS, to the same handler on TLS_PORT of this process: HTTPS client and
                          server both, through the TLS library of the app's own image (python's ssl: its libssl)

The backend is, by default, the same handler on a second port (8081) of this process, reached over loopback.
Keep-alive works (HTTP/1.1, every response has a length or is chunked). SIGTERM stops it cleanly, also as PID 1.

Environment: PORT (8080), BACKEND_PORT (8081; 0 = no built-in backend), BACKEND_URL (http://127.0.0.1:BACKEND_PORT),
TLS_PORT (8443; 0 = no HTTPS listener; its certificate is tls/cert.pem beside this file, a test-only self-signed one),
BIND (0.0.0.0), QUIET=1 to silence the access log.
"""

import gzip
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USERS = [
    {"id": 1, "name": "alice", "email": "alice@example.com"},
    {"id": 2, "name": "bob", "email": "bob@example.com"},
    {"id": 3, "name": "carol", "email": "carol@example.com"},
]
MAX_SLOW_MS = 10_000
MAX_BYTES = 1 << 20
MAX_ECHO = 8 << 20
INDEX = """<!doctype html>
<html><head><title>http-profiler demo</title></head><body>
<h1>http-profiler demo app</h1>
<ul>
<li><a href="/users">/users</a></li><li><a href="/user/1">/user/1</a></li>
<li><a href="/message?text=hello">/message?text=hello</a></li><li><a href="/health">/health</a></li>
<li><a href="/slow">/slow</a></li><li><a href="/chunked">/chunked</a></li><li><a href="/gzip">/gzip</a></li>
<li><a href="/bytes?n=64">/bytes?n=64</a></li><li>POST /echo</li><li><a href="/proxy?path=/users">/proxy?path=/users</a></li>
</ul></body></html>
"""


def int_param(query, name, default):
    try:
        return int(query.get(name, [default])[0])
    except ValueError:
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-app/1.0"
    backend_url = "http://127.0.0.1:8081"
    tls_url = None
    quiet = False

    # --- plumbing ----------------------------------------------------------------------------------------------

    def version_string(self):
        return self.server_version

    def send_body(self, status, body, content_type="text/plain; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj, separators=(",", ":")), "application/json")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                total += size
                if total > MAX_ECHO:
                    raise ValueError("body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_ECHO:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # --- routes ------------------------------------------------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = url.path
        if path == "/":
            self.send_body(200, INDEX, "text/html; charset=utf-8")
        elif path == "/users":
            self.send_json(200, USERS)
        elif path.startswith("/user/"):
            user = next((u for u in USERS if str(u["id"]) == path[len("/user/"):]), None)
            if user:
                self.send_json(200, user)
            else:
                self.send_json(404, {"error": "no such user", "id": path[len("/user/"):]})
        elif path == "/message":
            self.send_json(200, {"message": query.get("text", [""])[0]})
        elif path == "/health":
            self.send_body(200, "ok")
        elif path == "/slow":
            ms = min(max(int_param(query, "ms", 300), 0), MAX_SLOW_MS)
            time.sleep(ms / 1000)
            self.send_json(200, {"slept_ms": ms})
        elif path == "/chunked":
            self.chunked()
        elif path == "/gzip":
            body = gzip.compress(json.dumps({"compressed": True, "users": USERS}).encode())
            self.send_body(200, body, "application/json", [("Content-Encoding", "gzip")])
        elif path == "/bytes":
            n = min(max(int_param(query, "n", 256), 0), MAX_BYTES)
            self.send_body(200, bytes(i % 256 for i in range(n)), "application/octet-stream")
        elif path == "/proxy":
            self.proxy(query.get("path", ["/users"])[0])
        elif path == "/proxy-tls" and self.tls_url:
            self.proxy(query.get("path", ["/users"])[0], self.tls_url)
        else:
            self.send_json(404, {"error": "not found", "path": path})

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/echo":
            self.read_body()
            self.send_json(404, {"error": "not found", "path": self.path})
            return
        try:
            body = self.read_body()
        except ValueError as e:
            self.close_connection = True
            self.send_json(413, {"error": str(e)})
            return
        self.send_body(200, body, self.headers.get("Content-Type", "application/octet-stream"))

    def chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            return
        for i in range(1, 4):
            piece = ("chunk %d of 3\n" % i).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(b"0\r\n\r\n")

    def proxy(self, path, base=None):
        base = base or self.backend_url
        if not path.startswith("/") or path.startswith("/proxy"):
            self.send_json(400, {"error": "path must start with / and not be /proxy"})
            return
        req = urllib.request.Request(base + path, headers={"User-Agent": "demo-app-proxy/1.0"})
        # The HTTPS listener's certificate is self-signed: the demo trusts it without checking.
        context = ssl._create_unverified_context() if base.startswith("https:") else None
        try:
            with urllib.request.urlopen(req, timeout=10, context=context) as resp:
                status, body, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        except OSError as e:
            self.send_json(502, {"error": "backend unreachable", "detail": str(e)})
            return
        self.send_body(status, body, ctype or "application/octet-stream", [("X-Proxied-From", base + path)])


def serve(port, bind, name, tls=None):
    server = ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = True
    if tls:
        # The handshake in the connection's own thread (its first read), not in the accepting one.
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), name=name, daemon=True)
    thread.start()
    return server


def main():
    port = int(os.environ.get("PORT", "8080"))
    backend_port = int(os.environ.get("BACKEND_PORT", "8081"))
    bind = os.environ.get("BIND", "0.0.0.0")
    Handler.backend_url = os.environ.get("BACKEND_URL", "http://127.0.0.1:%d" % backend_port).rstrip("/")
    Handler.quiet = os.environ.get("QUIET") == "1"
    tls_port = int(os.environ.get("TLS_PORT", "8443"))

    servers = [serve(port, bind, "front")]
    if backend_port:
        servers.append(serve(backend_port, "127.0.0.1", "backend"))
    if tls_port:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        here = os.path.dirname(os.path.abspath(__file__))
        tls.load_cert_chain(os.path.join(here, "tls", "cert.pem"), os.path.join(here, "tls", "key.pem"))
        servers.append(serve(tls_port, bind, "tls", tls))
        Handler.tls_url = "https://127.0.0.1:%d" % tls_port
    print("demo app listening on %s:%d (backend %s)" % (bind, port, Handler.backend_url), file=sys.stderr, flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    for server in servers:
        server.shutdown()  # stops accepting; requests in progress run on in their own threads
        server.server_close()
    sys.stderr.flush()
    os._exit(0)  # do not wait for idle keep-alive connections


if __name__ == "__main__":
    main()
