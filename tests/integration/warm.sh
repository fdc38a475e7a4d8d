#!/usr/bin/env bash
# warm against real MariaDB and Redis: 100k rows with NULLs, multi-byte UTF-8,
# quotes, backslashes, a 64 KiB text and binary bytes, warmed as hash, json
# and string; every key is then checked against its MySQL row by
# warm_check.py (not by the agent), TTLs against the jitter window. Also:
# --dry-run writes nothing, `where` filters, max_rows_per_sec holds.
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

harness_mysql market_db <<'SQL'
SET NAMES utf8mb4;
CREATE TABLE warmtest (
	id BIGINT PRIMARY KEY,
	name VARCHAR(255) CHARACTER SET utf8mb4 NULL,
	price DECIMAL(10,2) NULL,
	qty INT NULL,
	note MEDIUMTEXT CHARACTER SET utf8mb4 NULL,
	data VARBINARY(64) NULL
);
INSERT INTO warmtest SELECT seq,
	CASE WHEN seq % 7 = 0 THEN NULL
	     WHEN seq % 5 = 0 THEN CONCAT('Crème brûlée ☕ 日本語 😀 #', seq)
	     WHEN seq % 3 = 0 THEN CONCAT('quote '' "dq" back\\slash tab\t nl\n ', seq)
	     ELSE CONCAT('item ', seq) END,
	CASE WHEN seq % 11 = 0 THEN NULL ELSE (seq % 100000) / 100 - 50 END,
	CASE WHEN seq % 13 = 0 THEN NULL ELSE seq % 1000 END,
	CASE WHEN seq = 4242 THEN REPEAT('x', 65536)
	     WHEN seq % 17 = 0 THEN NULL ELSE CONCAT('note ', seq) END,
	CASE WHEN seq % 19 = 0 THEN NULL ELSE UNHEX(CONCAT('00FF0D0A80', LPAD(HEX(seq), 8, '0'))) END
FROM seq_1_to_100000;
SQL

conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<'CONF'
[warm]
workers = 4
batch_rows = 1000
ttl_jitter = 20
verify_sample = 1500

[dataset wh]
table = warmtest
key_column = id
columns = name, price, qty, note, data
key = w:{id}
type = hash
ttl = 1h

[dataset wj]
table = warmtest
key_column = id
columns = id, name, price, qty, note
key = wj:{id}
type = json

[dataset ws]
table = warmtest
key_column = id
columns = data, name
key = ws:{id}
type = string
value_column = data
where = data IS NOT NULL
ttl = 10m
CONF


tap_plan 27

# --dry-run first: reads and encodes everything, writes nothing.
out=$("$bin" -q -c "$conf" warm --dry-run --json wh) && rc=0 || rc=$?
is "$rc" 0 "warm --dry-run exits 0"
is "$(harness_redis_cli dbsize)" 0 "--dry-run leaves Redis empty"
is "$(harness_json 'd["datasets"][0]["rows_read"]' <<<"$out")" "$rows" "--dry-run reads every row"
is "$(harness_json 'len(d["datasets"][0]["samples"])' <<<"$out")" 3 "--dry-run reports sample keys and values"
like "$(harness_json 'd["datasets"][0]["samples"][0]["key"]' <<<"$out")" '^w:[0-9]+$' "a sample key"
[[ -z $(ls -A "$HARNESS_DIR/state") ]]
ok_if $? "--dry-run leaves no checkpoint"

start=$(date +%s)
out=$("$bin" -q -c "$conf" warm --json) && rc=0 || rc=$?
is "$rc" 0 "warm of hash, json and string datasets exits 0"
is "$(harness_json 'd["status"]' <<<"$out")" ok "the report says ok"
is "$(harness_json '[x["keys_written"] for x in d["datasets"]]' <<<"$out")" \
	"[$rows, $rows, $(harness_mysql -N market_db -e 'SELECT COUNT(*) FROM warmtest WHERE data IS NOT NULL')]" \
	"every row became a key; where filtered the string dataset"
is "$(harness_json '[x["verify"]["mismatches"] for x in d["datasets"]]' <<<"$out")" "[0, 0, 0]" \
	"the agent's own read-back found no mismatch"
is "$(harness_json '[x["verify"]["sampled"] > 400 for x in d["datasets"]]' <<<"$out")" "[True, True, True]" \
	"and it sampled the keys"

common=(--socket "$MYSQL_SOCKET" --redis-port "$REDIS_PORT" --table warmtest --key-column id)
ok "hash: every key equals its row, TTL within 1h minus 20 %" python3 "$check" "${common[@]}" \
	--type hash --key 'w:{id}' --columns name,price,qty,note,data --ttl 3600 --jitter 20 --started "$start"
ok "json: every key equals its row (numbers, null, escapes, UTF-8, 64 KiB)" python3 "$check" "${common[@]}" \
	--type json --key 'wj:{id}' --columns id,name,price,qty,note
