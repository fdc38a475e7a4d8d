#!/usr/bin/env bash
# scripts/systemd-test.sh DEB: the packaged agent under a real systemd.
#
# package-test.sh checks the units offline (systemd-analyze verify and
# security); this boots them. A minimal Debian 12 root file system
# (debootstrap) gets the .deb through apt, so its Depends must pull in
# everything the binary needs, and boots with systemd as PID 1 in a
# systemd-nspawn container that shares the host's network. MariaDB, Redis
# and fauxqs run on the host's 127.0.0.1 (tests/lib/harness.sh); the agent
# reaches them from inside the container, under every restriction its unit
# file sets (seccomp filter, read-only system, no capabilities,
# MemoryDenyWriteExecute, ProtectProc). Prints TAP:
#
#   - cachewarden.service comes up (Type=notify: READY=1 reached systemd),
#     runs as the cachewarden user, answers /health and /metrics;
#   - an empty Redis at start, then one flushed behind its back: the agent
#     rebuilds on its own; POST /admin/rebuild-cache rebuilds on request;
#   - systemctl reload (SIGHUP) keeps it running; the watchdog is armed;
#   - cachewarden-verify.service, the timer's one-shot, verifies an export;
#     cachewarden-warm.service, the restore hook, rebuilds beside the agent;
#   - the warm, restore and verify reports reach SNS, through the HTTP
#     helper child the agent starts inside the sandbox;
#   - the journal at warning level and above holds the two losses and
#     nothing else (a syscall the filter refuses, a path the sandbox hides,
#     would show there), so the agent's priorities reach journald;
#   - systemctl stop ends it cleanly within TimeoutStopSec.
#
# Needs root, debootstrap and systemd-container (systemd-nspawn), and the
# Debian archive reachable (scripts/install-deps.sh does not install these:
# this is a by-hand check, not part of `make check`). ROOTFS_CACHE=DIR keeps
# the debootstrapped base there and copies it for each run (about 1 minute
# saved). The container is stopped, and its root removed, at exit.
# shellcheck disable=SC2317,SC2119 # functions run through `ok`; starters take optional arguments
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(dirname "$here")
deb=$(realpath "${1:?usage: scripts/systemd-test.sh DEB}")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# shellcheck source=tests/lib/tap.sh
. "$srcdir/tests/lib/tap.sh"
# shellcheck source=tests/lib/harness.sh
. "$srcdir/tests/lib/harness.sh"

[[ $(id -u) == 0 ]] || tap_skip_all "needs root (debootstrap, systemd-nspawn)"
command -v debootstrap >/dev/null || tap_skip_all "debootstrap missing: apt-get install debootstrap"
command -v systemd-nspawn >/dev/null ||
	tap_skip_all "systemd-nspawn missing: apt-get install systemd-container"
harness_require mariadbd mariadb-install-db mariadb redis-server redis-cli node python3 curl
harness_have_fauxqs || tap_skip_all "fauxqs missing: run scripts/install-deps.sh"

tap_plan 24
harness_init

# ---- the root file system, and the package installed by apt ----------------------------
root=$(mktemp -d /var/tmp/cachewarden-systemd.XXXXXX)
nspawn=
# The container first (a clean poweroff takes longer than the harness's
# 15 s for a server), then its root: removed under a running systemd, the
# shutdown would hang.
container_cleanup() {
	[[ -n $nspawn ]] && harness_stop_pid "$nspawn" 60
	rm -rf -- "$root"
}
harness_on_exit container_cleanup
base_debootstrap() {
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus \
		bookworm "$1" "$mirror" >"$HARNESS_DIR/debootstrap.log" 2>&1 ||
		{
			tail -n 20 "$HARNESS_DIR/debootstrap.log" >&2
			return 1
		}
}
if [[ -n ${ROOTFS_CACHE:-} ]]; then
	[[ -x $ROOTFS_CACHE/usr/lib/systemd/systemd ]] ||
		{ rm -rf -- "$ROOTFS_CACHE" && base_debootstrap "$ROOTFS_CACHE"; } ||
		tap_bail "debootstrap failed"
	cp -a "$ROOTFS_CACHE/." "$root/"
