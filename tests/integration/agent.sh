#!/usr/bin/env bash
# The agent, `cachewarden run`, as a fleet of two on one MariaDB and one
# Redis: the first start finds no generation marker and exactly one agent
# rebuilds (the other reports skipped: led by ...); FLUSHALL is detected and
# rebuilt once (Redis's command stats show one rebuild's writes, not two);
# a Redis restarted from an older RDB is a rollback, rebuilt once; the leader
# SIGKILLed mid-warm is taken over after its lease expires and the cache ends
# complete. Then the admin API's guards, /metrics through promtool, SIGHUP
# with a broken and a good config, and SIGTERM mid-warm (checkpoint, exit
# within 5 s, resumed at the next start). Reports are read back from the SNS
# emulator by kind.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=$(cd "$(dirname "${CACHEWARDEN:-./cachewarden}")" && pwd)/$(basename "${CACHEWARDEN:-./cachewarden}")
harness_require mariadbd redis-server python3 curl
harness_init
harness_start_mariadb
harness_start_redis --dbfilename dump.rdb
rows=20000
harness_seed_products "$rows"
sns=0
if harness_have_fauxqs; then
	harness_start_fauxqs
	harness_sns_setup agent-reports raw
	sns=1
fi

token=$HARNESS_DIR/admin.token
printf 'secret-token-%s\n' "$RANDOM$RANDOM" >"$token"
chmod 600 "$token"
tok=$(head -n1 "$token")

