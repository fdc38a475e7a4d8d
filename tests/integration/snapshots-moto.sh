#!/usr/bin/env bash
# snapshots-moto: `cachewarden verify` on [snapshots NAME] sets against
# moto_server (moto 5.2.1; not packaged by Debian: skipped where absent),
# filled through the AWS APIs by tests/integration/moto_setup.py, with moto's
# IAM checks on: every request must carry a valid SigV4 signature by a key
# moto issued and be allowed by that user's policy.
#   - RDS: ok (automated and manual snapshots; an Aurora cluster's cluster
#     snapshots), STALE (a max_age shorter than
#     the snapshots' age), RETENTION, more snapshots than one page, a wrong
#     secret refused, a policy without rds:DescribeDBClusterSnapshots named;
#   - ElastiCache: the snapshots of a replication group are listed. moto 5.2.1
#     gives ElastiCache snapshots no NodeSnapshots (no creation time), so they
#     are undated and STALE says so; dated answers are tested against
#     snapshots-backup.sh's recorded responses.
#   - `verify NAME` selects a snapshot set, export sets run beside them.
set -euo pipefail

srcdir=${srcdir:-.}
builddir=${builddir:-.}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

harness_require python3
command -v moto_server >/dev/null 2>&1 ||
	tap_skip_all "moto_server is not installed (moto is not packaged by Debian)"
python3 -c 'import moto, botocore' 2>/dev/null ||
	tap_skip_all "python3 has no moto or botocore module"
bin=${CACHEWARDEN:-$builddir/cachewarden}

tap_plan 29
harness_init

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
	AWS_DEFAULT_REGION AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true
export HOME=$HARNESS_DIR/home
mkdir -p "$HOME"
MYSQL_PASSWORD_FILE=$HARNESS_DIR/mysql.pass
echo unused >"$MYSQL_PASSWORD_FILE"
chmod 600 "$MYSQL_PASSWORD_FILE"
conf=$HARNESS_DIR/agent.conf
out=$HARNESS_DIR/out
err=$HARNESS_DIR/err

# ---- moto, filled, then with IAM checks on ------------------------------------------
port=$(harness_free_port)
moto_server -H 127.0.0.1 -p "$port" </dev/null >"$HARNESS_DIR/moto.log" 2>&1 &
moto_pid=$!
harness_on_exit "harness_stop_pid $moto_pid 5"
harness_wait_for 30 "$moto_pid" curl -sf "http://127.0.0.1:$port/moto-api/data.json" ||
	tap_bail "moto_server did not start: $(tail -n 5 "$HARNESS_DIR/moto.log")"
endpoint=http://127.0.0.1:$port
python3 "$srcdir/tests/integration/moto_setup.py" "$endpoint" >"$HARNESS_DIR/setup.env" ||
	tap_bail "moto_setup.py failed"
# shellcheck disable=SC1091
. "$HARNESS_DIR/setup.env"
created=$SECONDS

# conf MAX_AGE: the sets, all against moto.
write_conf() {
	harness_write_conf "$conf" <<-EOF
		[verify]
		manifest_dir = $HARNESS_DIR/manifests

		[sns]
		credentials = env

		[snapshots orders]
		service = rds
		source = orders-db
		region = eu-west-1
		endpoint = $endpoint
		tier = critical
		retention = ${2:-2}
		max_age = $1

		[snapshots big]
		service = rds
		source = big-db
		region = eu-west-1
		endpoint = $endpoint

		[snapshots cluster]
		service = rds
		source = orders-cluster
		region = eu-west-1
		endpoint = $endpoint

		[snapshots sessions]
		service = elasticache
		source = sessions
		region = eu-west-1
		endpoint = $endpoint/
	EOF
}

cw() {
	rc=0
	"$bin" -c "$conf" "$@" >"$out" 2>"$err" || rc=$?
	cat "$out" "$err" >>"$HARNESS_DIR/all.out"
}
# set NAME EXPR: EXPR of the report's set NAME (s).
set_field() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["sets"] if x["name"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$out" "$1" "$2"
}
problems() { set_field "$1" '" ".join(p["problem"] + ":" + str(p["file"]) for p in s["problems"])'; }

# ---- signed, allowed, ok -------------------------------------------------------------
export AWS_ACCESS_KEY_ID=$AUDITOR_KEY AWS_SECRET_ACCESS_KEY=$AUDITOR_SECRET
write_conf 0
cw verify orders big --json
is "$rc" 0 "orders and big verify ok (exit 0) with moto checking every signature"
is "$(set_field orders 's["status"]')" ok "orders: ok"
is "$(set_field orders 's["kind"] + " " + s["service"] + " " + s["source"] + " " + s["region"]')" \
	"snapshots rds orders-db eu-west-1" "the report names the kind, service, source and region"
is "$(set_field orders 's["snapshots"]')" 2 "orders: its automated and its manual snapshot"
like "$(set_field orders 's["newest"]')" '^(rds:orders-db-|orders-before-upgrade)' \
	"the newest snapshot is named"
