#!/usr/bin/env python3
"""Small AWS stand-ins for cachewarden's integration tests, on 127.0.0.1 only.

  aws_stub.py imds DIR    EC2 instance metadata, IMDSv2 only
  aws_stub.py sns DIR     an SNS endpoint that records every request and
                          answers as DIR/script says

The server binds an ephemeral port on 127.0.0.1 and writes it to DIR/port
(atomically), logs one JSON line per request to DIR/log, and stops on
SIGTERM. Standard library only.

imds: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds
(1-21600) and returns a new token; every GET needs a valid token, else 401.
A token dies after DIR/token_uses uses (a number; absent: never), so a
client must fetch a new one. The role "cw-role" gets fresh credentials on
every fetch: AccessKeyId ASIASTUB0001, ASIASTUB0002, ..., expiring
DIR/expires seconds from now (a number; default 3600).

sns: each POST is logged with its method, path, headers and body (base64).
DIR/script holds answers, one per line; each request takes (and removes)
the first line; with none left the answer is 200:
  200            a Publish answer with a MessageId
  200-noid       200 without a MessageId
  STATUS CODE [DATE_OFFSET]
                 an SNS error answer; DATE_OFFSET (seconds) shifts the Date
                 header, e.g. "400 RequestTimeTooSkewed 7200"
  slow SECONDS   wait SECONDS, then a Publish answer (a client's timeout
                 may come first)
  until EPOCH STATUS CODE
                 that error answer for every request until the Unix time
                 EPOCH, then the line is used up and the next one applies
With DIR/check_date present, a request whose X-Amz-Date is more than 5
minutes from the stub's clock is refused as SNS does ("403
SignatureDoesNotMatch: Signature expired: ..."), and so is one whose
credential scope date is not X-Amz-Date's day; the log says which.
"""
import base64
import calendar
import email.utils
import json
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, DIR = sys.argv[1], sys.argv[2]
LOCK = threading.Lock()
STATE = {"tokens": {}, "fetches": 0, "token_seq": 0}


def read_number(name, default):
    try:
        with open(os.path.join(DIR, name)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return default


def log(entry):
    with LOCK, open(os.path.join(DIR, "log"), "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: DIR/log is the record
        pass

    def reply(self, status, body, ctype="text/plain", date_offset=0):
        data = body.encode()
        self.send_response_only(status)
        self.send_header("Date", email.utils.formatdate(time.time() + date_offset, usegmt=True))
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    # ---- imds ----
    def token_ok(self):
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            left = STATE["tokens"].get(tok)
            if left is None or left == 0:
                return False
            STATE["tokens"][tok] = left - 1
        return True

    def imds_put(self):
        self.body()
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if self.path != "/latest/api/token" or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            log({"method": "PUT", "path": self.path, "status": 400})
            return self.reply(400, "bad token request")
        with LOCK:
            STATE["token_seq"] += 1
            tok = "stub-token-%d" % STATE["token_seq"]
            STATE["tokens"][tok] = read_number("token_uses", -1)
        log({"method": "PUT", "path": self.path, "status": 200, "ttl": int(ttl)})
        self.reply(200, tok)

    def imds_get(self):
        base = "/latest/meta-data/iam/security-credentials/"
        if not self.token_ok():
            log({"method": "GET", "path": self.path, "status": 401})
            return self.reply(401, "")
        if self.path == base:
            log({"method": "GET", "path": self.path, "status": 200})
            return self.reply(200, "cw-role\n")
        if self.path != base + "cw-role":
            log({"method": "GET", "path": self.path, "status": 404})
            return self.reply(404, "")
        with LOCK:
            STATE["fetches"] += 1
            n = STATE["fetches"]
        exp = time.gmtime(time.time() + read_number("expires", 3600))
        doc = {
            "Code": "Success",
            "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIASTUB%04d" % n,
            "SecretAccessKey": "stub-secret-%d" % n,
            "Token": "stub-session-%d" % n,
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", exp),
        }
        log({"method": "GET", "path": self.path, "status": 200, "key": doc["AccessKeyId"]})
        self.reply(200, json.dumps(doc, indent=2), "application/json")

    # ---- sns ----
    def next_answer(self):
        path = os.path.join(DIR, "script")
        with LOCK:
            try:
                with open(path) as f:
                    lines = [l for l in f if l.strip()]
            except OSError:
                lines = []
            while lines and lines[0].split()[0] == "until":
                words = lines[0].split()
                if time.time() < float(words[1]):
                    return words[2:]
                lines = lines[1:]
            if not lines:
                with open(path, "w") as f:
                    pass
                return ["200"]
            with open(path, "w") as f:
                f.writelines(lines[1:])
        return lines[0].split()

    def date_problem(self):
        """Why SNS would refuse this request's clock, or None."""
        if not os.path.exists(os.path.join(DIR, "check_date")):
            return None
        amz = self.headers.get("X-Amz-Date", "")
        auth = self.headers.get("Authorization", "")
        try:
            t = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
            scope = auth.split("Credential=")[1].split("/")[1]
        except (ValueError, IndexError):
            return "SignatureDoesNotMatch", "no X-Amz-Date or credential scope"
        now = time.time()
        if abs(t - now) > 300:
            return "SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (
                amz, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - 300)),
                time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
        if scope != amz[:8]:
            return "SignatureDoesNotMatch", "Credential should be scoped to a valid date: %s" % amz[:8]
        return None

    def sns_post(self):
        body = self.body()
        problem = self.date_problem()
        ans = ["403"] + list(problem) if problem else self.next_answer()
        log({
            "method": "POST",
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": base64.b64encode(body).decode(),
            "answer": " ".join(ans[:2]) if problem else " ".join(ans),
            "refused": problem[1] if problem else None,
            "stub_time": int(time.time()),
        })
        if problem:
            return self.reply(403, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
                              "<Message>%s</Message></Error></ErrorResponse>" % problem,
                              "text/xml")
        if ans[0] == "slow":
            time.sleep(float(ans[1]))
            ans = ["200"]
        if ans[0] == "200":
            mid = str(uuid.uuid4())
            return self.reply(200, "<PublishResponse><PublishResult><MessageId>%s</MessageId>"
                              "</PublishResult></PublishResponse>" % mid, "text/xml")
        if ans[0] == "200-noid":
            return self.reply(200, "<PublishResponse></PublishResponse>", "text/xml")
        status, code = int(ans[0]), ans[1]
        offset = int(ans[2]) if len(ans) > 2 else 0
        self.reply(status, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
                   "<Message>stub says %s</Message></Error></ErrorResponse>" % (code, code),
                   "text/xml", offset)

    def do_PUT(self):
        if MODE == "imds":
            return self.imds_put()
        self.reply(405, "")

    def do_GET(self):
        if MODE == "imds":
            return self.imds_get()
        self.reply(405, "")

    def do_POST(self):
        if MODE == "sns":
            return self.sns_post()
        self.reply(405, "")


def main():
    if MODE not in ("imds", "sns"):
        sys.exit("usage: aws_stub.py imds|sns DIR")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(DIR, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
