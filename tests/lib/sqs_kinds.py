#!/usr/bin/env python3
"""Reads every report off an SQS queue of the fauxqs emulator and prints one
line per distinct (kind, status[, event]) with how many arrived, sorted, so a
test or the demo reads reports by kind, never by arrival order.

usage: sqs_kinds.py ENDPOINT QUEUE_URL [SECONDS] [WANT...]
Stops when every WANT line ("restore detected lost") was seen, or after
SECONDS (default 20). Raw message delivery: each body is the report itself.
"""
import json
import os
import sys
import time
import urllib.request


def receive(endpoint, queue):
    region = os.environ.get("SNS_REGION", "us-east-1")
    key = os.environ.get("AWS_ACCESS_KEY_ID", "AKIDCACHEWARDENTEST")
    req = urllib.request.Request(
        endpoint + "/", method="POST",
        data=json.dumps({"QueueUrl": queue, "MaxNumberOfMessages": 10,
                         "WaitTimeSeconds": 1}).encode(),
        headers={"X-Amz-Target": "AmazonSQS.ReceiveMessage",
                 "Content-Type": "application/x-amz-json-1.0",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=%s/20260101/%s/sqs/"
                                  "aws4_request, SignedHeaders=host, Signature=0" % (key, region)})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r).get("Messages", [])


def label(body):
    try:
        d = json.loads(body)
    except ValueError:
        return "unreadable"
    s = "%s %s" % (d.get("kind"), d.get("status"))
    if "event" in d:
        s += " " + d["event"]
    return s


def main():
    endpoint, queue = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    want = set(sys.argv[4:])
    counts, end = {}, time.time() + seconds
    while time.time() < end:
        for m in receive(endpoint, queue):
            k = label(m["Body"])
            counts[k] = counts.get(k, 0) + 1
        if want and want <= set(counts):
            break
    for k in sorted(counts):
        print("%-32s %d" % (k, counts[k]))


if __name__ == "__main__":
    main()