else
	base_debootstrap "$root" || tap_bail "debootstrap failed"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/cachewarden.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
ok "apt installs the .deb and what its Depends name" \
	in_root sh -c 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends /tmp/cachewarden.deb >/tmp/apt.log 2>&1 ||
		{ tail -n 20 /tmp/apt.log; exit 1; }'

# ---- the servers, on the host's loopback ---------------------------------------------------
harness_start_mariadb || tap_bail "no MariaDB"
harness_seed_products 2000
harness_start_redis || tap_bail "no Redis"
harness_start_fauxqs || tap_bail "no fauxqs"
harness_sns_setup cw-systemd raw || tap_bail "no SNS topic"
admin=$(harness_free_port)

# ---- the site's configuration, as an operator would write it -------------------------------
install -m 0600 "$MYSQL_PASSWORD_FILE" "$root/etc/cachewarden/mysql.password"
token=systemd-test-$RANDOM$RANDOM
(umask 077 && printf '%s\n' "$token" >"$root/etc/cachewarden/admin.token")
mkdir -p "$root/var/lib/cachewarden/.aws" "$root/var/backups/exports"
printf '[default]\naws_access_key_id = AKIDSYSTEMD\naws_secret_access_key = secret\n' \
	>"$root/var/lib/cachewarden/.aws/credentials"
