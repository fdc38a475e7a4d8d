#!/usr/bin/env bash
# report-aws: the agent against small AWS stand-ins on 127.0.0.1
# (tests/integration/aws_stub.py): an SNS endpoint that records every
# request and answers as told, and EC2 instance metadata (IMDSv2).
#   - credentials: environment, shared file (~/.aws/credentials or
#     AWS_SHARED_CREDENTIALS_FILE, profile), instance metadata with its
#     session token, refreshed before they expire;
#   - the signature, verified by independent implementations: botocore's
#     SigV4Auth and curl --aws-sigv4 sign the same request the same way;
#   - SNS errors: throttling and 5xx retried, a skewed clock re-signed with
#     the server's time, refused credentials fetched again, access and
#     credential errors held pending (logged once per period), NotFound held
#     for not_found_grace, a refused message dead-lettered and requeued,
#     and no secret in any output;
#   - the credentials chain skipping an unusable source, never using
#     expired credentials.
set -euo pipefail

srcdir=${srcdir:-.}
builddir=${builddir:-.}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

harness_require python3 curl
bin=${CACHEWARDEN:-$builddir/cachewarden}
stub=$srcdir/tests/integration/aws_stub.py

tap_plan 68
harness_init

# Nothing of the caller's AWS setup may leak in, and nothing may ever reach
# a real metadata service: it is off unless a test points it at the stub.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
export AWS_EC2_METADATA_DISABLED=true
export HOME=$HARNESS_DIR/home
mkdir -p "$HOME"

MYSQL_PASSWORD_FILE=$HARNESS_DIR/mysql.pass
echo unused >"$MYSQL_PASSWORD_FILE"
chmod 600 "$MYSQL_PASSWORD_FILE"
spool=$HARNESS_DIR/spool
conf=$HARNESS_DIR/agent.conf
out=$HARNESS_DIR/out
err=$HARNESS_DIR/err
sns=$HARNESS_DIR/sns
imds=$HARNESS_DIR/imds
ENV_SECRET='env/secret+KEY=0123456789abcdef'
ENV_TOKEN='env-session/token+=='

# start_stub MODE: aws_stub.py MODE in $HARNESS_DIR/MODE; sets STUB_PORT.
start_stub() {
	local d=$HARNESS_DIR/$1 pid
	mkdir -p "$d"
	python3 "$stub" "$1" "$d" </dev/null >"$d/stdout" 2>&1 &
	pid=$!
	harness_on_exit "harness_stop_pid $pid 5"
	harness_wait_for 10 "$pid" test -s "$d/port" || tap_bail "aws_stub.py $1 did not start"
	STUB_PORT=$(cat "$d/port")
}
start_stub sns
sns_port=$STUB_PORT
start_stub imds
imds_port=$STUB_PORT

# use_creds MODE [PROFILE]: an agent.conf for the SNS stub.
use_creds() {
	harness_write_conf "$conf" <<-EOF
		[sns]
		topic_arn = arn:aws:sns:eu-west-1:123456789012:reports
		endpoint = http://127.0.0.1:$sns_port/
		spool_dir = $spool
		credentials = $1
		profile = ${2:-default}
	EOF
}

cw() {
	rc=0
	"$bin" -c "$conf" "$@" >"$out" 2>"$err" || rc=$?
	cat "$out" "$err" >>"$HARNESS_DIR/all.out"
}

# req EXPR [N]: EXPR on the Nth request the SNS stub got (default: the
# last), with e the log entry and h its headers, lower-cased.
req() {
	python3 -c '
import base64, json, sys
entries = [json.loads(l) for l in open(sys.argv[2])]
e = entries[int(sys.argv[3])]
h = {k.lower(): v for k, v in e["headers"]}
key = h["authorization"].split("Credential=")[1].split("/")[0]
print(eval(sys.argv[1]))' "$1" "$sns/log" "${2:--1}"
}
nreq() { [[ -f $sns/log ]] && wc -l <"$sns/log" || echo 0; }
# imds_count EXPR: how many metadata log entries e satisfy EXPR.
imds_count() {
	python3 -c '
import json, sys
print(sum(1 for e in map(json.loads, open(sys.argv[2])) if eval(sys.argv[1])))' "$1" "$imds/log"
}
pending() { find "$spool" -maxdepth 1 -name '*.rec' 2>/dev/null | wc -l; }
script() { printf '%s\n' "$@" >"$sns/script"; }

