#!/usr/bin/env bash
# tests/integration/warm-faults.sh again, against Redis 6.0 (ElastiCache's 6.x).
# shellcheck source=tests/lib/redis6.sh
. "${srcdir:-.}/tests/lib/redis6.sh"
# shellcheck source=tests/integration/warm-faults.sh
. "${srcdir:-.}/tests/integration/warm-faults.sh"
