#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: build the libFuzzer targets in
# tests/fuzz with clang (ASan + UBSan + fuzzer) and run each for SECONDS
# (default 60), seeded from tests/data. Prints the executions per target.
# Not part of `make check`: fuzzing is open-ended; run it when parsers change.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(conf formats outbox jval xmlq rdb aof pqfooter)
out=${FUZZ_DIR:-$top/fuzz-out}
mkdir -p "$out"
cd "$top"
[[ -f config.h ]] || { ./autogen.sh >/dev/null && ./configure >/dev/null; }

deps=(libevent_core hiredis libcurl libssl libcrypto zlib libsodium libmariadb)
# libzstd when configure found it (config.h says so).
grep -q '^#define HAVE_ZSTD 1' config.h && deps+=(libzstd)
read -ra cflags <<<"$(pkg-config --cflags "${deps[@]}")"
read -ra libs <<<"$(pkg-config --libs "${deps[@]}")"
flags=(-g -O1 -std=c11 -D_GNU_SOURCE '-fsanitize=fuzzer,address,undefined' -iquote include
	-iquote . '-DSYSCONFDIR="/etc"')
lib=()
for f in src/*.c; do
	[[ $f == src/main.c ]] || lib+=("$f")
done
for t in "${targets[@]}"; do
	[[ -x $out/fuzz_$t && $out/fuzz_$t -nt tests/fuzz/fuzz_$t.c ]] ||
		clang "${flags[@]}" "${cflags[@]}" -o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" \
			"${lib[@]}" "${libs[@]}" -lpthread -lm
done
for t in "${targets[@]}"; do
	corpus=$out/corpus-$t
	mkdir -p "$corpus"
	case $t in
	conf) cp agent.conf tests/data/conf/*.conf "$corpus/" ;;
	formats) cp tests/data/formats/* tests/data/zstream/* "$corpus/" 2>/dev/null || true ;;
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
	jval) printf '{"a":[1,2.5e3,"x\\u00e9",null,true,{}]}' >"$corpus/seed.json" ;;
	outbox) : ;;
	xmlq) cp tests/data/aws/*.xml tests/data/aws/*.json "$corpus/" ;;
	esac
	log=$out/fuzz_$t.log
	"$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 \
		"$corpus" >"$log" 2>&1 || { tail -n 30 "$log"; echo "fuzz_$t: FAILED"; exit 1; }
	echo "fuzz_$t: $(grep -m1 stat::number_of_executed_units "$log" | awk '{print $2}') executions in ${secs}s, no crash"
done
