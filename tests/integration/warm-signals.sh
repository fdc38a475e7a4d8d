#!/usr/bin/env bash
# warm stopped by SIGINT and by SIGTERM mid-run: it logs the stop, keeps a
# checkpoint, prints and submits the report with status "interrupted" and
# exits 128 + the signal; --resume then completes, and every key equals its
# row (checked by warm_check.py, not by the agent).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
check=${srcdir:-.}/tests/integration/warm_check.py
harness_require mariadbd redis-server python3
harness_init
harness_start_mariadb
harness_start_redis
rows=100000
harness_seed_products "$rows"

# The rate cap makes the run last several seconds, so the signal lands mid-run.
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<'CONF'
[warm]
workers = 2
batch_rows = 500
max_rows_per_sec = 20000

[dataset products]
table = products
key_column = id
columns = sku, name, price, stock, updated_at
key = product:{id}
type = hash

[dataset later]
table = products
key_column = id
columns = sku
key = later:{id}
type = string
value_column = sku
CONF
ckpt=$HARNESS_DIR/state/warm-products.ckpt
all_keys() {
	python3 "$check" --socket "$MYSQL_SOCKET" --redis-port "$REDIS_PORT" --table products \
		--key-column id --type hash --key 'product:{id}' --columns sku,name,price,stock,updated_at
}
# Waits (bounded) until the warm has acknowledged some rows ("counts ROWS KEYS DELETED").
wait_progress() {
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -s $ckpt ]] && awk '$1 == "counts" && $2 > 0 { f = 1 } END { exit !f }' "$ckpt" && return 0
		sleep 0.05
	done
	return 1
}

tap_plan 26

for sig in INT TERM; do
	want=$((128 + $(kill -l "$sig")))
	harness_redis_cli flushall >/dev/null
	rm -f "$ckpt"
	"$bin" -c "$conf" warm --json products later >"$HARNESS_DIR/$sig.json" 2>"$HARNESS_DIR/$sig.log" &
	pid=$!
	wait_progress
	ok_if $? "SIG$sig: the warm is under way"
	t0=$(date +%s.%N)
	kill -"$sig" "$pid"
	wait "$pid" && rc=0 || rc=$?
	diag "SIG$sig: exited $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the signal"
	is "$rc" "$want" "SIG$sig: exit code $want"
	out=$(cat "$HARNESS_DIR/$sig.json")
	is "$(harness_json 'd["status"]' <<<"$out")" interrupted "SIG$sig: the report says interrupted"
	is "$(harness_json '[x["status"] for x in d["datasets"]]' <<<"$out")" "['interrupted', 'interrupted']" \
		"SIG$sig: the running dataset and the one not started are both interrupted"
	like "$(cat "$HARNESS_DIR/$sig.log")" "warm products: interrupted" "SIG$sig: a log line says so"
	like "$(cat "$HARNESS_DIR/$sig.log")" "report warm interrupted" "SIG$sig: the report was submitted"
	ok "SIG$sig: the checkpoint is kept" test -s "$ckpt"
	is "$(harness_redis_cli --scan --pattern 'later:*' | wc -l)" 0 "SIG$sig: the dataset after it did not start"
	# Every key the checkpoint says is acknowledged is in Redis.
	acked=$(awk '$1 == "counts" { print $3 }' "$ckpt")
	written=$(harness_json 'd["datasets"][0]["keys_written"]' <<<"$out")
	ok_if "$([[ $acked -gt 0 && $acked -lt $rows && $acked -eq $written ]]; echo $?)" \
		"SIG$sig: the batches in flight were acknowledged ($acked checkpointed, $written written)"
	is "$(harness_redis_cli get cachewarden:generation:products)" "" "SIG$sig: no generation marker"
	out=$("$bin" -v -c "$conf" warm --resume --json products 2>"$HARNESS_DIR/$sig.resume.log") && rc=0 || rc=$?
	is "$rc" 0 "SIG$sig: --resume completes"
	# The progress callback (logged with -v): its last call, at the dataset's end, has every row.
	leg=$(harness_json 'd["datasets"][0]["rows_read"]' <<<"$out")
	is "$(grep -o 'warm products: progress .*' "$HARNESS_DIR/$sig.resume.log" | tail -n 1)" \
		"warm products: progress $leg of ~$leg rows" "SIG$sig: on_progress ends with rows done = total"
	ok "SIG$sig: every key equals its row after --resume" all_keys
done
