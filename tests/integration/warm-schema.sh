#!/usr/bin/env bash
# warm on a schema of its own with the shapes that made warm silently
# partial (issue 9): a composite primary key, a non-unique key_column, a
# table without keys, a colliding key template, NULL string values, big
# numbers and BIT in JSON, 1 MiB BLOB rows, a checkpoint from a changed
# config, options after the names. Every accepted dataset is checked row by
# row by warm_check.py (not by the agent) and its key count against MySQL's
# row count; every refused one for its exit code, message and no writes.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
check=${srcdir:-.}/tests/integration/warm_check.py
harness_require mariadbd redis-server python3
harness_init
harness_start_mariadb
harness_start_redis

harness_mysql market_db <<'SQL'
SET NAMES utf8mb4;
-- A link table: composite primary key, about 5,400 rows, many per actor.
CREATE TABLE film_actor (
	actor_id SMALLINT UNSIGNED NOT NULL,
	film_id SMALLINT UNSIGNED NOT NULL,
	last_update TIMESTAMP NOT NULL DEFAULT '2006-02-15 05:05:03',
	PRIMARY KEY (actor_id, film_id),
	KEY idx_fk_film_id (film_id)
);
INSERT INTO film_actor (actor_id, film_id)
SELECT a.seq, f.seq FROM seq_1_to_200 a, seq_1_to_1000 f WHERE (a.seq * 7 + f.seq * 13) % 37 = 0;
-- Payments: staff_id is not unique; customer email is unique and NOT NULL.
CREATE TABLE payment (
	payment_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	customer_email VARCHAR(50) NOT NULL,
	staff_id TINYINT UNSIGNED NOT NULL,
	amount DECIMAL(5,2) NOT NULL,
	UNIQUE KEY uq_email (customer_email),
	KEY idx_staff (staff_id)
);
INSERT INTO payment (customer_email, staff_id, amount)
SELECT CONCAT('Customer.', seq, '@example.org'), 1 + seq % 2, (seq % 1000) / 100 FROM seq_1_to_3000;
-- No primary key, no unique key: a NULL and a duplicate id.
CREATE TABLE nokeys (id INT NULL, v VARCHAR(10));
INSERT INTO nokeys VALUES (1, 'a'), (1, 'b'), (NULL, 'c'), (2, 'd');
-- A FLOAT primary key: 1.1 as text is not the FLOAT 1.1.
CREATE TABLE fl (f FLOAT PRIMARY KEY, v INT);
INSERT INTO fl VALUES (1.1, 1), (2.2, 2), (3.3, 3);
-- A string dataset with NULL values.
CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50) NULL);
INSERT INTO notes SELECT seq, IF(seq % 3 = 0, NULL, CONCAT('note ', seq)) FROM seq_1_to_100;
-- Big numbers and BIT for JSON, keys at both ends of BIGINT.
CREATE TABLE nums (
	id BIGINT PRIMARY KEY,
	big BIGINT NULL,
	dec30 DECIMAL(30,2) NULL,
	flags BIT(12) NULL,
	yr YEAR NULL,
	ratio DOUBLE NULL
);
INSERT INTO nums VALUES
	(-9223372036854775808, -9007199254740993, -12345678901234567890.12, b'0', 1999, -0.5),
	(1, 9007199254740991, 1.50, b'101010101010', 2024, 1e300),
	(2, 9007199254740992, 90071992547409.91, NULL, NULL, NULL),
	(9223372036854775806, NULL, NULL, b'1', 2000, 2.25),
	(9223372036854775807, 9223372036854775807, 99999999999999999999999999.99, b'111111111111', 2155, 0);
-- A text primary key in a case-insensitive collation.
CREATE TABLE country (code VARCHAR(3) PRIMARY KEY, name VARCHAR(50) NOT NULL)
	DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
INSERT INTO country SELECT CONCAT(CHAR(65 + seq DIV 26 % 26), CHAR(65 + seq % 26), IF(seq % 2, 'x', '')),
	CONCAT('Land ', seq, ' — ü') FROM seq_0_to_599;
SQL

conf=$HARNESS_DIR/agent.conf
harness_write_conf "$conf" <<'CONF'
[warm]
workers = 4
batch_rows = 7
verify_sample = 200

[dataset fa]
table = film_actor
columns = last_update
key = fa:{actor_id}:{film_id}

[dataset fa_bad]
table = film_actor
key_column = actor_id
columns = film_id
key = fab:{actor_id}:{film_id}

