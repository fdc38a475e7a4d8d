#!/usr/bin/env python3
"""A stand-in for AWS APIs that serves recorded answers, on 127.0.0.1.

  aws_double.py ROUTES DIR [SECRET [CLOCK_OFFSET]]

ROUTES is a JSON list of routes; the first whose conditions all hold
answers a request:
  {"action": "DescribeDBSnapshots",        (Query APIs: the form's Action)
   "path": "/backup-jobs/",                 (the path, without the query)
   "params": {"Marker": "m-2", "nextToken": null},  (equal; null: absent)
   "answers": [{"status": 429, "body": "..."}, {"status": 200, "file": "x.json"}]}
Answers are served in order, the last one again and again. A "file" is read
from the ROUTES file's directory. In bodies, @T-N@ becomes the Unix time N
seconds ago and @ISO-N@ the same time in ISO 8601 (recorded answers stay
fresh). JSON files are sent as application/x-amz-json-1.1, others as XML.

With SECRET, every request's SigV4 signature is checked with botocore's
SigV4Auth (the access key and scope taken from the request) and a wrong one
is answered 403 SignatureDoesNotMatch, and one whose X-Amz-Date is more than
15 minutes from the double's clock 400 RequestExpired, as AWS does (instance
metadata paths, /latest/..., are served unsigned). CLOCK_OFFSET seconds are
added to the double's clock, in those checks and in its Date header: a
server whose clock differs from the agent's. Each request is logged
to DIR/log as a JSON line (method, path, params, headers, and the client's
port as peer: one per connection); the port is
written to DIR/port. With botocore, parameters that the API's model does not
have are refused (400 ValidationException). Standard library only, but for
botocore.
"""
import datetime
import json
import os
import re
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = []
BASE = "."
DIR = "."
SECRET = None
OFFSET = 0
COUNTS = {}


def fill(text):
    now = int(time.time())

    def epoch(m):
        return str(now - int(m.group(1)))

    def iso(m):
        t = datetime.datetime.fromtimestamp(now - int(m.group(1)), datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    text = re.sub(r"@T-(\d+)@", epoch, text)
    return re.sub(r"@ISO-(\d+)@", iso, text)


def signature_ok(method, raw_path, headers, body):
    """None when the signature is right (or cannot be checked), else why not."""
    try:
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        return None
    authz = headers.get("authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", authz)
    if not m:
        return "no SigV4 Authorization header"
    access, _, region, service, signed, _sig = m.groups()
    when = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    keep = {h: headers[h] for h in signed.split(";")
            if h not in ("x-amz-date", "x-amz-security-token")}
    req = AWSRequest(method=method, url="http://%s%s" % (headers["host"], raw_path),
                     data=body, headers=keep)
    auth = botocore.auth.SigV4Auth(Credentials(access, SECRET,
                                               headers.get("x-amz-security-token")),
                                   service, region)
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *a, **k: when
    req.context["timestamp"] = headers["x-amz-date"]
    auth.add_auth(req)
    want = req.headers["Authorization"]
    return None if want == authz else "expected " + want


SESSION = []
QUERY_SERVICES = {"DescribeDBSnapshots": "rds", "DescribeDBClusterSnapshots": "rds",
                  "DescribeSnapshots": "elasticache"}


def unknown_params(method, path, params):
    """Parameters the API's model (botocore's) does not have: stricter than AWS,
    which ignores them, so that a misspelt filter fails here instead."""
    try:
        import botocore.session
    except ImportError:
        return None
    if not SESSION:
        SESSION.append(botocore.session.get_session())
    session = SESSION[0]
    if "Action" in params:
        service = QUERY_SERVICES.get(params["Action"])
        if service is None:
            return None
        op = session.get_service_model(service).operation_model(params["Action"])
        allowed = set(op.input_shape.members) | {"Action", "Version"}
    else:
        model = session.get_service_model("backup")
        for name in model.operation_names:
            op = model.operation_model(name)
            uri = re.sub(r"\{[^}]+\}", "[^/]+", op.http["requestUri"].split("?")[0])
            if op.http["method"] == method and re.fullmatch(uri, path):
                break
        else:
            return "no operation for %s %s" % (method, path)
        allowed = {m.serialization.get("name") for m in op.input_shape.members.values()
                   if m.serialization.get("location") == "querystring"}
    bad = sorted(set(params) - allowed)
    return "unknown parameters: " + ", ".join(bad) if bad else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: DIR/log is the record
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if self.command == "POST":
            params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                 keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {"method": self.command, "path": path, "params": params,
                 "headers": sorted(headers.items()), "peer": self.client_address[1]}
        with open(os.path.join(DIR, "log"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        # Instance metadata (/latest/...) is neither signed nor an AWS API.
        imds = path.startswith("/latest/")
        why = signature_ok(self.command, self.path, headers, body) if SECRET and not imds else None
        if why is not None:
            return self.reply(403, json.dumps({"__type": "SignatureDoesNotMatch",
                                               "message": why}), "application/json")
        if SECRET and not imds:
            sent = datetime.datetime.strptime(headers.get("x-amz-date", "19700101T000000Z"),
                                              "%Y%m%dT%H%M%SZ")
            sent = sent.replace(tzinfo=datetime.timezone.utc).timestamp()
            if abs(sent - (time.time() + OFFSET)) > 900:
                return self.reply(400, "<ErrorResponse><Error><Type>Sender</Type><Code>"
                                  "RequestExpired</Code><Message>Request has expired."
                                  "</Message></Error></ErrorResponse>", "text/xml")
        why = None if imds else unknown_params(self.command, path, params)
        if why is not None:
            return self.reply(400, json.dumps({"__type": "ValidationException",
                                               "message": why}), "application/json")
        for i, r in enumerate(ROUTES):
            if "action" in r and params.get("Action") != r["action"]:
                continue
            if "path" in r and path != r["path"]:
                continue
            if any(params.get(k) != v for k, v in r.get("params", {}).items()):
                continue
            n = COUNTS.get(i, 0)
            COUNTS[i] = n + 1
            a = r["answers"][min(n, len(r["answers"]) - 1)]
            if "file" in a:
                with open(os.path.join(BASE, a["file"]), "rb") as f:
                    text = f.read().decode("latin-1")
            else:
                text = a.get("body", "")
            ctype = a.get("type") or ("application/x-amz-json-1.1"
                                      if text.lstrip().startswith("{") else "text/xml")
            return self.reply(a.get("status", 200), fill(text), ctype)
        return self.reply(404, json.dumps({"__type": "UnknownOperationException",
                                           "message": "no route for " + self.path}),
                          "application/json")

    def date_time_string(self, timestamp=None):
        return super().date_time_string(time.time() + OFFSET)

    def reply(self, status, text, ctype):
        data = text.encode("latin-1")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer
    do_PUT = answer


def main():
    global ROUTES, BASE, DIR, SECRET, OFFSET
    with open(sys.argv[1]) as f:
        ROUTES = json.load(f)
    BASE = os.path.dirname(os.path.abspath(sys.argv[1]))
    DIR = sys.argv[2]
    SECRET = sys.argv[3] if len(sys.argv) > 3 else None
    OFFSET = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(DIR, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
