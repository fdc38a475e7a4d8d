#!/usr/bin/env bash
# scripts/demo.sh: cachewarden end to end against throwaway local servers.
#
# Installs what is missing, builds, starts MariaDB, Redis and the fauxqs SNS
# emulator on 127.0.0.1 (temp dir, free ports), seeds market_db.products,
# then runs the agent: check-config, health, warm (with its JSON report), a
# read of warmed keys, verify of a fresh export set (an RDB and a gzip'd
# mysqldump, then one corrupted copy), and the reports as they arrive on the
# SNS topic (read back from an SQS queue subscribed to it). Everything is
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

[warm]
workers = 4
ttl_jitter = 10

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
echo "demo done: servers stopped, temp dir removed"
