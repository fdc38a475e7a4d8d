#!/usr/bin/env bash
# cachewarden verify on real exports: an RDB from redis-server SAVE, a gzip'd
# mariadb-dump, a Parquet file, a random blob. Digests cross-checked with
# b2sum -l 256 and python's zlib.crc32; corrupt copies (a flipped byte, one
# byte truncated, a zeroed RDB checksum, a dropped dump trailer) each with
# its exact verdict; CHANGED and MISSING against the manifest; manifest
# signatures checked both ways with Debian's minisign.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require redis-server redis-cli mariadbd mariadb-dump minisign b2sum gzip python3
harness_init
D=$HARNESS_DIR
G=$D/good
B=$D/bad
mkdir -p "$G" "$B" "$D/tree/2026/01" "$D/tree/2026/02" "$D/keys"

# h.py: JSON queries, manifest lookups and the expected texts of the corruptions.
cat >"$D/h.py" <<'PY'
import json, sys, zlib, gzip

def crc64(data):
    # Redis's CRC64: Jones polynomial, reflected, init 0, no final xor.
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x95AC9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    crc = 0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc

def rdb_verdict(d):
    # What rdb.c must say of an RDB of version >= 5, damaged as below: the
    # structure holds, so the checksum decides.
    version, stored = int(d[5:9]), int.from_bytes(d[-8:], "little")
    if stored == 0:
        return "UNCHECKED: rdb: version %d written without checksum (rdbchecksum no)" % version
    computed = crc64(d[:-8])
    if computed != stored:
        return "CORRUPT: rdb: crc64 mismatch (stored 0x%016x, computed 0x%016x)" % (stored, computed)
    return "OK"

def listed(rep, name, f, kind):
    s = [x for x in json.load(open(rep))["sets"] if x["name"] == name][0]
    for p in s[kind]:
        if p["file"] == (None if f == "-" else f):
            print(p.get("problem", p.get("warning")) + ": " + p["detail"])

cmd, a = sys.argv[1], sys.argv[2:]
if cmd in ("problems", "warnings"):
    listed(a[0], a[1], a[2], cmd)
elif cmd == "field":  # REPORT SET KEY
    s = [x for x in json.load(open(a[0]))["sets"] if x["name"] == a[1]][0]
    print(s[a[2]])
elif cmd == "entry":  # MANIFEST PATH: "crc32 blake2b" as recorded
    lines = open(a[0], encoding="utf-8", errors="surrogateescape").read().split("\n")
    for meta, digest in zip(lines, lines[1:]):
        if meta.startswith("# entry ") and digest.endswith("  " + a[1]):
            kv = dict(t.split("=", 1) for t in meta[8:].split())
            print(kv["crc32"], digest.lstrip("\\")[:64])
elif cmd == "crc32":
    print("%08x" % zlib.crc32(open(a[0], "rb").read()))
elif cmd == "rdb":  # IN OUT flip|trunc|zero: write the damaged copy, print the verdict
    d = bytearray(open(a[0], "rb").read())
    if a[2] == "flip":
        # Inside a string (the AUX redis-ver value): only the CRC64 can tell.
        d[d.find(b"redis-ver") + 10] ^= 0x01
    elif a[2] == "trunc":
        d = d[:-1]
    else:
        d[-8:] = bytes(8)
    open(a[1], "wb").write(d)
    if a[2] == "trunc":
        print("CORRUPT: rdb: truncated: 7 of the 8 checksum bytes after the EOF opcode at offset %d" % (len(d) - 8))
    else:
        print(rdb_verdict(bytes(d)))
elif cmd == "droptrailer":  # IN.gz OUT.gz
    sql = gzip.decompress(open(a[0], "rb").read())
    lines = sql.rstrip(b"\n").split(b"\n")
    assert lines[-1].startswith(b"-- Dump completed")
    sql = b"\n".join(lines[:-1]) + b"\n"
    open(a[1], "wb").write(gzip.compress(sql))
    end = len(sql.rstrip(b" \t\n\r\v\f"))
    print("CORRUPT: mysqldump: truncated: no '-- Dump completed' line at the end "
          "(inflated stream ends at offset %d); gzip: 1 member ok" % end)
