#!/usr/bin/env bash
# bench/agent.sh: the agent's own costs, `cachewarden run` as it idles.
#
#   bench/agent.sh [IDLE_SECONDS] [REACTIONS]     (defaults: 60 s, 5)
#
# Starts throwaway MariaDB and Redis on 127.0.0.1 (tests/lib/harness.sh),
# seeds 1000 products rows, starts the agent (restore_poll 5s, health every
# 30s) and lets it build the cache. Then:
#   idle  RSS (VmRSS) at the end of IDLE_SECONDS with nothing to do, and the
#         CPU seconds (utime + stime, /proc/PID/stat) spent in that window;
#   react REACTIONS times: FLUSHALL, then the seconds until the agent logs
#         "warm ... started (restore)": bounded by restore_poll + 1 s.
# Use a release build (./configure without --enable-sanitizers).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export srcdir=$here
bin=${CACHEWARDEN:-$here/cachewarden}
idle=${1:-60}
reactions=${2:-5}
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/harness.sh"
harness_init
harness_start_mariadb
harness_start_redis
harness_seed_products 1000
port=$(harness_free_port)
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<CONF
[admin]
listen = 127.0.0.1:$port
[sns]
spool_dir = $HARNESS_DIR/spool
[dataset products]
table = products
key_column = id
columns = sku, name, price, stock
key = product:{id}
CONF
log=$HARNESS_DIR/agent.log
"$bin" -c "$conf" run >"$log" 2>&1 &
pid=$!
_harness_track "$pid" cachewarden
marker() { [[ -n $(harness_redis_cli GET cachewarden:generation:products) ]]; }
harness_wait_for 60 "$pid" marker || { tail "$log"; exit 1; }
sleep 5
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
c0=$(cpu)
sleep "$idle"
c1=$(cpu)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
priv=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$pid/smaps_rollup")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")
# What merely loading the linked libraries costs: the floor under any idle figure.
floor=$( { /usr/bin/time -f '%M' "$bin" version >/dev/null; } 2>&1 | tail -n 1)
printf 'idle: %d s, CPU %.2f s, RSS %.1f MiB (private %.1f MiB, PSS %.1f MiB; `cachewarden version` alone: %.1f MiB)\n' \
	"$idle" "$(echo "($c1 - $c0) / $tck" | bc -l)" "$(echo "$rss / 1024" | bc -l)" \
	"$(echo "$priv / 1024" | bc -l)" "$(echo "$pss / 1024" | bc -l)" "$(echo "$floor / 1024" | bc -l)"
for ((i = 1; i <= reactions; i++)); do
	n0=$(grep -c 'started (restore)' "$log" || true)
	t0=$(date +%s.%N)
	harness_redis_cli FLUSHALL >/dev/null
	until (($(grep -c 'started (restore)' "$log" || true) > n0)); do sleep 0.01; done
	t1=$(date +%s.%N)
	printf 'react %d: FLUSHALL -> warm started in %.2f s\n' "$i" "$(echo "$t1 - $t0" | bc -l)"
	harness_wait_for 60 "$pid" marker
	sleep "$(echo "$RANDOM % 5" | bc)"
done