[dataset pay]
table = payment
columns = payment_id, staff_id, amount
key = pay:{payment_id}
type = json

[dataset pay_email]
table = payment
key_column = customer_email
columns = amount
key = pe:{customer_email}

[dataset pay_staff]
table = payment
key_column = staff_id
columns = amount
key = ps:{staff_id}:{payment_id}

[dataset pay_collide]
table = payment
columns = amount
key = pc:{staff_id}

[dataset nokeys]
table = nokeys
columns = v
key = nk:{id}

[dataset fl]
table = fl
columns = v
key = fl:{f}

[dataset notes]
table = notes
columns = body
key = note:{id}
type = string
value_column = body

[dataset nums]
table = nums
columns = id, big, dec30, flags, yr, ratio
key = n:{id}
type = json

[dataset nums_bare]
table = nums
columns = id, big, dec30, flags, yr, ratio
key = nb:{id}
type = json
json_big_numbers = number

[dataset country]
table = country
columns = name
key = c:{code}
CONF

tap_plan 64

S=(--socket "$MYSQL_SOCKET" --redis-port "$REDIS_PORT")
count_keys() { harness_redis_cli --scan --pattern "$1" | wc -l; }
count_rows() { harness_mysql -N market_db -e "SELECT COUNT(*) FROM $1"; }

# --- Options after the names, and "--".
out=$("$bin" -q -c "$conf" warm fa --dry-run --workers 2 --json) && rc=0 || rc=$?
is "$rc" 0 "options after the dataset name: warm fa --dry-run --workers 2"
is "$(harness_json '[d["dry_run"], [x["name"] for x in d["datasets"]]]' <<<"$out")" "[True, ['fa']]" \
	"it is a dry run of dataset fa alone"
is "$(harness_redis_cli dbsize)" 0 "and it wrote nothing"
"$bin" -q -c "$conf" warm --dry-run -- --fa >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "after --, '--fa' is a dataset name (unknown: exit 2)"

# --- The accepted datasets, all in one run.
start=$(date +%s)
out=$("$bin" -c "$conf" -v warm --json fa pay pay_email notes nums nums_bare country \
	2>"$HARNESS_DIR/ok.log") && rc=0 || rc=$?
is "$rc" 0 "warm of the accepted datasets exits 0"
is "$(harness_json '[x["status"] for x in d["datasets"]]' <<<"$out")" "$(printf "['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']")" \
	"every accepted dataset is ok"
fa_rows=$(count_rows film_actor)
diag "film_actor: $fa_rows rows"
is "$(harness_json 'd["datasets"][0]["keys_written"]' <<<"$out")" "$fa_rows" \
	"composite primary key at batch_rows = 7 and 4 workers: every row written"
is "$(count_keys 'fa:*')" "$fa_rows" "Redis holds one fa: key per film_actor row"
ok "fa: every key equals its row" python3 "$check" "${S[@]}" --table film_actor --type hash \
	--key 'fa:{actor_id}:{film_id}' --columns last_update
is "$(count_keys 'pay:*'):$(count_keys 'pe:*')" "3000:3000" "payment by its primary key and by its unique email: every row"
ok "pay (json): every key equals its row" python3 "$check" "${S[@]}" --table payment --type json \
	--key 'pay:{payment_id}' --columns payment_id,staff_id,amount
ok "pay_email (a unique NOT NULL key_column): every key equals its row" python3 "$check" "${S[@]}" \
	--table payment --type hash --key 'pe:{customer_email}' --columns amount
is "$(count_keys 'c:*')" "$(count_rows country)" "a text primary key (one worker, key order): every row"
ok "country: every key equals its row" python3 "$check" "${S[@]}" --table country --type hash \
	--key 'c:{code}' --columns name

# --- The page query is a range scan, not an index walk.
sql=$(sed -n 's/.*warm fa: worker [0-9]*: page query: //p' "$HARNESS_DIR/ok.log" | head -n 1)
diag "page query: $sql"
like "$sql" '\(`actor_id` > [0-9]+\) OR \(`actor_id` = [0-9]+ AND `film_id` > [0-9]+\)' \
	"the page condition is the expanded OR form"
plan=$(harness_mysql -N market_db -e "EXPLAIN $sql" | awk -F'\t' '{ print $4 }')
is "$plan" range "EXPLAIN: the page is a range scan"
rowcmp=$(harness_mysql -N market_db -e "EXPLAIN SELECT last_update FROM film_actor \
	WHERE (actor_id, film_id) > (100, 500) ORDER BY actor_id, film_id LIMIT 7" | awk -F'\t' '{ print $4 }')
