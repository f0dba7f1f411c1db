#!/usr/bin/env python3
"""Records one TCP conversation as a test fixture: relays a client to a server and writes every chunk as it was read.

Usage: record-h2-fixture.py LISTEN_PORT UPSTREAM_PORT OUT_FILE
Relays the first connection to 127.0.0.1:LISTEN_PORT to 127.0.0.1:UPSTREAM_PORT, then exits. OUT_FILE holds one
record per chunk read: 'C' (client to server) or 'S' (server to client), a 4-byte big-endian length, the bytes.
The fixtures under src/test/resources/h2/ were recorded this way from real HTTP/2 peers (see README there).
"""
import select
import socket
import struct
import sys


def main():
    listen_port, upstream_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen_port))
    server.listen(1)
    print("ready", flush=True)
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", upstream_port))
    peers = {client: (upstream, b"C"), upstream: (client, b"S")}
    open_ends = {client, upstream}
    with open(out, "wb") as f:
        while open_ends:
            readable, _, _ = select.select(list(open_ends), [], [], 10)
            if not readable:
                break
            for sock in readable:
                data = sock.recv(65536)
                target, mark = peers[sock]
                if not data:
                    open_ends.discard(sock)
                    try:
                        target.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                f.write(mark + struct.pack(">I", len(data)) + data)
                target.sendall(data)
    client.close()
    upstream.close()


if __name__ == "__main__":
    main()
