#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback proxy in front of an IPFS HTTP gateway that cuts downloads:
every GET is forwarded to UPSTREAM with its Range header (urllib), and the
gateway's status, Content-Length, Content-Range and body are passed back,
except that the first SHORT GETs whose path ends in SUFFIX get only half
of the body before the connection is closed (an interrupted download, as
s3capture.py does for the S3 sources). Each GET is recorded as one JSON
line in RECORD: the path, the Range asked for, the gateway's status.
With NORANGE given ("norange"), the Range is not passed on: a gateway that
ignores Range requests, answering 200 with the whole file.

Usage: gwcut.py RECORD UPSTREAM SHORT SUFFIX [NORANGE]
Prints "READY <port>"; SIGTERM exits 0.
"""
import json
import signal
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD, UPSTREAM, SHORT, SUFFIX = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
NORANGE = len(sys.argv) > 5 and sys.argv[5] == "norange"
STATE = {"short": 0}
PASSED = ("Content-Type", "Content-Range", "Accept-Ranges", "ETag")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        rng = self.headers.get("Range")
        req = urllib.request.Request(UPSTREAM + self.path)
        if rng and not NORANGE:
            req.add_header("Range", rng)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, headers, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": self.path, "range": rng, "status": status}) + "\n")
        cut = STATE["short"] < SHORT and self.path.endswith(SUFFIX) and status in (200, 206)
        if cut:
            STATE["short"] += 1
        self.send_response(status)
        for k in PASSED:
            if headers.get(k) is not None:
                self.send_header(k, headers.get(k))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if cut else body)
        self.wfile.flush()
        if cut:
            self.close_connection = True


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
