#!/usr/bin/env bash
# cachewarden verify on files made here, no servers: every awkward thing a
# glob can match (empty, unreadable, a directory, a FIFO, a dangling link,
# random bytes named .rdb and .gz, a name with a space and one with a
# newline, a file growing during the read), then freshness, retention and
# gaps with mtimes set by touch -d, and MISSING inside and outside the window.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
data=$HARNESS_ROOT/tests/data/formats
harness_require python3 b2sum
harness_init
D=$HARNESS_DIR
conf=$D/agent.conf
now=$(date +%s)
mkdir -p "$D/state"
chmod 700 "$D/state"
# No servers here: the config has no [mysql] or [redis] to point at them.
cat >"$conf" <<CONF
[agent]
name = test-host
state_dir = $D/state

[verify]
workers = 3
manifest_dir = $D/manifests
[exports odd]
path = $D/odd/*
max_age = 1h
[exports aged]
path = $D/aged/*.sql
max_age = 26h
retention = 5
tier = standard
[exports fresh]
path = $D/fresh/*.rdb
max_age = 7h
retention = 3
tier = critical
CONF

# problems REPORT SET FILE: "PROBLEM: detail" of FILE ("-": the set as a whole).
problems() {
	python3 - "$@" <<'PY'
import json, sys
rep, name, f = sys.argv[1:4]
kind = sys.argv[4] if len(sys.argv) > 4 else "problems"
s = [x for x in json.load(open(rep))["sets"] if x["name"] == name][0]
for p in s[kind]:
    if p["file"] == (None if f == "-" else f):
        print(p.get("problem", p.get("warning")) + ": " + p["detail"])
PY
}
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- the odd set -----------------------------------------------------------
O=$D/odd
mkdir -p "$O" "$O/dir.rdb"
head -c 2097152 /dev/urandom >"$O/good.bin"
cp "$data/dump.rdb" "$O/with space.rdb"
nl_name=$O/$'new\nline.gz'
cp "$data/shop.sql.gz" "$nl_name"
# Zero padding after the gzip stream, as a tape-blocked tar.gz has it: gzip -t
# accepts it with a warning, and so does verify.
{ cat "$data/shop.sql.gz"; head -c 10240 /dev/zero; } >"$O/padded.sql.gz"
: >"$O/empty.rdb"
{ printf X; head -c 4000 /dev/urandom; } >"$O/random.rdb"
cp "$O/random.rdb" "$O/random.gz"
ln -s "$D/nowhere" "$O/dangling.gz"
mkfifo "$O/fifo"
# Root reads a mode 000 file; it cannot read a write-only sysctl.
if [[ $(id -u) -eq 0 ]]; then
	ln -s /proc/sys/vm/drop_caches "$O/unreadable"
else
	printf x >"$O/unreadable"
	chmod 000 "$O/unreadable"
fi
unreadable_ok=0
python3 -c 'import sys; open(sys.argv[1], "rb")' "$O/unreadable" 2>/dev/null || unreadable_ok=1

out=$("$bin" -c "$conf" --json verify odd 2>"$D/err") && rc=0 || rc=$?
printf '%s\n' "$out" >"$D/r1.json"
is "$rc" 1 "verify exits 1 when a set has problems"
ok "the report is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$D/r1.json"
is "$(problems "$D/r1.json" odd "$O/empty.rdb")" "CORRUPT: empty file (0 bytes)" "empty file: CORRUPT"
is "$(problems "$D/r1.json" odd "$O/random.rdb")" \
	"CORRUPT: rdb: bad magic at offset 0 (not a Redis RDB file)" "random bytes named .rdb: CORRUPT"
is "$(problems "$D/r1.json" odd "$O/random.gz")" \
	"CORRUPT: gzip: not a gzip file (bad magic 0x58) at offset 0" "random bytes named .gz: CORRUPT"
is "$(problems "$D/r1.json" odd "$O/dir.rdb")" "UNREADABLE: not a regular file: a directory" \
	"a directory matching the glob: UNREADABLE"
is "$(problems "$D/r1.json" odd "$O/dangling.gz")" "UNREADABLE: dangling symbolic link" \
	"a dangling symlink: UNREADABLE"
is "$(problems "$D/r1.json" odd "$O/fifo")" "UNREADABLE: not a regular file: a FIFO" \
	"a FIFO: UNREADABLE, and the run did not block on it"
if ((unreadable_ok)); then
	is "$(problems "$D/r1.json" odd "$O/unreadable")" "UNREADABLE: open: Permission denied" \
		"a file that cannot be opened: UNREADABLE"
else
	skip "no file unreadable for $(id -un) here"
fi
is "$(problems "$D/r1.json" odd "$O/good.bin")" "" "random bytes without a format name: no problem"
is "$(problems "$D/r1.json" odd "$O/with space.rdb")" "" "a name with a space: checked, no problem"
is "$(problems "$D/r1.json" odd "$nl_name")" "" "a name with a newline: checked, no problem"
gzip -tv "$O/padded.sql.gz" >/dev/null 2>"$D/gzip-err" && rc=0 || rc=$?
is "$rc:$(grep -c 'decompression OK, trailing zero bytes ignored' "$D/gzip-err")" "2:1" \
	"gzip -tv: zero padding is ok, with a warning (exit 2)"
is "$(problems "$D/r1.json" odd "$O/padded.sql.gz")" "" "zero padding after gzip: no problem"
like "$(problems "$D/r1.json" odd "$O/padded.sql.gz" warnings)" \
	'^WARNING: mysqldump: complete .*; gzip: 1 member ok; warning: 10240 bytes of zero padding at offset [0-9]+ after member 1 ignored' \
	"zero padding after gzip: a warning naming the padding"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"][0]["files"])' "$D/r1.json")" \
	8 "files counts the regular files (FIFO, directory, dangling link excluded)"
like "$(cat "$D/err")" 'UNREADABLE [^ ]*/odd/dangling\.gz: dangling symbolic link' "stderr lists each problem"
grep -q 'odd/new\\nline\.gz' "$D/manifests/odd.manifest" && rc=0 || rc=$?
ok_if "$rc" "the manifest escapes the newline as b2sum does"
like "$(cat "$D/err")" 'error: verify odd: FAILED: [34] UNREADABLE, 3 CORRUPT; 8 files' \
	"one summary line for the set"
