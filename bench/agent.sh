#!/usr/bin/env bash
# bench/agent.sh: the agent's own costs, `cachewarden run` as it idles.
#
#   bench/agent.sh [IDLE_SECONDS] [REACTIONS]     (defaults: 60 s, 5)
#
# Starts throwaway MariaDB, Redis and (when installed) the SNS emulator on
# 127.0.0.1 (tests/lib/harness.sh), seeds 1000 products rows, starts the
# agent (restore_poll 5s, health every 30s) and lets it build the cache and
# deliver its report. Then:
#   idle  RSS (VmRSS) at the end of IDLE_SECONDS with nothing to do, and the
#         CPU seconds (utime + stime, /proc/PID/stat) spent in that window;
#   react REACTIONS times: FLUSHALL, then the seconds until the agent logs
#         "warm ... started (restore)": bounded by restore_poll + 1 s;
#   after RSS again once the rebuilds and their reports are done: what the
#         jobs leave behind.
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
sns="spool_dir = $HARNESS_DIR/spool"
if harness_have_fauxqs; then
	harness_start_fauxqs
	harness_sns_setup agent-bench raw
	sns+=$'\n'"topic_arn = $SNS_TOPIC_ARN"$'\n'"endpoint = $SNS_ENDPOINT"$'\n'"credentials = env"
else
	echo "bench/agent.sh: fauxqs is not installed: reports stay in the spool (no delivery measured)"
fi
port=$(harness_free_port)
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<CONF
[admin]
listen = 127.0.0.1:$port
[sns]
$sns
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
rss() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }
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
sleep 10
delivered=$(curl -sS "http://127.0.0.1:$port/metrics" |
	awk '/^cachewarden_sns_published_total/ { print $2 }')
if [[ -n ${AGENT_SMAPS:-} ]]; then
	# Where the resident memory is, by file (or [heap], [stack], anonymous).
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
		/^Rss:/ { rss[name] += $2 } END { for (n in rss) if (rss[n] > 0) printf "%6d KiB  %s\n", rss[n], n }' \
		"/proc/$pid/smaps" | sort -rn | head -n 25
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = $1; anon = NF < 6 } /^Rss:/ && anon && $2 > 0 { printf "  anon %s %d KiB\n", m, $2 }' "/proc/$pid/smaps"
	echo "threads: $(ls "/proc/$pid/task" | wc -l)"
fi
printf 'after: %d rebuilds, %s reports delivered, RSS %s MiB\n' "$reactions" "${delivered:-?}" "$(rss)"
