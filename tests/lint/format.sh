#!/bin/sh
# The C sources match the pinned .clang-format (fix with `make format`).
set -u
cd "${srcdir:-.}" || exit 1
echo "1..1"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "not ok 1 - clang-format is not installed (scripts/install-deps.sh installs it)"
	exit 1
fi
bad=""
for f in src/*.c include/*.h tests/unit/*.c; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -z "$bad" ]; then echo "ok 1 - clang-format clean"
else echo "not ok 1 - not formatted (run make format):$bad"; exit 1; fi