# The manifest records the four good files only, and b2sum -c agrees with it.
ok "b2sum -l 256 -c checks the manifest, the escaped name included" \
	b2sum -l 256 -c --quiet --strict "$D/manifests/odd.manifest"
is "$(grep -c '^# entry ' "$D/manifests/odd.manifest")" 4 "only readable, uncorrupted files are recorded"

# A name with a newline in a problem: escaped on stderr, intact in JSON.
bad_nl=$O/$'bad\nname.rdb'
printf 'garbage' >"$bad_nl"
"$bin" -c "$conf" --json verify odd >"$D/r2.json" 2>"$D/err2" || true
like "$(grep 'bad\\nname' "$D/err2")" 'CORRUPT [^ ]*/odd/bad\\nname\.rdb: rdb: bad magic' \
	"stderr escapes the newline in a name (one line per problem)"
is "$(problems "$D/r2.json" odd "$bad_nl")" \
	"CORRUPT: rdb: bad magic at offset 0 (not a Redis RDB file)" "JSON carries the name with its newline"
rm -f -- "$bad_nl"

# A file growing while it is read.
rm -f "$O/fifo" "$O/unreadable" "$O/dangling.gz" "$O/empty.rdb" "$O/random.rdb" "$O/random.gz"
rmdir "$O/dir.rdb"
head -c 134217728 /dev/urandom >"$O/growing.bin"
got=
for try in 1 2 3; do
	(for ((i = 0; i < 2000; i++)); do printf x >>"$O/growing.bin"; sleep 0.005; done) &
	writer=$!
	sleep 0.1
	"$bin" -c "$conf" --json verify odd >"$D/r3.json" 2>/dev/null || true
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	got=$(problems "$D/r3.json" odd "$O/growing.bin")
	[[ $got == UNREADABLE:* ]] && break
	diag "try $try: the writer did not hit the read window: $got"