ok "string: every key holds value_column's bytes, TTL within 10m minus 20 %" python3 "$check" "${common[@]}" \
	--type string --key 'ws:{id}' --columns data,name --value-column data --where 'data IS NOT NULL' \
	--ttl 600 --jitter 20 --started "$start"
is "$(harness_redis_cli get wj:4242 | harness_json 'len(d["note"])')" 65536 "the 64 KiB text arrived whole"
like "$(harness_redis_cli get cachewarden:generation:wh)" '^\{"finished_at":"[0-9T:-]+Z","rows":100000,"host":"test-host","run_id":"[0-9a-f]{16}"\}$' \
	"the generation marker is written"
[[ -z $(ls -A "$HARNESS_DIR/state") ]]
ok_if $? "a finished run clears its checkpoints"

# A stale field: a column that is NULL now must not survive from an older hash.
harness_redis_cli hset w:7 name stale >/dev/null
"$bin" -q -c "$conf" warm wh >/dev/null
is "$(harness_redis_cli hexists w:7 name)" 0 "a NULL column is removed from an existing hash"

# Sparse keys: most ranges of the span hold no row at all.
harness_mysql market_db -e "CREATE TABLE sparse (id BIGINT PRIMARY KEY, v INT);
	INSERT INTO sparse VALUES (-9223372036854775808, 1), (1, 2), (2, 3), (1000000, 4),
	(5000000000, 5), (9223372036854775807, 6);"
harness_write_conf "$HARNESS_DIR/sparse.conf" <<'CONF'
[dataset sparse]
table = sparse
key_column = id
columns = v
key = sp:{id}
CONF
out=$("$bin" -q -c "$HARNESS_DIR/sparse.conf" warm --json) && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["keys_written"]' <<<"$out")" "0:6" \
	"sparse keys over the whole BIGINT span: every range done, every row written"
is "$(harness_redis_cli hget sp:9223372036854775807 v)" 6 "the largest BIGINT key is written"

# The read-back's sample points on keys and in gaps: even keys only, so half
# the points are looked up exactly and the rest find the next key; with more
# points than rows, many find the same row, which is compared once.
harness_mysql market_db -e "CREATE TABLE gappy (id BIGINT PRIMARY KEY, v INT);
	INSERT INTO gappy SELECT seq, seq FROM seq_2_to_2000_step_2;"
harness_write_conf "$HARNESS_DIR/gappy.conf" <<'CONF'
[warm]
verify_sample = 1500

[dataset gappy]
table = gappy
key_column = id
columns = v
key = gp:{id}
CONF
want=$(python3 -c 'print(len({p + p % 2 for p in (2 + 1998 * i // 1500 for i in range(1500))}))')
out=$("$bin" -q -c "$HARNESS_DIR/gappy.conf" warm --json) && rc=0 || rc=$?
is "$rc:$(harness_json '[d["datasets"][0]["verify"][k] for k in ("sampled", "mismatches")]' <<<"$out")" \
	"0:[$want, 0]" "the read-back samples keys and the rows after gaps, each once ($want rows)"

# On a terminal: a progress bar (rows of the estimate, rows/s, ETA).
harness_redis_cli flushall >/dev/null
script -qec "'$(realpath "$bin")' -c '$conf' warm --workers 2 wj" /dev/null >"$HARNESS_DIR/tty.out" 2>&1 || true
like "$(tr '\r' '\n' <"$HARNESS_DIR/tty.out" | grep -a '^wj ' | tail -n 1)" \
	"^wj +\[#+ *\] $rows/$rows rows +[0-9]+ rows/s eta +[0-9]+s$" "a TTY gets a progress bar"
"$bin" -q -c "$conf" warm --workers 0 wj >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "--workers outside 1..64 is a usage error"

# An unknown dataset is a usage error.
"$bin" -q -c "$conf" warm nosuch >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "warm of an unknown dataset exits 2"

# max_rows_per_sec caps the read rate across all workers.
harness_redis_cli flushall >/dev/null
cat >>"$conf" <<'CONF'

[dataset rate]
table = warmtest
key_column = id
columns = id, qty
key = r:{id}
where = id <= 20000
CONF
sed -i 's/^\[warm\]$/[warm]\nmax_rows_per_sec = 5000/' "$conf"
out=$("$bin" -q -c "$conf" warm --json rate) && rc=0 || rc=$?
is "$rc" 0 "a rate-limited warm exits 0"
rate=$(harness_json 'd["datasets"][0]["rows_per_sec"]' <<<"$out")
diag "20000 rows at max_rows_per_sec = 5000: $rate rows/s"
ok_if "$(python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 5500 else 1)" "$rate"; echo $?)" \
	"the rate stays under the cap + 10 %"
ok_if "$(python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 4500 else 1)" "$rate"; echo $?)" \
	"and within 10 % of it"
tap_done
