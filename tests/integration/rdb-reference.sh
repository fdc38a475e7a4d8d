#!/usr/bin/env bash
# cachewarden verify against redis-check-rdb on RDBs saved here by the local
# redis-server with every data type (tests/data/redis-generated/fill.sh):
# with and without compression and checksum, with LRU and LFU metadata, and
# damaged: inside a listpack of a file without checksum, a duplicate set
# member, cut short, padded. For each file the verdict is the same: CORRUPT
# exactly when redis-check-rdb reports an error.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require redis-server redis-cli redis-check-rdb python3
harness_init
D=$HARNESS_DIR
F=$D/files
mkdir -p "$F" "$D/state"
chmod 700 "$D/state"
harness_start_redis
C="redis-cli -h 127.0.0.1 -p $REDIS_PORT"
export C
bash "$HARNESS_ROOT/tests/data/redis-generated/fill.sh"
save() { # save NAME: SAVE and keep the file
	[[ $($C SAVE) == OK ]] || return 1
	cp "$REDIS_DIR/dump.rdb" "$F/$1.rdb"
}
save all-types
$C CONFIG SET rdbcompression no >/dev/null
save no-compression
$C CONFIG SET rdbcompression yes >/dev/null
$C CONFIG SET maxmemory-policy allkeys-lru >/dev/null
save lru
$C CONFIG SET maxmemory-policy allkeys-lfu >/dev/null
save lfu
# rdbchecksum cannot change at run time: restart without it (dump.rdb loads).
harness_stop_redis
harness_start_redis --rdbchecksum no
is "$($C DBSIZE)" 17 "the restarted server loaded the keys of db 0"
save no-checksum

python3 - "$F" <<'PY'
import sys
d = sys.argv[1]
nock = bytearray(open(d + "/no-checksum.rdb", "rb").read())
full = open(d + "/all-types.rdb", "rb").read()
def put(name, data):
    open("%s/%s.rdb" % (d, name), "wb").write(data)
def flipped(off, bit):
    e = bytearray(nock)
    e[off] ^= bit
    return e
i = nock.find(b"lpmarker")           # a field of a small hash, in a listpack
put("damaged-lp-encoding", flipped(i - 1, 0x01))   # entry length 8 -> 9
put("damaged-lp-content", flipped(i + 2, 0x20))    # a letter of the field
j = nock.rfind(b"hsmall", 0, i)
put("damaged-lp-header", flipped(j + 7, 0x01))     # the listpack's total bytes
k = nock.find(b"\x09member-13")      # a member of a large (plain) set
e = bytearray(nock)
e[k + 9] = ord("2")                                # member-13 -> member-12
put("damaged-set-duplicate", e)
put("cut-third", full[: len(full) // 3])
put("cut-checksum", full[:-3])
put("padded", full + bytes(512))
PY

cat >"$D/agent.conf" <<CONF
[agent]
name = test-host
state_dir = $D/state

[verify]
manifest_dir = $D/manifests
[exports ref]
path = $F/*.rdb
max_age = 1h
CONF
"$bin" -c "$D/agent.conf" --json verify ref >"$D/report.json" 2>"$D/err" || true
ok "verify wrote a JSON report" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$D/report.json"
n=0
for f in "$F"/*.rdb; do
	if redis-check-rdb "$f" >"$D/ref.log" 2>&1; then want=ok; else want=error; fi
	got=$(python3 - "$D/report.json" "$f" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["sets"][0]
bad = [p for p in s["problems"] if p["file"] == sys.argv[2] and p["problem"] == "CORRUPT"]
print("error: " + bad[0]["detail"] if bad else "ok")
PY
)
	is "${got%%:*}" "$want" "$(basename "$f"): redis-check-rdb says $want (cachewarden: ${got})"
	n=$((n + 1))
done
is "$n" 12 "every saved and damaged file compared"
like "$(python3 -c 'import json,sys; print([w["detail"] for w in json.load(open(sys.argv[1]))["sets"][0]["warnings"] if w["file"].endswith("/padded.rdb")])' "$D/report.json")" \
	'512 bytes after the end at offset [0-9]+ ignored, as redis-check-rdb does' \
	"zero bytes after the checksum: a WARNING, not CORRUPT"
tap_done