like "$(cat "$err")" "verify orders: ok: 2 available rds snapshots of orders-db" "and logged"

# ---- pagination ------------------------------------------------------------------------
is "$(set_field big 's["snapshots"]')" "$BIG_DB_SNAPSHOTS" \
	"big: as many snapshots as botocore's paginator counts ($BIG_DB_SNAPSHOTS, more than MaxRecords 100)"
is "$(set_field big 's["listed"]')" "$BIG_DB_SNAPSHOTS" "all listed"
like "$(grep -c 'Action=DescribeDBSnapshots' "$HARNESS_DIR/moto.log" || true)" '^[0-9]+$' \
	"(moto ignores MaxRecords: paging itself is tested with recorded pages in snapshots-backup.sh)"

# ---- an Aurora cluster -----------------------------------------------------------------
cw verify cluster --json
is "$(set_field cluster 's["status"] + " " + str(s["snapshots"])')" "ok $CLUSTER_SNAPSHOTS" \
	"cluster: ok, its cluster snapshots counted ($CLUSTER_SNAPSHOTS, as botocore lists them)"
like "$(set_field cluster 's["newest"]')" "orders-cluster" "and the newest named"

# ---- STALE: a max_age shorter than the snapshots' age --------------------------------
while ((SECONDS - created < 3)); do sleep 0.2; done
write_conf 2s
cw verify orders --json
is "$rc" 1 "max_age 2s, snapshots older: verify exits 1"
is "$(problems orders)" "STALE:$(set_field orders 's["newest"]')" "STALE names the newest snapshot"
like "$(set_field orders 's["problems"][0]["detail"]')" \
	'^newest available snapshot \((automated|manual)\) was created 20[0-9-]+T[0-9:]+Z, [0-9]+s ago; max_age 2s$' \
	"with its kind, its time, its age and max_age"

# ---- RETENTION -------------------------------------------------------------------------
write_conf 0 5
cw verify orders --json
is "$rc" 1 "retention 5 with 2 snapshots: exit 1"
is "$(problems orders)" "RETENTION:None" "RETENTION for the set"
is "$(set_field orders 's["problems"][0]["detail"]')" \
	"2 available snapshots created inside the critical tier's 90d window, 5 expected" \
	"with the count, the tier's window and the expectation"

# ---- ElastiCache -----------------------------------------------------------------------
write_conf 0
cw verify sessions --json
is "$(set_field sessions 's["listed"]')" 2 "sessions: both ElastiCache snapshots listed (signed for elasticache)"
is "$(set_field sessions 's["problems"][0]["detail"]')" \
	"2 available snapshots, none with a creation time (max_age 1d 2h)" \
	"moto gives them no creation time: STALE says so rather than guessing"

# ---- selection -------------------------------------------------------------------------
cw verify nosuch
is "$rc" 2 "an unknown set name: exit 2"
like "$(cat "$err")" "no \[exports nosuch\] or \[snapshots nosuch\]" "and says which sections it looked for"
mkdir -p "$HARNESS_DIR/exports"
printf 'x' >"$HARNESS_DIR/exports/a.raw"
write_conf 0
printf '\n[exports files]\npath = %s/exports/*.raw\nformat = raw\n' "$HARNESS_DIR" >>"$conf"
cw verify files orders --json
is "$(python3 -c 'import json,sys; print(" ".join(s["kind"] + ":" + s["name"] for s in json.load(open(sys.argv[1]))["sets"]))' "$out")" \
	"exports:files snapshots:orders" "verify NAME... selects export and snapshot sets together"
is "$rc" 0 "both ok"

# ---- a wrong signature fails -----------------------------------------------------------
export AWS_SECRET_ACCESS_KEY=wrong-$AUDITOR_SECRET
cw verify orders --json
is "$rc" 1 "a wrong secret: exit 1"
is "$(problems orders)" "UNREADABLE:None UNREADABLE:None" "both listings UNREADABLE"
like "$(set_field orders 's["problems"][0]["detail"]')" \
	'^rds:DescribeDBSnapshots answered HTTP 403 SignatureDoesNotMatch: .*the AWS credentials or the request signature were refused for rds:DescribeDBSnapshots$' \
	"moto refused the signature, and the cause says so"
unlike "$(cat "$HARNESS_DIR/all.out")" "$AUDITOR_SECRET" "no secret in any output"

# ---- a policy without one action -------------------------------------------------------
export AWS_ACCESS_KEY_ID=$PARTIAL_KEY AWS_SECRET_ACCESS_KEY=$PARTIAL_SECRET
cw verify orders --json
is "$(problems orders)" "UNREADABLE:None" "allowed DescribeDBSnapshots only: one listing refused"
like "$(set_field orders 's["problems"][0]["detail"]')" \
	'^rds:DescribeDBClusterSnapshots answered HTTP 403 AccessDenied: .*the IAM policy must allow rds:DescribeDBClusterSnapshots$' \
	"the missing IAM action is named"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
tap_done
