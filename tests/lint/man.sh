#!/bin/sh
# The man pages: cachewarden(8) describes every command of the command table,
# and both pages (agent.conf(5) as the build generated it) format without
# warnings, as lintian's check does.
set -u
bin=${CACHEWARDEN:-./cachewarden}
src=${srcdir:-.}
page8=$src/doc/cachewarden.8
page5=${builddir:-.}/doc/agent.conf.5
echo "1..3"
fail=0
commands=$("$bin" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
missing=""
n=0
for c in $commands; do
	n=$((n + 1))
	# Each command is the first word of a .B or .BR line right after .TP.
	awk -v c="$c" 'prev == ".TP" && ($1 == ".B" || $1 == ".BR") {
			w = $2; gsub(/"/, "", w); gsub(/\\-/, "-", w); if (w == c) found = 1 }
		{ prev = $0 } END { exit !found }' "$page8" || missing="$missing $c"
done
if [ "$n" -gt 5 ] && [ -z "$missing" ]; then echo "ok 1 - cachewarden(8) describes all $n commands"
else echo "not ok 1 - cachewarden(8) lacks commands:$missing (of $n)"; fail=1; fi
for page in "$page8" "$page5"; do
	if ! command -v man >/dev/null 2>&1; then
		echo "ok # SKIP man (man-db) is not installed"
		continue
	fi
	warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	if [ -f "$page" ] && [ -z "$warnings" ]; then echo "ok - $(basename "$page") formats without warnings"
	else echo "not ok - $(basename "$page"): ${warnings:-missing}"; fail=1; fi
done
exit $fail
