#!/usr/bin/env bash
# tests/faults/faults.sh: the fault suite (`make check-faults`). Each case
# runs the real binary against real servers on 127.0.0.1 (tests/lib/harness.sh:
# MariaDB, Redis; tests/integration/aws_stub.py for SNS), injects one fault,
# asserts the outcome, and prints `CASE name: ok|FAILED|skipped (why)`.
#
#   warm:     Redis paused (SIGSTOP) past the 30 s I/O timeout; MySQL KILL
#             CONNECTION; a MySQL restart; the agent SIGKILLed mid-warm, then
#             --resume: every key present and equal to its row.
#   verify:   SIGKILLed mid-verify, then run again: a whole manifest that
#             b2sum -c accepts; temp files of interrupted writes removed.
#   delivery: SIGKILLed mid `spool flush`, then flushed again: every report
#             arrives, at most the one in flight twice (at-least-once).
#   SNS:      endpoint down; slow past the 20 s timeout; 500; throttling;
#             403 SignatureDoesNotMatch for a minute then 200 (held, not dead).
#   disk:     a full tmpfs under the spool and under state_dir: clear errors,
#             no corrupt record or checkpoint, recovery when space returns
#             (skipped with the reason where mount is not permitted).
#   clock:    the agent's wall clock stepped forward, back and across midnight
#             (faketime) against an SNS stub that checks SigV4 dates; and
#             `run`'s verify schedule as its clock steps 2 h forward, 2 h
#             back and 400 days back.
#
# Wall time: about eight minutes (the SIGSTOP, the slow answer and the
# minute of 403s are real time). Exit 1 when a case failed.
set -uo pipefail

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${builddir:-$srcdir}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"
bin=${CACHEWARDEN:-$builddir/cachewarden}
stub=$srcdir/tests/integration/aws_stub.py
check=$srcdir/tests/integration/warm_check.py

for c in mariadbd redis-server python3 b2sum; do
	command -v "$c" >/dev/null 2>&1 || _harness_find_sbin "$c" >/dev/null || {
		echo "faults: $c is missing (scripts/install-deps.sh)"
		exit 1
	}
done

harness_init
harness_start_mariadb || exit 1
harness_start_redis || exit 1
rows=60000
harness_seed_products "$rows" || exit 1

unset AWS_SESSION_TOKEN AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIDFAULTS AWS_SECRET_ACCESS_KEY=faults/secret+KEY

sns=$HARNESS_DIR/sns
mkdir -p "$sns"
python3 "$stub" sns "$sns" </dev/null >"$sns/stdout" 2>&1 &
stub_pid=$!
harness_on_exit "harness_stop_pid $stub_pid 5"
harness_wait_for 10 "$stub_pid" test -s "$sns/port" || {
	echo "faults: aws_stub.py did not start"
	exit 1
}
sns_port=$(cat "$sns/port")

state=$HARNESS_DIR/state
spool=$HARNESS_DIR/spool
conf=$HARNESS_DIR/agent.conf
# write_conf [SPOOL [STATE [ENDPOINT_PORT]]]
write_conf() {
	harness_write_conf "$conf" <<-EOF
		[warm]
		workers = 2
		batch_rows = 500
		max_rows_per_sec = 15000

		[dataset products]
		table = products
		key_column = id
		columns = sku, name, price, stock, updated_at
		key = product:{id}
		type = hash

		[sns]
		topic_arn = arn:aws:sns:eu-west-1:123456789012:reports
		endpoint = http://127.0.0.1:${3:-$sns_port}/
		spool_dir = ${1:-$spool}
		credentials = env
	EOF
	[[ -n ${2:-} ]] && sed -i "s|^state_dir = .*|state_dir = $2|" "$conf"
	return 0
}
write_conf

