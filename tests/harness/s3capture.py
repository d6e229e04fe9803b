#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback HTTP server that records every request it gets (method, raw
target, headers in order, body) as one JSON line in a file, and answers
what an S3 client needs to go on: an UploadId to a multipart initiate, an
ETag to a PUT, a small body to a GET, an empty object listing, and a
ListParts answer of two pages (parts 1 and 2, then 3). An upload id that
begins with "gone" stands for an upload S3 no longer has, on a service
without ListParts: listing its parts is 405 (as s3rver), any other request
naming it 404 NoSuchUpload (test_snapshot_upload's resume). It checks nothing:
test_s3_sigv4 compares the recorded signatures with the AWS test vectors
and with botocore's (tests/harness/sigv4_botocore.py).

Usage: s3capture.py RECORD_FILE [FAIL_FIRST [SHORT_GETS [DIR [SUFFIX]]]]
  FAIL_FIRST  answer the first N requests 503 SlowDown (retries)
  SHORT_GETS  cut the first N GETs of an object after half the body and
              close the connection (an interrupted download)
  DIR         serve GET /<bucket>/<key> from DIR/<key> (404 when absent)
              instead of one fixed body (test_snapshot_fetch)
  SUFFIX      cut only GETs of keys ending in SUFFIX
Prints "READY <port>"; SIGTERM exits 0.
"""
import base64
import json
import os
import signal
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD = sys.argv[1]
FAIL_FIRST = int(sys.argv[2]) if len(sys.argv) > 2 else 0
SHORT_GETS = int(sys.argv[3]) if len(sys.argv) > 3 else 0
OBJECT = b"hello, capture"
DIR = sys.argv[4] if len(sys.argv) > 4 else ""
SUFFIX = sys.argv[5] if len(sys.argv) > 5 else ""
STATE = {"seen": 0, "short": 0}


def object_of(target):
    """The body of GET <target>: a file under DIR, or the fixed OBJECT; None when absent."""
    if not DIR:
        return OBJECT
    key = urllib.parse.unquote(target.partition("?")[0].split("/", 2)[2])
    path = os.path.join(DIR, key)
    if ".." in key.split("/") or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def list_parts_page(second):
    """Parts 1 and 2 on a truncated first page, part 3 on the second (S3 pages at 1000)."""
    def part(n):
        return (f"<Part><PartNumber>{n}</PartNumber><ETag>&quot;etag-{n}&quot;</ETag>"
                f"<Size>{5242880 if n < 3 else 7}</Size></Part>")
    if second:
        body = "<IsTruncated>false</IsTruncated>" + part(3)
    else:
        body = ("<IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>"
                + part(1) + part(2))
    return f"<ListPartsResult>{body}</ListPartsResult>".encode()


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
        STATE["seen"] += 1
        if STATE["seen"] <= FAIL_FIRST:
            self.answer(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your "
                        b"request rate.</Message></Error>")
        elif (self.command == "GET" and not q and STATE["short"] < SHORT_GETS
              and self.path.endswith(SUFFIX)):
            STATE["short"] += 1
            self.short_get()
        elif "uploadId=gone" in q and self.command == "GET":
            self.answer(405, b"<Error><Code>MethodNotAllowed</Code></Error>")
        elif "uploadId=gone" in q:
            self.answer(404, b"<Error><Code>NoSuchUpload</Code><Message>The specified upload "
                        b"does not exist.</Message></Error>")
        elif self.command == "POST" and q.startswith("uploads"):
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
            self.answer(200, list_parts_page("part-number-marker=2" in q))
        elif self.command == "DELETE":
            self.answer(204)
        elif object_of(self.path) is None:
            self.answer(404, b"<Error><Code>NoSuchKey</Code></Error>")
        else:
            rng = self.headers.get("Range")
            start = int(rng[len("bytes="):].split("-")[0]) if rng else 0
            self.answer(206 if rng else 200, object_of(self.path)[start:])

    def short_get(self):
        rng = self.headers.get("Range", "bytes=0-")
        start = int(rng[len("bytes="):].split("-")[0])
        body = object_of(self.path)[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

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
