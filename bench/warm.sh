#!/usr/bin/env bash
# bench/warm.sh: cachewarden warm against the fastest hand pipeline.
#
#   bench/warm.sh [ROWS] [RUNS]          (defaults: 1000000 rows, 5 runs)
#   SCALING="100000 1000000 4000000" bench/warm.sh 0 5   each size in turn
#   TRANSPORT=socket bench/warm.sh       Unix sockets instead of TCP (default tcp)
#   DELAY_US=250 bench/warm.sh           a round trip added on both connections:
#                                        bench/delayproxy holds each chunk DELAY_US
#                                        in each direction (2 x DELAY_US per round trip)
#   MODES="commands restore"             [warm] write of the A runs (default both);
#                                        MODE@N also sets batch_rows = N for that
#                                        A, so "commands commands@1000" compares
#                                        the automatic batch size with 1,000 rows
#   WORKERS=4 BATCH_ROWS=1000            written into [warm] only when set
#   PIN=1                                Redis alone on the last CPU, the rest on
#                                        the others (a Redis host of its own)
#   A_WRAP="strace -f -tt -o F"          a command prefix for A (profiling)
#   TIMELINE=1                           after each A, where Redis sat idle
#                                        (bench/redisbusy.py: start, middle, tail)
#
# Starts MariaDB and Redis as an operator would, each with its own datadir and
# config file under a temporary directory (not the test harness), both on
# 127.0.0.1; seeds market_db.products with ROWS rows (id BIGINT PK, sku, name,
# price DECIMAL, stock INT, updated_at DATETIME), then alternates, RUNS times,
# with Redis flushed before each:
#   A  cachewarden warm (HSET of 5 fields per row, or RESTORE), once per mode;
#   B  SELECT CONCAT(<Redis protocol>) | mariadb --quick --raw | redis-cli --pipe;
# and measures each one's wall time and F, the Redis server's CPU seconds
# during it (utime + stime from /proc/<pid>/stat), which depends less on the
# machine's load than wall time. Prints each run, then per mode the medians
# of A, B, F_A, F_B, the ratios A/B, A/F_A, F_A/F_B of those medians, and
# A's peak RSS and A's own CPU seconds (user + system).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CACHEWARDEN:-$here/cachewarden}
runs=${2:-5}
sizes=${SCALING:-${1:-1000000}}
transport=${TRANSPORT:-tcp}
delay=${DELAY_US:-0}
modes=${MODES:-commands restore}
[[ $transport == tcp || $transport == socket ]] || { echo "TRANSPORT is tcp or socket" >&2; exit 64; }
[[ $delay == 0 || $transport == tcp ]] || { echo "DELAY_US needs TRANSPORT=tcp" >&2; exit 64; }

# PIN=1: Redis alone on the last CPU, everything else on the others, as when
# ElastiCache runs on a host of its own: Redis's CPU is then not taken by
# MySQL or the clients, and F counts only what the contender fed it.
own=() rest=()
if [[ -n ${PIN:-} ]]; then
	last=$(($(nproc) - 1))
	[[ $last -ge 1 ]] || { echo "PIN=1 needs two CPUs" >&2; exit 64; }
	own=(taskset -c "$last") rest=(taskset -c "0-$((last - 1))")
fi

