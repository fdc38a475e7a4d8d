#!/usr/bin/env bash
# cachewarden health against real MariaDB and Redis on loopback: both up,
# then Redis stopped (exit 69, EX_UNAVAILABLE).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require mariadbd redis-server
harness_init
harness_start_mariadb
harness_start_redis
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" </dev/null

tap_plan 9
out=$("$bin" -c "$conf" health 2>&1) && rc=0 || rc=$?
is "$rc" 0 "health exits 0 when MySQL and Redis answer"
like "$out" "mysql +127\.0\.0\.1:$MYSQL_PORT +ok +[0-9.]+ ms +.*MariaDB" "MySQL answered SELECT 1, with latency"
like "$out" "redis +127\.0\.0\.1:$REDIS_PORT +ok +[0-9.]+ ms +PONG" "Redis answered PING, with latency"

out=$("$bin" -c "$conf" --json health) && rc=0 || rc=$?
is "$rc" 0 "health --json exits 0"
like "$out" '^\{"schema":"cachewarden.health/1","status":"ok","host":"test-host","checks":\[' \
	"health --json is a cachewarden.health/1 document"

harness_stop_redis
out=$("$bin" -c "$conf" health 2>&1) && rc=0 || rc=$?
is "$rc" 69 "health exits 69 (EX_UNAVAILABLE) when Redis is down"
like "$out" "redis +127\.0\.0\.1:$REDIS_PORT +FAIL .*Connection refused" "and names the cause"
like "$out" "mysql +.* ok " "MySQL is still reported ok"
unlike "$out" "$(cat "$MYSQL_PASSWORD_FILE")" "the MySQL password never appears"
tap_done
