#!/usr/bin/env bash
# warm's RESTORE fast path against real MariaDB and Redis 7: the same rows are
# warmed twice, once with commands (write = commands, keys c*:) and once with
# RESTORE payloads (write = restore, keys r*:), and for every row DUMP of the
# RESTOREd key must equal DUMP of the command-written one, byte for byte, with
# both TTLs in the jitter window (warm_dump_check.py, not the agent). The rows
# cover hash, json and string; NULLs, binary, UTF-8, empty strings, a 64 KiB
# value, values at and over the listpack value limit, and integers at every
# listpack and RDB integer-encoding edge. Also: auto picks RESTORE here, a
# RESTORE replaces a hash whole, probe keys are removed, and a user whose ACL
# refuses RESTORE gets commands (auto) or exit 69 (restore).
# Redis 7 writes small hashes as listpack; under tests/integration/redis6-*
# this same script runs against Redis 6.0, whose encoding is ziplist.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
check=${srcdir:-.}/tests/integration/warm_dump_check.py
harness_require mariadbd redis-server python3
harness_init
harness_start_mariadb
harness_start_redis
rows=20000

harness_mysql market_db <<'SQL'
SET NAMES utf8mb4;
CREATE TABLE rt (
	id BIGINT PRIMARY KEY,
	name VARCHAR(255) CHARACTER SET utf8mb4 NULL,
	num VARCHAR(32) NULL,
	qty BIGINT NULL,
	price DECIMAL(12,2) NULL,
	note MEDIUMTEXT CHARACTER SET utf8mb4 NULL,
	data VARBINARY(64) NULL
);
INSERT INTO rt SELECT seq,
	CASE WHEN seq % 7 = 0 THEN NULL
	     WHEN seq % 5 = 0 THEN CONCAT('Crème brûlée ☕ 日本語 😀 #', seq)
	     WHEN seq % 3 = 0 THEN CONCAT('quote '' "dq" back\\slash tab\t nl\n ', seq)
	     ELSE CONCAT('item ', seq) END,
	CASE WHEN seq % 41 = 0 THEN NULL ELSE ELT(1 + seq % 40,
	     '0', '1', '-1', '12', '13', '127', '128', '-128', '-129', '4095',
	     '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769', '8388607', '8388608',
	     '-8388608', '-8388609', '2147483647', '2147483648', '-2147483648', '-2147483649',
	     '9223372036854775807', '-9223372036854775808', '9223372036854775808',
	     '-9223372036854775809', '007', '-0', '+1', ' 1', '1 ', '', 'abc', '1e3', '0x10',
	     '99999999999', '-99999999999') END,
	CASE seq % 6 WHEN 0 THEN NULL WHEN 1 THEN seq * 1000003 WHEN 2 THEN -CAST(seq AS SIGNED)
	     WHEN 3 THEN seq % 128 WHEN 4 THEN 2147483647 + CAST(seq AS SIGNED) ELSE -9223372036854775807 + CAST(seq AS SIGNED) END,
	CASE WHEN seq % 11 = 0 THEN NULL ELSE (seq % 100000) / 100 - 50 END,
	CASE WHEN seq = 4242 THEN REPEAT('x', 65536)
	     WHEN seq % 23 = 0 THEN REPEAT('y', 64)
	     WHEN seq % 29 = 0 THEN REPEAT('z', 65)
	     WHEN seq % 17 = 0 THEN NULL
	     WHEN seq % 31 = 0 THEN ''
	     ELSE CONCAT('note ', seq) END,
	CASE WHEN seq % 19 = 0 THEN NULL WHEN seq % 37 = 0 THEN ''
	     ELSE UNHEX(CONCAT('00FF0D0A80', LPAD(HEX(seq), 8, '0'))) END
FROM seq_1_to_20000;
SQL

# The same datasets under a key prefix, written one way.
datasets() {
	cat <<CONF
[dataset ${1}h]
table = rt
key_column = id
columns = name, num, qty, price, note, data
key = ${1}h:{id}
type = hash
ttl = 1h

[dataset ${1}n]
table = rt
key_column = id
columns = num
key = ${1}n:{id}
type = hash
where = num IS NOT NULL

[dataset ${1}j]
table = rt
key_column = id
columns = id, name, num, qty, price, note
key = ${1}j:{id}
type = json

[dataset ${1}s]
table = rt
key_column = id
columns = note
key = ${1}s:{id}
type = string
value_column = note
where = note IS NOT NULL
ttl = 10m

[dataset ${1}i]
table = rt
key_column = id
columns = num, qty
key = ${1}i:{id}
type = string
value_column = num
where = num IS NOT NULL
CONF
}
common='workers = 3
batch_rows = 700
ttl_jitter = 20
verify_sample = 300'
harness_write_conf "$HARNESS_DIR/cmd.conf" <<CONF
[warm]
write = commands
$common

