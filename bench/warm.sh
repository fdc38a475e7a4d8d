#!/usr/bin/env bash
# bench/warm.sh: cachewarden warm against the fastest hand pipeline.
#
#   bench/warm.sh [ROWS] [RUNS]        (defaults: 1000000 rows, 3 runs)
#   SCALING="100000 1000000 4000000" bench/warm.sh   time per row at each size
#
# Starts throwaway MariaDB and Redis on 127.0.0.1 (tests/lib/harness.sh),
# seeds market_db.products with ROWS rows, then alternates, RUNS times:
#   A  cachewarden warm: HSET of 5 fields per row, Redis flushed before;
#   B  SELECT CONCAT(<Redis protocol>) | mariadb --quick --raw | redis-cli --pipe;
#   F  the Redis server's own CPU seconds during A (INFO cpu): no client can
#      write faster than the single Redis thread executes.
# Prints each run and the medians, A/B and A/F, and A's peak RSS.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export srcdir=$here
bin=${CACHEWARDEN:-$here/cachewarden}
runs=${2:-3}
sizes=${SCALING:-${1:-1000000}}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/harness.sh"
harness_init
harness_start_mariadb
harness_start_redis

conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<CONF
[warm]
workers = ${WORKERS:-4}
batch_rows = ${BATCH_ROWS:-1000}
[dataset products]
table = products
key_column = id
columns = sku, name, price, stock, updated_at
key = product:{id}
type = hash
CONF

# The hand pipeline: each row a complete HSET in Redis protocol; the row ends
# in \r so that the client's newline completes the CRLF.
pipe_sql="SELECT CONCAT('*12\r\n\$4\r\nHSET\r\n\$', LENGTH(CONCAT('product:',id)), '\r\n',
 CONCAT('product:',id), '\r\n\$3\r\nsku\r\n\$', LENGTH(sku), '\r\n', sku,
 '\r\n\$4\r\nname\r\n\$', LENGTH(name), '\r\n', name,
 '\r\n\$5\r\nprice\r\n\$', LENGTH(price), '\r\n', price,
 '\r\n\$5\r\nstock\r\n\$', LENGTH(stock), '\r\n', stock,
 '\r\n\$10\r\nupdated_at\r\n\$', LENGTH(updated_at), '\r\n', updated_at, '\r') FROM products"

redis_cpu() {
	harness_redis_cli info cpu | tr -d '\r' |
		awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.3f", s }'
}
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

run_a() {
	local t0 t1 c0 c1 rss
	harness_redis_cli flushall >/dev/null
	c0=$(redis_cpu); t0=$(now)
	rss=$( { /usr/bin/time -f '%M' "$bin" -q -c "$conf" warm >/dev/null; } 2>&1 | tail -n 1)
	t1=$(now); c1=$(redis_cpu)
	[ "$(harness_redis_cli dbsize)" -ge "$rows" ] || { echo "A wrote too few keys" >&2; exit 1; }
	echo "$(echo "$t1 - $t0" | bc) $(echo "$c1 - $c0" | bc) $rss"
}

run_b() {
	local t0 t1
	harness_redis_cli flushall >/dev/null
	t0=$(now)
	mariadb --no-defaults -S "$MYSQL_SOCKET" -uroot market_db --batch --quick \
		--skip-column-names --raw -e "$pipe_sql" |
		redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe >/dev/null
	t1=$(now)
	[ "$(harness_redis_cli dbsize)" -ge "$rows" ] || { echo "B wrote too few keys" >&2; exit 1; }
	echo "$t1 - $t0" | bc
}

for rows in $sizes; do
	harness_seed_products "$rows"
	: >"$HARNESS_DIR/a" >"$HARNESS_DIR/b" >"$HARNESS_DIR/f" >"$HARNESS_DIR/rss"
	for i in $(seq 1 "$runs"); do
		read -r a f rss < <(run_a)
		b=$(run_b)
		echo "rows=$rows run $i: A ${a}s (Redis CPU F ${f}s, RSS ${rss} KiB)  B ${b}s" >&2
		echo "$a" >>"$HARNESS_DIR/a"; echo "$b" >>"$HARNESS_DIR/b"
		echo "$f" >>"$HARNESS_DIR/f"; echo "$rss" >>"$HARNESS_DIR/rss"
	done
	a=$(median <"$HARNESS_DIR/a"); b=$(median <"$HARNESS_DIR/b"); f=$(median <"$HARNESS_DIR/f")
	rss=$(sort -n "$HARNESS_DIR/rss" | tail -n 1)
	printf 'rows=%s runs=%s  median A %.2fs  B %.2fs  F %.2fs  A/B %.3f  A/F %.3f  A per row %.2f us  peak RSS %s KiB\n' \
		"$rows" "$runs" "$a" "$b" "$f" "$(echo "$a / $b" | bc -l)" "$(echo "$a / $f" | bc -l)" \
		"$(echo "$a * 1000000 / $rows" | bc -l)" "$rss"
done