# ---- environment credentials, and the signature checked by others ------------------
use_creds env
export AWS_ACCESS_KEY_ID=AKIDENVTEST AWS_SECRET_ACCESS_KEY=$ENV_SECRET AWS_SESSION_TOKEN=$ENV_TOKEN
cw report test
is "$rc" 0 "env credentials: report test exits 0"
like "$(req 'h["authorization"].split("Credential=")[1].split(",")[0]')" \
	'^AKIDENVTEST/[0-9]{8}/eu-west-1/sns/aws4_request$' "signed with the env key, for eu-west-1 and sns"
is "$(req 'h.get("x-amz-security-token")')" "$ENV_TOKEN" "the session token is sent"
is "$(req 'h["authorization"].split("SignedHeaders=")[1].split(",")[0]')" \
	"content-type;host;x-amz-date;x-amz-security-token" "and signed"
like "$(req 'base64.b64decode(e["body"]).decode()')" \
	'^Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3Areports&Message=%7B%22schema%22' \
	"the body is the Publish form, AWS-encoded"
line=$(tail -n 1 "$sns/log")
check=$(python3 "$srcdir/tests/integration/sigv4_check.py" "$line" "$ENV_SECRET" "$ENV_TOKEN" 2>&1 || true)
if [[ $check == *"not installed"* ]]; then
	skip "botocore is not installed" 3
else
	is "$check" match "botocore's SigV4Auth signs the same request identically (session token)"
	like "$(python3 "$srcdir/tests/integration/sigv4_check.py" "$line" wrong-secret "$ENV_TOKEN" 2>&1 || true)" \
		'^cachewarden: .*botocore: ' "and disagrees with a wrong secret (the check can fail)"
	unset AWS_SESSION_TOKEN
	cw report test
	is "$(python3 "$srcdir/tests/integration/sigv4_check.py" "$(tail -n 1 "$sns/log")" "$ENV_SECRET" 2>&1 || true)" \
		match "botocore agrees without a session token too"
fi
unset AWS_SESSION_TOKEN
cw report test
# curl signs the same method, path, body, type and date on its own.
ours=$(req 'h["authorization"]')
req 'open(sys.argv[2] + ".body", "wb").write(base64.b64decode(e["body"]))' >/dev/null
curl -sS --max-time 10 --aws-sigv4 "aws:amz:eu-west-1:sns" --user "AKIDENVTEST:$ENV_SECRET" \
	-H "X-Amz-Date: $(req 'h["x-amz-date"]')" -H "Content-Type: $(req 'h["content-type"]')" \
	--data-binary "@$sns/log.body" "http://127.0.0.1:$sns_port/" >/dev/null
is "$(req 'h["authorization"]')" "$ours" "curl --aws-sigv4 signs the same request identically"
unset AWS_SECRET_ACCESS_KEY
cw report test --wait 0
is "$rc" 69 "half an env key pair: not delivered (exit 69)"
like "$(cat "$err")" 'no AWS credentials: environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not' \
	"and the cause says which half is missing"
