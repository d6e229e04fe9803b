#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fake Cachet (API v1) for test_ctl_cachet: checks the token and each
request's shape against Cachet's API documentation and records every request
as one JSON line in RECORD: {"method", "path", "token_ok", "shape_ok", "body"}.

  fake_cachet.py PORT TOKEN RECORD [--delay-s S]

Components: PUT /api/v1/components/{id} {"status": 1..4}. Incidents: POST
/api/v1/incidents {"name", "message", "status" 1..4, "visible" 0|1,
"component_id", "component_status" 1..4}; PUT /api/v1/incidents/{id}.
Answers {"data": {..., "id": N}} (200), 401 for a wrong token, 400 for a
wrong shape, 404 for anything else. --delay-s holds every answer that long
(a slow Cachet). Stops on SIGTERM with status 0."""
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, TOKEN, RECORD = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DELAY = float(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--delay-s" else 0.0
lock = threading.Lock()
next_id = [100]


def status(v):
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4


def shape(method, path, body):
    """True when <body> is what Cachet's docs say <method> <path> takes."""
    if not isinstance(body, dict):
        return False
    if method == "PUT" and re.fullmatch(r"/api/v1/components/[1-9][0-9]*", path):
        return set(body) == {"status"} and status(body["status"])
    if method == "POST" and path == "/api/v1/incidents":
        ok = isinstance(body.get("name"), str) and body["name"] != ""
        ok = ok and isinstance(body.get("message"), str)
        ok = ok and status(body.get("status")) and body.get("visible") in (0, 1)
        if "component_id" in body or "component_status" in body:
            ok = ok and isinstance(body.get("component_id"), int)
            ok = ok and status(body.get("component_status"))
        return ok and set(body) <= {"name", "message", "status", "visible", "component_id",
                                    "component_status"}
    if method == "PUT" and re.fullmatch(r"/api/v1/incidents/[1-9][0-9]*", path):
        return status(body.get("status")) and set(body) <= {"name", "message", "status",
                                                            "visible", "component_id",
                                                            "component_status"}
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        token_ok = self.headers.get("X-Cachet-Token") == TOKEN
        ctype_ok = self.headers.get("Content-Type", "").startswith("application/json")
        shape_ok = ctype_ok and shape(self.command, self.path, body)
        with lock:
            with open(RECORD, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "token_ok": token_ok, "shape_ok": shape_ok,
                                    "body": body}) + "\n")
            if self.command == "POST" and shape_ok and token_ok:
                next_id[0] += 1
                rid = next_id[0]
            else:
                rid = int(self.path.rsplit("/", 1)[1]) if self.path[-1:].isdigit() else 0
        if DELAY > 0:
            time.sleep(DELAY)
        if not token_ok:
            return self.answer(401, {"errors": [{"status": 401}]})
        if not shape_ok:
            return self.answer(400, {"errors": [{"status": 400}]})
        data = dict(body)
        data["id"] = rid
        self.answer(200, {"data": data})

    do_PUT = handle_body
    do_POST = handle_body

    def do_GET(self):
        self.answer(404, {"errors": [{"status": 404}]})


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
server.serve_forever()
sys.exit(0)
