# shellcheck shell=bash
# tests/lib/redis6.sh, sourced by tests/integration/redis6-*.sh before the
# test they rerun: puts Redis 6.0 (scripts/redis6.sh, which install-deps
# runs) first on PATH, so that the harness starts it instead of the
# system's Redis 7. Without it the test is skipped, with the reason.
# shellcheck source=tests/lib/tap.sh
. "${srcdir:-.}/tests/lib/tap.sh"
# The default of scripts/redis6.sh.
REDIS6_DIR=${REDIS6_DIR:-/var/cache/cachewarden-test/redis-6.0.16}
if [[ ! -x $REDIS6_DIR/bin/redis-server ]]; then
	tap_skip_all "no Redis 6.0 in $REDIS6_DIR: run scripts/redis6.sh (scripts/install-deps.sh does)"
fi
PATH=$REDIS6_DIR/bin:$PATH
export PATH
if [[ $(redis-server --version 2>&1) != *" v=6."* ]]; then
	tap_bail "$REDIS6_DIR/bin/redis-server is not Redis 6: $(redis-server --version 2>&1)"
fi
