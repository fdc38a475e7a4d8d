#!/usr/bin/env bash
# bench/deliver.sh: how fast the agent empties a spool after an outage.
#
#   bench/deliver.sh [REPORTS] [RUNS]       (defaults: 200 reports, 5 runs)
#   CACHEWARDEN_B=/path/to/other/cachewarden   a second binary, alternated with A
#
# Starts throwaway MariaDB, Redis and the SNS emulator (fauxqs) on 127.0.0.1
# (tests/lib/harness.sh). Each run spools REPORTS reports with `report test
# --wait 0` while SNS is unreachable, then starts `cachewarden run` and times
# the seconds from its start until the spool is empty: the agent sends each
# report through its HTTP helper, as in production. With CACHEWARDEN_B the
# two binaries alternate; prints each run and the medians (and B/A).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export srcdir=$here
bin_a=${CACHEWARDEN:-$here/cachewarden}
bin_b=${CACHEWARDEN_B:-}
reports=${1:-200}
runs=${2:-5}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/harness.sh"
harness_init
harness_have_fauxqs || { echo "bench/deliver.sh: fauxqs is not installed (scripts/install-deps.sh)"; exit 1; }
harness_start_mariadb
harness_start_redis
harness_start_fauxqs
harness_sns_setup deliver-bench raw
spool=$HARNESS_DIR/spool
dead_port=$(harness_free_port)
write_conf() { # $1: file, $2: SNS endpoint
	harness_write_conf "$1" <<CONF
[admin]
listen = 127.0.0.1:$(harness_free_port)
[sns]
spool_dir = $spool
topic_arn = $SNS_TOPIC_ARN
endpoint = $2
credentials = env
[dataset products]
table = products
key_column = id
columns = sku, name
key = product:{id}
CONF
}
harness_seed_products 10
write_conf "$HARNESS_DIR/down.conf" "http://127.0.0.1:$dead_port/"
write_conf "$HARNESS_DIR/up.conf" "$SNS_ENDPOINT"
pending() { find "$spool" -maxdepth 1 -name '*.rec' | wc -l; }

# run BIN: prints the seconds until the agent has delivered the spool.
run() {
	local pid t0 t1
	for ((i = 0; i < reports; i++)); do
		"$1" -q -c "$HARNESS_DIR/down.conf" report test --wait 0 >/dev/null 2>&1 || true
	done
	[[ $(pending) -eq $reports ]] || { echo "spooled $(pending) of $reports" >&2; exit 1; }
	t0=$(date +%s.%N)
	"$1" -c "$HARNESS_DIR/up.conf" run >"$HARNESS_DIR/agent.log" 2>&1 &
	pid=$!
	_harness_track "$pid" cachewarden
	until [[ $(pending) -eq 0 ]]; do
		kill -0 "$pid" 2>/dev/null || { tail "$HARNESS_DIR/agent.log" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(date +%s.%N)
	harness_stop_pid "$pid"
	echo "$t1 - $t0" | bc
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$HARNESS_DIR/a"
: >"$HARNESS_DIR/b"
for ((r = 1; r <= runs; r++)); do
	a=$(run "$bin_a")
	echo "$a" >>"$HARNESS_DIR/a"
	line="run $r: A ${a}s"
	if [[ -n $bin_b ]]; then
		b=$(run "$bin_b")
		echo "$b" >>"$HARNESS_DIR/b"
		line="$line B ${b}s"
	fi
	echo "$line"
done
ma=$(median <"$HARNESS_DIR/a")
if [[ -n $bin_b ]]; then
	mb=$(median <"$HARNESS_DIR/b")
	printf '%s reports, %s runs: median A %.2fs (%.1f ms a report) B %.2fs (%.1f ms a report)  B/A %.2f\n' \
		"$reports" "$runs" "$ma" "$(echo "$ma * 1000 / $reports" | bc -l)" "$mb" \
		"$(echo "$mb * 1000 / $reports" | bc -l)" "$(echo "$mb / $ma" | bc -l)"
else
	printf '%s reports, %s runs: median A %.2fs (%.1f ms a report)\n' "$reports" "$runs" "$ma" \
		"$(echo "$ma * 1000 / $reports" | bc -l)"
fi
