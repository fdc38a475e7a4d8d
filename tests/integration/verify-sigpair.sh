#!/usr/bin/env bash
# The manifest and its signature change as one unit: a crash between writing
# the manifest and renaming its signature into place is completed by the next
# run (no BADSIG), a pending signature that does not verify the manifest is
# still BADSIG, and verify runs started together on the same set never see
# each other's half-written pair (they take the set's lock in turn).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require minisign python3
harness_init
D=$HARNESS_DIR
K=$D/keys
mkdir -p "$D/state" "$D/files" "$K"
chmod 700 "$D/state"
minisign -G -W -p "$K/mini.pub" -s "$K/mini.key" >/dev/null 2>&1
minisign -G -W -p "$K/other.pub" -s "$K/other.key" >/dev/null 2>&1
chmod 600 "$K/mini.key" "$K/other.key"
for i in 1 2 3; do head -c 100000 /dev/urandom >"$D/files/f$i.bin"; done
cat >"$D/agent.conf" <<CONF
[agent]
name = test-host
state_dir = $D/state

[verify]
manifest_dir = $D/manifests
signing_key = $K/mini.key
trusted_key = $K/mini.pub
[exports s]
path = $D/files/*.bin
max_age = 1h
CONF
M=$D/manifests/s.manifest
run() { "$bin" -c "$D/agent.conf" --json verify s >"$D/$1.json" 2>"$D/$1.err"; }
problems() {
	python3 -c 'import json,sys; print(" ".join(p["problem"] for p in json.load(open(sys.argv[1]))["sets"][0]["problems"]))' "$D/$1.json"
}

run r1 && rc=0 || rc=$?
is "$rc" 0 "first run: manifest written and signed"
cp "$M.minisig" "$D/sig1"
sleep 1 # the next manifest records another time, so its text differs
run r2 && rc=0 || rc=$?
is "$rc" 0 "second run: manifest rewritten and re-signed"
isnt "$(cat "$M.minisig")" "$(cat "$D/sig1")" "(the signature changed with the text)"

# The crash: the new manifest is in place, its signature still pending, the old one beside it.
mv "$M.minisig" "$M.minisig.pending"
cp "$D/sig1" "$M.minisig"
minisign -Vq -p "$K/mini.pub" -m "$M" 2>/dev/null && rc=0 || rc=$?
isnt "$rc" 0 "(the interrupted pair does not verify with minisign)"
run r3 && rc=0 || rc=$?
is "$rc:$(problems r3)" "0:" "after a crash between the writes: no BADSIG, exit 0"
like "$(cat "$D/r3.err")" 'completed an interrupted signature write' "the run says it completed the write"
ok "and the pair on disk verifies again (minisign -V)" minisign -Vq -p "$K/mini.pub" -m "$M"
[[ ! -e $M.minisig.pending ]] && rc=0 || rc=1
ok_if "$rc" "no pending signature is left behind"

# A pending signature that is not this manifest's, or not by the trusted key: still BADSIG.
sleep 1
run r4 >/dev/null || true
mv "$M.minisig" "$D/sig4"
cp "$D/sig1" "$M.minisig"
cp "$D/sig1" "$M.minisig.pending"
run r5 && rc=0 || rc=$?
is "$rc:$(problems r5)" "1:BADSIG" "a pending signature of another manifest text: BADSIG"
cp "$M" "$D/m.copy"
minisign -S -s "$K/other.key" -m "$D/m.copy" -x "$M.minisig.pending" >/dev/null 2>&1
run r6 && rc=0 || rc=$?
is "$rc:$(problems r6)" "1:BADSIG" "a pending signature by another key: BADSIG"
grep -q 'completed an interrupted' "$D/r6.err" && rc=1 || rc=0
ok_if "$rc" "(and nothing is completed with it)"
mv "$D/sig4" "$M.minisig"
rm -f "$M.minisig.pending"
run r7 && rc=0 || rc=$?
is "$rc" 0 "the real signature back: clean"

# Runs started together: each takes the lock in turn; none sees a half-written pair.
bad=0
for i in $(seq 1 8); do
	run "p$i-a" &
	a=$!
	run "p$i-b" &
	b=$!
	wait "$a" || true
	wait "$b" || true
	for x in a b; do
		[[ -z $(problems "p$i-$x") ]] || { bad=$((bad + 1)); diag "run p$i-$x: $(problems "p$i-$x")"; }
	done
done
is "$bad" 0 "16 verify runs in 8 concurrent pairs: no BADSIG or other problem"
ok "the pair verifies after them" minisign -Vq -p "$K/mini.pub" -m "$M"
tap_done
