# shellcheck shell=bash
# tests/lib/harness.sh: real MariaDB, Redis and SNS/SQS (fauxqs) servers on
# 127.0.0.1 for cachewarden's integration tests. Source it from bash:
#
#   . "${srcdir:-.}/tests/lib/tap.sh"
#   . "${srcdir:-.}/tests/lib/harness.sh"
#   harness_init                 # temp dir + cleanup trap; sets HARNESS_DIR
#   harness_start_mariadb        # MYSQL_PORT MYSQL_SOCKET MYSQL_USER ...
#   harness_start_redis          # REDIS_PORT REDIS_PID REDIS_DIR
#   harness_start_fauxqs         # SNS_ENDPOINT FAUXQS_PID
#   harness_write_conf "$HARNESS_DIR/agent.conf" <<'EOF'
#   [sns]
#   ...
#   EOF
#
# Every server listens on 127.0.0.1 only, every wait is bounded, and the
# EXIT/INT/TERM/HUP trap stops every server this shell started (TERM, a
# bounded wait, then KILL) and removes HARNESS_DIR (kept if HARNESS_KEEP=1).
# A watchdog also stops them if this shell dies without running its trap
# (SIGKILL), or after HARNESS_MAX_LIFETIME seconds (default 1800).
#
# Knobs (environment):
#   HARNESS_KEEP=1             keep HARNESS_DIR (logs, data) after the test
#   HARNESS_TIMEOUT=30         seconds to wait for a server to answer
#   HARNESS_MAX_LIFETIME=1800  watchdog limit for the servers of one test
#   CI=true                    a missing server program fails the test
#                              (harness_require) instead of skipping it
#
# Messages go to stderr so they never disturb the TAP stream on stdout.
# The harness installs its own traps: a test that needs its own cleanup
# registers it with harness_on_exit 'command' instead of calling trap.

HARNESS_DIR=
HARNESS_ROOT=$(cd "${srcdir:-.}" && pwd)
HARNESS_TIMEOUT=${HARNESS_TIMEOUT:-30}
HARNESS_MAX_LIFETIME=${HARNESS_MAX_LIFETIME:-1800}
HARNESS_EXIT_HOOKS=()
HARNESS_REDIS_ARGS=()
# Extra redis-cli arguments (e.g. --tls --cacert FILE) used by the readiness
# check and harness_redis_cli; set before harness_start_redis when needed.
declare -p HARNESS_REDIS_CLI_ARGS >/dev/null 2>&1 || HARNESS_REDIS_CLI_ARGS=()
_HARNESS_CLEANED=
_HARNESS_WATCHDOG=
_HARNESS_SHELL_PID=

_harness_log() { printf 'harness: %s\n' "$*" >&2; }
_harness_die() {
	_harness_log "error: $*"
	return 1
}

# Fractional sleeps are GNU coreutils; fall back to whole seconds elsewhere.
_harness_nap() { sleep "${1:-0.1}" 2>/dev/null || sleep 1; }

# harness_require CMD...: skip the whole test (TAP 1..0 # SKIP) when a program
# is missing; with CI=true, bail out instead, so CI cannot pass by skipping.
harness_require() {
	local c missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || _harness_find_sbin "$c" >/dev/null || missing+=("$c")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	if [[ ${CI:-} == true ]]; then
		printf 'Bail out! missing programs: %s (run scripts/install-deps.sh)\n' "${missing[*]}"
		exit 1
	fi
	printf '1..0 # SKIP missing programs: %s (run scripts/install-deps.sh)\n' "${missing[*]}"
	exit 0
}

# Programs in /usr/sbin are not on a normal user's PATH on Debian.
_harness_find_sbin() {
	local c
	c=$(command -v "$1" 2>/dev/null) && {
		printf '%s\n' "$c"
		return 0
	}
	for c in "/usr/sbin/$1" "/usr/local/sbin/$1" "/sbin/$1"; do
		if [[ -x $c ]]; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	return 1
}

# ---- lifecycle ---------------------------------------------------------------

