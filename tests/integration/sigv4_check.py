#!/usr/bin/env python3
"""Re-signs a request that cachewarden sent, with botocore's SigV4Auth.

  sigv4_check.py LOGLINE SECRET_KEY [SESSION_TOKEN]

LOGLINE is one JSON line of aws_stub.py sns (method, path, headers, body).
The request is rebuilt from the headers cachewarden signed, signed again by
botocore for the same access key, region, service and X-Amz-Date, and the
two Authorization headers are compared. Prints "match" (exit 0), the
difference (exit 1), or why botocore is not there (exit 77).
"""
import base64
import datetime
import json
import re
import sys

try:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    print("botocore is not installed (apt-get install python3-botocore)")
    sys.exit(77)


class FixedClock(datetime.datetime):
    """datetime whose now is the request's X-Amz-Date (older botocore reads utcnow)."""

    fixed = None

    @classmethod
    def utcnow(cls):
        return cls.fixed


def main():
    entry = json.loads(sys.argv[1])
    secret = sys.argv[2]
    token = sys.argv[3] if len(sys.argv) > 3 else None
    headers = {k.lower(): v for k, v in entry["headers"]}
    authz = headers["authorization"]
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", authz)
    if not m:
        print("not a SigV4 Authorization header: " + authz)
        return 1
    access, _, region, service, signed = m.group(1, 2, 3, 4, 5)
    when = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    # Only what was signed goes in; botocore adds X-Amz-Date and the token itself.
    keep = {h: headers[h] for h in signed.split(";")
            if h not in ("x-amz-date", "x-amz-security-token")}
    url = "http://%s%s" % (headers["host"], entry["path"])
    req = AWSRequest(method=entry["method"], url=url, data=base64.b64decode(entry["body"]),
                     headers=keep)
    auth = botocore.auth.SigV4Auth(Credentials(access, secret, token), service, region)
    FixedClock.fixed = when
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *a, **k: when
    else:
        botocore.auth.datetime.datetime = FixedClock
    auth.add_auth(req)
    theirs = req.headers["Authorization"]
    if theirs == authz:
        print("match")
        return 0
    print("cachewarden: " + authz)
    print("botocore:    " + theirs)
    return 1


if __name__ == "__main__":
    sys.exit(main())
