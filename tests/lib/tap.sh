# shellcheck shell=bash
# tests/lib/tap.sh: tiny TAP producer for shell integration tests.
#
# Output is TAP 12/13 as read by automake's build-aux/tap-driver.sh.
# Source it from a bash test (set -euo pipefail is fine):
#
#   . "${srcdir:-.}/tests/lib/tap.sh"
#   tap_plan 4                       # optional: without it tap_done prints 1..N
#   ok "server answers" redis-cli ping      # run a command, pass if it exits 0
#   grep -q x f; ok_if $? "file has x"      # pass if the status is 0
#   is "$(cat f)" "x" "file is x"           # string equality
#   like "$out" '^PONG$' "got PONG"         # bash ERE (=~)
#   diag "anything"                         # a '# ' comment line
#   skip "no TLS" [COUNT]                   # COUNT 'ok N # SKIP' lines
#   tap_done                                # summary; exits 1 on failure
#
# Others: isnt GOT UNEXPECTED MSG, unlike GOT REGEX MSG, pass MSG, fail MSG,
# tap_skip_all REASON (whole test skipped, exit 0), tap_bail MSG (abort).
# Helpers never trip `set -e`: a failed check only counts as failed.

TAP_PLANNED=
TAP_COUNT=0
TAP_FAILED=0
TAP_PASSED=0
TAP_SKIPPED=0

# tap_plan N: announce N tests (once, before the first test).
tap_plan() {
	if [[ ! ${1-} =~ ^[0-9]+$ ]]; then
		tap_bail "tap_plan: bad count '${1-}'"
	fi
	if [[ -n $TAP_PLANNED ]]; then
		tap_bail "tap_plan: plan given twice"
	fi
	TAP_PLANNED=$1
	printf '1..%s\n' "$1"
}

# diag MSG...: diagnostics as TAP comments, one '# ' line per input line.
diag() {
	local line
	while IFS= read -r line || [[ -n $line ]]; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# _tap_result STATUS MSG: the one place that numbers and prints a result.
_tap_result() {
	local status=$1 msg=${2-}
	TAP_COUNT=$((TAP_COUNT + 1))
	# '#' would start a directive (SKIP/TODO) in the description: escape it.
	msg=${msg//\#/\\#}
	msg=${msg//$'\n'/ }
	if [[ $status -eq 0 ]]; then
		TAP_PASSED=$((TAP_PASSED + 1))
		printf 'ok %d%s\n' "$TAP_COUNT" "${msg:+ - $msg}"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		printf 'not ok %d%s\n' "$TAP_COUNT" "${msg:+ - $msg}"
	fi
	return 0
}

pass() { _tap_result 0 "${1-}"; }
fail() { _tap_result 1 "${1-}"; }

# ok_if STATUS MSG: pass when STATUS (an exit code) is 0.
ok_if() {
	local st=${1-1}
	[[ $st =~ ^[0-9]+$ ]] || st=1
	_tap_result "$st" "${2-}"
	[[ $st -eq 0 ]] || diag "  exit status: $st"
}

# ok MSG CMD [ARGS...]: run CMD; pass when it exits 0. CMD's output is kept.
ok() {
	local msg=${1-} st=0
	shift || true
	if [[ $# -eq 0 ]]; then
		_tap_result 1 "$msg"
		diag "  ok: no command given"
		return 0
	fi
	"$@" || st=$?
	_tap_result "$st" "$msg"
	[[ $st -eq 0 ]] || diag "  command failed (exit $st): $*"
}

# is GOT EXPECTED MSG
is() {
	local got=${1-} want=${2-}
	if [[ $got == "$want" ]]; then
		_tap_result 0 "${3-}"
	else
		_tap_result 1 "${3-}"
		diag "         got: '$got'"
		diag "    expected: '$want'"
	fi
}

# isnt GOT UNEXPECTED MSG
isnt() {
	local got=${1-} bad=${2-}
	if [[ $got != "$bad" ]]; then
		_tap_result 0 "${3-}"
	else
		_tap_result 1 "${3-}"
		diag "         got: '$got'"
		diag "    expected anything else"
	fi
}

# like GOT REGEX MSG (bash extended regular expression)
like() {
	local got=${1-} re=${2-}
	if [[ $got =~ $re ]]; then
		_tap_result 0 "${3-}"
	else
		_tap_result 1 "${3-}"
		diag "                  '$got'"
		diag "    doesn't match '$re'"
	fi
}

# unlike GOT REGEX MSG
unlike() {
	local got=${1-} re=${2-}
	if [[ ! $got =~ $re ]]; then
		_tap_result 0 "${3-}"
	else
		_tap_result 1 "${3-}"
		diag "                  '$got'"
		diag "          matches '$re'"
	fi
}

# skip REASON [COUNT]: COUNT (default 1) skipped tests.
skip() {
	local reason=${1-} n=${2-1} i
	reason=${reason//$'\n'/ }
	for ((i = 0; i < n; i++)); do
		TAP_COUNT=$((TAP_COUNT + 1))
		TAP_SKIPPED=$((TAP_SKIPPED + 1))
		printf 'ok %d # SKIP %s\n' "$TAP_COUNT" "$reason"
	done
}

# tap_skip_all REASON: the whole test is skipped (before any test ran).
tap_skip_all() {
	if [[ $TAP_COUNT -ne 0 || -n $TAP_PLANNED ]]; then
		tap_bail "tap_skip_all after the plan or a test: ${1-}"
	fi
	printf '1..0 # SKIP %s\n' "${1-}"
	TAP_PLANNED=0
	exit 0
}

# tap_bail MSG: abort the whole test ('Bail out!' is an error for the driver).
tap_bail() {
	printf 'Bail out! %s\n' "${1-}"
	exit 1
}

# tap_done: print the plan if none was given, a summary, and exit:
# 0 when every test passed and the count matches the plan, else 1.
tap_done() {
	local rc=0
	if [[ -z $TAP_PLANNED ]]; then
		printf '1..%d\n' "$TAP_COUNT"
		TAP_PLANNED=$TAP_COUNT
	elif [[ $TAP_COUNT -ne $TAP_PLANNED ]]; then
		diag "planned $TAP_PLANNED tests but ran $TAP_COUNT"
		rc=1
	fi
	[[ $TAP_FAILED -eq 0 ]] || rc=1
	diag "$TAP_PASSED passed, $TAP_FAILED failed, $TAP_SKIPPED skipped"
	exit "$rc"
}