chmod 0700 "$root/var/lib/cachewarden/.aws"
chmod 0600 "$root/var/lib/cachewarden/.aws/credentials"
seq 1 50000 | gzip -c >"$root/var/backups/exports/nightly.csv.gz"
cat >"$root/etc/cachewarden/agent.conf" <<CONF
[agent]
name = systemd-test
health_interval = 5s
[admin]
listen = 127.0.0.1:$admin
token_file = /etc/cachewarden/admin.token
[mysql]
host = 127.0.0.1
port = $MYSQL_PORT
user = cw
password_file = /etc/cachewarden/mysql.password
database = market_db
[redis]
host = 127.0.0.1
port = $REDIS_PORT
[warm]
workers = 2
restore_poll = 1s
[dataset products]
table = products
key_column = id
columns = id, sku, name, price, stock
key = product:{id}
type = hash
[verify]
schedule = daily 03:30
[exports nightly]
path = /var/backups/exports/*.gz
max_age = 26h
[sns]
topic_arn = $SNS_TOPIC_ARN
endpoint = $SNS_ENDPOINT
credentials = file
CONF
in_root chown -R cachewarden:cachewarden /etc/cachewarden/mysql.password \
	/etc/cachewarden/admin.token \
	/var/lib/cachewarden/.aws /var/backups/exports

# ---- boot ------------------------------------------------------------------------------------
# --register=no: no machined on the host; the host's network, so that
# 127.0.0.1 is the same inside and out.
systemd-nspawn --quiet --register=no --keep-unit -D "$root" -b --console=pipe \
	>"$HARNESS_DIR/boot.log" 2>&1 </dev/null &
nspawn=$!
_harness_track "$nspawn" systemd-nspawn
init_pid() { awk '{ print $1 }' "/proc/$nspawn/task/$nspawn/children" 2>/dev/null; }
ns() { nsenter -t "$(init_pid)" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
booted() {
	local s
	[[ -n $(init_pid) ]] || return 1
	s=$(ns systemctl is-system-running 2>/dev/null) || true
	[[ $s == running || $s == degraded ]]
}
harness_wait_for 90 "$nspawn" booted || {
	tail -n 30 "$HARNESS_DIR/boot.log" >&2
	tap_bail "the container did not boot"
}

# The package enabled the service but did not start it (agent.conf needs
# the site's values): the operator starts it once the file is written.
ok "systemctl start cachewarden (Type=notify: READY=1 arrived)" ns systemctl start cachewarden
is "$(ns systemctl show -p ActiveState --value cachewarden):$(ns systemctl show -p SubState --value cachewarden):$(ns stat -c %U "/proc/$(ns systemctl show -p MainPID --value cachewarden)")" \
	"active:running:cachewarden" "active, running as the cachewarden user"
adminurl=http://127.0.0.1:$admin
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$adminurl/health") == 200 ]]; }
ok "GET /health answers 200 from the host" harness_wait_for 30 "" healthy
like "$(curl -s "$adminurl/metrics")" "cachewarden_" "GET /metrics: Prometheus text"
is "$(ns systemctl show -p WatchdogUSec --value cachewarden)" 30s "the watchdog is armed (WatchdogSec=30s)"

# ---- rebuilds: on its own at start, on request, after a flush -----------------------------------
# The agent keeps a few keys of its own (generation marker, lease) beside the rows.
products() { harness_redis_cli --scan --pattern 'product:*' | wc -l; }
full() { [[ $(products) == 2000 ]]; }
# The keys are in before a run ends (read-back, generation marker): wait for
# the agent to be idle before the next step, or a flush would cut a run short.
warm_idle() { [[ $(curl -s "$adminurl/status") != *'"warm":{'* ]]; }
journal_has() { ns journalctl -q -o cat -u cachewarden | grep -q -- "$1"; }
ok "Redis empty at start, no generation marker: the agent fills it on its own" \
	harness_wait_for 60 "" full
ok "... and the rebuild ends" harness_wait_for 30 "" warm_idle
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	"$adminurl/admin/rebuild-cache")" 202 "POST /admin/rebuild-cache with the token: 202"
ok "... the requested rebuild runs to exit 0" harness_wait_for 60 "" journal_has '(admin): exit 0'
ok "... and ends" harness_wait_for 30 "" warm_idle
is "$(products):$(harness_redis_cli HGET product:1234 sku)" 2000:SKU-00001234 \
	"2000 products; product:1234 is the row's hash"
harness_redis_cli FLUSHALL >/dev/null
ok "after FLUSHALL the agent rebuilds on its own" harness_wait_for 90 "" full
ok "... and ends" harness_wait_for 30 "" warm_idle

# ---- reload, the nightly one-shot, the journal, stop -------------------------------------------
pid_before=$(ns systemctl show -p MainPID --value cachewarden)
ok "systemctl reload (ExecReload: /bin/kill -HUP)" ns systemctl reload cachewarden
ok "... still healthy" harness_wait_for 15 "" healthy
is "$(ns systemctl show -p MainPID --value cachewarden)" "$pid_before" "... in the same process"
ok "cachewarden-verify.service runs to success" ns systemctl start cachewarden-verify.service
# The restore-automation hook, beside the running agent: warm --resume.
ok "cachewarden-warm.service runs to success" ns systemctl start cachewarden-warm.service
# What reached SNS, read by kind: every report went out through the
# http-helper child, started under the unit's sandbox.
AWS_ACCESS_KEY_ID=AKIDSYSTEMD python3 "$srcdir/tests/lib/sqs_kinds.py" "$SNS_ENDPOINT" \
	"$SQS_QUEUE_URL" 60 "warm ok" "restore detected lost" "verify ok" >"$HARNESS_DIR/kinds" || true
kinds=$(cat "$HARNESS_DIR/kinds")
like "$kinds" "warm ok" "SNS got the warm reports"
like "$kinds" "restore detected lost" "SNS got the restore report"
like "$kinds" "verify ok" "SNS got the verify report"
# The agent marks each line with its priority for journald, so -p filters:
# at warning and above there are the empty Redis at start and the flush,
# and nothing else.
warnings=$(ns journalctl -q -o cat -p warning -u cachewarden -u cachewarden-verify 2>&1 || true)
lost="warn: restore: dataset products: no generation marker: the cache was lost or flushed (rebuilding)"
is "$warnings" "$lost"$'\n'"$lost" \
	"journalctl -p warning: the two losses, and no other warning or error in either unit"
ns systemctl stop cachewarden
is "$(ns systemctl show -p ActiveState --value cachewarden):$(ns systemctl show -p Result --value cachewarden)" \
	"inactive:success" "systemctl stop: inactive, result success"
ns journalctl -q -o short-precise -u cachewarden -u cachewarden-verify >"$HARNESS_DIR/journal.log" 2>&1 || true
[[ ${HARNESS_KEEP:-0} == 1 ]] && diag "journal: $HARNESS_DIR/journal.log"
tap_done
