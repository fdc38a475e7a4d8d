#!/usr/bin/env bash
# bench/verify.sh: cachewarden verify against the shell recipe an operator
# would write.
#
#   bench/verify.sh [RUNS]          (default 3; RUNS >= 3 for a median)
#   KEEP_SET=DIR bench/verify.sh    build the set in DIR and keep it; a later
#                                   run with the same KEEP_SET reuses it
#
# Builds an export set of ~1.2 GiB in a temp dir: a 1 GiB incompressible
# blob, the RDB of 1M hashes from a real redis-server SAVE (~140 MB) and the
# gzip'd mariadb-dump of the 1M-row products table (~28 MB). With the page
# cache warm it alternates, RUNS times:
#   A  cachewarden verify of the set: CRC32 + BLAKE2b-256 + format checks,
#      manifest compared and rewritten;
#   B  b2sum of every file, then gzip -t of the dump, then redis-check-rdb
#      of the RDB, one after the other;
#   C  b2sum of every file alone.
# Prints each run, the medians, A/B, A/C and A's peak RSS. Times are wall
# clock; the machine may be shared, so only the alternation and the median
# make the ratios fair. Each run's CPU time (user + system) is printed too,
# and the ratio of the median CPU times: where another session keeps a core
# busy, the kernel's autogroup scheduling gives each session an equal share
# whatever the nice values, A's threads get about one core between them,
# and A/B tends to that CPU ratio; with both cores free, A/B is well below it.
# Nothing here is a test: there are no thresholds.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export srcdir=$here
bin=${CACHEWARDEN:-$here/cachewarden}
runs=${1:-3}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/harness.sh"
harness_require redis-server redis-cli redis-check-rdb mariadb-dump b2sum gzip
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
harness_init

set_dir=${KEEP_SET:-$HARNESS_DIR/set}
mkdir -p "$set_dir"
blob=$set_dir/blob.bin
rdb=$set_dir/products.rdb
dump=$set_dir/products.sql.gz

make_rdb() {
	# 1M hashes of the products table's shape, sent as raw protocol.
	harness_start_redis
	awk 'BEGIN {
		for (i = 1; i <= 1000000; i++) {
			k = "product:" i; sku = sprintf("SKU-%08d", i); name = "Product " i
			price = sprintf("%.2f", 1 + (i * 7919 % 100000) / 100); stock = i % 1000
			upd = "2026-01-01 00:00:00"
			printf "*12\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n$3\r\nsku\r\n$%d\r\n%s\r\n", length(k), k, length(sku), sku
			printf "$4\r\nname\r\n$%d\r\n%s\r\n$5\r\nprice\r\n$%d\r\n%s\r\n", length(name), name, length(price), price
			printf "$5\r\nstock\r\n$%d\r\n%s\r\n$10\r\nupdated_at\r\n$%d\r\n%s\r\n", length(stock), stock, length(upd), upd
		}
	}' | harness_redis_cli --pipe >/dev/null
	harness_redis_cli save >/dev/null
	cp "$REDIS_DIR/dump.rdb" "$rdb"
	harness_stop_redis
}

make_dump() {
	harness_start_mariadb
	harness_seed_products 1000000
	mariadb-dump --no-defaults --protocol=SOCKET --socket="$MYSQL_SOCKET" -u "$(id -un)" \
		--single-transaction market_db products | gzip -6 >"$dump"
	harness_stop_mariadb
}

if [[ ! -s $blob || ! -s $rdb || ! -s $dump ]]; then
	echo "bench: building the set in $set_dir" >&2
	head -c 1073741824 /dev/urandom >"$blob"
	make_rdb
	make_dump
fi
ls -l "$set_dir" >&2