# harness_init: temp dir, traps, watchdog. Sets and exports HARNESS_DIR.
# Clears server variables inherited from an outer environment, so set a
# preset REDIS_PORT after harness_init, not before.
harness_init() {
	if [[ -n $HARNESS_DIR ]]; then
		_harness_die "harness_init called twice"
		return 1
	fi
	# MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_UNIX_PORT and MYSQL_PWD are read by
	# the MariaDB client and library themselves: none may leak in.
	unset MYSQL_PORT MYSQL_SOCKET MYSQL_USER MYSQL_PASSWORD_FILE MYSQL_PID \
		MYSQL_DATABASE MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MYSQL_PWD \
		REDIS_PORT REDIS_PID REDIS_DIR SNS_ENDPOINT FAUXQS_PID FAUXQS_PORT
	HARNESS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cachewarden-test.XXXXXX") ||
		{
			_harness_die "mktemp failed"
			return 1
		}
	chmod 700 "$HARNESS_DIR"
	export HARNESS_DIR
	: >"$HARNESS_DIR/pids"
	_HARNESS_SHELL_PID=${BASHPID:-$$}
	trap '_harness_cleanup' EXIT
	trap '_harness_signal INT 130' INT
	trap '_harness_signal TERM 143' TERM
	trap '_harness_signal HUP 129' HUP
	_harness_start_watchdog
}

# harness_on_exit 'CMD': run CMD (eval) at exit, before the servers stop.
harness_on_exit() { HARNESS_EXIT_HOOKS+=("$1"); }

_harness_signal() {
	_harness_log "caught SIG$1, stopping servers"
	_harness_cleanup
	trap - "$1" EXIT
	exit "$2"
}

_harness_cleanup() {
	local rc=$? h
	[[ -n $_HARNESS_CLEANED ]] && return "$rc"
	# Only the shell that ran harness_init cleans up, not its subshells.
	[[ ${BASHPID:-$$} == "$_HARNESS_SHELL_PID" ]] || return "$rc"
	_HARNESS_CLEANED=1
	set +e
	for h in ${HARNESS_EXIT_HOOKS[@]+"${HARNESS_EXIT_HOOKS[@]}"}; do
		eval "$h"
	done
	harness_stop_all
	if [[ -n $_HARNESS_WATCHDOG ]]; then
		kill -TERM "$_HARNESS_WATCHDOG" 2>/dev/null
		wait "$_HARNESS_WATCHDOG" 2>/dev/null
	fi
	if [[ -n $HARNESS_DIR && -d $HARNESS_DIR ]]; then
		if [[ ${HARNESS_KEEP:-0} == 1 ]]; then
			_harness_log "kept $HARNESS_DIR"
		else
			rm -rf -- "$HARNESS_DIR"
		fi
	fi
	[[ -n ${_HARNESS_SOCKDIR:-} ]] && rm -rf -- "$_HARNESS_SOCKDIR"
	return "$rc"
}

# The watchdog stops the servers if this shell disappears without cleaning
# up (SIGKILL), and bounds their life in any case. It checks each PID's
# command name first, so a recycled PID is never hit.
_harness_start_watchdog() {
	local parent=$_HARNESS_SHELL_PID lifetime=$HARNESS_MAX_LIFETIME pidfile=$HARNESS_DIR/pids
	(
		trap - EXIT INT TERM HUP
		set +e
		exec </dev/null >/dev/null 2>&1
		# signal_ours SIG: send SIG to every tracked server still running
		# under its own name; succeed if at least one was.
		signal_ours() {
			local pid name comm st found=1
			[[ -r $pidfile ]] || return 1
			while read -r pid name _; do
				[[ -n $pid ]] || continue
				comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
				[[ $comm == "$name" ]] || continue
				st=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
				st=${st##*) }
				[[ ${st%% *} != Z ]] || continue
				found=0
				[[ $1 == 0 ]] || kill "-$1" "$pid" 2>/dev/null
			done <"$pidfile"
			return "$found"
		}
		end=$((SECONDS + lifetime))
		while kill -0 "$parent" 2>/dev/null && ((SECONDS < end)); do
			sleep 1
		done
		if signal_ours TERM; then
			for _ in $(seq 100); do
				signal_ours 0 || break
				sleep 0.1 2>/dev/null || sleep 1
			done
			signal_ours KILL || true
		fi
		# Nobody else will remove the temp dir of a shell that died.
		if ! kill -0 "$parent" 2>/dev/null && [[ ${HARNESS_KEEP:-0} != 1 ]]; then
			sleep 0.5 2>/dev/null || sleep 1
			rm -rf -- "${pidfile%/pids}"
		fi
	) &
	_HARNESS_WATCHDOG=$!
}

# _harness_track PID COMM: remember a server PID for cleanup and watchdog;
# COMM is the program's name as /proc/PID/comm will show it after exec.
_harness_track() {
	printf '%s %s\n' "$1" "$2" >>"$HARNESS_DIR/pids"
}

_harness_untrack() {
	local tmp=$HARNESS_DIR/pids.tmp
	awk -v p="$1" '$1 != p' "$HARNESS_DIR/pids" >"$tmp" && mv -f "$tmp" "$HARNESS_DIR/pids"
}

# Alive and not a zombie (a zombie still answers kill -0).
_harness_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	[[ ${st%% *} != Z ]]
}

