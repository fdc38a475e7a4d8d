#!/usr/bin/env bash
# check-config and the command line: every config error as file:line, exit
# codes, secret files refused, the annotated agent.conf accepted.
set -euo pipefail
. "${srcdir:-.}/tests/lib/tap.sh"
bin=$(realpath "${CACHEWARDEN:-./cachewarden}")
data=${srcdir:-.}/tests/data/conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tap_plan 25

out=$(cd "$data" && "$bin" -c bad.conf check-config 2>&1) && rc=0 || rc=$?
is "$rc" 78 "bad config exits 78 (EX_CONFIG)"
is "$(printf '%s\n' "$out" | grep -v '^cachewarden: ')" "$(cat "$data/bad.expected")" \
	"every error is reported, each as file:line: message"
like "$out" "cachewarden: 17 errors in the configuration" "the errors are counted"

out=$("$bin" -c "${srcdir:-.}/agent.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the annotated agent.conf passes check-config"
like "$out" "agent.conf: ok \(1 dataset, 1 export set, 1 snapshot set\)" "check-config says what it found"

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

# [snapshots NAME]: what AWS would reject is refused here, each at its line.
printf '[snapshots a]\nservice = dynamodb\nsource = t\n\n[snapshots b]\nservice = rds\nsource = 9-db\nregion = eu-westish-1\n\n[snapshots c]\nservice = elasticache\nsource = sessions\nregion = moon-1\n' >"$tmp/snap.conf"
out=$("$bin" -c "$tmp/snap.conf" check-config 2>&1) && rc=0 || rc=$?
is "$rc" 78 "bad [snapshots] sections exit 78"
like "$out" "snap.conf:2: service: 'dynamodb' is not one of rds\|elasticache\|backup" "an unknown service, at its line"
like "$out" "snap.conf:7: source: '9-db' is not a valid DB instance or cluster identifier.*snap.conf:8: region: 'eu-westish-1' is not an AWS region" \
	"an identifier AWS would reject, and a region that is not one"
like "$out" "snap.conf:13: region: 'moon-1' is not an AWS region" "each one reported"
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
like "$out" $'^cachewarden [0-9]+\\.[0-9]+\\.[0-9]+\nzstd checks: (libzstd [0-9.]+|not built in \\(zstd exports are UNCHECKED\\))$' \
	"version, and what the build can check (zstd)"
out=$("$bin" help config)
like "$out" "password_file +secret file" "help config lists the key table"
out=$("$bin" help)
like "$out" "check-config +validate the configuration" "help lists the commands"
tap_done