dir=$(mktemp -d /tmp/cw-bench.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sbin() { PATH=$PATH:/usr/sbin:/sbin command -v "$1"; }

# ---- MariaDB: its own my.cnf and datadir ----
mysql_port=$(free_port)
mkdir -p "$dir/mysql/data" "$dir/mysql/tmp"
cat >"$dir/my.cnf" <<CNF
[mysqld]
datadir = $dir/mysql/data
tmpdir = $dir/mysql/tmp
socket = $dir/mysql/mysqld.sock
pid-file = $dir/mysql/mariadbd.pid
log-error = $dir/mysql/error.log
port = $mysql_port
bind-address = 127.0.0.1
skip-name-resolve
skip-log-bin
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb_buffer_pool_size = 1G
innodb_log_file_size = 256M
innodb_flush_log_at_trx_commit = 2
max_connections = 200
CNF
as_user=()
[[ $(id -u) -eq 0 ]] && as_user=(--user=root)
"$(sbin mariadb-install-db)" --defaults-file="$dir/my.cnf" "${as_user[@]}" \
	--auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
	--skip-test-db >"$dir/install.log" 2>&1
"${rest[@]}" "$(sbin mariadbd)" --defaults-file="$dir/my.cnf" "${as_user[@]}" </dev/null >/dev/null 2>&1 &
mysqld_pid=$!
pids+=("$mysqld_pid")
root_sql() { mariadb --no-defaults -S "$dir/mysql/mysqld.sock" -u "$(id -un)" "$@"; }
for _ in $(seq 1 300); do root_sql -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
(umask 077; printf '%s\n' "$pass" >"$dir/mysql.pass")
root_sql <<SQL
CREATE DATABASE market_db;
CREATE USER 'cw'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER 'cw'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON market_db.* TO 'cw'@'127.0.0.1';
GRANT ALL PRIVILEGES ON market_db.* TO 'cw'@'localhost';
SQL

# ---- Redis: its own redis.conf ----
redis_port=$(free_port)
mkdir -p "$dir/redis"
cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $redis_port
unixsocket $dir/redis/redis.sock
unixsocketperm 700
dir $dir/redis
logfile $dir/redis/redis.log
daemonize no
save ""
appendonly no
CONF
"${own[@]}" redis-server "$dir/redis.conf" </dev/null >/dev/null 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
for _ in $(seq 1 100); do [[ $(rcli ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done

# ---- the path both contenders take: direct, or through the delay proxies ----
mysql_to=$mysql_port redis_to=$redis_port
if [[ $delay != 0 ]]; then
	cc -O2 -o "$dir/delayproxy" "$here/bench/delayproxy.c"
	mysql_to=$(free_port)
	"${rest[@]}" "$dir/delayproxy" "$mysql_to" "$mysql_port" "$delay" &
	pids+=($!)
	redis_to=$(free_port)
	"${rest[@]}" "$dir/delayproxy" "$redis_to" "$redis_port" "$delay" &
	pids+=($!)
	sleep 0.2
fi
if [[ $transport == tcp ]]; then
	mysql_conf="host = 127.0.0.1
port = $mysql_to"
	redis_conf="host = 127.0.0.1
port = $redis_to"
	mysql_client=(--protocol=TCP -h 127.0.0.1 -P "$mysql_to")
	redis_client=(-h 127.0.0.1 -p "$redis_to")
else
	mysql_conf="socket = $dir/mysql/mysqld.sock"
	redis_conf="socket = $dir/redis/redis.sock"
	mysql_client=(--protocol=SOCKET -S "$dir/mysql/mysqld.sock")
	redis_client=(-s "$dir/redis/redis.sock")
fi

for mode in $modes; do
	mkdir -p "$dir/state"
	chmod 700 "$dir/state"
	cat >"$dir/agent-$mode.conf" <<CONF
[agent]
name = bench
state_dir = $dir/state
log_level = warn

[mysql]
$mysql_conf
user = cw
password_file = $dir/mysql.pass
database = market_db
tls = disabled

[redis]
$redis_conf

[warm]
write = ${mode%@*}
${WORKERS:+workers = $WORKERS}
$(batch=${BATCH_ROWS:-}; [[ $mode == *@* ]] && batch=${mode#*@}; echo "${batch:+batch_rows = $batch}")

[dataset products]
table = products
key_column = id
columns = sku, name, price, stock, updated_at
key = product:{id}
type = hash
CONF
done

# The hand pipeline: each row a complete HSET in Redis protocol; the row ends
# in \r so that the client's newline completes the CRLF.
pipe_sql="SELECT CONCAT('*12\r\n\$4\r\nHSET\r\n\$', LENGTH(CONCAT('product:',id)), '\r\n',
 CONCAT('product:',id), '\r\n\$3\r\nsku\r\n\$', LENGTH(sku), '\r\n', sku,
 '\r\n\$4\r\nname\r\n\$', LENGTH(name), '\r\n', name,
 '\r\n\$5\r\nprice\r\n\$', LENGTH(price), '\r\n', price,
 '\r\n\$5\r\nstock\r\n\$', LENGTH(stock), '\r\n', stock,
 '\r\n\$10\r\nupdated_at\r\n\$', LENGTH(updated_at), '\r\n', updated_at, '\r') FROM products"

tck=$(getconf CLK_TCK)
redis_cpu() { proc_cpu "$redis_pid"; }
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# TIMELINE=1: where Redis sat idle during a run, and mysqld's CPU seconds.
proc_cpu() { awk -v t="$tck" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
timeline_start() {
	[[ -n ${TIMELINE:-} ]] || return 0
	rm -f "$dir/busy"
	python3 "$here/bench/redisbusy.py" "$redis_pid" >"$dir/busy" &
	busy_pid=$!
	until [[ -s $dir/busy ]]; do sleep 0.01; done
	mysqld_c0=$(proc_cpu "$mysqld_pid")
}
timeline_end() {
	[[ -n ${TIMELINE:-} ]] || return 0
	kill "$busy_pid"
	wait "$busy_pid" || true
	echo "$1 mysqld cpu $(echo "$(proc_cpu "$mysqld_pid") - $mysqld_c0" | bc)s; Redis $(tail -n 1 "$dir/busy")" >&2
}

read -ra wrap <<<"${A_WRAP:-}"

# run_a MODE: prints wall seconds, Redis CPU seconds, peak RSS KiB, A's own CPU seconds.
run_a() {
	local t0 t1 c0 c1 rss
	rcli flushall >/dev/null
	timeline_start
	c0=$(redis_cpu); t0=$(now)
	rss=$( { "${rest[@]}" /usr/bin/time -f '%M %U %S' "${wrap[@]}" "$bin" -q -c "$dir/agent-$1.conf" warm --json >"$dir/report.json"; } 2>&1 | tail -n 1)
	rss=$(awk '{ printf "%s %.2f", $1, $2 + $3 }' <<<"$rss")
	t1=$(now); c1=$(redis_cpu)
	timeline_end "A[$1]"
	[[ $(rcli dbsize) -ge $rows ]] || { echo "A ($1) wrote too few keys" >&2; exit 1; }
	grep -q "\"write\":\"${1%@*}\"" "$dir/report.json" || { echo "A did not write with $1" >&2; exit 1; }
	echo "$(echo "$t1 - $t0" | bc) $(echo "$c1 - $c0" | bc) $rss"
}

run_b() {
	local t0 t1 c0 c1
	rcli flushall >/dev/null
	timeline_start
	c0=$(redis_cpu); t0=$(now)
	MYSQL_PWD=$pass "${rest[@]}" mariadb --no-defaults "${mysql_client[@]}" -u cw market_db --batch --quick \
		--skip-column-names --raw -e "$pipe_sql" |
		"${rest[@]}" redis-cli "${redis_client[@]}" --pipe >/dev/null
	t1=$(now); c1=$(redis_cpu)
	timeline_end B
	[[ $(rcli dbsize) -ge $rows ]] || { echo "B wrote too few keys" >&2; exit 1; }
	echo "$(echo "$t1 - $t0" | bc) $(echo "$c1 - $c0" | bc)"
}

ratio() { echo "scale=3; $1 / $2" | bc -l; }

echo "# $(date -u +%FT%TZ) transport=$transport delay_us=$delay pin=${PIN:-0} workers=${WORKERS:-default} batch_rows=${BATCH_ROWS:-default} $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for rows in $sizes; do
	root_sql market_db <<-SQL
		DROP TABLE IF EXISTS products;
		CREATE TABLE products (
		  id BIGINT NOT NULL PRIMARY KEY,
		  sku VARCHAR(32) NOT NULL,
		  name VARCHAR(255) NOT NULL,
		  price DECIMAL(10,2) NOT NULL,
		  stock INT NOT NULL,
		  updated_at DATETIME NOT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
		INSERT INTO products (id, sku, name, price, stock, updated_at)
		SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Product ', seq),
		       ROUND(1 + (seq * 7919 % 100000) / 100, 2), seq % 1000,
		       TIMESTAMP'2026-01-01 00:00:00' + INTERVAL (seq % 31536000) SECOND
		FROM seq_1_to_$rows;
	SQL
	rm -f "$dir"/m.*
	for i in $(seq 1 "$runs"); do
		line="rows=$rows run $i:"
		for mode in $modes; do
			read -r a f rss cpu < <(run_a "$mode")
			echo "$a" >>"$dir/m.a.$mode"; echo "$f" >>"$dir/m.f.$mode"; echo "$rss" >>"$dir/m.rss.$mode"
			echo "$cpu" >>"$dir/m.cpu.$mode"
			line="$line A[$mode] ${a}s F ${f}s cpu ${cpu}s RSS ${rss}KiB;"
		done
		read -r b fb < <(run_b)
		echo "$b" >>"$dir/m.b"; echo "$fb" >>"$dir/m.fb"
		echo "$line B ${b}s F ${fb}s" >&2
	done
	b=$(median <"$dir/m.b"); fb=$(median <"$dir/m.fb")
	for mode in $modes; do
		a=$(median <"$dir/m.a.$mode"); f=$(median <"$dir/m.f.$mode")
		rss=$(sort -n "$dir/m.rss.$mode" | tail -n 1); cpu=$(median <"$dir/m.cpu.$mode")
		printf 'rows=%s runs=%s write=%-8s median A %.2fs B %.2fs F_A %.2fs F_B %.2fs  A/B %.3f  A/F %.3f  F_A/F_B %.3f  peak RSS %s KiB  A cpu %.2fs\n' \
			"$rows" "$runs" "$mode" "$a" "$b" "$f" "$fb" "$(ratio "$a" "$b")" "$(ratio "$a" "$f")" \
			"$(ratio "$f" "$fb")" "$rss" "$cpu"
	done
done
