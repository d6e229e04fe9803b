#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Re-signs, with botocore's S3SigV4Auth (python3-botocore), every request
tests/harness/s3capture.py recorded, and compares botocore's SignedHeaders
and Signature with those libcurl sent. botocore gets the method, the URL
as sent (host, path and query), the body, and only the headers the S3
client chose (Range, Content-Type, x-amz-request-payer): the host, the
date, the payload hash and the session token it works out itself, with
the date of the request (X-Amz-Date) instead of its clock.

Usage: sigv4_botocore.py RECORD_FILE ACCESS_KEY SECRET_KEY TOKEN REGION
Prints "checked N" and exits 0 when all N agree; else one line per
mismatch (with botocore's canonical request) and exits 1. The secret comes
on argv here because this is a test with a throw-away key.
"""
import base64
import json
import re
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Headers curl adds itself, or that botocore derives itself.
NOT_GIVEN = {"host", "accept", "user-agent", "content-length", "expect", "authorization",
             "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
AUTHZ = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), "
                   r"Signature=([0-9a-f]{64})$")


def main():
    record, access, secret, token, region = sys.argv[1:6]
    creds = Credentials(access, secret, token or None)
    bad = 0
    n = 0
    with open(record, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            hdr = {k.lower(): v for k, v in r["headers"]}
            m = AUTHZ.match(hdr.get("authorization", ""))
            if not m:
                print(f"{r['method']} {r['target']}: no SigV4 Authorization header")
                bad += 1
                continue
            url = f"http://{hdr['host']}{r['target']}"
            given = {k: v for k, v in r["headers"] if k.lower() not in NOT_GIVEN}
            req = AWSRequest(method=r["method"], url=url, headers=given,
                             data=base64.b64decode(r["body"]))
            req.context["timestamp"] = hdr["x-amz-date"]
            auth = S3SigV4Auth(creds, "s3", region)
            auth._modify_request_before_signing(req)
            creq = auth.canonical_request(req)
            sts = auth.string_to_sign(req, creq)
            sig = auth.signature(sts, req)
            signed = auth.signed_headers(auth.headers_to_sign(req))
            n += 1
            if sig != m.group(3) or signed != m.group(2):
                bad += 1
                print(f"{r['method']} {r['target']}: curl signed [{m.group(2)}] {m.group(3)}, "
                      f"botocore [{signed}] {sig}; botocore's canonical request: {creq!r}")
    if bad:
        sys.exit(1)
    print(f"checked {n}")


if __name__ == "__main__":
    main()
