#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The EC2 instance metadata service, IMDSv2 only, on loopback: what the S3
client asks it for and nothing more. A session token comes from
PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds); every GET
without that token gets 401, as IMDSv2 with tokens required does. The role
and its credentials come from the command line. Logs only the request
lines (never a credential).

Usage: fake_imds.py ROLE ACCESS_KEY SECRET_KEY TOKEN  (prints "READY <port>")
"""
import json
import secrets
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE, ACCESS, SECRET, TOKEN = sys.argv[1:5]
SESSION = secrets.token_hex(16)
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print(f"{self.command} {self.path}", flush=True)

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != "/latest/api/token" or \
                not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self.answer(400)
            return
        self.answer(200, SESSION.encode())

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != SESSION:
            self.answer(401)
        elif self.path == CREDS_PATH:
            self.answer(200, ROLE.encode())
        elif self.path == CREDS_PATH + ROLE:
            self.answer(200, json.dumps({
                "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": ACCESS,
                "SecretAccessKey": SECRET, "Token": TOKEN,
                "Expiration": "2030-01-01T00:00:00Z"}).encode())
        else:
            self.answer(404)


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