# harness_stop_pid PID [TIMEOUT]: TERM, wait up to TIMEOUT s (default 15),
# then KILL and wait up to 5 s more. Reaps the child. 0 once it is gone.
harness_stop_pid() {
	local pid=$1 t=${2:-15} end
	[[ -n $pid ]] || return 0
	if _harness_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		end=$((SECONDS + t))
		while _harness_alive "$pid" && ((SECONDS < end)); do
			_harness_nap 0.05
		done
		if _harness_alive "$pid"; then
			_harness_log "pid $pid ignored TERM for ${t}s: KILL"
			kill -KILL "$pid" 2>/dev/null || true
			end=$((SECONDS + 5))
			while _harness_alive "$pid" && ((SECONDS < end)); do
				_harness_nap 0.05
			done
		fi
	fi
	wait "$pid" 2>/dev/null || true
	_harness_untrack "$pid" || true
	! _harness_alive "$pid"
}

# harness_stop_all: stop every tracked server, newest first.
harness_stop_all() {
	local pids=() pid i
	[[ -n $HARNESS_DIR && -r $HARNESS_DIR/pids ]] || return 0
	while read -r pid _; do
		[[ -n $pid ]] && pids+=("$pid")
	done <"$HARNESS_DIR/pids"
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		harness_stop_pid "${pids[i]}" || true
	done
	return 0
}

# harness_pids: the tracked server PIDs, one per line.
harness_pids() {
	[[ -r $HARNESS_DIR/pids ]] && awk '{ print $1 }' "$HARNESS_DIR/pids"
	return 0
}

# harness_wait_for TIMEOUT PID CMD...: poll CMD until it succeeds, at most
# TIMEOUT seconds; give up early when PID (if not empty) has died.
harness_wait_for() {
	local t=$1 pid=$2 end
	shift 2
	end=$((SECONDS + t))
	while ((SECONDS <= end)); do
		"$@" >/dev/null 2>&1 && return 0
		if [[ -n $pid ]] && ! _harness_alive "$pid"; then
			return 2
		fi
		_harness_nap 0.05
	done
	return 1
}

# ---- ports -------------------------------------------------------------------

# harness_free_port: print a TCP port free on 127.0.0.1 right now. Another
# process may take it before the server binds: the starters retry.
harness_free_port() {
	local py port i
	py=$(command -v python3 2>/dev/null) || py=
	if [[ -n $py ]]; then
		"$py" - <<'PY' && return 0
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
	fi
	# No python3: random ports below the ephemeral range, checked with
	# /dev/tcp (a refused connect means nobody listens there).
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	_harness_die "no free port found"
}

_harness_tail_log() {
	[[ -r $1 ]] || return 0
	_harness_log "last lines of $1:"
	tail -n "${2:-20}" "$1" | sed 's/^/    /' >&2
}

# ---- MariaDB -----------------------------------------------------------------

# Extra mariadbd arguments for every harness_start_mariadb of this test.
declare -p HARNESS_MYSQL_ARGS >/dev/null 2>&1 || HARNESS_MYSQL_ARGS=()

