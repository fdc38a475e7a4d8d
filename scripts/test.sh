#!/usr/bin/env bash
# scripts/test.sh: install what is missing, build with warnings as errors and
# ASan/UBSan, pass `make distcheck`, then run the whole suite (`make check`:
# cmocka unit tests, lints, integration tests on real MariaDB, Redis and the
# fauxqs SNS emulator started on 127.0.0.1), build the .deb and .rpm from
# the distcheck tarball and check them (scripts/package-test.sh: lintian,
# rpmlint, rpm metadata, an install/remove/purge cycle of the .deb); then
# `make fuzz-smoke` (every fuzz target briefly) and `make check-faults` (the
# fault suite, its CASE lines shown). Ends with the test count, package
# checks included.
#
#   scripts/test.sh              everything (what .ci/run calls)
#   SKIP_DISTCHECK=1 scripts/test.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
pkg_tap=packages/package-test.tap
pkg_rc=0
rm -f "$pkg_tap"

scripts/install-deps.sh
./autogen.sh >/dev/null
./configure --enable-debug --enable-werror --enable-sanitizers >/dev/null
make -j"$jobs"

if [[ -z ${SKIP_DISTCHECK:-} ]]; then
	echo "== make distcheck"
	make -j"$jobs" distcheck >distcheck.log 2>&1 || { tail -n 60 distcheck.log; exit 1; }
	grep -E 'archives ready for distribution|^# (TOTAL|PASS|FAIL)' distcheck.log || true
	echo "== packages"
	scripts/package.sh "cachewarden-$(sed -n 's/^PACKAGE_VERSION = //p' Makefile).tar.gz" packages
	echo "== package checks"
	scripts/package-test.sh packages >"$pkg_tap" 2>&1 || pkg_rc=$?
	cat "$pkg_tap"
fi

echo "== make check"
rc=0
make -j"$jobs" check || rc=$?
[[ $rc -eq 0 ]] || { for f in $(grep -l -E '^:test-result: (FAIL|ERROR)' tests/*/*.trs 2>/dev/null); do
	echo "---- ${f%.trs}.log"; tail -n 40 "${f%.trs}.log"; done; }

# Bounded runs of every fuzz target, then the fault suite (a few minutes).
echo "== make fuzz-smoke"
make fuzz-smoke || rc=1
echo "== make check-faults"
faults=0
make -s check-faults >faults.log 2>&1 || faults=1
grep -E '^(CASE |faults: )' faults.log || true
[[ $faults -eq 0 ]] || { tail -n 40 faults.log; rc=1; }

# The driver's counts, the package checks' TAP lines and the fault suite's
# CASE lines, as one plain closing line.
{
	cat tests/*/*.trs
	[[ ! -f $pkg_tap ]] || awk '/^ok .*# SKIP/ { print ":test-result: SKIP"; next }
		/^ok / { print ":test-result: PASS" } /^not ok / { print ":test-result: FAIL" }' "$pkg_tap"
	awk '/^CASE .*: ok$/ { print ":test-result: PASS" } /^CASE .*: FAILED/ { print ":test-result: FAIL" }
		/^CASE .*: skipped/ { print ":test-result: SKIP" }' faults.log
} | awk '
	$1 == ":test-result:" { n[$2]++; total++ }
	END { printf "tests: %d passed, %d failed, %d skipped\n", n["PASS"] + n["XFAIL"],
	      total - n["PASS"] - n["XFAIL"] - n["SKIP"], n["SKIP"] }'
[[ $rc -ne 0 ]] || rc=$pkg_rc
exit $rc
