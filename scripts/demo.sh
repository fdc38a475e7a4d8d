#!/usr/bin/env bash
# scripts/demo.sh: cachewarden end to end against throwaway local servers.
#
# Installs what is missing, builds, starts MariaDB, Redis and the fauxqs SNS
# emulator on 127.0.0.1 (temp dir, free ports), seeds market_db.products,
# then runs the agent: check-config, health, warm (with its JSON report), a
# read of warmed keys, verify of a fresh export set (an RDB and a gzip'd
# mysqldump, then one corrupted copy), and the reports as they arrive on the
# SNS topic (read back from an SQS queue subscribed to it). Then the agent
# itself, `cachewarden run`: it notices a FLUSHALL and rebuilds on its own,
# answers POST /admin/rebuild-cache (curl, with the bearer token), /status
# and /metrics, and stops on SIGTERM; the reports that reached the topic are
# listed by kind. Everything is
# stopped and removed at the end (DEMO_KEEP=1 keeps the temp dir). DEMO_ROWS
# sets the table size.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export srcdir=$top
rows=${DEMO_ROWS:-100000}

scripts/install-deps.sh
if [[ ! -x ./cachewarden ]]; then
	./autogen.sh >/dev/null
	./configure >/dev/null
fi
make -j"$(nproc 2>/dev/null || echo 2)" cachewarden >/dev/null

. tests/lib/tap.sh
HARNESS_KEEP=${DEMO_KEEP:-} . tests/lib/harness.sh
harness_init
harness_start_mariadb
harness_start_redis
harness_start_fauxqs
harness_sns_setup cachewarden-reports raw
harness_seed_products "$rows"
exports=$HARNESS_DIR/exports
mkdir -p "$exports"
conf=$HARNESS_DIR/agent.conf
head -c 24 /dev/urandom | base64 >"$HARNESS_DIR/admin.token"
chmod 600 "$HARNESS_DIR/admin.token"
harness_write_conf "$conf" <<CONF
[sns]
topic_arn = $SNS_TOPIC_ARN
endpoint = $SNS_ENDPOINT
spool_dir = $HARNESS_DIR/spool
credentials = env

[verify]
manifest_dir = $HARNESS_DIR/manifests

[exports nightly]
path = $exports/*
max_age = 26h

[admin]
listen = 127.0.0.1:$(harness_free_port)
token_file = $HARNESS_DIR/admin.token

[warm]
workers = 4
ttl_jitter = 10
restore_poll = 2s

[dataset products]
table = products
key_column = id
columns = sku, name, price, stock, updated_at
key = product:{id}
type = hash
ttl = 24h

[dataset product-json]
table = products
key_column = id
columns = id, sku, name, price, stock
key = product:{id}:json
type = json
CONF

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step cachewarden -c agent.conf check-config
./cachewarden -c "$conf" check-config
step cachewarden -c agent.conf health
./cachewarden -c "$conf" health
step cachewarden -c agent.conf warm --json "   ($rows rows into Redis)"
./cachewarden -c "$conf" warm --json
step redis-cli HGETALL product:42
harness_redis_cli hgetall product:42
step redis-cli GET product:42:json
harness_redis_cli get product:42:json
step redis-cli GET cachewarden:generation:products
harness_redis_cli get cachewarden:generation:products
step "SNS topic -> SQS queue: the warm report as delivered"
harness_sqs_wait_body "$SQS_QUEUE_URL" 20 | head -c 600
echo

# An export set like the nightly one: Redis's own dump and a gzip'd mysqldump.
harness_redis_cli save >/dev/null
cp "$REDIS_DIR/dump.rdb" "$exports/redis-$(date +%F).rdb"
mariadb-dump --no-defaults --protocol=socket -S "$MYSQL_SOCKET" -uroot market_db products |
	gzip >"$exports/market_db-$(date +%F).sql.gz"
step cachewarden -c agent.conf verify
./cachewarden -c "$conf" verify || true
step "flip one byte in the middle of the RDB, verify again"
size=$(stat -c %s "$exports"/redis-*.rdb)
printf '\x5a' | dd of="$(ls "$exports"/redis-*.rdb)" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
./cachewarden -c "$conf" verify || echo "(exit $?: problems found and reported)"
step "SNS topic -> SQS queue: the verify reports"
for _ in 1 2; do
	harness_sqs_wait_body "$SQS_QUEUE_URL" 20 | head -c 400
	echo
done
echo

# ---- the agent ------------------------------------------------------------
admin=http://$(sed -n 's/^listen = //p' "$conf")
token=$(cat "$HARNESS_DIR/admin.token")
marker() { harness_redis_cli get cachewarden:generation:products; }
step "cachewarden -c agent.conf run &   (the agent, in the background)"
./cachewarden -c "$conf" run >"$HARNESS_DIR/agent.log" 2>&1 &
agent=$!
_harness_track "$agent" cachewarden
harness_wait_for 20 "$agent" curl -sf "$admin/status"
step curl "$admin/health"
curl -s "$admin/health"
before=$(marker)
step "redis-cli FLUSHALL   (the agent notices within restore_poll and rebuilds)"
harness_redis_cli flushall
changed() { [[ -n $(marker) && $(marker) != "$before" ]]; }
harness_wait_for 120 "$agent" changed
grep -E 'restore: dataset|warm .* started|warm products: ok' "$HARNESS_DIR/agent.log" | sed 's/^/  log: /'
step redis-cli GET cachewarden:generation:products
marker
step curl -X POST -H "Authorization: Bearer ..." "$admin/admin/rebuild-cache?dataset=product-json"
curl -s -X POST -H "Authorization: Bearer $token" "$admin/admin/rebuild-cache?dataset=product-json"
step curl -X POST "$admin/admin/rebuild-cache   (no token)"
curl -s -X POST "$admin/admin/rebuild-cache"
idle() { ! curl -s "$admin/status" | grep -q '"warm":{'; }
harness_wait_for 120 "$agent" idle
step "curl $admin/status   (abridged)"
curl -s "$admin/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({k: d[k] for k in ("running", "next_verify", "redis", "datasets")}, indent=1))'
step "curl $admin/metrics | grep -E 'warm_rows|restores|hit_ratio|outbox'"
curl -s "$admin/metrics" | grep -E '^cachewarden_(warm_rows_total|restores_detected|redis_keyspace_hit_ratio|outbox_reports)'
step "kill -TERM the agent"
kill -TERM "$agent"
wait "$agent" || true
tail -n 2 "$HARNESS_DIR/agent.log" | sed 's/^/  log: /'
step "SNS topic -> SQS queue: the agent's reports, by kind"
python3 tests/lib/sqs_kinds.py "$SNS_ENDPOINT" "$SQS_QUEUE_URL" 15 \
	"restore detected lost" "warm ok"
echo
echo "demo done: servers stopped, temp dir removed"
