#!/usr/bin/env bash
# report-sns: reports through a real SNS peer, fauxqs on 127.0.0.1: a
# published report read back from an SQS queue subscribed to the topic
# (message, subject, attributes), a FIFO topic, a topic that does not exist
# (held for not_found_grace, then dead/ and exit 1), an outage of 20 reports across agent restarts and a
# killed delivery that all arrive, and corrupt records set aside while the
# others arrive.
set -euo pipefail

srcdir=${srcdir:-.}
builddir=${builddir:-.}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

harness_require node python3 curl
if ! harness_have_fauxqs; then
	[[ ${CI:-} == true ]] && tap_bail "fauxqs missing: run scripts/install-deps.sh"
	tap_skip_all "fauxqs missing: run scripts/install-deps.sh"
fi
bin=${CACHEWARDEN:-$builddir/cachewarden}

tap_plan 52
harness_init
harness_start_fauxqs || tap_bail "fauxqs did not start"

# No MariaDB here, but the config names one: its password file must exist.
MYSQL_PASSWORD_FILE=$HARNESS_DIR/mysql.pass
echo unused >"$MYSQL_PASSWORD_FILE"
chmod 600 "$MYSQL_PASSWORD_FILE"
spool=$HARNESS_DIR/spool
conf=$HARNESS_DIR/agent.conf
out=$HARNESS_DIR/out
err=$HARNESS_DIR/err

# use_topic ARN: an agent.conf sending to ARN through fauxqs.
use_topic() {
	harness_write_conf "$conf" <<-EOF
		[sns]
		topic_arn = $1
		endpoint = $SNS_ENDPOINT
		spool_dir = $spool
		not_found_grace = ${2:-1h}
	EOF
}

# cw ARGS...: the agent; stdout in $out, stderr in $err (also kept in
# $HARNESS_DIR/all.err for the secrets check), exit code in $rc.
cw() {
	rc=0
	"$bin" -c "$conf" "$@" >"$out" 2>"$err" || rc=$?
	cat "$err" >>"$HARNESS_DIR/all.err"
}

# json EXPR [FILE]: a Python expression on the JSON in FILE (default $out).
json() { python3 -c 'import json, sys; j = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "${2:-$out}"; }

# attr BODY NAME: a message attribute of an SNS envelope.
attr() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])["MessageAttributes"][sys.argv[2]]["Value"])' "$1" "$2"; }

pending() { find "$spool" -maxdepth 1 -name '*.rec' | wc -l; }

# ---- a report, end to end --------------------------------------------------------
harness_sns_setup cw-reports || tap_bail "topic and queue"
use_topic "$SNS_TOPIC_ARN"
cw report test
is "$rc" 0 "report test exits 0"
mid=$(cat "$out")
like "$mid" '^[0-9a-f-]{36}$' "report test prints the MessageId"
body=$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10 || true)
is "$(harness_sns_field "$body" MessageId 2>&1)" "$mid" "the queue gets that message"
is "$(harness_sns_field "$body" Subject 2>&1)" "[cachewarden] test OK on test-host: test report" \
	"subject: [cachewarden] KIND STATUS on HOST: summary"
msg=$(harness_sns_field "$body" Message 2>&1)
is "$(python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(m["kind"], m["status"], m["host"], m["schema"])' "$msg" 2>&1)" \
	"test ok test-host cachewarden.report/1" "the message is the report JSON"
is "$(attr "$body" kind 2>&1) $(attr "$body" status 2>&1) $(attr "$body" host 2>&1)" "test ok test-host" \
	"kind, status and host are String message attributes"
like "$(attr "$body" report_id 2>&1)" '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"the report id (a UUIDv7) is an attribute too"
is "$(pending)" 0 "a delivered report leaves the spool"
is "$(stat -c %a "$spool") $(stat -c %a "$spool/dead") $(stat -c %a "$spool/quarantine")" "700 700 700" \
	"spool directories are mode 0700"
cw --json report test
is "$(json 'j["outcome"] + " " + str(len(j["message_id"]))' 2>&1)" "delivered 36" "report test --json"
harness_sqs_wait_body "$SQS_QUEUE_URL" 10 >/dev/null || true