is "$(pending)" 1 "the report waits in the spool"
rm -f "$spool"/*.rec
unset AWS_ACCESS_KEY_ID

# ---- the shared credentials file ------------------------------------------------------
credfile=$HARNESS_DIR/aws-credentials
cat >"$credfile" <<-'EOF'
	[default]
	aws_access_key_id = AKIDFILEDEFAULT
	aws_secret_access_key = file-default-secret
	[ops]
	aws_access_key_id = AKIDFILEOPS
	aws_secret_access_key = file-ops-secret
	aws_session_token = file-ops-token
EOF
chmod 600 "$credfile"
export AWS_SHARED_CREDENTIALS_FILE=$credfile
use_creds file ops
cw report test
is "$rc" 0 "shared file, profile ops: report test exits 0"
is "$(req 'key + " " + h.get("x-amz-security-token", "-")')" "AKIDFILEOPS file-ops-token" \
	"signed with the ops profile's key and token"
unset AWS_SHARED_CREDENTIALS_FILE
mkdir -p "$HOME/.aws"
cp "$credfile" "$HOME/.aws/credentials"
use_creds auto
cw report test
is "$(req 'key + " " + h.get("x-amz-security-token", "-")')" "AKIDFILEDEFAULT -" \
	"auto with no env: ~/.aws/credentials, profile default"
export AWS_ACCESS_KEY_ID=AKIDENVTEST AWS_SECRET_ACCESS_KEY=$ENV_SECRET
cw report test
is "$(req key)" AKIDENVTEST "auto: the environment comes before the file"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
chmod 644 "$HOME/.aws/credentials"
cw report test --wait 0
is "$rc" 69 "a credentials file others can read is refused (exit 69)"
like "$(cat "$err")" "shared credentials file: secret file $HOME/.aws/credentials is readable by group or others" \
	"saying why"
rm -f "$spool"/*.rec "$HOME/.aws/credentials"

# ---- instance metadata (IMDSv2) --------------------------------------------------------
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$imds_port
unset AWS_EC2_METADATA_DISABLED
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$imds_port/latest/meta-data/iam/security-credentials/")" \
	401 "the metadata stub wants a session token (IMDSv2)"
: >"$imds/log"
use_creds imds
cw report test
is "$rc" 0 "instance metadata: report test exits 0"
is "$(req 'key + " " + h.get("x-amz-security-token", "-")')" "ASIASTUB0001 stub-session-1" \
	"signed with the role's temporary key and token"
is "$(imds_count 'e["method"] == "PUT" and e.get("ttl") == 21600')" 1 "a token was PUT first, with a TTL"
is "$(imds_count 'e["status"] == 401')/$(imds_count 'e["method"] == "GET" and e["status"] == 200')" "0/2" \
	"then the role and its credentials read with it (no 401)"
use_creds auto
cw report test
is "$(req key)" ASIASTUB0002 "auto with no env and no file: instance metadata"
# An unusable source is skipped with one warning naming it; the chain goes on.
mkdir -p "$HOME/.aws"
cp "$credfile" "$HOME/.aws/credentials"
chmod 644 "$HOME/.aws/credentials"
cw report test
is "$rc/$(req key)" 0/ASIASTUB0003 "auto: a credentials file others can read is skipped, metadata used"
is "$(grep -c 'warn: AWS credentials: skipping the shared credentials file: secret file' "$err")" 1 \
	"with one warning naming the source"
rm -f "$HOME/.aws/credentials"
# Credentials already expired are never used.
echo -60 >"$imds/expires"
n0=$(nreq)
use_creds imds
cw report test --wait 0
is "$rc/$(($(nreq) - n0))" 69/0 "expired metadata credentials: nothing is signed with them (exit 69)"
like "$(cat "$err")" 'instance metadata: the role credentials expired [0-9]+ s ago' "saying so"
rm -f "$spool"/*.rec
echo 3600 >"$imds/expires"

# Credentials within 5 minutes of expiry are fetched again before each use;
# others are kept for the whole run. Three reports are spooled while SNS
# fails (each run tries what is pending: 1, then 2, then 2 requests, as a
# pass stops after two failures in a row), then one flush delivers them.
use_creds imds
spool3() {
	script 503 503 503 503 503
	for i in 1 2 3; do cw report test --wait 0; done
}
echo 60 >"$imds/expires"
spool3
before=$(imds_count 'e.get("key")')
n0=$(nreq)
cw spool flush
is "$rc/$(pending)" 0/0 "credentials about to expire: spool flush delivers all three"
is "$(($(imds_count 'e.get("key")') - before))" 3 "fetching fresh credentials before each publish"
is "$(for i in 1 2 3; do req key "$((n0 + i - 1))"; done | sort -u | wc -l)" 3 "and signing with each"
echo 3600 >"$imds/expires"
spool3
before=$(imds_count 'e.get("key")')
n0=$(nreq)
cw spool flush
is "$(($(imds_count 'e.get("key")') - before))" 1 "credentials far from expiry: fetched once for three publishes"
is "$(for i in 1 2 3; do req key "$((n0 + i - 1))"; done | sort -u | wc -l)" 1 "and used for all three"
# A session token that the service stops taking (401) is replaced.
echo 1 >"$imds/token_uses"
puts=$(imds_count 'e["method"] == "PUT"')
cw report test
is "$rc" 0 "an expired metadata token: report test still exits 0"
is "$(($(imds_count 'e["method"] == "PUT"') - puts))" 2 "after a 401 the agent PUT a new token"
rm -f "$imds/token_uses"

# ---- SNS errors -------------------------------------------------------------------------
use_creds env
export AWS_ACCESS_KEY_ID=AKIDENVTEST AWS_SECRET_ACCESS_KEY=$ENV_SECRET
n0=$(nreq)
script 503 "400 Throttling"
cw report test --wait 20
is "$rc" 0 "503 then Throttling: retried with backoff, then delivered"
is "$(($(nreq) - n0))" 3 "in three requests"
n0=$(nreq)
script "400 RequestTimeTooSkewed 7200"
cw report test
is "$rc" 0 "RequestTimeTooSkewed: delivered"
is "$(($(nreq) - n0))" 2 "at once, re-signed"
skew=$(req 'int(__import__("calendar").timegm(__import__("time").strptime(h["x-amz-date"], "%Y%m%dT%H%M%SZ")) - __import__("time").time())')
ok "with SNS's clock (two hours ahead): X-Amz-Date is now+${skew}s" test "$skew" -gt 7100 -a "$skew" -lt 7300
like "$(cat "$err")" 'warn: the system clock is 7[0-9]{3} s behind SNS' "and the skew is logged"
use_creds imds
n0=$(nreq)
script "403 ExpiredToken"
cw report test
is "$rc" 0 "ExpiredToken: delivered"
is "$(($(nreq) - n0))" 2 "at once"
isnt "$(req key "$n0")" "$(req key)" "after fetching new credentials"
use_creds env
n0=$(nreq)
script "403 AuthorizationError"
cw report test --wait 0
is "$rc/$(pending)" "69/1" "AuthorizationError: held pending, not dead (exit 69)"
is "$(($(nreq) - n0))" 1 "without retrying at once"
like "$(cat "$err")" 'error: 1 report held in .* until the setup is fixed .*AuthorizationError' \
	"logged at error level"
script "403 AuthorizationError" "403 AuthorizationError"
cw report test --wait 0
is "$(grep -c 'held in' "$err")" 0 "and logged once per period, not on every run"
rm -f "$spool"/*.rec
n0=$(nreq)
script "403 InvalidClientTokenId" "403 InvalidClientTokenId"
cw report test --wait 0
is "$rc/$(pending)/$(($(nreq) - n0))" "69/1/2" \
	"InvalidClientTokenId twice: credentials fetched again, retried once, then held"
rm -f "$spool"/*.rec "$spool/.held-logged"
n0=$(nreq)
script "400 InvalidParameter"
cw report test
is "$rc" 1 "InvalidParameter (the message itself): report test exits 1"
is "$(($(nreq) - n0))" 1 "without retrying"
is "$(find "$spool/dead" -name '*.rec' | wc -l)" 1 "the report is in dead/"
like "$(cat "$err")" 'SNS answered HTTP 400 InvalidParameter: stub says InvalidParameter' "with SNS's words"
cw spool list
like "$(grep '^dead' "$out")" 'InvalidParameter' "spool list shows why it died"
id=$(basename "$(find "$spool/dead" -name '*.rec')" .rec)
cw spool requeue "$id"
is "$rc/$(pending)/$(find "$spool/dead" -name '*.rec*' | wc -l)" "0/1/0" "spool requeue ID moves it back, .cause gone"
cw spool flush
is "$rc/$(pending)" "0/0" "and the next flush delivers it"
script "404 NotFound"
cw report test --wait 0
is "$rc/$(pending)" "69/1" "NotFound within not_found_grace: held pending"
harness_write_conf "$conf" <<-EOF
	[sns]
	topic_arn = arn:aws:sns:eu-west-1:123456789012:reports
	endpoint = http://127.0.0.1:$sns_port/
	spool_dir = $spool
	credentials = env
	not_found_grace = 0
EOF
script "404 NotFound"
cw spool flush
is "$rc/$(pending)/$(find "$spool/dead" -name '*.rec' | wc -l)" "1/0/1" "past the grace: dead"
like "$(cat "$out" "$err")" 'not found after the grace of 0s' "saying so"
cw spool requeue --all
cw spool flush
is "$rc/$(pending)/$(find "$spool/dead" -name '*.rec' | wc -l)" "0/0/0" "spool requeue --all, then delivered"
use_creds env
script 200-noid
cw report test --wait 0
is "$rc/$(pending)" "69/1" "an answer without a MessageId is not a delivery: the report stays"
cw spool flush
is "$rc/$(pending)" "0/0" "and goes with the next flush"
script "500 InternalError" "500 InternalError" "500 InternalError" "500 InternalError"
cw -v report test --wait 0
is "$rc/$(pending)" "69/1" "SNS failing: the report stays"
like "$(cat "$err")" 'SNS answered HTTP 500 InternalError' "the cause is logged"
rm -f "$sns/script"
cw -v spool flush
is "$rc" 0 "and is delivered when SNS is back (with -v debug logging)"

# ---- secrets -----------------------------------------------------------------------------
secrets="$ENV_SECRET|$ENV_TOKEN|file-default-secret|file-ops-secret|file-ops-token"
secrets="$secrets|stub-secret|stub-session|stub-token|Signature=|AWS4-HMAC"
n=$(grep -cE -- "$(sed 's/[+/=]/./g' <<<"$secrets")" "$HARNESS_DIR/all.out" || true)
is "$n" 0 "no secret key, session token, metadata token or signature in any output"
ok "the logs did say things (the check looked at real output)" test -s "$HARNESS_DIR/all.out"
like "$(grep -c 'debug: AWS credentials from the' "$HARNESS_DIR/all.out")" '^[1-9]' \
	"debug logs name the credentials' source, not the credentials"

tap_done
