#!/usr/bin/env python3
"""Checks that two warms of the same rows, one written with commands (keys
under --commands PREFIX) and one with RESTORE (keys under --restore PREFIX),
left the same values in Redis: for every key, DUMP of the RESTORE-written key
equals DUMP of the command-written one byte for byte, the key counts equal
--count on both sides, and both TTLs fall in the window of --ttl seconds
shortened by up to --jitter percent. Prints one line per problem (at most
20) and a summary; exits 1 on any.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warm_check import Resp  # noqa: E402


def scan(r, prefix):
    keys, cursor = [], b"0"
    while True:
        r.send([["SCAN", cursor, "MATCH", prefix + b"*", "COUNT", 1000]])
        cursor, batch = r.read()
        keys += batch
        if cursor == b"0":
            return keys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--redis-port", type=int, required=True)
    p.add_argument("--commands", required=True)
    p.add_argument("--restore", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--ttl", type=int, default=0)
    p.add_argument("--jitter", type=int, default=0)
    p.add_argument("--started", type=float, default=0)
    args = p.parse_args()
    a, b = args.commands.encode(), args.restore.encode()
    r = Resp(args.redis_port)
    problems = []
    keys = scan(r, a)
    nb = len(scan(r, b))
    if len(keys) != args.count or nb != args.count:
        problems.append(f"{len(keys)} command-written and {nb} RESTOREd keys, want {args.count}")
    equal = 0
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        cmds = []
        for k in chunk:
            kb = b + k[len(a):]
            cmds += [["DUMP", k], ["DUMP", kb], ["PTTL", k], ["PTTL", kb]]
        r.send(cmds)
        # The time since the warm started, taken after the replies: the check is slow.
        replies = [(r.read(), r.read(), r.read(), r.read()) for _ in chunk]
        elapsed = time.time() - args.started if args.started else 0
        low = (args.ttl - args.ttl * args.jitter // 100 - elapsed - 1) * 1000
        for k, (da, db, ta, tb) in zip(chunk, replies):
            if da is None or db is None or da != db:
                problems.append(f"{k!r}: DUMP differs: {da!r:.120} != {db!r:.120}")
                continue
            if args.ttl == 0 and (ta != -1 or tb != -1):
                problems.append(f"{k!r}: TTLs {ta} and {tb} ms, want none")
                continue
            if args.ttl and not all(low <= t <= args.ttl * 1000 for t in (ta, tb)):
                problems.append(f"{k!r}: TTLs {ta} and {tb} ms outside [{low:.0f}, {args.ttl * 1000}]")
                continue
            equal += 1
    for line in problems[:20]:
        print(line)
    print(f"{equal} of {len(keys)} keys: DUMP equal and TTLs in the window; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
