#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: build the libFuzzer targets in
# tests/fuzz (every fuzz_*.c there, or the TARGETs named) with clang (ASan +
# UBSan + fuzzer) and run each for SECONDS (default 60), seeded from
# tests/data. Prints the executions per target; exits 1 at the first crash,
# leak or sanitizer report (the reproducer is in $FUZZ_DIR).
#
#   FUZZ_DIR=DIR     binaries, corpora and logs (default: fuzz-out/)
#   FUZZ_RUNS=N      stop a target after N executions (or SECONDS, first)
#   FUZZ_MAX_LEN=N   the largest input tried (default 65536)
#
# `make fuzz-smoke` runs every target for a few seconds (CI); longer runs
# are open-ended: run them when parsers change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
cd "$top"
if [[ ${#targets[@]} -eq 0 ]]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		targets+=("${t%.c}")
	done
fi
out=${FUZZ_DIR:-$top/fuzz-out}
mkdir -p "$out"
command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed (scripts/install-deps.sh)"; exit 1; }
[[ -f config.h ]] || { ./autogen.sh >/dev/null && ./configure >/dev/null; }

deps=(libevent_core libevent_extra libevent_pthreads hiredis libcurl libssl libcrypto zlib libsodium libmariadb)
# libzstd when configure found it (config.h says so).
grep -q '^#define HAVE_ZSTD 1' config.h && deps+=(libzstd)
read -ra cflags <<<"$(pkg-config --cflags "${deps[@]}")"
read -ra libs <<<"$(pkg-config --libs "${deps[@]}")"
common=(-g -O1 -std=c11 -D_GNU_SOURCE -fno-sanitize-recover=undefined -iquote include -iquote .
	'-DSYSCONFDIR="/etc"')
# The agent's sources are compiled once (instrumented, no main), then each
# target links them; a change to any source rebuilds what depends on it.
mkdir -p "$out/obj"
objs=()
for f in src/*.c; do
	[[ $f == src/main.c ]] && continue
	o=$out/obj/$(basename "${f%.c}").o
	objs+=("$o")
	newest_dep=$(ls -t "$f" include/*.h | head -n 1)
	[[ -f $o && $o -nt $newest_dep ]] ||
		clang "${common[@]}" '-fsanitize=fuzzer-no-link,address,undefined' "${cflags[@]}" \
			-c -o "$o" "$f"
done
for t in "${targets[@]}"; do
	[[ -f tests/fuzz/fuzz_$t.c ]] || { echo "fuzz.sh: no target tests/fuzz/fuzz_$t.c"; exit 1; }
	newest=$(ls -t "${objs[@]}" "tests/fuzz/fuzz_$t.c" include/*.h | head -n 1)
	[[ -x $out/fuzz_$t && $out/fuzz_$t -nt $newest ]] ||
		clang "${common[@]}" '-fsanitize=fuzzer,address,undefined' "${cflags[@]}" \
			-o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" "${objs[@]}" "${libs[@]}" -lpthread -lm
done
runs=()
[[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
for t in "${targets[@]}"; do
	corpus=$out/corpus-$t
	mkdir -p "$corpus"
	case $t in
	conf) cp agent.conf tests/data/conf/*.conf "$corpus/" ;;
	formats)
		# Each sample once per checker: the target's first byte picks it (9 kinds).
		for f in tests/data/formats/* tests/data/zstream/*; do
			for k in 0 1 2 3 4 5 6 7 8; do
				{ printf "\\$(printf '%03o' "$k")"; head -c 65536 "$f"; } >"$corpus/$k.$(basename "$f")"
			done
		done
		;;
	rdb)
		# The target's first byte picks the header: even means the file as it is.
		for f in tests/data/redis-assets/*.rdb tests/data/redis-generated/*.rdb; do
			{ printf '\0'; head -c 4096 "$f"; } >"$corpus/$(basename "$f")"
		done
		;;
	aof)
		# shellcheck disable=SC2016 # RESP's '$' is literal
		printf '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1795328389\r\n*1\r\n$5\r\nMULTI\r\n' >"$corpus/seed.aof"
		printf 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n' \
			>"$corpus/seed.manifest"
		;;
	pqfooter)
		# Each footer, prefixed with its offset in the file as the target reads it.
		for f in tests/data/parquet-testing/*.parquet tests/data/formats/*.parquet; do
			python3 - "$f" "$corpus/$(basename "$f").footer" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", d[-8:-4])[0]
off = len(d) - 8 - n
open(sys.argv[2], "wb").write(bytes([(off >> 8) & 0xff, off & 0xff]) + d[-8 - n:-8])
PY
		done
		;;
	pqpages)
		# Each file after the target's head: chunks of 7 bytes, and its first
		# column chunk taken as the whole data between the magic and the footer.
		for f in tests/data/parquet-testing/*.parquet tests/data/formats/*.parquet; do
			python3 - "$f" "$corpus/$(basename "$f").pages" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", d[-8:-4])[0]
data = min(max(len(d) - 12 - n, 0), 0xffff)
open(sys.argv[2], "wb").write(bytes([6]) + struct.pack(">HHH", 4, data, 0) * 3 + d)
PY
		done
		;;
	jval) printf '{"a":[1,2.5e3,"x\\u00e9",null,true,{}]}' >"$corpus/seed.json" ;;
	outbox) : ;;
	xmlq) cp tests/data/aws/*.xml tests/data/aws/*.json "$corpus/" ;;
	sns)
		printf '<PublishResponse><PublishResult><MessageId>94f2</MessageId></PublishResult></PublishResponse>' >"$corpus/ok.xml"
		printf '<ErrorResponse><Error><Code>NotFound</Code><Message>a &amp; b&#33;</Message></Error></ErrorResponse>' >"$corpus/err.xml"
		printf '{"Error":{"Code":"Throttling","Message":"Rate exceeded"}}' >"$corpus/err.json"
		printf '{"__type":"com.amazon#UnrecognizedClientException","message":"x"}' >"$corpus/type.json"
		;;
	creds)
		printf '[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n[ops]\nx=y\n' >"$corpus/ini"
		printf '{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2030-01-01T00:00:00Z"}' >"$corpus/imds.json"
		;;
	*) : ;;
	esac
	log=$out/fuzz_$t.log
	(cd "$out" && "./fuzz_$t" -max_total_time="$secs" "${runs[@]}" -max_len="${FUZZ_MAX_LEN:-65536}" \
		-print_final_stats=1 "$corpus" >"$log" 2>&1) || {
		tail -n 30 "$log"
		echo "fuzz_$t: FAILED (log: $log)"
		exit 1
	}
	n=$(grep -m1 stat::number_of_executed_units "$log" | awk '{print $2}')
	t_s=$(grep -m1 stat::average_exec_per_sec "$log" | awk '{print $2}')
	echo "fuzz_$t: $n executions (${t_s}/s, limit ${secs}s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}), no crash"
done