$(datasets c)
CONF
harness_write_conf "$HARNESS_DIR/rst.conf" <<CONF
[warm]
write = restore
$common

$(datasets r)
CONF

tap_plan 17

start=$(date +%s)
out=$("$bin" -q -c "$HARNESS_DIR/cmd.conf" warm --json) && rc=0 || rc=$?
is "$rc" 0 "warm with write = commands exits 0"
is "$(harness_json '[x["write"] for x in d["datasets"]]' <<<"$out")" \
	"['commands', 'commands', 'commands', 'commands', 'commands']" "and says it wrote with commands"
out=$("$bin" -q -c "$HARNESS_DIR/rst.conf" warm --json) && rc=0 || rc=$?
is "$rc" 0 "warm with write = restore exits 0"
is "$(harness_json '[x["write"] for x in d["datasets"]]' <<<"$out")" \
	"['restore', 'restore', 'restore', 'restore', 'restore']" "and says it wrote with RESTORE"
is "$(harness_json '[x["verify"]["mismatches"] for x in d["datasets"]]' <<<"$out")" "[0, 0, 0, 0, 0]" \
	"the agent's own read-back found no mismatch"

count() { harness_mysql -N market_db -e "SELECT COUNT(*) FROM rt${1:+ WHERE $1}"; }
dc=(--redis-port "$REDIS_PORT" --started "$start")
ok "hash (NULLs, binary, 64 KiB, at and over the listpack limit, TTL): DUMP equal" \
	python3 "$check" "${dc[@]}" --commands ch: --restore rh: --count "$(count)" --ttl 3600 --jitter 20
ok "hash of integers at every encoding edge: DUMP equal" \
	python3 "$check" "${dc[@]}" --commands cn: --restore rn: --count "$(count 'num IS NOT NULL')"
ok "json: DUMP equal" python3 "$check" "${dc[@]}" --commands cj: --restore rj: --count "$(count)"
ok "string (empty, 64 KiB, TTL): DUMP equal" python3 "$check" "${dc[@]}" --commands cs: --restore rs: \
	--count "$(count 'note IS NOT NULL')" --ttl 600 --jitter 20
ok "string of integers at every RDB encoding edge: DUMP equal" python3 "$check" "${dc[@]}" \
	--commands ci: --restore ri: --count "$(count 'num IS NOT NULL')"
compact=listpack
[[ $(harness_redis_cli info server) == *redis_version:6.* ]] && compact=ziplist
is "$(harness_redis_cli object encoding rh:4242):$(harness_redis_cli object encoding rh:1)" \
	"hashtable:$compact" "a row over the $compact limit is a hashtable, a small one a $compact"
is "$(harness_redis_cli --scan --pattern 'cachewarden:probe:*' | wc -l)" 0 "the probe leaves no key"

# RESTORE replaces a hash whole: a field of an older snapshot does not survive.
harness_redis_cli hset rh:8 stale yes >/dev/null
"$bin" -q -c "$HARNESS_DIR/rst.conf" warm rh >/dev/null
is "$(harness_redis_cli hexists rh:8 stale)" 0 "a RESTOREd hash keeps no stale field"

# auto on this server: RESTORE.
sed 's/^write = restore$/write = auto/' "$HARNESS_DIR/rst.conf" >"$HARNESS_DIR/auto.conf"
out=$("$bin" -q -c "$HARNESS_DIR/auto.conf" warm --json rn) && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["write"]' <<<"$out")" "0:restore" "write = auto probes and uses RESTORE"

# A user whose ACL refuses RESTORE: auto falls back to commands, restore refuses to run.
harness_redis_cli acl setuser norestore on '>secret' '~*' '+@all' '-restore' >/dev/null
printf secret >"$HARNESS_DIR/redis.pw"
chmod 600 "$HARNESS_DIR/redis.pw"
acl="username = norestore\npassword_file = $HARNESS_DIR/redis.pw"
sed "s|^\\[redis\\]$|[redis]\\n$acl|" "$HARNESS_DIR/auto.conf" >"$HARNESS_DIR/acl-auto.conf"
sed "s|^\\[redis\\]$|[redis]\\n$acl|" "$HARNESS_DIR/rst.conf" >"$HARNESS_DIR/acl-rst.conf"
harness_redis_cli del rn:1 >/dev/null
out=$("$bin" -c "$HARNESS_DIR/acl-auto.conf" warm --json rn 2>"$HARNESS_DIR/acl.err") && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["write"]' <<<"$out"):$(harness_redis_cli hget rn:1 num)" \
	"0:commands:1" "RESTORE refused by ACL: auto writes with commands"
like "$(cat "$HARNESS_DIR/acl.err")" "writing with commands: RESTORE refused" "and logs why"
"$bin" -q -c "$HARNESS_DIR/acl-rst.conf" warm rn >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 69 "RESTORE refused by ACL: write = restore exits 69"
tap_done
