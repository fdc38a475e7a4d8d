#!/usr/bin/env bash
# warm of 1 MiB BLOB rows: batches end at max_batch_bytes, so the peak RSS
# stays under workers x 2 x max_batch_bytes above the same warm of tiny rows,
# whatever batch_rows says; every key still equals its row (warm_check.py).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
check=${srcdir:-.}/tests/integration/warm_check.py
harness_require mariadbd redis-server python3
harness_init
harness_start_mariadb
harness_start_redis
rows=64

harness_mysql market_db <<SQL
CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB NOT NULL);
-- 1 MiB + 4 bytes per row, binary, different per row.
INSERT INTO blobs SELECT seq, REPEAT(CONCAT(LPAD(seq, 8, '0'), UNHEX('00FF')), 104858)
FROM seq_1_to_$rows;
CREATE TABLE tiny (id INT PRIMARY KEY, data LONGBLOB NOT NULL);
INSERT INTO tiny SELECT seq, CONCAT('x', seq) FROM seq_1_to_$rows;
SQL

workers=2
max_bytes=$((2 * 1024 * 1024))
conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<CONF
[warm]
workers = $workers
batch_rows = 1000
max_batch_bytes = $max_bytes
verify_sample = 64

[dataset blobs]
table = blobs
columns = data
key = b:{id}
type = string
value_column = data

[dataset tiny]
table = tiny
columns = data
key = t:{id}
type = string
value_column = data
CONF

# Peak RSS (KiB) of a command, from the kernel's accounting of the waited-for child.
peak_rss() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -rc)' "$@"
}

tap_plan 5

# The sanitizer build keeps freed memory in quarantine (256 MiB by default),
# which would measure ASan, not warm: keep it small for these two runs.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
base=$(peak_rss "$bin" -q -c "$conf" warm tiny)
peak=$(peak_rss "$bin" -q -c "$conf" warm blobs)
bound=$((workers * 2 * max_bytes / 1024 + 8192))
diag "peak RSS: $peak KiB for 1 MiB rows, $base KiB for tiny rows; bound above tiny: $bound KiB"
ok_if "$([[ $base -gt 0 && $peak -gt 0 ]]; echo $?)" "both warms exit 0"
ok_if "$([[ $((peak - base)) -le $bound ]]; echo $?)" \
	"peak RSS stays under workers x 2 x max_batch_bytes + 8 MiB above the tiny-row warm"
is "$(harness_redis_cli --scan --pattern 'b:*' | wc -l)" "$rows" "one key per BLOB row"
ok "every BLOB key holds its row's bytes" python3 "$check" --socket "$MYSQL_SOCKET" \
	--redis-port "$REDIS_PORT" --table blobs --type string --key 'b:{id}' --columns data \
	--value-column data
is "$(harness_redis_cli strlen b:7)" 1048580 "a value is the whole 1 MiB"
