#!/usr/bin/env bash
# scripts/demo.sh: cachewarden end to end against throwaway local servers.
#
# Installs what is missing, builds, starts MariaDB, Redis and the fauxqs SNS
# emulator on 127.0.0.1 (temp dir, free ports), seeds market_db.products,
# then runs the agent: check-config, health, warm (with its JSON report) and
# a read of one warmed key. Everything is stopped and removed at the end
# (DEMO_KEEP=1 keeps the temp dir). DEMO_ROWS sets the table size.
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
harness_seed_products "$rows"
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<'CONF'
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
echo
echo "demo done: servers stopped, temp dir removed"
