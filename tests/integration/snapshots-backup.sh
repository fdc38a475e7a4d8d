#!/usr/bin/env bash
# snapshots-backup: `cachewarden verify` on [snapshots NAME] sets against
# recorded AWS answers (tests/data/aws, served by aws_double.py, which checks
# every SigV4 signature with botocore when it is installed):
#   - AWS Backup (moto lacks its job and recovery-point APIs): FAILED and
#     EXPIRED jobs with their messages, a job stuck RUNNING (INCOMPLETE),
#     pages followed by NextToken, throttling and a 503 retried to success,
#     failures reported once (the next run looks back to the last only),
#     AccessDenied naming the IAM action, an HTML answer UNREADABLE;
#   - RDS pages followed by Marker, a snapshot stuck creating, a cluster
#     that does not exist, an answer that is not XML;
#   - ElastiCache pages, node snapshot times, kinds, entities, STALE.
set -euo pipefail

srcdir=${srcdir:-.}
builddir=${builddir:-.}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

harness_require python3
bin=${CACHEWARDEN:-$builddir/cachewarden}
data=$srcdir/tests/data/aws

tap_plan 45
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
dbl=$HARNESS_DIR/double
SECRET='double/secret+KEY=0123456789'
mkdir -p "$dbl"

python3 "$srcdir/tests/integration/aws_double.py" "$data/routes.json" "$dbl" "$SECRET" \
	</dev/null >"$dbl/stdout" 2>&1 &
pid=$!
harness_on_exit "harness_stop_pid $pid 5"
harness_wait_for 10 "$pid" test -s "$dbl/port" || tap_bail "aws_double.py did not start"
endpoint=http://127.0.0.1:$(cat "$dbl/port")
python3 -c 'import botocore' 2>/dev/null && signed="checked by botocore" || signed="not checked: no botocore"

harness_write_conf "$conf" <<EOF
[verify]
manifest_dir = $HARNESS_DIR/manifests

[sns]
credentials = env

[snapshots vault]
service = backup
source = prod-vault
region = eu-west-1
endpoint = $endpoint
retention = 3

[snapshots denied]
service = backup
source = denied-vault
region = eu-west-1
endpoint = $endpoint

[snapshots garbage]
service = backup
source = garbage-vault
region = eu-west-1
endpoint = $endpoint

[snapshots paged]
service = rds
source = paged-db
region = eu-west-1
endpoint = $endpoint
tier = critical
retention = 3

[snapshots junk]
service = rds
source = junk-db
region = eu-west-1
endpoint = $endpoint

[snapshots cache]
service = elasticache
source = sessions
region = eu-west-1
endpoint = $endpoint
retention = 2

[snapshots cache-stale]
service = elasticache
source = sessions
region = eu-west-1
endpoint = $endpoint
max_age = 1h

[snapshots cache-imds]
service = elasticache
source = sessions
endpoint = $endpoint
EOF

cw() {
	rc=0
	"$bin" -c "$conf" "$@" >"$out" 2>"$err" || rc=$?
	cat "$out" "$err" >>"$HARNESS_DIR/all.out"
}
set_field() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["sets"] if x["name"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$out" "$1" "$2"
}
problems() { set_field "$1" '" ".join(p["problem"] + ":" + str(p["file"]) for p in s["problems"])'; }
detail() { set_field "$1" "s[\"problems\"][$2][\"detail\"]"; }
# logged EXPR RESULT: RESULT, a Python expression over m, the logged requests
# e (e["params"] as p) that satisfy EXPR.
logged() {
	python3 -c '
import json, sys
m = []
for line in open(sys.argv[3]):
    e = json.loads(line); p = e["params"]
    if eval(sys.argv[1]):
        m.append(e)
print(eval(sys.argv[2]))' "$1" "$2" "$dbl/log"
}
# requests EXPR: how many; connections EXPR: over how many connections.
requests() { logged "$1" 'len(m)'; }
connections() { logged "$1" 'len({e["peer"] for e in m})'; }

export AWS_ACCESS_KEY_ID=AKIDDOUBLE AWS_SECRET_ACCESS_KEY=$SECRET
failed_job=6A1D2C7F-1E3F-4D6B-8D72-1B3C4D5E6F70
expired_job=7B2E3D80-2F40-4E7C-9E83-2C4D5E6F7081
stuck_job=8C3F4E91-3051-4F8D-AF94-3D5E6F708192

# ---- AWS Backup ------------------------------------------------------------------------
cw verify vault --json
is "$rc" 1 "vault: failed jobs make verify exit 1 (signatures $signed)"
is "$(problems vault)" "FAILED:$failed_job FAILED:$expired_job INCOMPLETE:$stuck_job" \
	"FAILED and EXPIRED jobs, a job stuck RUNNING; the old ABORTED one is before the look-back"