conf=$HARNESS_DIR/agent.conf
mkdir -p "$HARNESS_DIR/manifests"
cat >"$conf" <<CONF
[agent]
state_dir = $HARNESS_DIR
[verify]
workers = ${WORKERS:-2}
manifest_dir = $HARNESS_DIR/manifests
[exports bench]
path = $set_dir/*
max_age = 3650d
CONF

now() { date +%s.%N; }
# CPU seconds (user + system) of the waited-for children of the shell with
# PID $1 so far (cutime and cstime of /proc/PID/stat, after the command name).
child_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' "/proc/$1/stat"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Each prints its wall time and CPU time; A also its peak RSS.
run_a() {
	local t0 t1 out rc=0
	t0=$(now)
	out=$( { /usr/bin/time -f '%M %U %S' "$bin" -q -c "$conf" verify >/dev/null; } 2>&1 | tail -n 1) || rc=$?
	t1=$(now)
	((rc == 0)) || { echo "bench: A failed (exit $rc)" >&2; exit 1; }
	read -r rss user sys <<<"$out"
	echo "$(echo "$t1 - $t0" | bc) $(echo "$user + $sys" | bc) $rss"
}

run_b() {
	local t0 t1 c0 me=$BASHPID
	c0=$(child_cpu "$me")
	t0=$(now)
	b2sum "$blob" "$rdb" "$dump" >/dev/null
	gzip -t "$dump"
	redis-check-rdb "$rdb" >/dev/null
	t1=$(now)
	echo "$(echo "$t1 - $t0" | bc) $(echo "$(child_cpu "$me") - $c0" | bc)"
}

run_c() {
	local t0 t1 c0 me=$BASHPID
	c0=$(child_cpu "$me")
	t0=$(now)
	b2sum "$blob" "$rdb" "$dump" >/dev/null
	t1=$(now)
	echo "$(echo "$t1 - $t0" | bc) $(echo "$(child_cpu "$me") - $c0" | bc)"
}

# Page cache warm, and the manifest recorded, before anything is timed.
cat "$blob" "$rdb" "$dump" >/dev/null
"$bin" -q -c "$conf" verify >/dev/null || { echo "bench: the first verify failed" >&2; exit 1; }
for f in a b c acpu bcpu ccpu rss; do : >"$HARNESS_DIR/$f"; done
for i in $(seq 1 "$runs"); do
	out=$(run_a) # a failed A ends the bench here (set -e)
	read -r a acpu rss <<<"$out"
	out=$(run_b)
	read -r b bcpu <<<"$out"
	out=$(run_c)
	read -r c ccpu <<<"$out"
	for f in a acpu rss b bcpu c ccpu; do echo "${!f}" >>"$HARNESS_DIR/$f"; done
	printf 'run %d: A %.3f s (cpu %.2f s, peak RSS %d KiB)  B %.3f s (cpu %.2f s)  C %.3f s (cpu %.2f s)\n' \
		"$i" "$a" "$acpu" "$rss" "$b" "$bcpu" "$c" "$ccpu"
done
ma=$(median <"$HARNESS_DIR/a")
mb=$(median <"$HARNESS_DIR/b")
mc=$(median <"$HARNESS_DIR/c")
macpu=$(median <"$HARNESS_DIR/acpu")
mbcpu=$(median <"$HARNESS_DIR/bcpu")
mccpu=$(median <"$HARNESS_DIR/ccpu")
mr=$(sort -n "$HARNESS_DIR/rss" | tail -n 1)
printf 'set: %s\n' "$(du -sh "$set_dir" | cut -f1)"
printf 'median A %.3f s  B %.3f s  C %.3f s  (cpu: A %.2f s  B %.2f s  C %.2f s)\n' \
	"$ma" "$mb" "$mc" "$macpu" "$mbcpu" "$mccpu"
printf 'A/B %.3f (required <= 0.5, goal <= 0.35)  A/C %.3f (goal <= 0.6)  A peak RSS %d KiB (max of runs; limit 32768)\n' \
	"$(echo "$ma / $mb" | bc -l)" "$(echo "$ma / $mc" | bc -l)" "$mr"
printf 'by CPU time: A/B %.3f  A/C %.3f\n' "$(echo "$macpu / $mbcpu" | bc -l)" "$(echo "$macpu / $mccpu" | bc -l)"
