#!/bin/sh
# Every key of the config table (cachewarden help config) is documented in the
# annotated agent.conf, in its section, and agent.conf names no other key.
set -u
bin=${CACHEWARDEN:-./cachewarden}
conf=${srcdir:-.}/agent.conf
keys=$("$bin" help config | awk '/^\[/ { s = $1; sub(/^\[/, "", s); sub(/\]$/, "", s) }
                                  /^  [a-z_]+ / { print s "." $1 }')
documented=$(awk '/^\[/ { s = $1; sub(/^\[/, "", s); sub(/\]$/, "", s) }
                  /^#?[a-z_]+ *=/ { k = $0; sub(/^#/, "", k); sub(/ *=.*/, "", k); print s "." k }' "$conf" | sort -u)
n=0; fail=0
echo "1..2"
missing=""
for k in $keys; do
	n=$((n + 1))
	echo "$documented" | grep -qx "$k" || missing="$missing $k"
done
if [ -z "$missing" ]; then echo "ok 1 - all $n table keys are documented in agent.conf"
else echo "not ok 1 - keys missing from agent.conf:$missing"; fail=1; fi
extra=""
for k in $documented; do
	echo "$keys" | grep -qx "$k" || extra="$extra $k"
done
if [ -z "$extra" ]; then echo "ok 2 - agent.conf names no key outside the table"
else echo "not ok 2 - agent.conf keys unknown to the table:$extra"; fail=1; fi
exit $fail
