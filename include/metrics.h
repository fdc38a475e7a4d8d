/*
 * metrics: the agent's figures in the Prometheus text format 0.0.4. One table
 * (metrics.c: metrics_table) names every family with its type and help and
 * how to read its samples from a snapshot; the daemon fills the snapshot
 * under its lock and metrics_format writes it out. Nothing here reads a
 * clock or a server.
 */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stddef.h>

#include "buf.h"

struct metrics_dataset {
	const char *name;
	long long rows_total; /* rows read by this agent's warms since it started */
	long long keys_total; /* keys written */
	long long runs_ok, runs_failed;
	double last_duration_s; /* < 0: no run yet */
	double last_success;    /* Unix seconds; 0: none since start */
};

struct metrics_exports {
	const char *name;
	long long problems; /* in the last run; < 0: no run yet */
	double last_success;
};

struct metrics_snapshot {
	const char *version;
	double start_time;
	struct metrics_dataset *datasets;
	size_t ndatasets;
	struct metrics_exports *exports;
	size_t nexports;
	int warm_running, verify_running;
	long long outbox_pending, outbox_dead, outbox_quarantined; /* < 0: unknown */
	long long sns_publish_failures;
	long long sns_delivered;
	long long restores_lost, restores_rollback;
	/* The last health check; < 0: none yet. */
	int mysql_up, redis_up;
	double mysql_latency_s, redis_latency_s;
	/* Redis INFO, when redis_info_ok. */
	int redis_info_ok;
	long long keyspace_hits, keyspace_misses, evicted_keys;
	long long used_memory, maxmemory, connected_clients;
};

/* Appends the exposition of every family to out. */
void metrics_format(const struct metrics_snapshot *s, struct buf *out);

/* Escapes a label value (backslash, double quote, newline) onto out. */
void metrics_label_escape(struct buf *out, const char *value);

#endif