# ---- case bookkeeping --------------------------------------------------------------
n_ok=0
n_failed=0
n_skipped=0
case_name=
case_bad=
case_begin() {
	case_name=$1
	case_bad=
	rm -f "$sns/script" "$sns/check_date" "$spool/.held-logged"
	echo "-- $case_name" >>"$HARNESS_DIR/cases.log"
}
# expect DESCRIPTION COMMAND...: a failed expectation fails the case.
expect() {
	local what=$1
	shift
	if "$@" >>"$HARNESS_DIR/cases.log" 2>&1; then
		echo "   ok: $what" >>"$HARNESS_DIR/cases.log"
	else
		echo "   FAILED: $what" >>"$HARNESS_DIR/cases.log"
		case_bad="$case_bad; $what"
	fi
}
case_end() {
	if [[ -z $case_bad ]]; then
		echo "CASE $case_name: ok"
		n_ok=$((n_ok + 1))
	else
		echo "CASE $case_name: FAILED (${case_bad#; })"
		n_failed=$((n_failed + 1))
	fi
}
case_skip() {
	echo "CASE $case_name: skipped ($1)"
	n_skipped=$((n_skipped + 1))
}

# cw ARGS...: the agent; stdout in $out, stderr in $err, exit code in $rc.
out=$HARNESS_DIR/out
err=$HARNESS_DIR/err
cw() {
	rc=0
	"$bin" -c "$conf" "$@" >"$out" 2>"$err" || rc=$?
	cat "$err" >>"$HARNESS_DIR/all.err"
}
# bg ARGS...: the agent in the background; its pid in $bg_pid.
bg() {
	"$bin" -c "$conf" "$@" >"$HARNESS_DIR/bg.out" 2>"$HARNESS_DIR/bg.err" &
	bg_pid=$!
}
# wait_bg SECONDS: bounded wait for the background agent; its exit code in $rc.
wait_bg() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$bg_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$bg_pid" 2>/dev/null; then
		kill -KILL "$bg_pid"
		wait "$bg_pid" 2>/dev/null
		rc=124 # hung: a failure of the case
		return
	fi
	rc=0
	wait "$bg_pid" || rc=$?
	cat "$HARNESS_DIR/bg.err" >>"$HARNESS_DIR/all.err"
}
all_keys() {
	python3 "$check" --socket "$MYSQL_SOCKET" --redis-port "$REDIS_PORT" --table products \
		--key-column id --type hash --key 'product:{id}' --columns sku,name,price,stock,updated_at
}
# A run that crashed (signal) or hung is never an acceptable outcome.
clean_exit() { [[ $1 -lt 124 ]]; }
in_list() {
	local v=$1 x
	shift
	for x in "$@"; do [[ $v == "$x" ]] && return 0; done
	return 1
}
# finish_warm: after a fault, the run either finished (0) or failed
# cleanly (1) with its checkpoints kept; --resume then completes it.
finish_warm() {
	if [[ $rc -ne 0 ]]; then
		cw warm --resume
		expect "warm --resume after the fault exits 0 (rc $rc)" test "$rc" -eq 0
	fi
	expect "every key is present and equal to its row" all_keys
}
pending() { find "$1" -maxdepth 1 -name '*.rec' 2>/dev/null | wc -l; }
dead() { find "$1/dead" -maxdepth 1 -name '*.rec' 2>/dev/null | wc -l; }
temps() { find "$1" -maxdepth 2 -name '.*.??????' 2>/dev/null | wc -l; }
nreq() { [[ -f $sns/log ]] && wc -l <"$sns/log" || echo 0; }
# delivered_ids FROM: the report_id of every request from line FROM on that
# got a Publish answer, one per line (duplicates kept).
delivered_ids() {
	python3 - "$sns/log" "$1" <<-'PY'
		import json, sys, urllib.parse
		for line in open(sys.argv[1]).readlines()[int(sys.argv[2]):]:
		    e = json.loads(line)
		    if e["answer"].split()[0] not in ("200", "slow"):
		        continue
		    import base64
		    form = urllib.parse.parse_qs(base64.b64decode(e["body"]).decode())
		    names = {k: v[0] for k, v in form.items()}
		    for k, v in names.items():
		        if k.endswith(".Name") and v == "report_id":
		            print(names[k[:-len("Name")] + "Value.StringValue"])
	PY
}
spooled_ids() {
	find "$spool" -maxdepth 1 -name '*.rec' -printf '%f\n' | sed 's/\.rec$//' | sort
}

# ---- warm ----------------------------------------------------------------------------
case_begin redis_paused_past_timeouts
harness_redis_cli flushall >/dev/null
bg warm
sleep 1.5
kill -STOP "$REDIS_PID"
sleep 33 # REDISCONN_IO_TIMEOUT_MS is 30 s
kill -CONT "$REDIS_PID"
wait_bg 120
expect "the warm exits cleanly (rc $rc)" in_list "$rc" 0 1
finish_warm
case_end