diag "for comparison, the row comparison (a, b) > (?, ?) is planned as: $rowcmp"

# --- NULL string values delete the key.
is "$(harness_json '[x["keys_deleted"] for x in d["datasets"] if x["name"] == "notes"]' <<<"$out")" "[33]" \
	"notes: 33 NULL values counted as keys_deleted"
harness_redis_cli set note:3 stale >/dev/null
out=$("$bin" -q -c "$conf" warm --json notes) && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["status"]' <<<"$out")" "0:ok" "a NULL string value is not an error: the run is ok"
is "$(harness_redis_cli exists note:3)" 0 "a stale key whose value is now NULL is deleted"
ok "notes: every key equals its row, NULL rows have no key" python3 "$check" "${S[@]}" --table notes \
	--type string --key 'note:{id}' --columns body --value-column body
is "$(count_keys 'note:*')" 67 "67 note: keys for 67 non-NULL rows"

# --- JSON: I-JSON big numbers, BIT as a number.
ok "nums: beyond +-(2^53-1) as strings, BIT as numbers" python3 "$check" "${S[@]}" --table nums \
	--type json --key 'n:{id}' --columns id,big,dec30,flags,yr,ratio
ok "nums_bare: json_big_numbers = number keeps them bare" python3 "$check" "${S[@]}" --table nums \
	--type json --key 'nb:{id}' --columns id,big,dec30,flags,yr,ratio --json-big-numbers number
is "$(harness_redis_cli get n:9223372036854775807 | harness_json '[d["id"], d["flags"], d["big"]]')" \
	"['9223372036854775807', 4095, '9223372036854775807']" "the largest BIGINT is a string, BIT(12) a number"
is "$(harness_redis_cli get n:1 | harness_json '[d["big"], d["dec30"]]')" "[9007199254740991, 1.5]" \
	"2^53-1 stays a number"

# --- Issue 12: batch_rows = 1 with a row at the largest BIGINT used to loop forever.
sed 's/^batch_rows = 7$/batch_rows = 1/' "$conf" >"$HARNESS_DIR/one.conf"
harness_redis_cli del n:9223372036854775807 >/dev/null
timeout 60 "$bin" -q -c "$HARNESS_DIR/one.conf" warm nums >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 0 "batch_rows = 1 with a row at the largest BIGINT ends (exit 0, no time-out)"
is "$(count_keys 'n:*')" 5 "and writes all five rows"

# --- Refused datasets: exit code, message, nothing written.
refused() { # refused NAME PATTERN MESSAGE-REGEX
	local out rc
	out=$("$bin" -c "$conf" warm --json "$1" 2>"$HARNESS_DIR/$1.log") && rc=0 || rc=$?
	is "$rc:$(harness_json 'd["datasets"][0]["status"]' <<<"$out")" "1:failed" "$1: refused, exit 1"
	like "$(harness_json 'd["datasets"][0]["failure"]' <<<"$out")" "$3" "$1: the report says why"
	like "$(cat "$HARNESS_DIR/$1.log")" "$3" "$1: so does the log"
	is "$(count_keys "$2")" 0 "$1: nothing was written"
}
refused fa_bad 'fab:*' 'refused before any write: key_column actor_id is not a unique NOT NULL key of film_actor.*unique keys: PRIMARY \(actor_id, film_id\)'
refused pay_staff 'ps:*' 'key_column staff_id is not a unique NOT NULL key of payment.*PRIMARY \(payment_id\), uq_email \(customer_email\)'
refused pay_collide 'pc:*' "key template 'pc:\{staff_id\}' does not name every column of a unique key of payment"
refused nokeys 'nk:*' 'table nokeys has no primary key or unique NOT NULL key'
refused fl 'fl:*' 'refused before any write: key column f of fl is FLOAT, whose text does not compare exactly'
is "$(harness_redis_cli exists cachewarden:generation:nokeys)" 0 "no generation marker for a refused dataset"


