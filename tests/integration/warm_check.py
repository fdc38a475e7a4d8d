#!/usr/bin/env python3
"""Checks, independently of cachewarden, that Redis holds exactly the encoding
of every MySQL row of a dataset: reads the rows with the mariadb client (each
value hex-encoded, so any byte survives), computes the expected key, value and
TTL window per the README's rules, and compares with a small RESP client.
Prints one line per problem (at most 20) and a summary; exits 1 on any.
"""
import argparse
import decimal
import json
import re
import socket
import subprocess
import sys
import time


def mysql_rows(args, columns, kinds):
    exprs = []
    for c in columns:
        # HEX of a number is its value in base 16: take its text first.
        if kinds[c] == "bit":
            exprs.append(f"HEX(CAST(CAST(`{c}` AS UNSIGNED) AS CHAR))")
        elif kinds[c] != "text":
            exprs.append(f"HEX(CAST(`{c}` AS CHAR))")
        else:
            exprs.append(f"HEX(`{c}`)")
    sql = f"SELECT {', '.join(exprs)} FROM `{args.table}`"
    if args.where:
        sql += f" WHERE ({args.where})"
    out = subprocess.run(
        ["mariadb", "--no-defaults", "--protocol=socket", "-S", args.socket, "-uroot",
         args.database, "--batch", "--raw", "--skip-column-names", "-e", sql],
        check=True, capture_output=True).stdout
    for line in out.split(b"\n"):
        if not line:
            continue
        vals = line.split(b"\t")
        yield {c: (None if v == b"NULL" else bytes.fromhex(v.decode()))
               for c, v in zip(columns, vals)}


def column_types(args, columns):
    sql = ("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
           f"WHERE TABLE_SCHEMA='{args.database}' AND TABLE_NAME='{args.table}'")
    out = subprocess.run(
        ["mariadb", "--no-defaults", "--protocol=socket", "-S", args.socket, "-uroot",
         "--batch", "--raw", "--skip-column-names", "-e", sql],
        check=True, capture_output=True, text=True).stdout
    types = dict(line.split("\t") for line in out.splitlines())
    exact = {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "year"}
    kinds = {}
    for c in columns:
        t = types[c]
        kinds[c] = ("exact" if t in exact else "float" if t in ("float", "double")
                    else "bit" if t == "bit" else "text")
    return kinds


class Resp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")

    def send(self, cmds):
        out = bytearray()
        for cmd in cmds:
            out += b"*%d\r\n" % len(cmd)
            for a in cmd:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            return [self.read() for _ in range(int(rest))]
        raise RuntimeError(f"bad reply {line!r}")


# I-JSON (RFC 7493): integers beyond +-(2^53 - 1) do not survive IEEE doubles.
IJSON_MAX = decimal.Decimal(2**53 - 1)


def expected(args, row, kinds):
    key = args.key
    for c in sorted(row, key=len, reverse=True):
        if "{" + c + "}" in key:
            if row[c] is None:
                return None, None
            key = key.replace("{" + c + "}", row[c].decode("latin-1"))
    key = key.encode("latin-1")
    fields = args.columns.split(",")
    if args.type == "hash":
        # A row whose columns are all NULL has no hash: its key is deleted.
        return key, {c.encode(): row[c] for c in fields if row[c] is not None} or None
    if args.type == "string":
        # A NULL value deletes the key.
        return key, row[args.value_column]
    obj = {}
    for c in fields:
        v = row[c]
        if v is None:
            obj[c] = None
        elif kinds[c] != "text":
            n = decimal.Decimal(v.decode())
            big = kinds[c] != "float" and abs(n) > IJSON_MAX
            obj[c] = v.decode() if big and args.json_big_numbers == "string" else n
        else:
            obj[c] = v.decode("utf-8")
    return key, obj


def main():
    p = argparse.ArgumentParser()
    for a in ("socket", "table", "key", "type", "columns"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--key-column", help="unused: the key template names the columns")
    p.add_argument("--json-big-numbers", default="string", choices=("string", "number"))
    p.add_argument("--database", default="market_db")
    p.add_argument("--redis-port", type=int, required=True)
    p.add_argument("--value-column")
    p.add_argument("--where")
    p.add_argument("--ttl", type=int, default=0)
    p.add_argument("--jitter", type=int, default=0)
    p.add_argument("--started", type=int, default=0, help="epoch seconds when the warm began")
    args = p.parse_args()

    fields = args.columns.split(",")
    read_cols = list(dict.fromkeys(fields + re.findall(r"{([^}]*)}", args.key)))
    kinds = column_types(args, read_cols)
    rows = [r for r in mysql_rows(args, read_cols, kinds)]
    redis = Resp(args.redis_port)
    problems, checked = [], 0
    for start in range(0, len(rows), 2000):
        # A TTL counts down from the write, at most (now - started) ago; +2 for
        # whole-second clocks on both sides and TTL rounding to a second.
        elapsed = int(time.time()) - args.started + 2 if args.started else 600
        low = args.ttl - args.ttl * args.jitter // 100 - elapsed
        chunk = [expected(args, r, kinds) for r in rows[start:start + 2000]]
        chunk = [(k, v) for k, v in chunk if k is not None]
        read = "HGETALL" if args.type == "hash" else "GET"
        cmds = []
        for k, _ in chunk:
            cmds.append([read, k])
            cmds.append(["TTL", k])
        redis.send(cmds)
        for k, want in chunk:
            got, ttl = redis.read(), redis.read()
            checked += 1
            if args.type == "hash":
                got = dict(zip(got[0::2], got[1::2])) if got else None
            elif args.type == "json" and got is not None:
                got = json.loads(got, parse_float=decimal.Decimal, parse_int=decimal.Decimal)
            if got != want:
                problems.append(f"{k!r}: value {str(got)[:120]} != {str(want)[:120]}")
            if want is None:
                if ttl != -2:
                    problems.append(f"{k!r}: present (ttl {ttl}), but its value is NULL")
                continue
            if args.ttl == 0 and ttl != -1:
                problems.append(f"{k!r}: ttl {ttl}, expected none")
            if args.ttl > 0 and not low <= ttl <= args.ttl:
                problems.append(f"{k!r}: ttl {ttl} outside {low}..{args.ttl}")
    for line in problems[:20]:
        print(line)
    print(f"checked {checked} keys against {len(rows)} rows: {len(problems)} problems")
    sys.exit(1 if problems or checked == 0 else 0)


if __name__ == "__main__":
    main()