# ---- FIFO topic -------------------------------------------------------------------
fifo_arn=$(harness_sns CreateTopic Name=cw-reports.fifo Attributes.entry.1.key=FifoTopic \
	Attributes.entry.1.value=true | _harness_xml_tag TopicArn)
fifo_q=$(harness_sqs CreateQueue '{"QueueName":"cw-inbox.fifo","Attributes":{"FifoQueue":"true"}}' |
	_harness_json 'j["QueueUrl"]')
harness_sns_subscribe_queue "$fifo_arn" "$fifo_q" >/dev/null
use_topic "$fifo_arn"
cw report test
# fauxqs refuses FIFO publishes without MessageGroupId or MessageDeduplicationId.
is "$rc" 0 "a FIFO topic takes the report (group and deduplication ids sent)"
body=$(harness_sqs_wait_body "$fifo_q" 10 || true)
is "$(harness_sns_field "$body" MessageId 2>&1)" "$(cat "$out")" "and its FIFO queue gets it"

# ---- a topic that does not exist ----------------------------------------------------
use_topic "arn:aws:sns:us-east-1:000000000000:no-such-topic"
cw report test --wait 0
is "$rc/$(pending)" 69/1 "a missing topic within not_found_grace: the report waits (exit 69)"
use_topic "arn:aws:sns:us-east-1:000000000000:no-such-topic" 0
rm -f "$spool"/*.rec
cw report test
is "$rc" 1 "report test to a missing topic past not_found_grace exits 1"
like "$(cat "$err")" 'SNS refused the test report: the topic was still not found after the grace of 0s: SNS answered HTTP 404 NotFound: Topic does not exist' \
	"with a clear message"
dead=$(find "$spool/dead" -name '*.rec' | head -n 1)
like "$(cat "$err")" "the report is in $spool/dead/.*\\.rec" "that says where the report went"
ok "the record is in dead/" test -s "$dead"
like "$(cat "$dead.cause" 2>&1)" '^[0-9T:-]+Z the topic was still not found after the grace of 0s: SNS answered HTTP 404 NotFound: Topic does not exist$' \
	"with its cause beside it"
is "$(pending)" 0 "and is no longer pending"
like "$(grep -c 'error: report .*: SNS answered HTTP 404' "$err")" '^1$' "logged once, as an error"
cw --json spool list
is "$(json '[j["pending"], j["dead"], j["records"][0]["state"], j["records"][0]["why"][21:]]' 2>&1)" \
	"[0, 1, 'dead', 'the topic was still not found after the grace of 0s: SNS answered HTTP 404 NotFound: Topic does not exist']" "spool list shows it, with why"
cw spool check
is "$rc" 0 "spool check: dead records are valid records"
rm -f "$spool"/dead/*

# ---- outage: 20 reports across restarts, all arrive ----------------------------------
harness_sns_setup cw-outage || tap_bail "topic and queue"
use_topic "$SNS_TOPIC_ARN"
harness_stop_fauxqs
codes=
for i in $(seq 10); do
	cw report test --wait 0
	codes="$codes$rc "
done
is "$codes" "$(printf '69 %.0s' $(seq 10))" "SNS down: report test exits 69, ten times"
like "$(cat "$err")" 'not delivered yet: POST http://127\.0\.0\.1:[0-9]+/: .*stays in' \
	"saying the report stays in the spool"
# A delivery killed in the middle (kill -9 while it backs off) loses nothing
# and leaves no lock behind.
"$bin" -c "$conf" spool flush --wait 60 >/dev/null 2>&1 &
flusher=$!
sleep 1.5
kill -KILL "$flusher" 2>/dev/null || true
wait "$flusher" 2>/dev/null || true
for i in $(seq 10); do
	cw report test --wait 0
done
is "$(pending)" 20 "20 reports wait in the spool across the restarts"
cw --json spool list
json '"\n".join(sorted(r["report_id"] for r in j["records"]))' >"$HARNESS_DIR/ids.spooled"
cw spool flush --wait 0
is "$rc" 69 "spool flush while SNS is down exits 69"
like "$(cat "$out")" '^0 delivered, 0 dead, 0 quarantined, 20 pending$' "and delivers nothing"
# fauxqs keeps topics in memory: the restarted one gets the same topic and
# queue again (same names, same ARN), on the same port.
harness_start_fauxqs || tap_bail "fauxqs restart"
harness_sns_setup cw-outage || tap_bail "topic and queue again"
cw spool flush
is "$rc" 0 "spool flush once SNS is back exits 0"
like "$(cat "$out")" '^20 delivered, 0 dead, 0 quarantined, 0 pending$' "and delivers all 20"
: >"$HARNESS_DIR/ids.received"
for i in $(seq 20); do
	body=$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10) || break
	attr "$body" report_id >>"$HARNESS_DIR/ids.received"
done
sort -o "$HARNESS_DIR/ids.received" "$HARNESS_DIR/ids.received"
is "$(wc -l <"$HARNESS_DIR/ids.received")" 20 "20 messages arrive"
is "$(cat "$HARNESS_DIR/ids.received")" "$(cat "$HARNESS_DIR/ids.spooled")" \
	"and they carry exactly the 20 report ids that were spooled"
is "$(pending)" 0 "the spool is empty"

# ---- corrupt records are set aside, the others arrive ---------------------------------
harness_stop_fauxqs
for i in 1 2 3 4; do
	cw report test --wait 0
done
mapfile -t recs < <(find "$spool" -maxdepth 1 -name '*.rec' | sort)
is "${#recs[@]}" 4 "four reports spooled while SNS is down"
# One bit flipped in the body of the second, the third cut short.
python3 - "${recs[1]}" "${recs[2]}" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-10, 2)
    b = f.read(1)
    f.seek(-10, 2)
    f.write(bytes([b[0] ^ 0x04]))
with open(sys.argv[2], "r+b") as f:
    f.truncate(100)
EOF
cw spool check
is "$rc" 1 "spool check finds the damage (exit 1)"
like "$(cat "$out")" "pending +${recs[1]##*/} +CRC32 mismatch" "names the record with a bad CRC"
like "$(cat "$out")" "pending +${recs[2]##*/} +truncated: 100 bytes" "and the truncated one"
harness_start_fauxqs || tap_bail "fauxqs restart"
harness_sns_setup cw-outage || tap_bail "topic and queue again"
cw spool flush
is "$rc" 1 "spool flush exits 1 when it had to quarantine"
like "$(cat "$out")" '^2 delivered, 0 dead, 2 quarantined, 0 pending$' "the good records are delivered"
got=
for i in 1 2; do
	body=$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10) || break
	got="$got $(attr "$body" report_id)"
