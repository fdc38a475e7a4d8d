#!/usr/bin/env bash
# cachewarden verify against redis-check-aof on AOFs written here by the
# local redis-server: a multi-part directory with an RDB preamble base and
# one with a RESP base (with timestamp annotations and a transaction), the
# old single-file form (preamble + commands), and damaged copies: cut inside
# a command, cut inside MULTI..EXEC, garbage or zero bytes after the end, a
# damaged preamble; and the multi-part directories through their manifests,
# whole and with an incr file missing. For each file the verdict is the
# same: CORRUPT exactly when redis-check-aof says the AOF is not valid; a
# cut reports the offset redis-check-aof's --fix would truncate to.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require redis-server redis-cli redis-check-aof python3
harness_init
D=$HARNESS_DIR
F=$D/files
mkdir -p "$F" "$D/state"
chmod 700 "$D/state"

# RESP base: no preamble; timestamps annotate the commands.
harness_start_redis --appendonly yes --aof-use-rdb-preamble no --aof-timestamp-enabled yes
C="redis-cli -h 127.0.0.1 -p $REDIS_PORT"
export C
bash "$HARNESS_ROOT/tests/data/redis-generated/fill.sh"
printf 'MULTI\nSET tx 1\nINCR tx\nEXEC\n' | $C >/dev/null
$C SET last 1 >/dev/null
harness_stop_redis
cp "$REDIS_DIR"/appendonlydir/*.incr.aof "$F/resp.aof"
cp -r "$REDIS_DIR"/appendonlydir "$D/mp-resp"
# The same directory with its incr file gone.
cp -r "$D/mp-resp" "$D/mp-missing"
rm "$D"/mp-missing/*.incr.aof
rm -rf "$REDIS_DIR"/appendonlydir "$REDIS_DIR"/dump.rdb

# RDB preamble: rewrite after the data, then a few more commands.
harness_start_redis --appendonly yes --aof-use-rdb-preamble yes
bash "$HARNESS_ROOT/tests/data/redis-generated/fill.sh"
$C BGREWRITEAOF >/dev/null
for _ in $(seq 1 100); do
	[[ $($C INFO persistence | tr -d '\r' | grep -c '^aof_rewrite_in_progress:0') -eq 1 &&
		-n $(ls "$REDIS_DIR"/appendonlydir/*.base.rdb 2>/dev/null) ]] && break
	sleep 0.1
done
$C SET after rewrite >/dev/null
$C RPUSH l2 a b >/dev/null
harness_stop_redis
cp "$REDIS_DIR"/appendonlydir/*.base.rdb "$F/base.rdb"
cp "$REDIS_DIR"/appendonlydir/*.incr.aof "$F/incr.aof"
cp -r "$REDIS_DIR"/appendonlydir "$D/mp-preamble"
cat "$F/base.rdb" "$F/incr.aof" >"$F/preamble.aof"

python3 - "$F" <<'PY'
import sys
d = sys.argv[1]
resp = open(d + "/resp.aof", "rb").read()
pre = open(d + "/preamble.aof", "rb").read()
def put(name, data):
    open("%s/%s" % (d, name), "wb").write(data)
put("resp-cut.aof", resp[:-5])
put("resp-cut-in-multi.aof", resp[:resp.rfind(b"EXEC") - 8])
put("resp-garbage.aof", resp + b"garbage\r\n")
put("resp-zeros.aof", resp + bytes(16))
put("preamble-cut.aof", pre[:-3])
i = pre.find(b"lpmarker")
put("preamble-damaged.aof", pre[:i - 1] + bytes([pre[i - 1] ^ 1]) + pre[i:])
PY

cat >"$D/agent.conf" <<CONF
[agent]
name = test-host
state_dir = $D/state

[verify]
manifest_dir = $D/manifests
[exports ref]
path = $F/*
max_age = 1h
[exports multipart]
path = $D/mp-*/*.manifest
max_age = 1h
CONF
"$bin" -c "$D/agent.conf" --json verify ref multipart >"$D/report.json" 2>"$D/err" || true
ok "verify wrote a JSON report" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$D/report.json"
verdict() { # FILE: "ok" or "error: DETAIL"
	python3 - "$D/report.json" "$1" <<'PY'
import json, sys
sets = json.load(open(sys.argv[1]))["sets"]
bad = [p for s in sets for p in s["problems"] if p["file"] == sys.argv[2]]
print("error: " + bad[0]["problem"] + " " + bad[0]["detail"] if bad else "ok")
PY
}
n=0
# redis-check-aof checks a multi-part set through its manifest, as verify does.
for f in "$F"/*.aof "$D"/mp-*/*.manifest; do
	if redis-check-aof "$f" >"$D/ref.log" 2>&1; then want=ok; else want=error; fi
	got=$(verdict "$f")
	is "${got%%:*}" "$want" "${f#"$D"/}: redis-check-aof says $want (cachewarden: $got)"
	n=$((n + 1))
	if [[ $want == error && $f != *.manifest ]] && grep -q 'ok_up_to=' "$D/ref.log"; then
		upto=$(sed -n 's/.*ok_up_to=\([0-9]*\),.*/\1/p' "$D/ref.log")
		like "$got" "whole up to offset $upto " "$(basename "$f"): whole up to offset $upto, as redis-check-aof says"
	fi
done
is "$n" 12 "every AOF and manifest compared"
like "$(verdict "$D/mp-missing/appendonly.aof.manifest")" "missing beside it: appendonly.aof.1.incr.aof" \
	"the manifest whose incr file is gone names it"
like "$(verdict "$F/base.rdb")" '^ok$' "the multi-part base RDB checks out as an RDB"
tap_done