like "$(detail vault 0)" \
	"^backup job FAILED, started 20[0-9-]+T[0-9:]+Z, resource arn:aws:rds:eu-west-1:123456789012:db:orders-db: Access denied to KMS key arn:aws:kms:eu-west-1:123456789012:key/abcd$" \
	"FAILED names the job's start, its resource and its status message"
like "$(detail vault 1)" "^backup job EXPIRED, .*: The backup job did not start within the start window \(60 minutes\)$" \
	"EXPIRED too"
like "$(detail vault 2)" "^backup job still RUNNING, started .* \(1d 6h ago\), past the standard tier's completion window of 1d; resource arn:aws:ec2:" \
	"INCOMPLETE says how long and which window"
is "$(set_field vault 's["snapshots"]')" 3 "3 completed recovery points, across two pages"
is "$(set_field vault 's["listed"]')" 9 "4 recovery points and 5 jobs listed"
is "$(requests 'e["path"] == "/backup-jobs/" and "nextToken" not in p')" 2 "ListBackupJobs: throttled once, then answered"
is "$(requests 'e["path"] == "/backup-jobs/" and p.get("nextToken") == "jobs-page-2"')" 1 "and its NextToken followed"
is "$(requests '"recovery-points" in e["path"] and "nextToken" not in p')" 2 "ListRecoveryPointsByBackupVault: a 503, then answered"
is "$(requests '"recovery-points" in e["path"] and p.get("nextToken") == "rp-page-2"')" 1 "and its NextToken followed"
like "$(requests 'p.get("backupVaultName") == "prod-vault" and p.get("maxResults") == "100" and p.get("createdAfter", "").endswith("Z")')" \
	"^[1-9]" "jobs are asked for by vault, with a creation time bound"
like "$(cat "$err")" "info: backup:ListBackupJobs answered HTTP 400 ThrottlingException: Rate exceeded; retrying" \
	"the retry is logged with its cause"

cw verify vault --json
is "$(problems vault)" "INCOMPLETE:$stuck_job" "the next run reports failures since the last one only"
is "$(cut -d' ' -f1 "$HARNESS_DIR/manifests/vault.snapshots")" last_run "the last run is kept beside the manifests"

cw verify denied --json
is "$(problems denied)" "UNREADABLE:None" "AccessDenied: UNREADABLE"
like "$(detail denied 0)" \
	"^backup:ListRecoveryPointsByBackupVault answered HTTP 403 AccessDeniedException: User: .* is not authorized .*; the IAM policy must allow backup:ListRecoveryPointsByBackupVault$" \
	"naming the IAM action that is missing"
is "$(requests '"denied-vault" in e["path"]')" 1 "a refusal is not retried"

cw verify garbage --json
is "$rc" 1 "an HTML answer: exit 1, no crash"
like "$(detail garbage 0)" \
	'^the ListRecoveryPointsByBackupVault answer is not what was asked for \(invalid JSON at byte 0: .*\): first bytes "<html><body><h1>Service Unavailable</h1> from a proxy</body></ht"\.\.\.$' \
	"UNREADABLE with the first bytes"

# ---- RDS -------------------------------------------------------------------------------
cw verify paged junk --json
is "$(problems paged)" "INCOMPLETE:paged-db-creating" "paged: a snapshot creating for 10h, past the critical tier's 6h"
is "$(set_field paged 's["snapshots"]')" 3 "3 available snapshots across two Marker pages"
is "$(requests 'p.get("Action") == "DescribeDBSnapshots" and p.get("DBInstanceIdentifier") == "paged-db"')" 2 \
	"two DescribeDBSnapshots requests"
is "$(requests 'p.get("Marker") == "m-2" and p.get("MaxRecords") == "100"')" 1 "the second with the Marker"
is "$(requests 'p.get("Action") == "DescribeDBClusterSnapshots" and p.get("DBClusterIdentifier") == "paged-db"')" 1 \
	"clusters are asked for too; DBClusterNotFoundFault means none"
is "$(connections 'p.get("DBInstanceIdentifier") == "paged-db" or p.get("DBClusterIdentifier") == "paged-db"')" 1 \
	"a set's three requests share one connection (one HTTP session per client)"
is "$(problems junk)" "UNREADABLE:None" "junk: an answer that is not XML is UNREADABLE"
is "$(detail junk 0)" \
	'the DescribeDBSnapshots answer is not what was asked for (XML: expected '"'<'"' at byte 0): first bytes "\x1f\x8b\x08\x00junk{\"not\": \"xml\"}"' \
	"with its first bytes, quoted"

