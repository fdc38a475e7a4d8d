#!/usr/bin/env bash
# verify as a guest on a web host: it drops from the page cache the pages it
# read (fincore), except pages that were cached before it ran; its threads
# run at nice 10 in the idle I/O class while it reads (read from /proc and
# ionice during a run slowed by max_read_mb_per_sec).
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
. "${srcdir:-.}/tests/lib/harness.sh"
bin=${CACHEWARDEN:-./cachewarden}
harness_require fincore ionice python3
harness_init
D=$HARNESS_DIR
mkdir -p "$D/state" "$D/files" "$D/slow"
chmod 700 "$D/state"
head -c 8388608 /dev/urandom >"$D/files/cold.bin"
head -c 8388608 /dev/urandom >"$D/files/warm.bin"
head -c 12000000 /dev/urandom >"$D/slow/big.bin"
resident() { fincore --bytes --noheadings --raw -o RES "$1"; }
# Cold: written back, then dropped. Warm: read, so cached.
python3 - "$D/files/cold.bin" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
PY
cat "$D/files/warm.bin" >/dev/null
if [[ $(resident "$D/files/cold.bin") -ne 0 || $(resident "$D/files/warm.bin") -ne 8388608 ]]; then
	tap_skip_all "this filesystem does not let the page cache be set up ($(resident "$D/files/cold.bin") cold bytes cached)"
fi
cat >"$D/agent.conf" <<CONF
[agent]
name = test-host
state_dir = $D/state

[verify]
manifest_dir = $D/manifests
[exports f]
path = $D/files/*.bin
max_age = 1h
[exports slow]
path = $D/slow/*.bin
max_age = 1h
CONF
"$bin" -c "$D/agent.conf" verify f 2>/dev/null && rc=0 || rc=$?
is "$rc" 0 "verify read both files"
is "$(resident "$D/files/cold.bin")" 0 "a file not cached before verify is not left cached"
is "$(resident "$D/files/warm.bin")" 8388608 "a file cached before verify stays cached"

# While a capped run reads, its threads are nice 10 and in the idle I/O class.
sed -i 's/^\[verify\]$/[verify]\nmax_read_mb_per_sec = 4/' "$D/agent.conf"
"$bin" -c "$D/agent.conf" verify slow 2>/dev/null &
pid=$!
seen=
for _ in $(seq 1 50); do
	sleep 0.1
	for t in /proc/"$pid"/task/*; do
		[[ -r $t/stat ]] || continue
		tid=${t##*/}
		nice=$(awk '{print $19}' "$t/stat" 2>/dev/null || true)
		class=$(ionice -p "$tid" 2>/dev/null || true)
		[[ $nice == 10 && $class == idle ]] && seen=1
	done
	[[ -n $seen ]] && break
done
wait "$pid" && rc=0 || rc=$?
is "$rc" 0 "the capped run completes"
is "${seen:-0}" 1 "a verify thread ran at nice 10 in the idle I/O class"
tap_done
