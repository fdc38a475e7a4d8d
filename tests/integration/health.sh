#!/usr/bin/env bash
# cachewarden health against real MariaDB and Redis on loopback: both up,
# then Redis stopped (exit 69, EX_UNAVAILABLE).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require mariadbd redis-server openssl
harness_init
harness_start_mariadb
harness_start_redis --unixsocket "$HARNESS_DIR/redis.sock" --unixsocketperm 700
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" </dev/null

tap_plan 19
out=$("$bin" -c "$conf" health 2>&1) && rc=0 || rc=$?
is "$rc" 0 "health exits 0 when MySQL and Redis answer"
like "$out" "mysql +127\.0\.0\.1:$MYSQL_PORT +ok +[0-9.]+ ms +.*MariaDB" "MySQL answered SELECT 1, with latency"
like "$out" "redis +127\.0\.0\.1:$REDIS_PORT +ok +[0-9.]+ ms +PONG" "Redis answered PING, with latency"

out=$("$bin" -c "$conf" --json health) && rc=0 || rc=$?
is "$rc" 0 "health --json exits 0"
like "$out" '^\{"schema":"cachewarden.health/1","kind":"health","status":"ok","host":"test-host","checks":\[' \
	"health --json is a cachewarden.health/1 document"

harness_write_conf "$HARNESS_DIR/sock.conf" <<CONF
[mysql]
socket = $MYSQL_SOCKET

[redis]
socket = $HARNESS_DIR/redis.sock
CONF
out=$("$bin" -c "$HARNESS_DIR/sock.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^0: mysql +unix:$MYSQL_SOCKET +ok .*redis +unix:$HARNESS_DIR/redis.sock +ok " \
	"both over Unix sockets"

harness_stop_redis
out=$("$bin" -c "$conf" health 2>&1) && rc=0 || rc=$?
is "$rc" 69 "health exits 69 (EX_UNAVAILABLE) when Redis is down"
like "$out" "redis +127\.0\.0\.1:$REDIS_PORT +FAIL .*Connection refused" "and names the cause"
like "$out" "mysql +.* ok " "MySQL is still reported ok"
unlike "$out" "$(cat "$MYSQL_PASSWORD_FILE")" "the MySQL password never appears"

# Health results reach SNS when they change, not on every check.
harness_start_fauxqs
harness_sns_setup health-reports raw
harness_write_conf "$HARNESS_DIR/sns.conf" <<CONF
[sns]
topic_arn = $SNS_TOPIC_ARN
endpoint = $SNS_ENDPOINT
spool_dir = $HARNESS_DIR/spool
credentials = env
CONF
status_of() { harness_json 'd["kind"] + " " + d["status"]'; }
rm -f "$HARNESS_DIR/state/health.last"
"$bin" -q -c "$HARNESS_DIR/sns.conf" health >/dev/null && rc=0 || rc=$?
is "$rc:$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10 | status_of)" "69:health failed" \
	"a first result (Redis down) is published"
harness_start_redis --unixsocket "$HARNESS_DIR/redis.sock" --unixsocketperm 700
"$bin" -q -c "$HARNESS_DIR/sns.conf" health >/dev/null && rc=0 || rc=$?
is "$rc:$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10 | status_of)" "0:health ok" \
	"the change back to ok is published"
"$bin" -q -c "$HARNESS_DIR/sns.conf" health >/dev/null && rc=0 || rc=$?
is "$rc:$(harness_sqs_wait_body "$SQS_QUEUE_URL" 2)" "0:" "an unchanged result is not published again"
harness_stop_redis

# MySQL over TLS: a CA and a server certificate for 127.0.0.1 made here.
harness_start_redis
tls=$HARNESS_DIR/tls
harness_make_certs "$tls"
tls_conf() {
	harness_write_conf "$HARNESS_DIR/tls.conf" <<CONF
[mysql]
tls = $1
ca_file = $2
CONF
}
tls_conf required "$tls/ca.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^69: .*mysql .* FAIL .*SSL" "tls = required fails against a server without TLS"
harness_stop_mariadb
harness_start_mariadb --ssl-ca="$tls/ca.pem" --ssl-cert="$tls/server.pem" --ssl-key="$tls/server.key"
tls_conf required "$tls/ca.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^0: .*mysql .* ok .*, TLS [A-Z0-9_-]+" "tls = required connects over TLS"
tls_conf verify-identity "$tls/ca.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^0: .*mysql .* ok .*, TLS " "tls = verify-identity accepts the server the CA signed"
tls_conf verify-ca "$tls/other.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^69: .*mysql .* FAIL .*(certificate|self-signed)" "tls = verify-ca refuses a server another CA signed"
tls_conf preferred "$tls/other.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^0: .*mysql .* ok .*, TLS " "tls = preferred uses TLS without verifying"
tls_conf disabled "$tls/ca.pem"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" health 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^0: .*mysql .* ok +[0-9.]+ ms +[0-9.]+-MariaDB[^,]*$" "tls = disabled stays plain"
tap_done
