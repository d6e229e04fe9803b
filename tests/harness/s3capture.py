#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback HTTP server that records every request it gets (method, raw
target, headers in order, body) as one JSON line in a file, and answers
what an S3 client needs to go on: an UploadId to a multipart initiate, an
ETag to a PUT, a small body to a GET, empty listings. It checks nothing:
test_s3_sigv4 compares the recorded signatures with the AWS test vectors
and with botocore's (tests/harness/sigv4_botocore.py).

Usage: s3capture.py RECORD_FILE   (prints "READY <port>", SIGTERM exits 0)
"""
import base64
import json
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD = sys.argv[1]
OBJECT = b"hello, capture"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        line = {
            "method": self.command,
            "target": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": base64.b64encode(body).decode(),
        }
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        self.record(body)
        q = self.path.partition("?")[2]
        if self.command == "POST" and q.startswith("uploads"):
            self.answer(200, b"<InitiateMultipartUploadResult><UploadId>capture/1+2"
                        b"</UploadId></InitiateMultipartUploadResult>")
        elif self.command == "POST":
            self.answer(200, b"<CompleteMultipartUploadResult><ETag>&quot;x-1&quot;"
                        b"</ETag></CompleteMultipartUploadResult>")
        elif self.command == "PUT":
            self.answer(200, headers=[("ETag", '"0123abcd"')])
        elif self.command == "GET" and "list-type=2" in q:
            self.answer(200, b"<ListBucketResult><IsTruncated>false</IsTruncated>"
                        b"</ListBucketResult>")
        elif self.command == "GET" and "uploadId=" in q:
            self.answer(200, b"<ListPartsResult><IsTruncated>false</IsTruncated>"
                        b"</ListPartsResult>")
        elif self.command == "DELETE":
            self.answer(204)
        else:
            self.answer(200, OBJECT)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


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
