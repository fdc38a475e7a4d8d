#!/usr/bin/env bash
# harness-selftest: proves tests/lib/harness.sh works: real MariaDB, Redis
# and fauxqs on 127.0.0.1, stop/restart, seeding, an SNS->SQS round trip,
# and that no server outlives its test (normal exit, error exit, SIGTERM,
# and SIGKILL of the test shell, where the watchdog steps in).
# Functions run through `ok` look unreachable to shellcheck; the starters
# take optional arguments.
# shellcheck disable=SC2317,SC2119
set -euo pipefail

srcdir=${srcdir:-.}
builddir=${builddir:-.}
# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

harness_require mariadbd mariadb-install-db mariadb mariadb-admin \
	redis-server redis-cli node python3 curl
if ! harness_have_fauxqs; then
	[[ ${CI:-} == true ]] && tap_bail "fauxqs missing: run scripts/install-deps.sh"
	tap_skip_all "fauxqs missing: run scripts/install-deps.sh"
fi

tap_plan 33
harness_init

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# tree_sockets PID: socket inodes held by PID and its descendants.
tree_sockets() {
	local pid=$1 link kid
	for link in /proc/"$pid"/fd/*; do
		link=$(readlink "$link" 2>/dev/null) || continue
		[[ $link =~ ^socket:.([0-9]+).$ ]] && echo "${BASH_REMATCH[1]}"
	done
	# shellcheck disable=SC2013 # one PID per word
	for kid in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
		tree_sockets "$kid"
	done
	return 0
}

# listen_addrs PORT PID: the local IPv4/IPv6 addresses on which PID's process
# tree listens on TCP PORT, from /proc/net/tcp{,6} (state 0A = LISTEN), e.g.
# "127.0.0.1". Only PID's own sockets count: /proc/net/tcp lists the whole
# machine, and on a shared host another program may hold the same port
# number on another address (::1, say) without touching ours.
listen_addrs() {
	local port f addr st h inode inodes
	port=$(printf '%04X' "$1")
	inodes=" $(tree_sockets "$2" | tr '\n' ' ') "
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		while read -r _ addr _ st _ _ _ _ _ inode _; do
			[[ $st == 0A && ${addr##*:} == "$port" ]] || continue
			if [[ $inodes != *" $inode "* ]]; then
				diag "port $1 is also listened on at $addr by another process (inode $inode)" >&2
				continue
			fi
			h=${addr%:*}
			if ((${#h} == 8)); then
				printf '%d.%d.%d.%d\n' "0x${h:6:2}" "0x${h:4:2}" "0x${h:2:2}" "0x${h:0:2}"
			else
				printf 'ipv6:%s\n' "$h"
			fi
		done <"$f"
	done | sort -u | paste -sd, -
}

# all_gone PID...: true when none of the PIDs is a live process; waits up
# to 15 s for stragglers (the watchdog case).
all_gone() {
	local end=$((SECONDS + 15)) p alive
	while :; do
		alive=
		for p in "$@"; do
			_harness_alive "$p" && alive="$alive $p"
		done
		[[ -z $alive ]] && return 0
		((SECONDS < end)) || break
		sleep 0.1
	done
	diag "still running:$alive"
	return 1
}

# ---- MariaDB -------------------------------------------------------------------
t=$(now)
if harness_start_mariadb; then
	pass "mariadb starts (pid $MYSQL_PID, port $MYSQL_PORT)"
else
	fail "mariadb starts"
	tap_bail "no MariaDB, see the log above"
fi
diag "mariadb: install-db + start + user setup in $(elapsed "$t") s"

is "$(stat -c %a "$MYSQL_PASSWORD_FILE")" 600 "password file is mode 0600"
is "$(harness_mysql_cw -N -B -e 'SELECT 1' 2>&1)" 1 "cw answers SELECT 1 over TCP with the password file"
is "$(harness_mysql_cw -N -B market_db -e 'SELECT DATABASE(), CURRENT_USER()' 2>&1)" \
	$'market_db\tcw@127.0.0.1' "cw uses market_db as cw@127.0.0.1"
is "$(harness_mysql -N -B -e 'SELECT @@character_set_server, @@bind_address' 2>&1)" \
	$'utf8mb4\t127.0.0.1' "superuser over the socket; utf8mb4, bound to 127.0.0.1"
is "$(MYSQL_PWD=wrong mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" -u cw -N -e 'SELECT 1' 2>/dev/null || echo denied)" \
	denied "a wrong password is refused"
is "$(listen_addrs "$MYSQL_PORT" "$MYSQL_PID")" 127.0.0.1 "mariadb listens on 127.0.0.1 only"

t=$(now)
ok "seed 1000 products" harness_seed_products 1000
diag "seeding 1000 rows: $(elapsed "$t") s"
is "$(harness_mysql_cw -N -B market_db -e 'SELECT COUNT(*) FROM products' 2>&1)" 1000 "COUNT(*) = 1000"
is "$(harness_mysql_cw -N -B market_db -e 'SELECT sku, name, price, stock, updated_at FROM products WHERE id = 1000' 2>&1)" \
	$'SKU-00001000\tProduct 1000\t191.00\t0\t2026-01-01 00:16:40' "seeded rows are deterministic"

# ---- Redis ---------------------------------------------------------------------
t=$(now)
if harness_start_redis; then
	pass "redis starts (pid $REDIS_PID, port $REDIS_PORT)"
else
	fail "redis starts"
	tap_bail "no Redis, see the log above"
fi
diag "redis: start in $(elapsed "$t") s"
is "$(harness_redis_cli PING 2>&1)" PONG "redis answers PING"
is "$(listen_addrs "$REDIS_PORT" "$REDIS_PID")" 127.0.0.1 "redis listens on 127.0.0.1 only"
harness_redis_cli SET cw:selftest 42 >/dev/null
old_pid=$REDIS_PID old_port=$REDIS_PORT
ok "harness_stop_redis" harness_stop_redis
ok "redis process is gone" all_gone "$old_pid"
isnt "$(harness_redis_cli PING 2>/dev/null || true)" PONG "no PING answer while stopped"
t=$(now)
ok "harness_restart_redis" harness_restart_redis
diag "redis: restart in $(elapsed "$t") s"
is "$REDIS_PORT:$(harness_redis_cli PING 2>&1)" "$old_port:PONG" "restarted on the same port, answers PING"
isnt "$REDIS_PID" "$old_pid" "new REDIS_PID"
is "$(harness_redis_cli EXISTS cw:selftest 2>&1)" 0 "restart without persistence starts empty"

# ---- fauxqs (SNS/SQS) ------------------------------------------------------------
t=$(now)
if harness_start_fauxqs; then
	pass "fauxqs starts (pid $FAUXQS_PID)"
else
	fail "fauxqs starts"
	tap_bail "no fauxqs, see the log above"
fi
diag "fauxqs: start in $(elapsed "$t") s"
like "$SNS_ENDPOINT" '^http://127\.0\.0\.1:[0-9]+$' "SNS_ENDPOINT is a loopback URL"
is "$(listen_addrs "$FAUXQS_PORT" "$FAUXQS_PID")" 127.0.0.1 "fauxqs listens on 127.0.0.1 only"

ok "topic, queue and subscription" harness_sns_setup cw-alerts
msg_id=$(harness_sns_publish "$SNS_TOPIC_ARN" 'hello' 'cachewarden report' || true)
like "$msg_id" '^[0-9a-f-]{36}$' "publish returns a MessageId"
body=$(harness_sqs_wait_body "$SQS_QUEUE_URL" 10 || true)
is "$(harness_sns_field "$body" Type 2>&1):$(harness_sns_field "$body" Message 2>&1):$(harness_sns_field "$body" Subject 2>&1)" \
	"Notification:hello:cachewarden report" "queue receives the SNS envelope with the message"

raw_q=$(harness_sqs_create_queue cw-raw)
harness_sns_subscribe_queue "$SNS_TOPIC_ARN" "$raw_q" raw >/dev/null
harness_sns_publish "$SNS_TOPIC_ARN" '{"host":"test-host","ok":true}' >/dev/null
is "$(harness_sqs_wait_body "$raw_q" 10 || true)" '{"host":"test-host","ok":true}' \
	"RawMessageDelivery: the body is the message itself"

# ---- agent.conf ------------------------------------------------------------------
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<EOF
[sns]
topic_arn = $SNS_TOPIC_ARN
EOF
expected="[agent]
name = test-host
state_dir = $HARNESS_DIR/state
log_level = info

[mysql]
host = 127.0.0.1
port = $MYSQL_PORT
user = cw
password_file = $MYSQL_PASSWORD_FILE
database = market_db

[redis]
host = 127.0.0.1
port = $REDIS_PORT

[sns]
topic_arn = $SNS_TOPIC_ARN"
is "$(cat "$conf")" "$expected" "harness_write_conf writes the servers' settings and stdin"

# ---- no server outlives its test ---------------------------------------------------
# A child test shell starts all three servers, reports its PIDs, then ends
# in MODE. Its temp dir lives inside ours (TMPDIR), so nothing can leak.
child=$HARNESS_DIR/child.sh
cat >"$child" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
. "$1/tests/lib/harness.sh"
harness_init
harness_start_mariadb
harness_start_redis
harness_start_fauxqs
{ echo "$HARNESS_DIR"; harness_pids; } >"$3.tmp"
mv "$3.tmp" "$3"
case $2 in
exit) exit 0 ;;
error) false ;;
*) for _ in $(seq 600); do sleep 0.1; done ;; # killed before the end
esac
EOF

# run_child MODE: prints "ok" when the child's servers and dir are gone.
run_child() {
	local mode=$1 out=$HARNESS_DIR/child-$1.out cpid end dir st=0
	local -a pids
	TMPDIR=$HARNESS_DIR bash "$child" "$srcdir" "$mode" "$out" \
		</dev/null >"$HARNESS_DIR/child-$mode.log" 2>&1 &
	cpid=$!
	end=$((SECONDS + 60))
	until [[ -s $out ]] || ((SECONDS > end)) || ! kill -0 "$cpid" 2>/dev/null; do
		sleep 0.1
	done
	if [[ ! -s $out ]]; then
		kill -KILL "$cpid" 2>/dev/null || true
		wait "$cpid" 2>/dev/null || true
		diag "child ($mode) did not start its servers:"
		diag "$(tail -n 20 "$HARNESS_DIR/child-$mode.log")"
		return 1
	fi
	case $mode in
	term) kill -TERM "$cpid" ;;
	kill) kill -KILL "$cpid" ;;
	esac
	{ wait "$cpid"; } 2>/dev/null || st=$?
	mapfile -t pids <"$out"
	dir=${pids[0]}
	pids=("${pids[@]:1}")
	diag "child ($mode): exit $st, servers ${pids[*]}"
	[[ ${#pids[@]} -eq 3 ]] || {
		diag "expected 3 server PIDs"
		return 1
	}
	all_gone "${pids[@]}" || return 1
	end=$((SECONDS + 10))
	while [[ -d $dir ]] && ((SECONDS < end)); do sleep 0.1; done
	[[ ! -d $dir ]] || {
		diag "temp dir $dir remains"
		return 1
	}
}
ok "servers stopped and temp dir removed after a normal exit" run_child exit
ok "... after an error exit (set -e)" run_child error
ok "... after SIGTERM" run_child term
ok "... after SIGKILL of the test shell (watchdog)" run_child kill

# Our own servers: harness_stop_all (what the EXIT trap runs) ends them all.
mapfile -t mine < <(harness_pids)
harness_stop_all
ok "harness_stop_all stops this test's ${#mine[@]} servers" all_gone "${mine[@]}"

tap_done