# --- The generation marker: only when ok, counting every leg of a resumed run.
marker() { harness_redis_cli get "cachewarden:generation:$1" | harness_json "d[\"$2\"]"; }
before=$(marker country run_id)
harness_redis_cli del c:AA >/dev/null
harness_redis_cli rpush c:AA not-a-hash >/dev/null
# HSET meets WRONGTYPE; RESTORE ... REPLACE (write = auto) would replace the key.
sed 's/^\[warm\]$/[warm]\nwrite = commands/' "$conf" >"$HARNESS_DIR/commands.conf"
out=$("$bin" -q -c "$HARNESS_DIR/commands.conf" warm --json country) && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["status"]' <<<"$out")" "1:partial" "a WRONGTYPE key makes the run partial"
is "$(marker country run_id)" "$before" "a partial run leaves the generation marker as it was"

ckpt=$HARNESS_DIR/state/warm-fa.ckpt
slow=$HARNESS_DIR/slow.conf
sed 's/^batch_rows = 7$/batch_rows = 20\nmax_rows_per_sec = 1000/' "$conf" >"$slow"
interrupt() { # interrupt CONF: a warm of fa stopped by SIGINT once it has acknowledged rows
	local i pid rc
	harness_redis_cli eval "for _, k in ipairs(redis.call('keys', 'fa:*')) do redis.call('del', k) end" 0 >/dev/null
	"$bin" -q -c "$1" warm --workers 2 fa >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		awk '$1 == "counts" && $2 > 0 { f = 1 } END { exit !f }' "$ckpt" 2>/dev/null && break
		sleep 0.05
	done
	kill -INT "$pid"
	wait "$pid" && rc=0 || rc=$?
	echo "$rc"
}
is "$(interrupt "$slow")" 130 "fa interrupted by SIGINT"
legs=$(awk '$1 == "counts" { print $3 }' "$ckpt")
# Rows added below the old MIN of the key while the run was stopped.
harness_mysql market_db -e "INSERT INTO film_actor (actor_id, film_id) VALUES (0, 1), (0, 2)"
out=$("$bin" -c "$conf" warm --resume --json fa 2>"$HARNESS_DIR/resume.log") && rc=0 || rc=$?
is "$rc" 0 "--resume of the same definition completes"
like "$(cat "$HARNESS_DIR/resume.log")" "warm fa: resuming run [0-9a-f]+ from a checkpoint" "it says it resumes"
fa_rows=$(count_rows film_actor)
second=$(harness_json 'd["datasets"][0]["keys_written"]' <<<"$out")
diag "first leg $legs keys, second leg $second keys, $fa_rows rows"
ok_if "$([[ $legs -gt 0 && $second -lt $fa_rows ]]; echo $?)" "the second leg did not start over"
is "$(marker fa rows)" "$fa_rows" "the marker counts the rows of both legs"
is "$(count_keys 'fa:*')" "$fa_rows" "every row has its key, those below the old MIN included"
ok "fa after --resume: every key equals its row" python3 "$check" "${S[@]}" --table film_actor \
	--type hash --key 'fa:{actor_id}:{film_id}' --columns last_update

# A damaged checkpoint: --resume starts over and says why.
printf 'cachewarden-checkpoint 2\ndataset fa\nrange 1 2 0 zz\n' >"$ckpt"
out=$("$bin" -c "$conf" warm --resume --json fa 2>"$HARNESS_DIR/damaged.log") && rc=0 || rc=$?
is "$rc:$(harness_json 'd["datasets"][0]["rows_read"]' <<<"$out")" "0:$fa_rows" \
	"--resume with a damaged checkpoint reads every row"
like "$(cat "$HARNESS_DIR/damaged.log")" "warm fa: checkpoint .* is damaged or from another version.*; starting over" \
	"and says why"

# A checkpoint from a changed config: --resume starts over and says why.
is "$(interrupt "$slow")" 130 "fa interrupted again"
sed -i 's/^key = fa:{actor_id}:{film_id}$/key = fa:{actor_id}:{film_id}\nwhere = film_id > 500/' "$conf"
out=$("$bin" -c "$conf" warm --resume --json fa 2>"$HARNESS_DIR/changed.log") && rc=0 || rc=$?
is "$rc" 0 "--resume after the config changed exits 0"
like "$(cat "$HARNESS_DIR/changed.log")" "warm fa: checkpoint .* changed since it was written; starting over" \
	"it says the checkpoint does not match, and starts over"
is "$(harness_json 'd["datasets"][0]["rows_read"]' <<<"$out")" "$(count_rows 'film_actor WHERE film_id > 500')" \
	"it read every row of the new definition"
ok "fa with the new where: every key equals its row" python3 "$check" "${S[@]}" --table film_actor \
	--type hash --key 'fa:{actor_id}:{film_id}' --columns last_update --where 'film_id > 500'

tap_done