case_begin mysql_kill_connection
harness_redis_cli flushall >/dev/null
bg warm
sleep 1.5
ids=$(harness_mysql -N -B -e "SELECT id FROM information_schema.processlist WHERE user = 'cw'")
for id in $ids; do harness_mysql -e "KILL CONNECTION $id" 2>/dev/null; done
expect "the agent's connections were there to kill" test -n "$ids"
wait_bg 120
expect "the warm exits cleanly (rc $rc)" in_list "$rc" 0 1
finish_warm
case_end

case_begin mysql_restart
harness_redis_cli flushall >/dev/null
bg warm
sleep 1.5
mapfile -d '' margs <"/proc/$MYSQL_PID/cmdline"
harness_stop_mariadb
sleep 1
"${margs[@]}" </dev/null >>"$HARNESS_DIR/mysql/stdout.log" 2>&1 &
MYSQL_PID=$!
_harness_track "$MYSQL_PID" mariadbd
harness_wait_for 30 "$MYSQL_PID" mariadb-admin --no-defaults --protocol=SOCKET \
	--socket="$MYSQL_SOCKET" -u "$(id -un)" --connect-timeout=2 ping
wait_bg 120
expect "the warm exits cleanly (rc $rc)" in_list "$rc" 0 1
finish_warm
case_end

case_begin agent_killed_mid_warm
harness_redis_cli flushall >/dev/null
n0=$(nreq)
bg warm
sleep 2
running=0
kill -0 "$bg_pid" 2>/dev/null && running=1
# (braces: bash's "Killed" job notice goes to /dev/null too)
{
	kill -KILL "$bg_pid"
	wait "$bg_pid"
} 2>/dev/null
expect "the kill landed mid-warm" test "$running" -eq 1
expect "its checkpoint survived" test -s "$state/warm-products.ckpt"
cw warm --resume
expect "warm --resume exits 0 (rc $rc)" test "$rc" -eq 0
expect "every key is present and equal to its row" all_keys
expect "one warm report reached SNS (the finished run's)" \
	test "$(delivered_ids "$n0" | wc -l)" -eq 1
case_end

