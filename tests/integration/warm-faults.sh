#!/usr/bin/env bash
# warm under faults, against real servers: SIGKILL mid-run then --resume;
# Redis stopped and restarted mid-run; AUTH with requirepass and an ACL user;
# TLS with certificates made here; MySQL or Redis down at start (exit 69).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
check=${srcdir:-.}/tests/integration/warm_check.py
harness_require mariadbd redis-server python3 openssl
harness_init
harness_start_mariadb
# appendfsync always: keys acknowledged before a Redis restart survive it.
harness_start_redis --appendonly yes --appendfsync always
rows=200000
harness_seed_products "$rows"

conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<'CONF'
[warm]
workers = 4
batch_rows = 1000
max_rows_per_sec = 40000

[dataset products]
table = products
key_column = id
columns = sku, name, price, stock, updated_at
key = product:{id}
type = hash
CONF
all_keys() {
	python3 "$check" --socket "$MYSQL_SOCKET" --redis-port "$REDIS_PORT" --table products \
		--key-column id --type hash --key 'product:{id}' --columns sku,name,price,stock,updated_at
}
wait_pid() { # bounded wait for a background agent
	local i
	for ((i = 0; i < 600; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1"
}

tap_plan 27

# 1. SIGKILL mid-run, then --resume.
"$bin" -q -c "$conf" warm >/dev/null 2>&1 &
pid=$!
sleep 2
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
ckpt=$HARNESS_DIR/state/warm-products.ckpt
ok "a checkpoint survives SIGKILL" test -s "$ckpt"
# The checkpoint's "counts ROWS KEYS DELETED" line: rows acknowledged so far.
acked=$(awk '$1 == "counts" { print $2 }' "$ckpt")
diag "acknowledged before the kill: $acked of $rows rows"
ok_if "$([[ $acked -gt 0 && $acked -lt $rows ]]; echo $?)" "the kill landed mid-run"
out=$("$bin" -q -c "$conf" warm --resume --json) && rc=0 || rc=$?
is "$rc" 0 "warm --resume finishes"
read_again=$(harness_json 'd["datasets"][0]["rows_read"]' <<<"$out")
diag "--resume read $read_again rows for the $((rows - acked)) not acknowledged"
# 4 workers of 1000-row batches: 3 in flight and 4 acknowledged but not yet saved, each.
ok_if "$([[ $read_again -ge $((rows - acked)) && $read_again -le $((rows - acked + 4 * 7 * 1000)) ]]; echo $?)" \
	"--resume re-reads at most 7 batches per worker"
ok "every key is present and equal to its row" all_keys
ok "the finished run removed its checkpoint" test ! -e "$ckpt"

# 2. Redis stopped and restarted mid-run.
harness_redis_cli flushall >/dev/null
"$bin" -c "$conf" warm --json >"$HARNESS_DIR/restart.json" 2>"$HARNESS_DIR/restart.log" &
pid=$!
sleep 1.5
harness_stop_redis
sleep 1
harness_restart_redis
wait_pid "$pid" && rc=0 || rc=$?
is "$rc" 0 "a warm across a Redis restart finishes"
like "$(cat "$HARNESS_DIR/restart.log")" "reconnect" "it logged the reconnects"
ok "every key is present after the restart" all_keys

# 2b. Redis gone for good mid-run: bounded retries, then failed with the cause.
harness_redis_cli flushall >/dev/null
"$bin" -c "$conf" warm --json >"$HARNESS_DIR/gone.json" 2>"$HARNESS_DIR/gone.log" &
pid=$!
sleep 1
harness_stop_redis
wait_pid "$pid" && rc=0 || rc=$?
is "$rc" 1 "a warm whose Redis never comes back ends with exit 1"
like "$(harness_json '" ".join((d["status"], d["datasets"][0]["failure"]))' <"$HARNESS_DIR/gone.json")" \
	"^failed worker [0-9]+: redis 127\.0\.0\.1:[0-9]+: Connection refused" \
	"as failed, naming the cause"
ok "no checkpoint is lost: --resume can go on" test -s "$HARNESS_DIR/state/warm-products.ckpt"
harness_restart_redis

# 2c. An error reply (a key of another type) is counted and reported, not
# fatal. HSET meets WRONGTYPE; RESTORE ... REPLACE (write = auto) replaces it.
sed -i 's/^max_rows_per_sec = 40000$/max_rows_per_sec = 0/' "$conf"
harness_redis_cli set product:77 not-a-hash >/dev/null
"$bin" -q -c "$conf" warm >/dev/null && rc=0 || rc=$?
is "$rc:$(harness_redis_cli type product:77)" "0:hash" "RESTORE replaces a key of another type whole"
harness_redis_cli set product:77 not-a-hash >/dev/null
sed 's/^\[warm\]$/[warm]\nwrite = commands/' "$conf" >"$HARNESS_DIR/commands.conf"
out=$("$bin" -q -c "$HARNESS_DIR/commands.conf" warm --json) && rc=0 || rc=$?
is "$rc" 1 "a run with refused commands exits 1"
like "$(harness_json '" ".join((d["status"], str(d["datasets"][0]["errors"]), str(d["datasets"][0]["keys_written"]), d["datasets"][0]["first_errors"][0]))' <<<"$out")" \
	"^partial 1 $((rows - 1)) redis refused 1 command: WRONGTYPE" \
	"reported as partial, with the count, the keys really written and the first error"
ok "the file of checkpoints is cleared by a finished run" test ! -e "$HARNESS_DIR/state/warm-products.ckpt"

# 2d. SELECT: [redis] db.
harness_redis_cli flushall >/dev/null
sed "s/^port = $REDIS_PORT\$/port = $REDIS_PORT\ndb = 3/" "$conf" >"$HARNESS_DIR/db3.conf"
"$bin" -q -c "$HARNESS_DIR/db3.conf" warm && rc=0 || rc=$?
is "$rc:$(harness_redis_cli -n 3 dbsize):$(harness_redis_cli -n 0 dbsize)" "0:$((rows + 1)):0" \
	"[redis] db = 3 writes every key to database 3 only"

# 3. AUTH: requirepass, then an ACL user.
sed -i 's/^max_rows_per_sec = 40000$/max_rows_per_sec = 0/' "$conf"
harness_stop_redis
printf 's3cret-pass\n' >"$HARNESS_DIR/redis.pass"
chmod 600 "$HARNESS_DIR/redis.pass"
HARNESS_REDIS_CLI_ARGS=(-a s3cret-pass --no-auth-warning)
harness_start_redis --requirepass s3cret-pass
harness_write_conf "$HARNESS_DIR/auth.conf" <<CONF
password_file = $HARNESS_DIR/redis.pass
$(sed -n '/^\[warm\]/,$p' "$conf")
CONF
out=$("$bin" -c "$HARNESS_DIR/auth.conf" warm 2>&1) && rc=0 || rc=$?
is "$rc" 0 "warm with requirepass"
unlike "$out" "s3cret-pass" "the password never appears in the output"
printf 'wrong\n' >"$HARNESS_DIR/redis.pass"
out=$("$bin" -c "$HARNESS_DIR/auth.conf" warm 2>&1) && rc=0 || rc=$?
is "$rc" 69 "a wrong password exits 69 at start"
like "$out" "AUTH refused" "and says AUTH was refused"
# No '&*' (channels): the agent uses none, and Redis 6.0 does not know it.
harness_redis_cli acl setuser cw on '>acl-pass' '~*' '+@all' >/dev/null
printf 'acl-pass\n' >"$HARNESS_DIR/redis.pass"
sed -i "s|^password_file = $HARNESS_DIR/redis.pass|username = cw\npassword_file = $HARNESS_DIR/redis.pass|" "$HARNESS_DIR/auth.conf"
"$bin" -q -c "$HARNESS_DIR/auth.conf" warm && rc=0 || rc=$?
is "$rc" 0 "warm as an ACL user"

# 4. TLS, with a CA and a server certificate for 127.0.0.1 made here.
tls=$HARNESS_DIR/tls
harness_make_certs "$tls"
harness_stop_redis
HARNESS_REDIS_CLI_ARGS=(--tls --cacert "$tls/ca.pem")
REDIS_PORT=$(harness_free_port)
harness_start_redis --port 0 --tls-port "$REDIS_PORT" --tls-cert-file "$tls/server.pem" \
	--tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.pem" --tls-auth-clients no
harness_write_conf "$HARNESS_DIR/tls.conf" <<CONF
tls = on
ca_file = $tls/ca.pem
$(sed -n '/^\[warm\]/,$p' "$conf")
CONF
out=$("$bin" -c "$HARNESS_DIR/tls.conf" warm --json 2>/dev/null) && rc=0 || rc=$?
is "$rc" 0 "warm over TLS"
is "$(harness_redis_cli dbsize)" "$((rows + 1))" "every key arrived over TLS"
sed -i "s|^ca_file = .*|ca_file = $tls/other.pem|" "$HARNESS_DIR/tls.conf"
out=$("$bin" -c "$HARNESS_DIR/tls.conf" warm 2>&1) && rc=0 || rc=$?
like "$rc: $out" "^69: .*certificate verify failed" "a server the CA did not sign is refused (69)"

# 5. MySQL down at start.
harness_stop_mariadb
out=$("$bin" -q -c "$HARNESS_DIR/tls.conf" warm --json) && rc=0 || rc=$?
is "$rc" 69 "MySQL down at start exits 69"
like "$(harness_json '" ".join((d["status"], d["datasets"][0]["status"], d["datasets"][0]["failure"]))' <<<"$out")" \
	"^failed failed mysql 127\.0\.0\.1:[0-9]+: Can't connect" "and still reports the failure, with its cause"
tap_done