# harness_start_mariadb [extra mariadbd args...]: a fresh MariaDB in
# $HARNESS_DIR/mysql with database market_db and user cw (random password,
# in $MYSQL_PASSWORD_FILE, mode 0600) for 127.0.0.1 and localhost.
# Exports MYSQL_PORT MYSQL_SOCKET MYSQL_USER MYSQL_PASSWORD_FILE
# MYSQL_DATABASE MYSQL_PID. A preset MYSQL_PORT is used as given.
harness_start_mariadb() {
	local d=$HARNESS_DIR/mysql install_db mariadbd sock me pass try preset=${MYSQL_PORT:-}
	local -a base
	[[ -n $HARNESS_DIR ]] || {
		_harness_die "harness_init first"
		return 1
	}
	install_db=$(_harness_find_sbin mariadb-install-db) ||
		install_db=$(_harness_find_sbin mysql_install_db) ||
		{
			_harness_die "mariadb-install-db not found (apt-get install mariadb-server)"
			return 1
		}
	mariadbd=$(_harness_find_sbin mariadbd) || mariadbd=$(_harness_find_sbin mysqld) ||
		{
			_harness_die "mariadbd not found (apt-get install mariadb-server)"
			return 1
		}
	me=$(id -un)
	mkdir -p "$d/tmp"
	# A Unix socket path must fit in sun_path (108 bytes).
	sock=$d/mysqld.sock
	if ((${#sock} > 100)); then
		_HARNESS_SOCKDIR=$(mktemp -d /tmp/cw-sock.XXXXXX)
		sock=$_HARNESS_SOCKDIR/mysqld.sock
	fi

	# Options for both the bootstrap and the server. --no-defaults must be
	# first: no /etc/mysql or ~/.my.cnf may leak in. Debian's own config
	# sets utf8mb4; the compiled-in default is latin1, so say it here.
	base=(--no-defaults --datadir="$d/data" --tmpdir="$d/tmp"
		--skip-name-resolve
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
		--innodb-log-file-size=64M)
	local -a as_user=()
	[[ $(id -u) -eq 0 ]] && as_user=(--user=root)

	# socket auth: the OS user running the tests is a passwordless MariaDB
	# superuser over the Unix socket (root@localhost when that is root).
	if ! "$install_db" "${base[@]}" "${as_user[@]}" \
		--auth-root-authentication-method=socket --auth-root-socket-user="$me" \
		--skip-test-db >"$d/install.log" 2>&1; then
		_harness_tail_log "$d/install.log"
		_harness_die "mariadb-install-db failed"
		return 1
	fi

	for try in 1 2 3; do
		MYSQL_PORT=${preset:-$(harness_free_port)}
		"$mariadbd" "${base[@]}" "${as_user[@]}" \
			--socket="$sock" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
			--pid-file="$d/mariadbd.pid" --log-error="$d/error.log" \
			--innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
			--innodb-doublewrite=0 --innodb-fast-shutdown=2 \
			--innodb-buffer-pool-dump-at-shutdown=0 --innodb-buffer-pool-load-at-startup=0 \
			--max-connections=200 --skip-log-bin \
			${HARNESS_MYSQL_ARGS[@]+"${HARNESS_MYSQL_ARGS[@]}"} "$@" \
			</dev/null >>"$d/stdout.log" 2>&1 &
		MYSQL_PID=$!
		_harness_track "$MYSQL_PID" mariadbd
		if harness_wait_for "$HARNESS_TIMEOUT" "$MYSQL_PID" \
			mariadb-admin --no-defaults --protocol=SOCKET --socket="$sock" -u "$me" \
			--connect-timeout=2 ping; then
			break
		fi
		harness_stop_pid "$MYSQL_PID" 5 || true
		if [[ -z $preset && $try -lt 3 ]] && grep -qi 'already in use' "$d/error.log" 2>/dev/null; then
			_harness_log "port $MYSQL_PORT taken, retrying"
			continue
		fi
		_harness_tail_log "$d/error.log"
		_harness_die "MariaDB did not answer within ${HARNESS_TIMEOUT}s"
		return 1
	done

	MYSQL_SOCKET=$sock
	MYSQL_USER=cw
	MYSQL_DATABASE=market_db
	MYSQL_PASSWORD_FILE=$HARNESS_DIR/mysql.pass
	export MYSQL_PORT MYSQL_SOCKET MYSQL_USER MYSQL_PASSWORD_FILE \
		MYSQL_DATABASE MYSQL_PID
	pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	(
		umask 077
		printf '%s\n' "$pass" >"$MYSQL_PASSWORD_FILE"
	)
	chmod 600 "$MYSQL_PASSWORD_FILE"
	if ! harness_mysql <<-SQL; then
		CREATE DATABASE IF NOT EXISTS market_db;
		CREATE OR REPLACE USER 'cw'@'127.0.0.1' IDENTIFIED BY '$pass';
		CREATE OR REPLACE USER 'cw'@'localhost' IDENTIFIED BY '$pass';
		GRANT ALL PRIVILEGES ON market_db.* TO 'cw'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON market_db.* TO 'cw'@'localhost';
	SQL
		_harness_die "creating market_db and user cw failed"
		return 1
	fi
	_harness_log "mariadb pid $MYSQL_PID on 127.0.0.1:$MYSQL_PORT"
}

# harness_mysql [mariadb args...]: the mariadb client as the MariaDB
# superuser over the Unix socket, e.g. harness_mysql market_db -e 'SELECT 1'
# or harness_mysql -N -B market_db -e '...' for bare values.
harness_mysql() {
	mariadb --no-defaults --protocol=SOCKET --socket="$MYSQL_SOCKET" -u "$(id -un)" "$@"
}

# harness_mysql_cw [mariadb args...]: the client as user cw over TCP with
# the password file (as the agent connects). The password is passed in
# MYSQL_PWD so it never shows in ps.
harness_mysql_cw() {
	local pw
	pw=$(head -n 1 "$MYSQL_PASSWORD_FILE") || return 1
	MYSQL_PWD=$pw mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" \
		-u "$MYSQL_USER" "$@"
}

# harness_stop_mariadb: stop the server and wait until it is gone.
harness_stop_mariadb() {
	[[ -n ${MYSQL_PID:-} ]] || return 0
	harness_stop_pid "$MYSQL_PID" 30
}

# harness_seed_products N: (re)create market_db.products and fill ids 1..N
# on the server side (Sequence engine), deterministically:
#   sku = SKU-%08d, name = 'Product <id>', price = 1 + (id*7919 % 100000)/100,
#   stock = id % 1000, updated_at = 2026-01-01 00:00:00 + (id % 31536000) s.
# A million rows take a few seconds.
harness_seed_products() {
	local n=${1:-}
	if [[ ! $n =~ ^[0-9]+$ ]]; then
		_harness_die "harness_seed_products: bad row count '$n'"
		return 1
	fi
	harness_mysql market_db <<-SQL
		DROP TABLE IF EXISTS products;
		CREATE TABLE products (
		  id BIGINT NOT NULL PRIMARY KEY,
		  sku VARCHAR(32) NOT NULL,
		  name VARCHAR(255) NOT NULL,
		  price DECIMAL(10,2) NOT NULL,
		  stock INT NOT NULL,
		  updated_at DATETIME NOT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
	SQL
	((n > 0)) || return 0
	harness_mysql market_db <<-SQL
		INSERT INTO products (id, sku, name, price, stock, updated_at)
		SELECT seq, CONCAT('SKU-', LPAD(seq, 8, '0')), CONCAT('Product ', seq),
		       ROUND(1 + (seq * 7919 % 100000) / 100, 2), seq % 1000,
		       TIMESTAMP'2026-01-01 00:00:00' + INTERVAL (seq % 31536000) SECOND
		FROM seq_1_to_$n;
	SQL
}

# ---- Redis -------------------------------------------------------------------

# harness_start_redis [extra redis-server args...]: redis-server on
# 127.0.0.1 (daemonize no, no persistence unless the extra args say so,
# e.g. --appendonly yes; later args win). A preset REDIS_PORT is used as
# given. Exports REDIS_PORT REDIS_PID REDIS_DIR. For TLS, pass e.g.
#   --port 0 --tls-port "$REDIS_PORT" --tls-cert-file ... and set
#   HARNESS_REDIS_CLI_ARGS=(--tls --cacert ca.pem) first.
harness_start_redis() {
	local try preset=${REDIS_PORT:-}
	[[ -n $HARNESS_DIR ]] || {
		_harness_die "harness_init first"
		return 1
	}
	command -v redis-server >/dev/null || {
		_harness_die "redis-server not found (apt-get install redis-server)"
		return 1
	}
	REDIS_DIR=$HARNESS_DIR/redis
	mkdir -p "$REDIS_DIR"
	HARNESS_REDIS_ARGS=("$@")
	for try in 1 2 3; do
		REDIS_PORT=${preset:-$(harness_free_port)}
		export REDIS_PORT REDIS_DIR
		if _harness_launch_redis; then
			return 0
		fi
		if [[ -z $preset && $try -lt 3 ]] && grep -qi 'address already in use' "$REDIS_DIR/redis.log" 2>/dev/null; then
			_harness_log "port $REDIS_PORT taken, retrying"
			continue
		fi
		return 1
	done
}

_harness_launch_redis() {
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
		--dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --daemonize no \
		--save '' --appendonly no \
		${HARNESS_REDIS_ARGS[@]+"${HARNESS_REDIS_ARGS[@]}"} \
		</dev/null >>"$REDIS_DIR/stdout.log" 2>&1 &
	REDIS_PID=$!
	export REDIS_PID
	_harness_track "$REDIS_PID" redis-server
	if harness_wait_for "$HARNESS_TIMEOUT" "$REDIS_PID" _harness_redis_pong; then
		_harness_log "redis pid $REDIS_PID on 127.0.0.1:$REDIS_PORT"
		return 0
	fi
	harness_stop_pid "$REDIS_PID" 5 || true
	_harness_tail_log "$REDIS_DIR/redis.log"
	_harness_tail_log "$REDIS_DIR/stdout.log" 5
	_harness_die "redis did not answer PING within ${HARNESS_TIMEOUT}s"
}

_harness_redis_pong() {
	[[ $(harness_redis_cli PING 2>/dev/null) == PONG ]]
}

# harness_redis_cli ARGS...: redis-cli against the harness's Redis.
harness_redis_cli() {
	redis-cli -h 127.0.0.1 -p "$REDIS_PORT" \
		${HARNESS_REDIS_CLI_ARGS[@]+"${HARNESS_REDIS_CLI_ARGS[@]}"} "$@"
}

# harness_stop_redis: stop Redis by PID and wait until it is gone.
harness_stop_redis() {
	[[ -n ${REDIS_PID:-} ]] || return 0
	harness_stop_pid "$REDIS_PID" 15
}

# harness_restart_redis: stop, then start again on the same port with the
# same arguments and dir (an empty cache unless persistence was enabled).
harness_restart_redis() {
	[[ -n ${REDIS_PORT:-} ]] || {
		_harness_die "harness_start_redis first"
		return 1
	}
	harness_stop_redis || return 1
	_harness_launch_redis
}

# ---- SNS/SQS emulator (fauxqs) -----------------------------------------------

# fauxqs is installed by `npm ci` in tests/sns (scripts/install-deps.sh).
# CW_NODE_MODULES names another node_modules holding it: `make distcheck`
# tests an unpacked tarball, which carries no node_modules of its own.
_harness_node_modules() {
	printf '%s\n' "${CW_NODE_MODULES:-$HARNESS_ROOT/tests/sns/node_modules}"
}
harness_have_fauxqs() {
	command -v node >/dev/null 2>&1 && [[ -f $(_harness_node_modules)/fauxqs/package.json ]]
}

# harness_start_fauxqs: the emulator on 127.0.0.1 (port: a preset
# FAUXQS_PORT, else one the kernel picks). Exports SNS_ENDPOINT
# (http://127.0.0.1:PORT, for both SNS and SQS), FAUXQS_PORT, FAUXQS_PID,
# SNS_REGION (default us-east-1) and fake AWS credentials, so that nothing
# in a test can ever sign with real ones.
harness_start_fauxqs() {
	local log=$HARNESS_DIR/fauxqs.log script line end
	[[ -n $HARNESS_DIR ]] || {
		_harness_die "harness_init first"
		return 1
	}
	script=$HARNESS_ROOT/tests/sns/fauxqs-server.js
	if ! harness_have_fauxqs; then
		_harness_die "fauxqs missing: run 'npm ci' in $HARNESS_ROOT/tests/sns (scripts/install-deps.sh)"
		return 1
	fi
	if [[ ! -d $HARNESS_ROOT/tests/sns/node_modules ]]; then
		# ES modules resolve from the script's own directory: give it one.
		mkdir -p "$HARNESS_DIR/sns"
		cp "$script" "$HARNESS_ROOT/tests/sns/package.json" "$HARNESS_DIR/sns/"
		ln -sfn "$(_harness_node_modules)" "$HARNESS_DIR/sns/node_modules"
		script=$HARNESS_DIR/sns/fauxqs-server.js
	fi
	: >"$log"
	FAUXQS_LOGGER=${FAUXQS_LOGGER:-false} node "$script" "${FAUXQS_PORT:-0}" </dev/null >>"$log" 2>&1 &
	FAUXQS_PID=$!
	_harness_track "$FAUXQS_PID" node
	end=$((SECONDS + HARNESS_TIMEOUT))
	line=
	while ((SECONDS <= end)); do
		line=$(grep -m1 '^fauxqs ready http://127\.0\.0\.1:[0-9]*$' "$log" 2>/dev/null) && break
		line=
		_harness_alive "$FAUXQS_PID" || break
		_harness_nap 0.05
	done
	if [[ -z $line ]]; then
		harness_stop_pid "$FAUXQS_PID" 5 || true
		_harness_tail_log "$log"
		_harness_die "fauxqs did not start within ${HARNESS_TIMEOUT}s"
		return 1
	fi
	SNS_ENDPOINT=${line#fauxqs ready }
	FAUXQS_PORT=${SNS_ENDPOINT##*:}
	SNS_REGION=${SNS_REGION:-us-east-1}
	AWS_ACCESS_KEY_ID=AKIDCACHEWARDENTEST
	AWS_SECRET_ACCESS_KEY=cachewarden-test-secret-not-real
	unset AWS_SESSION_TOKEN AWS_PROFILE
	export SNS_ENDPOINT FAUXQS_PORT FAUXQS_PID SNS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	_harness_log "fauxqs pid $FAUXQS_PID at $SNS_ENDPOINT"
}

harness_stop_fauxqs() {
	[[ -n ${FAUXQS_PID:-} ]] || return 0
	harness_stop_pid "$FAUXQS_PID" 10
}

# fauxqs takes the region from the Authorization header's credential
# scope (it checks no signature); send one for SNS_REGION.
_harness_aws_auth() {
	printf 'Authorization: AWS4-HMAC-SHA256 Credential=%s/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0\n' \
		"${AWS_ACCESS_KEY_ID:-AKIDCACHEWARDENTEST}" "${SNS_REGION:-us-east-1}" "$1"
}

# harness_sns ACTION [name=value...]: an SNS query-protocol call; prints
# the XML answer, fails on an HTTP error.
harness_sns() {
	local action=$1 kv
	local -a form=(--data-urlencode "Action=$action")
	shift
	for kv in "$@"; do
		form+=(--data-urlencode "$kv")
	done
	curl -sS --fail-with-body --max-time 10 -X POST "$SNS_ENDPOINT/" \
		-H "$(_harness_aws_auth sns)" "${form[@]}"
}

# harness_sqs TARGET JSON: an SQS JSON-protocol call (X-Amz-Target
# AmazonSQS.TARGET); prints the JSON answer, fails on an HTTP error.
harness_sqs() {
	curl -sS --fail-with-body --max-time 30 -X POST "$SNS_ENDPOINT/" \
		-H "$(_harness_aws_auth sqs)" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H "X-Amz-Target: AmazonSQS.$1" --data-binary "$2"
}

# _harness_json EXPR: evaluate a Python expression on the JSON in stdin
# (bound to j); prints str results as they are.
_harness_json() {
	python3 -c '
import json, sys
j = json.load(sys.stdin)
r = eval(sys.argv[1])
if r is None:
    sys.exit(1)
sys.stdout.write(r if isinstance(r, str) else json.dumps(r))
sys.stdout.write("\n")
' "$1"
}

_harness_xml_tag() { sed -n "s:.*<$1>\\(.*\\)</$1>.*:\\1:p" | head -n 1; }

# harness_sns_create_topic NAME: prints the topic ARN.
harness_sns_create_topic() {
	harness_sns CreateTopic "Name=$1" | _harness_xml_tag TopicArn
}

# harness_sqs_create_queue NAME: prints the queue URL. fauxqs names it
# http://sqs.REGION.localhost:PORT/000000000000/NAME; the URL is only a key
# in later SQS calls (always sent to SNS_ENDPOINT), never resolved.
harness_sqs_create_queue() {
	harness_sqs CreateQueue "{\"QueueName\":\"$1\"}" | _harness_json 'j["QueueUrl"]'
}

# harness_sqs_queue_arn QUEUE_URL: prints the queue ARN.
harness_sqs_queue_arn() {
	harness_sqs GetQueueAttributes "{\"QueueUrl\":\"$1\",\"AttributeNames\":[\"QueueArn\"]}" |
		_harness_json 'j["Attributes"]["QueueArn"]'
}

# harness_sns_subscribe_queue TOPIC_ARN QUEUE_URL [raw]: subscribes the
# queue; prints the subscription ARN. Without 'raw' each SQS message body
# is the SNS JSON envelope ({"Type":"Notification","Message":...,
# "Subject":...,"TopicArn":...}); with 'raw' (RawMessageDelivery=true) the
# body is the published Message itself.
harness_sns_subscribe_queue() {
	local arn
	local -a attrs=()
	arn=$(harness_sqs_queue_arn "$2") || return 1
	if [[ ${3:-} == raw ]]; then
		attrs=(Attributes.entry.1.key=RawMessageDelivery Attributes.entry.1.value=true)
	fi
	harness_sns Subscribe "TopicArn=$1" Protocol=sqs "Endpoint=$arn" \
		${attrs[@]+"${attrs[@]}"} | _harness_xml_tag SubscriptionArn
}

# harness_sns_publish TOPIC_ARN MESSAGE [SUBJECT]: prints the MessageId.
harness_sns_publish() {
	local -a extra=()
	[[ -n ${3:-} ]] && extra=("Subject=$3")
	harness_sns Publish "TopicArn=$1" "Message=$2" ${extra[@]+"${extra[@]}"} |
		_harness_xml_tag MessageId
}

# harness_sns_setup NAME [raw]: topic NAME, queue NAME-inbox subscribed to
# it; exports SNS_TOPIC_ARN and SQS_QUEUE_URL.
harness_sns_setup() {
	SNS_TOPIC_ARN=$(harness_sns_create_topic "$1") && [[ -n $SNS_TOPIC_ARN ]] || return 1
	SQS_QUEUE_URL=$(harness_sqs_create_queue "$1-inbox") && [[ -n $SQS_QUEUE_URL ]] || return 1
	harness_sns_subscribe_queue "$SNS_TOPIC_ARN" "$SQS_QUEUE_URL" "${2:-}" >/dev/null || return 1
	export SNS_TOPIC_ARN SQS_QUEUE_URL
}

# harness_sqs_receive QUEUE_URL [WAIT_SECONDS(0-20)] [MAX(1-10)]: one
# ReceiveMessage call (long poll up to WAIT); prints the raw JSON answer.
harness_sqs_receive() {
	harness_sqs ReceiveMessage \
		"{\"QueueUrl\":\"$1\",\"WaitTimeSeconds\":${2:-0},\"MaxNumberOfMessages\":${3:-10},\"MessageSystemAttributeNames\":[\"All\"]}"
}

# harness_sqs_wait_body QUEUE_URL [TIMEOUT]: wait (at most TIMEOUT s,
# default 10) for one message, delete it and print its Body. Fails if none.
harness_sqs_wait_body() {
	local url=$1 t=${2:-10} end out body handle wait
	end=$((SECONDS + t))
	while ((SECONDS < end)); do
		wait=$((end - SECONDS))
		((wait > 20)) && wait=20
		((wait < 1)) && wait=1
		out=$(harness_sqs ReceiveMessage \
			"{\"QueueUrl\":\"$url\",\"WaitTimeSeconds\":$wait,\"MaxNumberOfMessages\":1}") || return 1
		body=$(_harness_json 'j["Messages"][0]["Body"] if j.get("Messages") else None' <<<"$out") || continue
		handle=$(_harness_json 'j["Messages"][0]["ReceiptHandle"]' <<<"$out")
		harness_sqs DeleteMessage "{\"QueueUrl\":\"$url\",\"ReceiptHandle\":\"$handle\"}" >/dev/null
		printf '%s\n' "$body"
		return 0
	done
	return 1
}

# harness_sns_field BODY FIELD: a field of an SNS envelope (Message,
# Subject, TopicArn, Type, MessageId, ...); fails if absent.
harness_sns_field() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1]).get(sys.argv[2])
if r is None:
    sys.exit(1)
print(r if isinstance(r, str) else json.dumps(r))
' "$1" "$2"
}

# ---- agent configuration -----------------------------------------------------

# harness_write_conf FILE: an agent.conf for the running servers, then
# whatever stdin holds, e.g. with a heredoc:
#   harness_write_conf "$HARNESS_DIR/agent.conf" <<EOF
#   [sns]
#   topic_arn = $SNS_TOPIC_ARN
#   EOF
# stdin is read only when it is not a terminal and has data (or EOF)
# within 2 s, so an idle inherited pipe cannot hang the test.
harness_write_conf() {
	local f=${1:?harness_write_conf FILE} n
	mkdir -p "$HARNESS_DIR/state"
	chmod 700 "$HARNESS_DIR/state"
	{
		printf '[agent]\nname = test-host\nstate_dir = %s\nlog_level = info\n\n' "$HARNESS_DIR/state"
		printf '[mysql]\nhost = 127.0.0.1\nport = %s\nuser = cw\npassword_file = %s\ndatabase = market_db\n\n' \
			"${MYSQL_PORT:-3306}" "${MYSQL_PASSWORD_FILE:-}"
		printf '[redis]\nhost = 127.0.0.1\nport = %s\n' "${REDIS_PORT:-6379}"
	} >"$f"
	[[ -t 0 ]] && return 0
	for ((n = 0; n < 40; n++)); do
		if read -r -t 0 2>/dev/null; then
			printf '\n' >>"$f"
			cat >>"$f" || true
			return 0
		fi
		_harness_nap 0.05
	done
	_harness_log "harness_write_conf: nothing on stdin, nothing appended"
}

# ---- test helpers -------------------------------------------------------------

# harness_make_certs DIR: a throwaway CA (ca.pem), a server certificate for
# 127.0.0.1 signed by it (server.pem, server.key), and an unrelated CA
# (other.pem) for negative tests.
harness_make_certs() {
	local d=${1:?harness_make_certs DIR}
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cw-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$d/server.key" \
			-out "$d/server.csr" 2>/dev/null &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') \
			-out "$d/server.pem" 2>/dev/null &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
			-keyout "$d/other.key" -out "$d/other.pem" 2>/dev/null ||
		_harness_die "harness_make_certs: openssl failed"
}

# harness_json EXPR < JSON: prints the Python expression EXPR of the document d.
harness_json() {
	python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