# ---- verify ---------------------------------------------------------------------------
case_begin agent_killed_mid_verify
exp=$HARNESS_DIR/exports
mkdir -p "$exp" "$HARNESS_DIR/manifests"
for i in 1 2 3 4; do head -c 100000000 /dev/urandom >"$exp/blob-$i.bin"; done
cat >>"$conf" <<-EOF

	[verify]
	workers = 1
	manifest_dir = $HARNESS_DIR/manifests

	[exports blobs]
	path = $exp/*.bin
	format = raw
	max_age = 1h
	retention = 0
EOF
n0=$(nreq)
bg verify blobs
sleep 0.4
running=0
kill -0 "$bg_pid" 2>/dev/null && running=1
# (braces: bash's "Killed" job notice goes to /dev/null too)
{
	kill -KILL "$bg_pid"
	wait "$bg_pid"
} 2>/dev/null
expect "the kill landed mid-verify" test "$running" -eq 1
# What a write interrupted by a crash leaves: fileio_replace's temporary files.
printf x >"$HARNESS_DIR/manifests/.blobs.manifest.Ab12Cd"
printf x >"$state/.warm-products.ckpt.Xy98Zz"
touch -d '-1 min' "$HARNESS_DIR/manifests/.blobs.manifest.Ab12Cd" "$state/.warm-products.ckpt.Xy98Zz"
cw verify blobs
expect "verify run again exits 0 (rc $rc)" test "$rc" -eq 0
expect "its manifest is whole: b2sum -l 256 -c accepts it" \
	b2sum -l 256 -c --quiet "$HARNESS_DIR/manifests/blobs.manifest"
expect "temporary files of interrupted writes were removed at start" \
	test "$(temps "$HARNESS_DIR/manifests")$(temps "$state")" = 00
expect "one verify report reached SNS (the finished run's)" \
	test "$(delivered_ids "$n0" | wc -l)" -eq 1
rm -f "$exp"/*.bin
write_conf
case_end

# ---- delivery -------------------------------------------------------------------------
case_begin agent_killed_mid_delivery
rm -f "$spool"/*.rec
printf '500 InternalError\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 >"$sns/script"
for i in 1 2 3 4 5 6; do cw report test --wait 0; done
spooled_ids >"$HARNESS_DIR/spooled"
expect "six reports spooled while SNS failed" test "$(wc -l <"$HARNESS_DIR/spooled")" -eq 6
printf 'slow 1.5\n%.0s' 1 2 3 4 5 6 >"$sns/script"
n0=$(nreq)
bg spool flush --wait 60
sleep 4
running=0
kill -0 "$bg_pid" 2>/dev/null && running=1
# (braces: bash's "Killed" job notice goes to /dev/null too)
{
	kill -KILL "$bg_pid"
	wait "$bg_pid"
} 2>/dev/null
expect "the kill landed mid-delivery" test "$running" -eq 1
rm -f "$sns/script"
cw spool flush
expect "the next flush exits 0 (rc $rc)" test "$rc" -eq 0
expect "the spool is empty" test "$(pending "$spool")" -eq 0
delivered_ids "$n0" >"$HARNESS_DIR/delivered"
expect "every spooled report arrived" \
	test "$(sort -u "$HARNESS_DIR/delivered" | comm -23 "$HARNESS_DIR/spooled" - | wc -l)" -eq 0
expect "at most the one in flight arrived twice" \
	test "$(($(wc -l <"$HARNESS_DIR/delivered") - $(sort -u "$HARNESS_DIR/delivered" | wc -l)))" -le 1
case_end

# ---- SNS -------------------------------------------------------------------------------
case_begin sns_endpoint_down
rm -f "$spool"/*.rec
write_conf "$spool" "" "$(harness_free_port)"
cw report test --wait 0
expect "report test exits 69 (rc $rc)" test "$rc" -eq 69
expect "the report waits in the spool" test "$(pending "$spool")" -eq 1
expect "the cause names the connection" grep -qiE "connect|refused" "$err"
write_conf
cw spool flush
expect "delivered once SNS answers (rc $rc)" test "$rc/$(pending "$spool")" = 0/0
case_end

case_begin sns_slow_past_timeout
echo "slow 25" >"$sns/script"
start=$(date +%s)
cw report test --wait 0
took=$(($(date +%s) - start))
expect "report test exits 69 (rc $rc)" test "$rc" -eq 69
expect "it gave up at the 20 s timeout, not later (${took}s)" test "$took" -lt 24
expect "the cause says it timed out" grep -qiE "timed? ?out" "$err"
expect "the report waits, not dead" test "$(pending "$spool")/$(dead "$spool")" = 1/0
cw spool flush
expect "delivered by the next flush" test "$rc/$(pending "$spool")" = 0/0
case_end

case_begin sns_500
printf '500 InternalError\n500 InternalError\n' >"$sns/script"
n0=$(nreq)
cw report test --wait 30
expect "retried with backoff and delivered (rc $rc)" test "$rc" -eq 0
expect "three requests" test "$(($(nreq) - n0))" -eq 3
expect "nothing pending or dead" test "$(pending "$spool")/$(dead "$spool")" = 0/0
case_end

case_begin sns_throttling
printf '400 Throttling\n400 ThrottlingException\n' >"$sns/script"
cw report test --wait 30
expect "retried with backoff and delivered (rc $rc)" test "$rc" -eq 0
expect "nothing pending or dead" test "$(pending "$spool")/$(dead "$spool")" = 0/0
case_end

case_begin sns_403_for_a_minute
until=$(($(date +%s) + 60))
echo "until $until 403 SignatureDoesNotMatch" >"$sns/script"
: >"$HARNESS_DIR/minute.err"
for i in 1 2 3; do
	cw report test --wait 0
	cat "$err" >>"$HARNESS_DIR/minute.err"
done
expect "three reports held pending, none dead" test "$(pending "$spool")/$(dead "$spool")" = 3/0
while (($(date +%s) < until)); do
	cw spool flush --wait 0
	cat "$err" >>"$HARNESS_DIR/minute.err"
	expect "still pending, never dead, during the minute" test "$(dead "$spool")" -eq 0
	sleep 10
done
expect "held reports logged once in the minute" \
	test "$(grep -c 'held in' "$HARNESS_DIR/minute.err")" -eq 1
cw spool flush
expect "after the minute every report is delivered (rc $rc)" \
	test "$rc/$(pending "$spool")/$(dead "$spool")" = 0/0/0
case_end

# ---- disk full -------------------------------------------------------------------------
tiny=$HARNESS_DIR/tiny
mkdir -p "$tiny"
mounted=0
if mount -t tmpfs -o size=512k,mode=0700 tmpfs "$tiny" 2>"$HARNESS_DIR/mount.err"; then
	mounted=1
	harness_on_exit "umount '$tiny' 2>/dev/null"
fi
fill() { dd if=/dev/zero of="$tiny/fill" bs=4k count=1000 2>/dev/null || true; }

case_begin disk_full_spool
if [[ $mounted -eq 0 ]]; then
	case_skip "cannot mount a tmpfs here: $(head -c 200 "$HARNESS_DIR/mount.err")"
else
	write_conf "$tiny/spool"
	cw report test --wait 0 # creates the spool
	fill
	cw report test --wait 0
	expect "a report that cannot be spooled fails clearly (rc $rc)" test "$rc" -eq 1
	expect "saying the disk is full" grep -q "No space left on device" "$err"
	expect "no temporary file left behind" test "$(temps "$tiny/spool")" -eq 0
	cw spool check
	expect "no corrupt record (spool check exits 0, rc $rc)" test "$rc" -eq 0
	rm -f "$tiny/fill"
	cw report test
	expect "once space returns, reports are spooled and delivered (rc $rc)" test "$rc" -eq 0
	cw spool flush
	expect "and the spool empties" test "$(pending "$tiny/spool")" -eq 0
	rm -rf "${tiny:?}"/*
	write_conf
	case_end
fi

case_begin disk_full_state_dir
if [[ $mounted -eq 0 ]]; then
	case_skip "cannot mount a tmpfs here: $(head -c 200 "$HARNESS_DIR/mount.err")"
else
	mkdir -p "$tiny/state"
	write_conf "$spool" "$tiny/state"
	harness_redis_cli flushall >/dev/null
	fill
	cw warm
	expect "warm with a full state_dir ends with a clear failure (rc $rc)" in_list "$rc" 1 69
	expect "saying the disk is full" grep -q "No space left on device" "$err"
	expect "no temporary file left behind" test "$(temps "$tiny/state")" -eq 0
	rm -f "$tiny/fill"
	cw warm --resume
	expect "once space returns, warm (--resume) finishes (rc $rc)" test "$rc" -eq 0
	expect "every key is present and equal to its row" all_keys
	rm -rf "${tiny:?}"/*
	write_conf
	case_end
fi

# ---- clock -------------------------------------------------------------------------------
# faketime steps the agent's wall clock only (the stub keeps the real one);
# ASan must accept libfaketime preloaded before it.
ft() {
	rc=0
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 DONT_FAKE_MONOTONIC=1 \
		faketime -f "$1" "$bin" -c "$conf" "${@:2}" >"$out" 2>"$err" || rc=$?
	cat "$err" >>"$HARNESS_DIR/all.err"
}
# last_dates N: "X-Amz-Date's day / the credential scope's day / the stub's day" of request N.
req_dates() {
	python3 - "$sns/log" "$1" <<-'PY'
		import json, sys, time
		e = json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])
		h = {k.lower(): v for k, v in e["headers"]}
		scope = h["authorization"].split("Credential=")[1].split("/")[1]
		print(h["x-amz-date"][:8], scope, time.strftime("%Y%m%d", time.gmtime(e["stub_time"])))
	PY
}
clock_case() {
	local name=$1 offset=$2 d
	case_begin "$name"
	if ! command -v faketime >/dev/null 2>&1; then
		case_skip "faketime is not installed (scripts/install-deps.sh)"
		return
	fi
	touch "$sns/check_date"
	n0=$(nreq)
	ft "$offset" report test
	expect "delivered with the clock at $offset (rc $rc)" test "$rc" -eq 0
	expect "after one refusal, re-signed with SNS's time: two requests" test "$(($(nreq) - n0))" -eq 2
	expect "the first was refused as expired" \
		grep -q "Signature expired\|scoped to a valid date" <(sed -n "$((n0 + 1))p" "$sns/log")
	read -r amz scope today <<<"$(req_dates "$((n0 + 1))")"
	expect "the retry's date ($amz), scope ($scope) and SNS's day ($today) agree" \
		test "$amz/$scope" = "$today/$today"
	expect "the skew is logged" grep -q "system clock is .* SNS's" "$err"
	rm -f "$sns/check_date"
	case_end
}
clock_case clock_stepped_forward "+2h"
clock_case clock_stepped_back "-2h"
# Yesterday 23:59:50 for the agent while SNS is in today: the scope's date matters.
now=$(date +%s)
clock_case clock_across_midnight "-$((now % 86400 + 10))"

# ---- the schedule under clock steps -----------------------------------------------------
# `run` under libfaketime reading its offset from a file, so the test steps
# the agent's wall clock while it runs (monotonic time stays real, as in a
# real step). The verify timer re-reads the wall clock every 60 s.
sched_case() {
	local ftlib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 sconf slog tsf spid at first
	case_begin schedule_clock_steps
	if [[ ! -f $ftlib ]]; then
		case_skip "libfaketime is not installed (scripts/install-deps.sh)"
		return
	fi
	sconf=$HARNESS_DIR/sched.conf
	slog=$HARNESS_DIR/sched.log
	tsf=$HARNESS_DIR/faketime.rc
	mkdir -p "$HARNESS_DIR/sched-exports" "$HARNESS_DIR/sched-manifests"
	printf 'tiny' >"$HARNESS_DIR/sched-exports/a.bin"
	at=$(date -u -d '+90 min' +%H:%M)
	first=$(date -u -d '+90 min' +%F)
	sed 's/^\[warm\]$/[warm]\non_restore = off/' "$conf" >"$sconf"
	cat >>"$sconf" <<-EOF

		[admin]
		listen = 127.0.0.1:$(harness_free_port)

		[verify]
		schedule = daily $at
		splay = 0
		manifest_dir = $HARNESS_DIR/sched-manifests

		[exports tiny]
		path = $HARNESS_DIR/sched-exports/*.bin
		format = raw
		max_age = 3650d
		retention = 0
	EOF
	echo "+0" >"$tsf"
	LD_PRELOAD=$ftlib FAKETIME_TIMESTAMP_FILE=$tsf FAKETIME_NO_CACHE=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$bin" -c "$sconf" run >"$slog" 2>&1 &
	spid=$!
	_harness_track "$spid" cachewarden
	expect "the agent schedules the verify at ${first}T$at" \
		harness_wait_for 30 "$spid" grep -q "schedule: next verify at ${first}T$at:00Z" "$slog"
	echo "+2h" >"$tsf"
	expect "stepped 2 h forward: the verify now past due starts within 75 s" \
		harness_wait_for 75 "$spid" grep -q 'verify [0-9a-f]* started (schedule)' "$slog"
	expect "and the next one is the following day's" \
		grep -q "next verify at $(date -u -d "$first +1 day" +%F)T$at:00Z" "$slog"
	echo "+0" >"$tsf"
	sleep 70
	expect "stepped back 2 h: the period that ran does not run again" \
		test "$(grep -c 'started (schedule)' "$slog")" -eq 1
	echo "-400d" >"$tsf"
	expect "stepped back 400 days: the schedule starts again from the new now" \
		harness_wait_for 75 "$spid" grep -q 'the clock went back more than a period' "$slog"
	expect "with its next verify 400 days back, not 400 days ahead" \
		grep -q "next verify at $(date -u -d '-400 days +90 min' +%F)T$at:00Z" "$slog"
	kill -TERM "$spid"
	rc=0
	wait "$spid" || rc=$?
	_harness_untrack "$spid"
	expect "the agent stops cleanly (rc $rc)" test "$rc" -eq 0
	cat "$slog" >>"$HARNESS_DIR/all.err"
	case_end
}
sched_case

echo "faults: $n_ok ok, $n_failed failed, $n_skipped skipped (details: cases.log in the harness dir, HARNESS_KEEP=1 keeps it)"
if [[ $n_failed -gt 0 && ${HARNESS_KEEP:-0} != 1 ]]; then
	tail -n 60 "$HARNESS_DIR/cases.log"
fi
[[ $n_failed -eq 0 ]]
