#!/usr/bin/env bash
# scripts/install-deps.sh: install what cachewarden's build and tests need.
#
# Debian 12 (bookworm): Debian's packages via apt-get, the SNS/SQS
# emulator for the integration tests (fauxqs, pinned in
# tests/sns/package-lock.json) via `npm ci`, and Redis 6.0 from Debian 11's
# archive, unpacked beside the system's Redis 7 (scripts/redis6.sh). Idempotent: when everything is
# there it only runs dpkg-query and compares a stamp, in well under a second.
# apt-get update and install run only for what is missing; sudo is used
# only when not root.
#
# Usage: scripts/install-deps.sh [--check] [--no-npm]
#   --check   install nothing; list what is missing, exit 1 if anything is
#   --no-npm  skip the npm part (tests/sns)
#
# Equivalent RPM packages (Fedora; RHEL/Rocky/Alma 9 with EPEL and CRB):
#   gcc make autoconf automake libtool pkgconf-pkg-config
#   libevent-devel hiredis-devel mariadb-connector-c-devel libcurl-devel
#   openssl-devel zlib-devel libsodium-devel libcmocka-devel libzstd-devel
#   mariadb-server mariadb redis (valkey on Fedora 41+; redis-cli included)
#   minisign openssl nodejs npm python3 curl ca-certificates libfaketime
#   clang compiler-rt (fuzzing)
#   clang-tools-extra (clang-format) cppcheck
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
check_only=0
with_npm=1
for arg in "$@"; do
	case $arg in
	--check) check_only=1 ;;
	--no-npm) with_npm=0 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "install-deps: unknown option: $arg" >&2
		exit 64
		;;
	esac
done

say() { printf 'install-deps: %s\n' "$*"; }

packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	libevent-dev libhiredis-dev libmariadb-dev libcurl4-openssl-dev
	libssl-dev zlib1g-dev libsodium-dev libcmocka-dev libzstd-dev
	# servers and clients for the integration tests
	mariadb-server mariadb-client redis-server redis-tools
	# backup signatures and TLS
	minisign openssl
	# scripts/redis6.sh: bullseye's signed index and its packages
	gpgv debian-archive-keyring xz-utils
	# test tooling (faketime: clock steps in the fault suite)
	python3 python3-botocore curl ca-certificates zstd faketime
	# time zones for sched (its unit tests read Europe/Berlin and others)
	tzdata
	# promtool (package prometheus): agent.sh checks /metrics with it
	prometheus
	# fuzzing (scripts/fuzz.sh, make fuzz-smoke): clang with libFuzzer
	clang libclang-rt-14-dev
	# packages (scripts/package.sh, scripts/install-test.sh) and their checks:
	# lintian, rpmlint, man pages (tests/lint/man.sh), systemd-analyze
	debhelper dpkg-dev fakeroot rpm lintian rpmlint man-db systemd procps adduser
	# benchmarks (bench/)
	time bc
	# lints
	clang-format cppcheck
)

# Node.js: keep any node >= 18 already on PATH (this machine's comes from
# outside Debian's archive, and Debian's nodejs/npm would fight it).
node_major=
if command -v node >/dev/null 2>&1; then
	node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)
fi
if [[ $with_npm -eq 1 ]]; then
	if [[ $node_major =~ ^[0-9]+$ ]] && ((node_major >= 18)); then
		say "node $(node --version) at $(command -v node): kept"
		if ! command -v npm >/dev/null 2>&1; then
			# Debian's npm only fits Debian's own nodejs (version ends in dfsg).
			if dpkg-query -W -f='${Version}' nodejs 2>/dev/null | grep -q dfsg; then
				packages+=(npm)
			else
				say "error: npm is missing and $(command -v node) is not Debian's nodejs;"
				say "install the npm that belongs to that node, or rerun with --no-npm"
				exit 1
			fi
		fi
	else
		[[ -n $node_major ]] && say "node $(node --version) is older than 18: installing Debian's"
		packages+=(nodejs npm)
	fi
fi

installed() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
	[[ $st == ii* ]]
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	say "all ${#packages[@]} Debian packages present"
elif [[ $check_only -eq 1 ]]; then
	say "missing Debian packages: ${missing[*]}"
else
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || {
			say "error: not root and no sudo; as root run: apt-get install ${missing[*]}"
			exit 1
		}
		sudo=(sudo)
	fi
	say "installing: ${missing[*]}"
	say "+ apt-get update"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	say "+ apt-get install -y --no-install-recommends ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
	still=()
	for p in "${missing[@]}"; do
		installed "$p" || still+=("$p")
	done
	if [[ ${#still[@]} -ne 0 ]]; then
		say "error: still missing after apt-get install: ${still[*]}"
		exit 1
	fi
fi

# ---- npm: the SNS/SQS emulator for the integration tests ---------------------
npm_ok=1
if [[ $with_npm -eq 1 ]]; then
	sns=$top/tests/sns
	stamp=$sns/node_modules/.cachewarden-lock.sha256
	want=$(sha256sum "$sns/package-lock.json" | cut -d' ' -f1)
	if [[ -f $sns/node_modules/fauxqs/package.json && -f $stamp && $(cat "$stamp") == "$want" ]]; then
		say "tests/sns: node_modules matches package-lock.json"
	elif [[ $check_only -eq 1 ]]; then
		say "tests/sns: node_modules missing or stale (npm ci needed)"
		npm_ok=0
	else
		command -v npm >/dev/null 2>&1 || {
			say "error: npm not found"
			exit 1
		}
		say "+ (cd tests/sns && npm ci --no-audit --no-fund)"
		(cd "$sns" && npm ci --no-audit --no-fund --loglevel=error)
		printf '%s\n' "$want" >"$stamp"
	fi
fi

# ---- Redis 6.0 for tests/integration/redis6-*.sh -----------------------------
# Not fatal: those tests skip, saying why, when it is missing (bullseye's
# packages may one day leave both mirrors scripts/redis6.sh knows).
redis6_ok=1
if [[ $check_only -eq 1 ]]; then
	"$here/redis6.sh" --check ${REDIS6_DIR:+"$REDIS6_DIR"} || redis6_ok=0
else
	as_root=()
	[[ $(id -u) -ne 0 ]] && as_root=(sudo)
	"${as_root[@]}" "$here/redis6.sh" ${REDIS6_DIR:+"$REDIS6_DIR"} ||
		say "warning: no Redis 6.0; the tests/integration/redis6-*.sh tests will be skipped"
fi

if [[ $check_only -eq 1 && (${#missing[@]} -ne 0 || $npm_ok -eq 0 || $redis6_ok -eq 0) ]]; then
	exit 1
fi
say "done"
