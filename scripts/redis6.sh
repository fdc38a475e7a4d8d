#!/usr/bin/env bash
# scripts/redis6.sh [--check] [DIR]: Redis 6.0 beside the system's Redis 7, for the
# tests that must also pass against it (tests/integration/redis6-*.sh).
#
# ElastiCache still runs Redis 6.x, whose RDB encoding for small hashes is
# ziplist, not listpack: warm's RESTORE payloads differ between the two.
# Debian 12 has only Redis 7, so this takes Debian 11's (bullseye) redis
# 6.0.16 and the libraries it needs that bookworm lacks, verifies them
# against bullseye's signed InRelease (gpgv with debian-archive-keyring),
# and unpacks them (dpkg -x: nothing is installed) into DIR, default
# /var/cache/cachewarden-test/redis-6.0.16. DIR/bin holds redis-server and
# redis-cli wrappers to put first on PATH. Idempotent: a second run only
# checks the stamp. Tries deb.debian.org, then archive.debian.org (where
# bullseye moves once it is retired). Exit 1 when it cannot. --check
# fetches nothing: exit 0 when DIR holds it, else 1.
set -euo pipefail
check_only=0
[[ ${1:-} == --check ]] && { check_only=1 && shift; }
# tests/lib/redis6.sh has the same default.
dir=${1:-/var/cache/cachewarden-test/redis-6.0.16}
suite=bullseye
mirrors=(http://deb.debian.org/debian http://archive.debian.org/debian)
keyrings=(/usr/share/keyrings/debian-archive-keyring.gpg)
# The server is redis-check-rdb of redis-tools run by another name (package
# redis-server only adds that symlink, made here, and the system service);
# the rest is what it links that bookworm does not have at these sonames.
packages=(redis-tools libssl1.1 libhiredis0.14 liblua5.1-0 liblzf1 libjemalloc2 lua-cjson lua-bitop)
want_version=6.0.16

say() { printf 'redis6: %s\n' "$*"; }

if [[ -x $dir/bin/redis-server && -f $dir/.stamp && $(cat "$dir/.stamp") == "$want_version" ]]; then
	say "redis $want_version in $dir"
	exit 0
elif ((check_only)); then
	say "redis $want_version missing in $dir"
	exit 1
fi
for k in "${keyrings[@]}"; do
	[[ -r $k ]] || {
		say "error: $k missing (package debian-archive-keyring)"
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch URL FILE: bounded download; fails on HTTP errors.
fetch() { curl -fsS --max-time 120 --retry 2 -o "$2" "$1"; }

# The suite's InRelease, signature checked, then Packages.xz by its hash there.
mirror=
for m in "${mirrors[@]}"; do
	if fetch "$m/dists/$suite/InRelease" "$work/InRelease" 2>/dev/null; then
		mirror=$m
		break
	fi
done
[[ -n $mirror ]] || {
	say "error: no mirror has dists/$suite (tried ${mirrors[*]})"
	exit 1
}
# As apt does: at least one good signature by a key of the keyring, and no
# bad one. A signature by a key the keyring lacks (a newer release's) is
# skipped, though gpgv's own exit status counts it as a failure.
gpgv_args=()
for k in "${keyrings[@]}"; do gpgv_args+=(--keyring "$k"); done
gpgv --status-fd 3 "${gpgv_args[@]}" "$work/InRelease" 3>"$work/gpgv.status" 2>"$work/gpgv.log" || true
if ! grep -q '^\[GNUPG:\] VALIDSIG ' "$work/gpgv.status" ||
	grep -q '^\[GNUPG:\] \(BADSIG\|EXPKEYSIG\|REVKEYSIG\) ' "$work/gpgv.status"; then
	cat "$work/gpgv.log" >&2
	say "error: $mirror/dists/$suite/InRelease: no good signature"
	exit 1
fi
sum=$(awk '/^SHA256:/ { s = 1; next } /^[A-Za-z]/ { s = 0 }
	s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' "$work/InRelease")
fetch "$mirror/dists/$suite/main/binary-amd64/Packages.xz" "$work/Packages.xz"
echo "$sum  $work/Packages.xz" | sha256sum -c --quiet - ||
	{
		say "error: Packages.xz does not match InRelease"
		exit 1
	}
xz -dc "$work/Packages.xz" >"$work/Packages"

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/bin"
for p in "${packages[@]}"; do
	file='' sha=''
	read -r file sha < <(awk -v P="$p" '$1 == "Package:" { cur = $2 }
		cur == P && $1 == "Filename:" { f = $2 }
		cur == P && $1 == "SHA256:" { print f, $2; exit }' "$work/Packages") || true
	[[ -n ${file:-} && -n ${sha:-} ]] || {
		say "error: $p is not in $suite's Packages"
		exit 1
	}
	fetch "$mirror/$file" "$work/$p.deb"
	echo "$sha  $work/$p.deb" | sha256sum -c --quiet - ||
		{
			say "error: $file does not match its SHA256 in Packages"
			exit 1
		}
	dpkg-deb -x "$work/$p.deb" "$dir.tmp/root"
done
ln -s redis-check-rdb "$dir.tmp/root/usr/bin/redis-server"
version=$(LD_LIBRARY_PATH=$dir.tmp/root/usr/lib/x86_64-linux-gnu \
	"$dir.tmp/root/usr/bin/redis-server" --version 2>&1 | sed -n 's/.* v=\([0-9.]*\) .*/\1/p') || true
[[ $version == "$want_version" ]] || {
	say "error: the unpacked redis-server says '$version', not $want_version"
	exit 1
}
# The wrappers exec the real binaries by their own names, so /proc/PID/comm
# is redis-server (the test harness tracks servers by it).
for b in redis-server redis-cli redis-check-rdb redis-check-aof; do
	printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/root/usr/lib/x86_64-linux-gnu exec %s/root/usr/bin/%s "$@"\n' \
		"$dir" "$dir" "$b" >"$dir.tmp/bin/$b"
	chmod 0755 "$dir.tmp/bin/$b"
done
echo "$want_version" >"$dir.tmp/.stamp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
say "redis $want_version from $mirror ($suite), signature and hashes checked, in $dir"