# agent_conf NAME PORT [TOKEN_FILE]: one agent's config, its own state and spool.
agent_conf() {
	local name=$1 port=$2 tokfile=${3:-}
	mkdir -p "$HARNESS_DIR/$name/state"
	chmod 700 "$HARNESS_DIR/$name" "$HARNESS_DIR/$name/state"
	{
		cat <<-CONF
			[agent]
			name = agent-$name
			state_dir = $HARNESS_DIR/$name/state
			health_interval = 5s
			[admin]
			listen = 127.0.0.1:$port
			${tokfile:+token_file = $tokfile}
			[mysql]
			host = 127.0.0.1
			port = $MYSQL_PORT
			user = cw
			password_file = $MYSQL_PASSWORD_FILE
			database = market_db
			[redis]
			host = 127.0.0.1
			port = $REDIS_PORT
			[warm]
			workers = 2
			batch_rows = 500
			max_rows_per_sec = 8000
			verify_sample = 100
			restore_poll = 1s
			lease_ttl = 3s
			[verify]
			schedule = ${schedule:-every 6h}
			splay = 0
			manifest_dir = $HARNESS_DIR/$name/manifests
			[exports nightly]
			path = $HARNESS_DIR/exports/*
			max_age = 26h
			[dataset products]
			table = products
			key_column = id
			columns = id, sku, name, price, stock
			key = product:{id}
			type = hash
		CONF
		if ((sns)); then
			printf '[sns]\ntopic_arn = %s\nendpoint = %s\nspool_dir = %s\ncredentials = env\n' \
				"$SNS_TOPIC_ARN" "$SNS_ENDPOINT" "$HARNESS_DIR/$name/spool"
		else
			printf '[sns]\nspool_dir = %s\n' "$HARNESS_DIR/$name/spool"
		fi
	} >"$HARNESS_DIR/$name.conf"
}

port_a=$(harness_free_port)
port_b=$(harness_free_port)
while [[ $port_b == "$port_a" ]]; do port_b=$(harness_free_port); done
mkdir -p "$HARNESS_DIR/exports"
seq 1 1000 | gzip >"$HARNESS_DIR/exports/market_db.sql.gz"
agent_conf a "$port_a" "$token"
# Agent b verifies every minute: by the end of this test its schedule has fired.
schedule="every 1m" agent_conf b "$port_b"

# On failure the agents' logs say why.
dump_logs() {
	((TAP_FAILED > 0)) || return 0
	local f
	for f in "$HARNESS_DIR"/a.log "$HARNESS_DIR"/b.log; do
		[[ -f $f ]] && diag "---- $f" && diag "$(tail -n 60 "$f")"
	done
}
harness_on_exit dump_logs

# systemd's side of Type=notify for agent a: a datagram socket whose
# messages land in a file, one per line (bounded: it ends with the test).
python3 - "$HARNESS_DIR/notify.sock" "$HARNESS_DIR/notify.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.time() + 900
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        out.write(msg.replace("\n", " | ") + "\n")
        out.flush()
PY
_harness_track $! notify-listener
harness_wait_for 10 "" test -S "$HARNESS_DIR/notify.sock"

declare -A pid
start_agent() {
	local -a env=()
	[[ $1 == a ]] && env=(NOTIFY_SOCKET="$HARNESS_DIR/notify.sock" WATCHDOG_USEC=1000000)
	env ${env[@]+"${env[@]}"} "$bin" -c "$HARNESS_DIR/$1.conf" run >>"$HARNESS_DIR/$1.log" 2>&1 &
	pid[$1]=$!
	_harness_track "${pid[$1]}" "cachewarden-$1"
}
port_of() { if [[ $1 == a ]]; then echo "$port_a"; else echo "$port_b"; fi; }
status_up() { curl -sf "http://127.0.0.1:$(port_of "$1")/status" >/dev/null; }
rcli() { harness_redis_cli "$@"; }
nkeys() { rcli --scan --pattern 'product:*' | wc -l; }
marker() { rcli GET cachewarden:generation:products; }
# Keys written: HSET or RESTORE (write = auto), plus a few of the RESTORE probe's.
hset_calls() {
	rcli INFO commandstats | awk -F'[:=,]' '/^cmdstat_(hset|restore):/ { n += $3 } END { print n + 0 }'
}
one_rebuild() { (($1 >= rows && $1 < rows + rows / 2)); }
# wait_marker OLD [SECONDS]: until Redis holds a marker other than OLD.
marker_differs() {
	local m
	m=$(marker)
	[[ -n $m && $m != "$1" ]]
}
wait_marker() { harness_wait_for "${2:-60}" "" marker_differs "$1"; }
post() { curl -s -o "$HARNESS_DIR/body" -w '%{http_code}' -X POST "$@"; }

start_agent a
start_agent b
harness_wait_for 20 "${pid[a]}" status_up a && rc=0 || rc=$?
ok_if $rc "agent a answers /status"
harness_wait_for 20 "${pid[b]}" status_up b && rc=0 || rc=$?
ok_if $rc "agent b answers /status"

harness_wait_for 10 "" grep -q '^READY=1' "$HARNESS_DIR/notify.txt" && rc=0 || rc=$?
ok_if $rc "systemd is told READY=1"
harness_wait_for 10 "" grep -q '^WATCHDOG=1' "$HARNESS_DIR/notify.txt" && rc=0 || rc=$?
ok_if $rc "and WATCHDOG=1 with WATCHDOG_USEC set"
grep -q '^STATUS=.*next verify' "$HARNESS_DIR/notify.txt" && rc=0 || rc=$?
ok_if $rc "and a STATUS= line"

# 1. First start: no marker anywhere; one agent builds the cache, the other is led.
wait_marker "" 90 && rc=0 || rc=$?
ok_if $rc "a generation marker appears: the cache was built"
is "$(nkeys)" "$rows" "every row has its key"
led=$(grep -h -o 'skipped: led by agent-[ab]' "$HARNESS_DIR/a.log" "$HARNESS_DIR/b.log" | head -n1 || true)
like "$led" "skipped: led by agent-[ab]" "the other agent reports it was led ($led)"

# 2. FLUSHALL: detected by both, rebuilt by exactly one.
sleep 2
rcli CONFIG RESETSTAT >/dev/null
m1=$(marker)
rcli FLUSHALL >/dev/null
wait_marker "$m1" 90 && rc=0 || rc=$?
ok_if $rc "after FLUSHALL a new marker appears"
is "$(nkeys)" "$rows" "the cache is complete again"
calls=$(hset_calls)
one_rebuild "$calls" && rc=0 || rc=$?
ok_if $rc "Redis ran one rebuild's writes ($calls for $rows rows), not two"
n_lost=$(grep -h -c 'dataset products: no generation marker' "$HARNESS_DIR/a.log" "$HARNESS_DIR/b.log" | paste -sd+ | bc)
ok_if $((n_lost >= 2 ? 0 : 1)) "both agents detected the loss ($n_lost lines)"

# 3. Rollback: Redis restarted from an RDB older than the marker both agents saw.
rcli SAVE >/dev/null
cp "$REDIS_DIR/dump.rdb" "$HARNESS_DIR/old.rdb"
m_old=$(marker)
sleep 2 # both agents see the marker before the next rebuild
code=$(post -H "Authorization: Bearer $tok" "http://127.0.0.1:$port_a/admin/rebuild-cache")
is "$code" 202 "POST /admin/rebuild-cache with the token: 202"
wait_marker "$m_old" 90 && rc=0 || rc=$?
ok_if $rc "the admin rebuild wrote a newer marker"
m_new=$(marker)
sleep 3 # both agents remember the newer marker
harness_stop_redis
cp "$HARNESS_DIR/old.rdb" "$REDIS_DIR/dump.rdb"
harness_restart_redis
rcli CONFIG RESETSTAT >/dev/null
is "$(marker)" "$m_old" "Redis came back with the older marker"
wait_marker "$m_old" 90 && rc=0 || rc=$?
ok_if $rc "the rollback was rebuilt: a newer marker again"
grep -q 'an older generation marker' "$HARNESS_DIR/a.log" "$HARNESS_DIR/b.log" && rc=0 || rc=$?
ok_if $rc "the rollback was named as such"
calls=$(hset_calls)
one_rebuild "$calls" && rc=0 || rc=$?
ok_if $rc "one rebuild after the rollback ($calls writes for $rows rows)"
[[ $(marker) != "$m_new" ]] && rc=0 || rc=$?
ok_if $rc "the marker after the rollback is not the pre-restore one"

# 4. The leader SIGKILLed mid-warm: the other takes over once its lease
# expires, and resumes from the progress the leader published in Redis.
sleep 2
m2=$(marker)
rcli FLUSHALL >/dev/null
rcli CONFIG RESETSTAT >/dev/null
progress() { [[ -n $(rcli GET cachewarden:lease:warm:products:progress) ]]; }
harness_wait_for 30 "" progress && rc=0 || rc=$?
ok_if $rc "the leader publishes its progress beside the lease"
holder=$(rcli GET cachewarden:lease:warm:products | awk '{print $2}')
like "$holder" '^agent-[ab]$' "a leader holds the lease ($holder)"
leader=${holder#agent-}
other=$([[ $leader == a ]] && echo b || echo a)
kill -KILL "${pid[$leader]}"
wait "${pid[$leader]}" 2>/dev/null || true
_harness_untrack "${pid[$leader]}"
wait_marker "$m2" 120 && rc=0 || rc=$?
ok_if $rc "agent $other finished the cache after agent $leader died"
is "$(nkeys)" "$rows" "the cache is complete after the takeover"
like "$(marker)" "\"host\":\"agent-$other\"" "the new marker is agent $other's"
grep -q 'resuming from the progress a leader left in Redis' "$HARNESS_DIR/$other.log" && rc=0 || rc=$?
ok_if $rc "agent $other resumed from the leader's progress"
calls=$(hset_calls)
ok_if $((calls < 2 * rows ? 0 : 1)) "and did not write everything again ($calls writes for $rows rows)"
[[ -z $(rcli GET cachewarden:lease:warm:products:progress) ]] && rc=0 || rc=$?
ok_if $rc "a finished warm leaves no progress behind"
start_agent "$leader"
harness_wait_for 20 "${pid[$leader]}" status_up "$leader" && rc=0 || rc=$?
ok_if $rc "agent $leader is back"

# 5. The admin API's guards (once no agent leads a warm).
base=http://127.0.0.1:$port_a
warm_idle() { [[ $(curl -s "http://127.0.0.1:$1/status") != *'"warm":{'* ]]; }
idle() {
	[[ -z $(rcli GET cachewarden:lease:warm:products) ]] && warm_idle "$port_a" && warm_idle "$port_b"
}
harness_wait_for 60 "" idle
code=$(post "$base/admin/rebuild-cache")
is "$code" 401 "POST without a token: 401"
code=$(post -H "Authorization: Bearer wrong" "$base/admin/rebuild-cache")
is "$code" 401 "POST with a wrong token: 401"
code=$(post "http://127.0.0.1:$port_b/admin/rebuild-cache")
is "$code" 403 "POST to an agent without token_file: 403"
code=$(post -H "Authorization: Bearer $tok" "$base/admin/rebuild-cache")
first=$(cat "$HARNESS_DIR/body")
code2=$(post -H "Authorization: Bearer $tok" "$base/admin/rebuild-cache")
second=$(cat "$HARNESS_DIR/body")
is "$code $code2" "202 409" "a second rebuild while one runs: 409"
run_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["run_id"])' "$first")
like "$second" "\"run_id\":\"$run_id\"" "409 names the running run id"
code=$(post -H "Authorization: Bearer $tok" "$base/admin/rebuild-cache?dataset=nope")
is "$code" 404 "an unknown dataset: 404"
head -c 70000 /dev/zero | tr '\0' x >"$HARNESS_DIR/big"
code=$(post -H "Authorization: Bearer $tok" --data-binary "@$HARNESS_DIR/big" "$base/admin/verify-backups")
is "$code" 413 "a body over 64 KiB: 413"
is "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" 404 "unknown path: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' "$base/admin/rebuild-cache")" 405 "GET on a POST route: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/metrics")" 405 "DELETE /metrics: 405"
is "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" 200 "GET /health: 200"
like "$(curl -s "$base/health")" '"outbox":' "/health carries the outbox counts"
st=$(curl -s "$base/status")
like "$st" '"next_verify":"[0-9T:-]+Z"' "/status names the next scheduled verify"
like "$st" '"last_warm":\{' "/status carries the last warm report"
python3 - "$port_a" <<'PY' && rc=0 || rc=$?
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")  # half a request, then nothing
s.settimeout(15)
t = time.monotonic()
try:
    data = s.recv(100)
except socket.timeout:
    print("still open after 15 s"); sys.exit(1)
print("closed" if data == b"" else "answered %r" % data[:40]); sys.exit(0)
PY
ok_if $rc "a client that sends half a request and stalls is dropped"
# At most ADMIN_MAX_CLIENTS (64) connections are open in the agent: the 65th
# waits in the kernel's backlog until one closes, and a flood does not take
# the agent's descriptors.
python3 - "$port_a" "${pid[a]}" <<'PY' && rc=0 || rc=$?
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
fds = lambda: len(os.listdir("/proc/%s/fd" % pid))
base = fds()
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
extra = socket.create_connection(("127.0.0.1", port))
extra.sendall(b"GET /status HTTP/1.0\r\n\r\n")
extra.settimeout(2)
try:
    print("answered with 64 open: %r" % extra.recv(40)); sys.exit(1)
except socket.timeout:
    pass
flood = []
for _ in range(100):
    c = socket.socket()
    c.settimeout(0.2)
    try:
        c.connect(("127.0.0.1", port))
    except OSError:
        pass
    flood.append(c)
if fds() > base + 64 + 2:
    print("%d descriptors open, %d before" % (fds(), base)); sys.exit(1)
for c in flood:
    c.close()
idle[0].close()
extra.settimeout(8)
got = extra.recv(40)
if not got.startswith(b"HTTP/1.0 200"):
    print("after one closed: %r" % got); sys.exit(1)
PY
ok_if $rc "64 connections open: the 65th waits until one closes; a flood holds no more descriptors"
curl -s "$base/metrics" >"$HARNESS_DIR/metrics.txt"
if command -v promtool >/dev/null; then
	promtool check metrics <"$HARNESS_DIR/metrics.txt" >"$HARNESS_DIR/promtool.out" 2>&1 && rc=0 || rc=$?
	ok_if $rc "/metrics passes promtool check metrics"
else
	skip "promtool not installed (Debian package prometheus)"
fi
# Agent $other ran throughout (the other one was restarted): it saw every loss.
other_metrics=$(curl -s "http://127.0.0.1:$(port_of "$other")/metrics")
grep -q '^cachewarden_restores_detected_total{event="lost"} [1-9]' <<<"$other_metrics" && rc=0 || rc=$?
ok_if $rc "/metrics counts the detected losses"
grep -q '^cachewarden_redis_keyspace_hit_ratio ' "$HARNESS_DIR/metrics.txt" &&
	grep -q '^cachewarden_redis_memory_used_bytes [1-9]' "$HARNESS_DIR/metrics.txt" && rc=0 || rc=$?
	ok_if $rc "/metrics carries Redis INFO figures"
grep -q '^cachewarden_warm_last_success_timestamp_seconds{dataset="products"} [1-9]' "$HARNESS_DIR/metrics.txt" && rc=0 || rc=$?
ok_if $rc "/metrics has the dataset's last success"
harness_wait_for 60 "" warm_idle "$port_a"

# 6. SIGHUP: a broken file keeps the old config; a good one is taken.
cp "$HARNESS_DIR/a.conf" "$HARNESS_DIR/a.conf.good"
printf '[warm]\nworkers = many\n' >>"$HARNESS_DIR/a.conf"
kill -HUP "${pid[a]}"
harness_wait_for 10 "" grep -q 'the old configuration stays' "$HARNESS_DIR/a.log" && rc=0 || rc=$?
ok_if $rc "SIGHUP with a broken config: the old one stays"
grep -q "a.conf:[0-9]*: " "$HARNESS_DIR/a.log" && rc=0 || rc=$?
ok_if $rc "the error is logged as file:line"
status_up a && rc=0 || rc=$?
ok_if $rc "the agent still answers"
cp "$HARNESS_DIR/a.conf.good" "$HARNESS_DIR/a.conf"
sed -i 's/^schedule = every 6h/schedule = every 12h/' "$HARNESS_DIR/a.conf"
kill -HUP "${pid[a]}"
harness_wait_for 10 "" grep -q 'schedule: next verify at .*(every 12h' "$HARNESS_DIR/a.log" && rc=0 || rc=$?
ok_if $rc "SIGHUP with a good config: the new schedule is in force"
grep -q '^RELOADING=1' "$HARNESS_DIR/notify.txt" && rc=0 || rc=$?
ok_if $rc "systemd is told RELOADING=1 around a reload"

# 7. SIGTERM mid-warm: checkpoint, exit within 5 s, resumed at the next start.
code=$(post -H "Authorization: Bearer $tok" "$base/admin/rebuild-cache")
is "$code" 202 "a rebuild started for the stop test"
rows_moving() { [[ $(curl -s "$base/status") =~ \"rows_done\":[1-9] ]]; }
harness_wait_for 20 "" rows_moving
kill -TERM "${pid[a]}"
stopped=1
for ((i = 0; i < 50; i++)); do
	if ! kill -0 "${pid[a]}" 2>/dev/null; then stopped=0; break; fi
	sleep 0.1
done
ok_if $stopped "SIGTERM mid-warm: the agent exited within 5 s"
grep -q '^STOPPING=1' "$HARNESS_DIR/notify.txt" && rc=0 || rc=$?
ok_if $rc "systemd is told STOPPING=1"
wait "${pid[a]}" && rc=0 || rc=$?
_harness_untrack "${pid[a]}"
is "$rc" 0 "and exited 0"
ls "$HARNESS_DIR/a/state/"warm-*.ckpt >/dev/null 2>&1 && rc=0 || rc=$?
ok_if $rc "the interrupted warm left its checkpoint"
grep -q '"status":"interrupted"' "$HARNESS_DIR/a/spool/"*.rec 2>/dev/null ||
	grep -q 'interrupted' "$HARNESS_DIR/a.log" && rc=0 || rc=$?
	ok_if $rc "the interrupted warm was reported"
start_agent a
harness_wait_for 30 "" grep -q 'startup: resuming an interrupted warm' "$HARNESS_DIR/a.log" && rc=0 || rc=$?
ok_if $rc "the next start resumes it"
harness_wait_for 60 "" bash -c "! ls $HARNESS_DIR/a/state/warm-*.ckpt >/dev/null 2>&1" && rc=0 || rc=$?
ok_if $rc "the resumed warm finished (checkpoint removed)"

# 8. The schedule: agent b's `every 1m` has come round at least once by now.
harness_wait_for 70 "" grep -q 'verify [0-9a-f]* started (schedule)' "$HARNESS_DIR/b.log" && rc=0 || rc=$?
ok_if $rc "agent b's scheduled verify ran"
harness_wait_for 30 "" grep -q 'verify [0-9a-f]* (schedule): exit 0' "$HARNESS_DIR/b.log" && rc=0 || rc=$?
ok_if $rc "and found the export set clean"

# 9. What reached SNS, read by kind.
if ((sns)); then
	python3 "${srcdir:-.}/tests/lib/sqs_kinds.py" "$SNS_ENDPOINT" "$SQS_QUEUE_URL" 20 \
		"restore detected lost" "restore detected rollback" "warm skipped" "warm ok" \
		"verify ok" >"$HARNESS_DIR/kinds" || true
	kinds=$(cat "$HARNESS_DIR/kinds")
	like "$kinds" "restore detected lost" "SNS got a restore report for the loss"
	like "$kinds" "restore detected rollback" "SNS got a restore report for the rollback"
	like "$kinds" "warm skipped" "SNS got the led agent's skipped report"
	like "$kinds" "warm ok" "SNS got a warm report"
	like "$kinds" "verify ok" "SNS got the scheduled verify's report"
	# Inline deliveries (the verify job's own) count too, not only the delivery job's.
	b_metrics=$(curl -s "http://127.0.0.1:$(port_of b)/metrics")
	grep -q '^cachewarden_sns_published_total [1-9]' <<<"$b_metrics" && rc=0 || rc=$?
	ok_if $rc "/metrics counts the reports agent b delivered"
	# Delivery ran in the HTTP helper: libcurl never entered the agent's process.
	grep -q 'libcurl' "/proc/${pid[b]}/maps" && rc=1 || rc=0
	ok_if $rc "after its deliveries, agent b has no libcurl mapped"
else
	skip "fauxqs not installed (scripts/install-deps.sh)" 7
fi
tap_done
