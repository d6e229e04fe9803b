#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for an IPFS node's /api/v0/add that stops reading the body.

test_ipfs uses it to change the tree at a known point of an add: the
server reads the first 64 KiB of the request body, prints "STALLED" and
waits until the file GO exists, then reads the rest and answers one line
naming an empty directory (a valid answer, so only the client's own checks
can fail the add). curl cannot send more than the socket buffers hold
meanwhile, so a file that comes after a 32 MiB one is not opened yet.

Usage: ipfs_stall.py GO
Prints "READY <port>"; SIGTERM exits 0.
"""
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GO = sys.argv[1]
EMPTY_DIR = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        left = int(self.headers["Content-Length"])
        first = self.rfile.read(min(left, 65536))
        left -= len(first)
        print("STALLED", flush=True)
        while not os.path.exists(GO):
            time.sleep(0.01)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
        body = ('{"Name":"","Hash":"%s","Size":4,"Mode":"0755"}\n' % EMPTY_DIR).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