PY
h() { python3 "$D/h.py" "$@"; }
quiet() { "$@" >/dev/null; }

# ---- real exports ---------------------------------------------------------
harness_start_redis
for ((i = 1; i <= 500; i++)); do
	printf 'HSET product:%d sku SKU-%08d name "Product %d" price %d.99 stock %d\n' \
		"$i" "$i" "$i" "$i" "$((i % 100))"
done | harness_redis_cli >/dev/null
harness_redis_cli save >/dev/null
cp "$REDIS_DIR/dump.rdb" "$G/redis.rdb"
harness_stop_redis

harness_start_mariadb
harness_seed_products 2000
mariadb-dump --no-defaults --protocol=SOCKET --socket="$MYSQL_SOCKET" -u "$(id -un)" \
	--single-transaction market_db products | gzip >"$G/market_db.sql.gz"
harness_stop_mariadb

cp "$HARNESS_ROOT/tests/data/formats/sample.parquet" "$G/sample.parquet"
cp "$G/sample.parquet" "$D/tree/2026/01/part-0.parquet"
cp "$G/sample.parquet" "$D/tree/2026/02/part-0.parquet"
head -c 3145728 /dev/urandom >"$G/blob.bin"
mkdir -p "$D/orig"
cp -p "$G"/* "$D/orig/"

conf=$D/agent.conf
mkdir -p "$D/state"
chmod 700 "$D/state"
cat >"$conf" <<CONF
[agent]
name = test-host
state_dir = $D/state
[verify]
workers = 2
manifest_dir = $D/manifests
[exports good]
path = $G/*
max_age = 1h
[exports bad]
path = $B/*
[exports tree]
path = $D/tree/*/*/*.parquet
format = parquet
CONF

out=$("$bin" -c "$conf" --json verify good 2>"$D/err") && rc=0 || rc=$?
printf '%s\n' "$out" >"$D/r1.json"
is "$rc" 0 "real exports verify clean: exit 0"
is "$(h field "$D/r1.json" good status)/$(h field "$D/r1.json" good files)" "ok/4" \
	"set ok, 4 files"
like "$(cat "$D/err")" 'info: verify good: ok: 4 files, [0-9.]+ [KM]iB, newest [0-9a-z ]+ old' \
	"one summary line on stderr"
is "$(h problems "$D/r1.json" good "$G/redis.rdb")$(h warnings "$D/r1.json" good "$G/redis.rdb")" \
	"" "the RDB of redis-server SAVE checks out (crc64)"

for f in redis.rdb market_db.sql.gz sample.parquet blob.bin; do
	rec=$(h entry "$D/manifests/good.manifest" "$G/$f")
	read -r crc digest <<<"$rec" || true
	is "$digest" "$(b2sum -l 256 "$G/$f" | cut -d' ' -f1)" "$f: BLAKE2b-256 equals b2sum -l 256"
	is "$crc" "$(h crc32 "$G/$f")" "$f: CRC32 equals python zlib.crc32"
done
ok "b2sum -l 256 -c accepts the manifest as it is" \
	b2sum -l 256 -c --quiet --strict "$D/manifests/good.manifest"
"$bin" -c "$conf" --json verify tree >"$D/rt.json" 2>/dev/null && rc=0 || rc=$?
is "$rc/$(h field "$D/rt.json" tree files)" "0/2" "a Parquet export tree: path */*/*.parquet"

# ---- corrupt copies --------------------------------------------------------
want_flip_rdb=$(h rdb "$G/redis.rdb" "$B/flip.rdb" flip)
want_trunc_rdb=$(h rdb "$G/redis.rdb" "$B/trunc.rdb" trunc)
want_zero_rdb=$(h rdb "$G/redis.rdb" "$B/zero.rdb" zero)
want_trailer=$(h droptrailer "$G/market_db.sql.gz" "$B/notrailer.sql.gz")
cp "$G/market_db.sql.gz" "$B/flip.sql.gz"
size=$(stat -c %s "$B/flip.sql.gz")
printf '\xff' | dd of="$B/flip.sql.gz" bs=1 seek=$((size / 2)) conv=notrunc status=none
head -c $((size - 1)) "$G/market_db.sql.gz" >"$B/trunc.sql.gz"
psize=$(stat -c %s "$G/sample.parquet")
head -c $((psize - 1)) "$G/sample.parquet" >"$B/trunc.parquet"

"$bin" -c "$conf" --json verify bad >"$D/r2.json" 2>/dev/null && rc=0 || rc=$?
is "$rc" 1 "corrupt copies: exit 1"
like "$want_flip_rdb" '^CORRUPT: rdb: crc64 mismatch' "(a flipped byte in an RDB breaks its CRC64)"
is "$(h problems "$D/r2.json" bad "$B/flip.rdb")" "$want_flip_rdb" "RDB, one byte flipped: CORRUPT, crc64 mismatch"
is "$(h problems "$D/r2.json" bad "$B/trunc.rdb")" "$want_trunc_rdb" "RDB truncated by one byte: CORRUPT"
is "$(h problems "$D/r2.json" bad "$B/zero.rdb")" "" "RDB with a zeroed checksum: not a failure..."
got=$(h warnings "$D/r2.json" bad "$B/zero.rdb")
is "${got%; structure of * keys sound}" "$want_zero_rdb" "...but UNCHECKED, not good"
gzip -t "$B/flip.sql.gz" 2>/dev/null && rc=0 || rc=$?
isnt "$rc" 0 "(gzip -t rejects the flipped dump too)"
like "$(h problems "$D/r2.json" bad "$B/flip.sql.gz")" \
	'^CORRUPT: gzip: member 1: (corrupt deflate data \(.*\)|crc32 mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)) at offset [0-9]+$' \
	"dump, one byte flipped: CORRUPT, with the offset"
is "$(h problems "$D/r2.json" bad "$B/trunc.sql.gz")" \
	"CORRUPT: gzip: member 1: truncated in trailer at offset $((size - 1))" \
	"dump truncated by one byte: CORRUPT, truncated in the trailer"
is "$(h problems "$D/r2.json" bad "$B/notrailer.sql.gz")" "$want_trailer" \
	"dump without its '-- Dump completed' line: CORRUPT"
is "$(h problems "$D/r2.json" bad "$B/trunc.parquet")" \
	"CORRUPT: parquet: no closing magic at offset $((psize - 5)) (truncated?)" \
	"Parquet truncated by one byte: CORRUPT"

# ---- CHANGED and MISSING against the manifest -----------------------------
printf '\x00' | dd of="$G/blob.bin" bs=1 seek=1500000 conv=notrunc status=none
touch -r "$D/orig/blob.bin" "$G/blob.bin"
h rdb "$D/orig/redis.rdb" "$G/redis.rdb" flip >/dev/null
rm "$G/sample.parquet"
"$bin" -c "$conf" --json verify good >"$D/r3.json" 2>/dev/null && rc=0 || rc=$?
is "$rc" 1 "after bit rot, a rewrite and a deletion: exit 1"
like "$(h problems "$D/r3.json" good "$G/blob.bin")" \
	'^CHANGED: content changed with size and mtime unchanged \(bit rot or tampering\): blake2b [0-9a-f]{16}\.\.\., recorded [0-9a-f]{16}\.\.\. \(first seen ' \
	"blob with a byte changed, same size and mtime: CHANGED (bit rot)"
like "$(h problems "$D/r3.json" good "$G/redis.rdb")" \
	$'^CORRUPT: rdb: crc64 mismatch .*\nCHANGED: rewritten since first seen .*: size [0-9]+ -> [0-9]+, mtime ' \
	"RDB rewritten with a flipped byte: CORRUPT and CHANGED"
like "$(h problems "$D/r3.json" good "$G/sample.parquet")" \
	'^MISSING: recorded file is gone \(mtime .*\); it should be kept until ' \
	"deleted inside its tier's window: MISSING"
b2sum -l 256 -c --quiet "$D/manifests/good.manifest" >/dev/null 2>&1 && rc=0 || rc=$?
isnt "$rc" 0 "b2sum -c of the manifest fails too: it keeps the recorded digests"
cp -p "$D/orig/"* "$G/"
"$bin" -c "$conf" verify good 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "originals restored: clean again"

# ---- signed manifests, both ways with minisign -----------------------------
K=$D/keys
minisign -G -W -p "$K/mini.pub" -s "$K/mini.key" >/dev/null 2>&1
chmod 600 "$K/mini.key"
sconf=$D/signed.conf
sed -e "s|^manifest_dir = .*|manifest_dir = $D/signed|" \
	-e "s|^\[verify\]|[verify]\ntrusted_key = $K/mini.pub\nsigning_key = $K/mini.key|" "$conf" >"$sconf"
M=$D/signed/good.manifest
"$bin" -c "$sconf" verify good 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "signing_key: the first run records and signs the manifest"
ok "minisign -V verifies cachewarden's signature" minisign -Vq -p "$K/mini.pub" -m "$M"
"$bin" -c "$sconf" verify good 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "the next run trusts it (trusted_key) and re-signs it"
printf '# an edit\n' >>"$M"
"$bin" -c "$sconf" --json verify good >"$D/r4.json" 2>/dev/null && rc=0 || rc=$?
is "$rc" 1 "a manifest edited after signing: exit 1"
is "$(h problems "$D/r4.json" good "$M")" \
	"BADSIG: signature verification failed: file altered or not signed by this key" "BADSIG"
minisign -Vq -p "$K/mini.pub" -m "$M" 2>/dev/null && rc=0 || rc=$?
isnt "$rc" 0 "(minisign -V rejects it as well)"
grep -q '^# an edit$' "$M" && rc=0 || rc=$?
ok_if "$rc" "a manifest failing its signature is not rewritten (nor re-signed)"
minisign -S -s "$K/mini.key" -m "$M" >/dev/null 2>&1
"$bin" -c "$sconf" verify good 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "signed again with minisign -S: cachewarden accepts minisign's signature"
rm "$M.minisig"
"$bin" -c "$sconf" --json verify good >"$D/r5.json" 2>/dev/null && rc=0 || rc=$?
like "$rc: $(h problems "$D/r5.json" good "$M")" '^1: UNSIGNED: no signature ' \
	"signature removed: UNSIGNED, exit 1"
ok "cachewarden manifest sign (minisign key)" quiet "$bin" manifest sign -s "$K/mini.key" "$M"
ok "minisign -V verifies it" minisign -Vq -p "$K/mini.pub" -m "$M"

"$bin" manifest keygen -p "$K/cw.pub" -s "$K/cw.key" >/dev/null && rc=0 || rc=$?
is "$rc:$(stat -c %a "$K/cw.key")" "0:600" "cachewarden manifest keygen: secret key mode 0600"
printf 'some file\n' >"$D/doc.txt"
ok "cachewarden manifest sign with its own key" quiet "$bin" manifest sign -s "$K/cw.key" "$D/doc.txt"
ok "minisign -V verifies a cachewarden key's signature" minisign -Vq -p "$K/cw.pub" -m "$D/doc.txt"
minisign -S -s "$K/cw.key" -m "$D/doc.txt" -t 'signed by minisign' >/dev/null 2>&1
out=$("$bin" manifest verify -p "$K/cw.pub" "$D/doc.txt") && rc=0 || rc=$?
is "$rc" 0 "minisign -S with a cachewarden key: cachewarden manifest verify accepts it"
like "$out" 'signature ok, trusted comment: signed by minisign$' "and reports the trusted comment"
"$bin" manifest verify -p "$K/mini.pub" "$D/doc.txt" 2>/dev/null && rc=0 || rc=$?
is "$rc" 1 "the wrong public key: exit 1"
tap_done