# ---- ElastiCache -----------------------------------------------------------------------
cw verify cache cache-stale --json
is "$(set_field cache 's["status"] + " " + str(s["snapshots"]) + " " + s["newest"]')" \
	"ok 2 automatic.sessions-0001-<daily>" "cache: ok, 2 snapshots over two pages, names decoded"
is "$(problems cache-stale)" "STALE:automatic.sessions-0001-<daily>" "max_age 1h: STALE names the newest"
like "$(detail cache-stale 0)" \
	'^newest available snapshot \(automated\) was created 20[0-9-]+T[0-9:]+Z, 2h [0-9]m ago; max_age 1h$' \
	"its kind, node snapshot time and age"

# ---- the region from instance metadata -------------------------------------------------
cw verify cache-imds --json
like "$(detail cache-imds 0)" "^no region: set \[snapshots\] region or \[sns\] region \(instance metadata is disabled by AWS_EC2_METADATA_DISABLED\)$" \
	"no region anywhere: UNREADABLE says where to set one"
AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$endpoint cw verify cache-imds --json
is "$(set_field cache-imds 's["status"] + " " + s["region"]')" "ok eu-west-1" "the instance's region, from instance metadata (IMDSv2)"
is "$(requests 'e["method"] == "PUT" and e["path"] == "/latest/api/token"')" 1 "a session token was asked for first"
like "$(requests 'e["path"] == "/latest/meta-data/placement/region" and dict(e["headers"]).get("x-aws-ec2-metadata-token") == "double-imds-token"')" \
	'^1$' "and sent with the region request"

# ---- a server whose clock is two hours ahead ---------------------------------------------
skewed=$HARNESS_DIR/skewed
mkdir -p "$skewed"
python3 "$srcdir/tests/integration/aws_double.py" "$data/routes.json" "$skewed" "$SECRET" 7200 \
	</dev/null >"$skewed/stdout" 2>&1 &
spid=$!
harness_on_exit "harness_stop_pid $spid 5"
harness_wait_for 10 "$spid" test -s "$skewed/port" || tap_bail "the skewed aws_double.py did not start"
sed "s|^endpoint = $endpoint\$|endpoint = http://127.0.0.1:$(cat "$skewed/port")|" "$conf" >"$conf.skewed"
rc=0
"$bin" -c "$conf.skewed" verify paged --json >"$out" 2>"$err" || rc=$?
is "$(problems paged)" "INCOMPLETE:paged-db-creating" "a server 2 h ahead: refused once (RequestExpired), then signed with its time"
like "$(cat "$err")" "warn: the system clock is 7[12][0-9][0-9] s behind rds's; signing with its time \(fix NTP\)" \
	"the skew is logged with its size"
is "$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["params"].get("Action") == "DescribeDBSnapshots"))' "$skewed/log")" 3 \
	"one refused request, then both pages"

# ---- signatures ------------------------------------------------------------------------
if [[ $signed == "checked by botocore" ]]; then
	export AWS_SECRET_ACCESS_KEY=wrong
	cw verify vault --json
	like "$(detail vault 0)" \
		'^backup:ListRecoveryPointsByBackupVault answered HTTP 403 SignatureDoesNotMatch: expected AWS4-HMAC-SHA256 .*refused for backup:ListRecoveryPointsByBackupVault$' \
		"a wrong secret: the double's botocore check refuses the GET with its query"
	export AWS_SECRET_ACCESS_KEY=$SECRET
else
	skip "botocore is not installed: signatures not checked" 1
fi
unset AWS_ACCESS_KEY_ID
before=$(requests 'True')
cw verify paged --json
is "$(detail paged 0)" "rds:DescribeDBSnapshots: no AWS credentials: environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not" \
	"no credentials: UNREADABLE naming the action and what is missing"
is "$(requests 'True')" "$before" "and nothing is sent, nor retried"
export AWS_ACCESS_KEY_ID=AKIDDOUBLE
unlike "$(cat "$HARNESS_DIR/all.out")" "$SECRET" "no secret in any output"

# ---- the whole file: every set, one report, also to SNS ---------------------------------
sed -i "s|^credentials = env\$|credentials = env\ntopic_arn = arn:aws:sns:eu-west-1:123456789012:reports\nendpoint = $endpoint/\nspool_dir = $HARNESS_DIR/spool|" "$conf"
cw verify --json
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sets"]))' "$out")" 8 \
	"verify without names runs every snapshot set"
is "$(requests 'p.get("Action") == "Publish" and [s["kind"] for s in json.loads(p["Message"])["sets"]].count("snapshots") == 8')" 1 \
	"the SNS report carries the snapshot sets"
is "$(requests 'p.get("Action") == "Publish" and p.get("MessageAttributes.entry.1.Value.StringValue") == "verify"')" 1 \
	"as a verify report"
tap_done