done
want=" $(basename "${recs[0]}" .rec) $(basename "${recs[3]}" .rec)"
is "$(tr ' ' '\n' <<<"$got" | sort | xargs)" "$(tr ' ' '\n' <<<"$want" | sort | xargs)" \
	"the queue gets exactly the two good ones"
ok "the bad-CRC record is in quarantine/" test -f "$spool/quarantine/${recs[1]##*/}"
ok "the truncated record is in quarantine/" test -f "$spool/quarantine/${recs[2]##*/}"
like "$(cat "$spool/quarantine/${recs[1]##*/}.cause" 2>&1)" 'CRC32 mismatch' "each with its cause"
like "$(grep -c 'warn: spool record .*moved to .*/quarantine/' "$err")" '^2$' "each logged once"
cw spool check
is "$rc" 0 "spool check is clean again (quarantined records were set aside)"
cw --json spool list
is "$(json '[j["pending"], j["quarantined"], j["invalid"]]')" "[0, 2, 0]" "spool list counts them"

# ---- without topic_arn: the log only ------------------------------------------------
harness_write_conf "$conf" <<-EOF
	[sns]
	spool_dir = $HARNESS_DIR/unused-spool
EOF
cw report test
is "$rc" 0 "without topic_arn, report test exits 0"
like "$(cat "$out")" 'went to the log only' "and says the report went to the log"
like "$(cat "$err")" 'info: report test ok: \{"schema":"cachewarden.report/1"' "where it is"
ok "no spool is made" test ! -e "$HARNESS_DIR/unused-spool"
cw report nonsense
is "$rc" 2 "report with a bad subcommand exits 2"
cw spool flush --wait x
is "$rc" 2 "spool flush --wait x exits 2"

# ---- secrets ---------------------------------------------------------------------------
unlike "$(cat "$HARNESS_DIR/all.err")" "$AWS_SECRET_ACCESS_KEY|Signature=|AWS4-HMAC" \
	"no secret key or signature in any output"

tap_done