done
like "$got" '^UNREADABLE: changed during read: size [0-9]+ -> [0-9]+ bytes, mtime changed, ' \
	"a file growing during the read: UNREADABLE, changed during read"
is "$(grep -c 'growing.bin' "$D/manifests/odd.manifest")" 0 "and its digest is not recorded"
rm -f "$O/growing.bin"
"$bin" -c "$conf" verify odd 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "the set is clean again once the odd files are gone"

# ---- freshness, retention, gaps --------------------------------------------
A=$D/aged
mkdir -p "$A"
now=$(date +%s)
for k in 2 3 5 6 181; do
	cp "$data/shop.sql" "$A/day-$k.sql"
	touch -d "@$((now - k * 86400))" "$A/day-$k.sql"
done
"$bin" -c "$conf" --json verify aged >"$D/r4.json" 2>/dev/null && rc=0 || rc=$?
is "$rc" 1 "aged set fails"
is "$(problems "$D/r4.json" aged -)" "STALE: newest file is 2d old, max_age 1d 2h
RETENTION: 4 files inside the standard tier's 180d window, 5 expected
GAP: no file between $(at $((now - 5 * 86400))) and $(at $((now - 3 * 86400))) (2d), more than 1d 12h = 1.5 x the standard tier's 1d interval" \
	"STALE, RETENTION and GAP with their dates (the 181-day-old file is outside the window)"
like "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"][0]["newest_age_s"])' "$D/r4.json")" \
	'^1728[0-9][0-9]$' "newest_age_s is the newest file's age"
rm "$A/day-6.sql" "$A/day-181.sql"
"$bin" -c "$conf" --json verify aged >"$D/r5.json" 2>/dev/null || true
is "$(problems "$D/r5.json" aged "$A/day-6.sql")" \
	"MISSING: recorded file is gone (mtime $(at $((now - 6 * 86400))), last verified $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["started_at"])' "$D/r4.json")); it should be kept until $(at $((now + 174 * 86400)))" \
	"a recorded file gone inside the window: MISSING"
is "$(problems "$D/r5.json" aged "$A/day-181.sql")" "" "one gone after its window: rotated out, no problem"
grep -q 'day-181' "$D/manifests/aged.manifest" && rc=1 || rc=0
ok_if "$rc" "and forgotten by the manifest"
grep -q 'day-6' "$D/manifests/aged.manifest" && rc=0 || rc=1
ok_if "$rc" "while the missing one stays recorded"

F=$D/fresh
mkdir -p "$F"
now=$(date +%s)
for h in 1 7 13; do
	cp "$data/dump.rdb" "$F/h$h.rdb"
	touch -d "@$((now - h * 3600))" "$F/h$h.rdb"
done
"$bin" -c "$conf" verify fresh 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "critical tier, every 6 h, newest 1 h old: clean"
touch -d "@$((now - 11 * 3600))" "$F/h7.rdb"
touch -d "@$((now - 19 * 3600))" "$F/h13.rdb"
"$bin" -c "$conf" --json verify fresh >"$D/r6.json" 2>/dev/null && rc=0 || rc=$?
is "$(problems "$D/r6.json" fresh -)" "GAP: no file between $(at $((now - 11 * 3600))) and $(at $((now - 3600))) (10h), more than 9h = 1.5 x the critical tier's 6h interval" \
	"a 10 h gap in a 6-hourly tier: GAP (touching changed no content: no CHANGED)"
"$bin" -c "$conf" verify nosuchset 2>/dev/null && rc=0 || rc=$?
is "$rc" 2 "an unknown set name exits 2"
tap_done
