#!/usr/bin/env bash
# Records redis-check-rdb's verdict on every RDB file of the directories
# given, in DIR/VERDICTS: "FILE ok" or "FILE error", then the tool's last
# message. tests/unit/test_rdb.c asserts that cachewarden's verdict on each
# file is the same (ok: anything but CORRUPT). Run after changing the files:
#   tests/data/redis-verdicts.sh tests/data/redis-assets tests/data/redis-generated
set -euo pipefail
for dir in "$@"; do
	{
		printf '# redis-check-rdb %s on each file; regenerate with %s\n' \
			"$(redis-check-rdb --version | awk '{print $2}')" "${0#./}"
		for f in "$dir"/*.rdb; do
			out=$(redis-check-rdb "$f" 2>&1) && v=ok || v=error
			msg=$(printf '%s\n' "$out" | grep -E 'RDB looks OK|Internal error|Unexpected EOF|Wrong signature|Invalid|CRC error|Can.t handle' |
				head -n 1 | sed 's/^\[offset [0-9]*\] //')
			printf '%s %s %s\n' "$(basename "$f")" "$v" "$msg"
		done
	} >"$dir/VERDICTS"
done
