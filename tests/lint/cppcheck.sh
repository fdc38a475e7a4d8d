#!/bin/sh
# Static analysis of the sources: cppcheck's warning and portability checks.
set -u
cd "${srcdir:-.}" || exit 1
echo "1..1"
if ! command -v cppcheck >/dev/null 2>&1; then
	echo "not ok 1 - cppcheck is not installed (scripts/install-deps.sh installs it)"
	exit 1
fi
out=$(cppcheck -q --enable=warning,portability --inline-suppr --std=c11 -Iinclude src/*.c 2>&1 |
	grep -E '(error|warning):')
if [ -z "$out" ]; then
	echo "ok 1 - cppcheck: no warnings"
else
	echo "not ok 1 - cppcheck:"
	echo "$out" | sed 's/^/# /'
	exit 1
fi
