#!/usr/bin/env bash
# check-config and the command line: every config error as file:line, exit
# codes, secret files refused, the annotated agent.conf accepted.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
bin=$(realpath "${CACHEWARDEN:-./cachewarden}")
data=${srcdir:-.}/tests/data/conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_plan 21

out=$(cd "$data" && "$bin" -c bad.conf check-config 2>&1) && rc=0 || rc=$?
is "$rc" 78 "bad config exits 78 (EX_CONFIG)"
is "$(printf '%s\n' "$out" | grep -v '^cachewarden: ')" "$(cat "$data/bad.expected")" \
	"every error is reported, each as file:line: message"
like "$out" "cachewarden: 19 errors in the configuration" "the errors are counted"

out=$("$bin" -c "${srcdir:-.}/agent.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the annotated agent.conf passes check-config"
like "$out" "agent.conf: ok \(1 dataset, 1 export set\)" "check-config says what it found"

out=$(CACHEWARDEN_CONFIG="$data/minimal.conf" "$bin" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 0 "CACHEWARDEN_CONFIG names the file"

out=$("$bin" -c "$tmp/none.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 78 "a missing config file exits 78"
like "$out" "none.conf: cannot open: No such file or directory" "and says why"

printf 'hunter2\n' >"$tmp/pw"
chmod 644 "$tmp/pw"
printf '[mysql]\npassword_file = %s\n' "$tmp/pw" >"$tmp/s.conf"
out=$("$bin" -c "$tmp/s.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 78 "a secret file readable by others is refused"
like "$out" "s.conf:2: password_file: secret file .*/pw is readable by group or others \(mode 0644\): chmod 600 it" \
	"with a clear message"
unlike "$out" "hunter2" "the secret itself never appears"

# Weak transports to other hosts: valid, but warned about.
printf '[mysql]\nhost = db.example.internal\ntls = preferred\n[redis]\nhost = 10.0.0.7\n' >"$tmp/w.conf"
out=$("$bin" -c "$tmp/w.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 0 "weak transports do not fail check-config"
like "$out" "w.conf: warning: mysql db.example.internal:3306: tls = preferred: the server's certificate is not verified" \
	"MySQL TLS without verification is warned about"
like "$out" "w.conf: warning: redis 10.0.0.7:6379: tls = off: the connection .* is unencrypted" \
	"plain Redis to another host is warned about"
printf '[mysql]\nhost = db.example.internal\ntls = disabled\n[redis]\nhost = 127.0.0.1\n' >"$tmp/w.conf"
out=$("$bin" -c "$tmp/w.conf" check-config 2>&1) && rc=0 || rc=$?
like "$out" "warning: mysql db.example.internal:3306: tls = disabled: the connection .* is unencrypted" \
	"MySQL without TLS is warned about"
unlike "$out" "warning: redis" "loopback Redis without TLS is not"

"$bin" nosuch >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "an unknown command exits 2"
out=$("$bin" report test 2>&1) && rc=0 || rc=$?
like "$rc:$out" "^(2:.*not built yet|78:.*)" "a command not built yet says so (or needs its config)"
out=$("$bin" version)
like "$out" "^cachewarden [0-9]+\.[0-9]+\.[0-9]+$" "version"
out=$("$bin" help config)
like "$out" "password_file +secret file" "help config lists the key table"
out=$("$bin" help)
like "$out" "check-config +validate the configuration" "help lists the commands"
tap_done
