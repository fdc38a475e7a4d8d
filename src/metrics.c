/* metrics: a table of metric families and the text exposition format 0.0.4. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE };

/* One family: how to write its samples (each line after the HELP and TYPE lines). */
struct metrics_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	void (*samples)(const struct metrics_family *f, const struct metrics_snapshot *s,
	                struct buf *out);
};

void
metrics_label_escape(struct buf *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\')
			buf_adds(out, "\\\\");
		else if (*value == '"')
			buf_adds(out, "\\\"");
		else if (*value == '\n')
			buf_adds(out, "\\n");
		else
			buf_addc(out, *value);
	}
}

static void
metrics_value(struct buf *out, double v)
{
	if (isnan(v))
		buf_adds(out, "NaN");
	else if (v == (double)(long long)v && fabs(v) < 9e15)
		buf_printf(out, "%lld", (long long)v);
	else
		buf_printf(out, "%.17g", v);
}

/* One sample without labels: name v. */
static void
metrics_plain(struct buf *out, const char *name, double v)
{
	buf_adds(out, name);
	buf_addc(out, ' ');
	metrics_value(out, v);
	buf_addc(out, '\n');
}

/* One sample with one label: name{label="value"} v. */
static void
metrics_sample(struct buf *out, const char *name, const char *label, const char *lvalue, double v)
{
	buf_printf(out, "%s{%s=\"", name, label);
	metrics_label_escape(out, lvalue);
	buf_adds(out, "\"} ");
	metrics_value(out, v);
	buf_addc(out, '\n');
}

static void
metrics_build_info(const struct metrics_family *f, const struct metrics_snapshot *s,
                   struct buf *out)
{
	metrics_sample(out, f->name, "version", s->version, 1);
}

static void
metrics_start_time(const struct metrics_family *f, const struct metrics_snapshot *s,
                   struct buf *out)
{
	metrics_plain(out, f->name, s->start_time);
}

#define METRICS_PER_DATASET(fn, expr, skip)                                                        \
	static void fn(const struct metrics_family *f, const struct metrics_snapshot *s,           \
	               struct buf *out)                                                            \
	{                                                                                          \
		size_t i;                                                                          \
		for (i = 0; i < s->ndatasets; i++) {                                               \
			const struct metrics_dataset *d = &s->datasets[i];                         \
			if (!(skip))                                                               \
				metrics_sample(out, f->name, "dataset", d->name, (double)(expr));  \
		}                                                                                  \
	}

METRICS_PER_DATASET(metrics_warm_rows, d->rows_total, 0)
METRICS_PER_DATASET(metrics_warm_keys, d->keys_total, 0)
METRICS_PER_DATASET(metrics_warm_ok, d->runs_ok, 0)
METRICS_PER_DATASET(metrics_warm_failed, d->runs_failed, 0)
METRICS_PER_DATASET(metrics_warm_duration, d->last_duration_s, d->last_duration_s < 0)
METRICS_PER_DATASET(metrics_warm_success, d->last_success, d->last_success <= 0)

static void
metrics_verify_problems(const struct metrics_family *f, const struct metrics_snapshot *s,
                        struct buf *out)
{
	size_t i;

	for (i = 0; i < s->nexports; i++)
		if (s->exports[i].problems >= 0)
			metrics_sample(out, f->name, "set", s->exports[i].name,
			               (double)s->exports[i].problems);
}

static void
metrics_verify_success(const struct metrics_family *f, const struct metrics_snapshot *s,
                       struct buf *out)
{
	size_t i;

	for (i = 0; i < s->nexports; i++)
		if (s->exports[i].last_success > 0)
			metrics_sample(out, f->name, "set", s->exports[i].name,
			               s->exports[i].last_success);
}

static void
metrics_job_running(const struct metrics_family *f, const struct metrics_snapshot *s,
                    struct buf *out)
{
	metrics_sample(out, f->name, "job", "warm", s->warm_running);
	metrics_sample(out, f->name, "job", "verify", s->verify_running);
}

static void
metrics_outbox(const struct metrics_family *f, const struct metrics_snapshot *s, struct buf *out)
{
	if (s->outbox_pending < 0)
		return;
	metrics_sample(out, f->name, "state", "pending", (double)s->outbox_pending);
	metrics_sample(out, f->name, "state", "dead", (double)s->outbox_dead);
	metrics_sample(out, f->name, "state", "quarantined", (double)s->outbox_quarantined);
}

static void
metrics_sns_failures(const struct metrics_family *f, const struct metrics_snapshot *s,
                     struct buf *out)
{
	metrics_plain(out, f->name, (double)s->sns_publish_failures);
}

static void
metrics_sns_delivered(const struct metrics_family *f, const struct metrics_snapshot *s,
                      struct buf *out)
{
	metrics_plain(out, f->name, (double)s->sns_delivered);
}

static void
metrics_restores(const struct metrics_family *f, const struct metrics_snapshot *s, struct buf *out)
{
	metrics_sample(out, f->name, "event", "lost", (double)s->restores_lost);
	metrics_sample(out, f->name, "event", "rollback", (double)s->restores_rollback);
}

static void
metrics_dep_up(const struct metrics_family *f, const struct metrics_snapshot *s, struct buf *out)
{
	if (s->mysql_up >= 0)
		metrics_sample(out, f->name, "dependency", "mysql", s->mysql_up);
	if (s->redis_up >= 0)
		metrics_sample(out, f->name, "dependency", "redis", s->redis_up);
}

static void
metrics_dep_latency(const struct metrics_family *f, const struct metrics_snapshot *s,
                    struct buf *out)
{
	if (s->mysql_up > 0)
		metrics_sample(out, f->name, "dependency", "mysql", s->mysql_latency_s);
	if (s->redis_up > 0)
		metrics_sample(out, f->name, "dependency", "redis", s->redis_latency_s);
}

#define METRICS_REDIS(fn, expr)                                                                    \
	static void fn(const struct metrics_family *f, const struct metrics_snapshot *s,           \
	               struct buf *out)                                                            \
	{                                                                                          \
		if (s->redis_info_ok)                                                              \
			metrics_plain(out, f->name, (double)(expr));                               \
	}

METRICS_REDIS(metrics_redis_hits, s->keyspace_hits)
METRICS_REDIS(metrics_redis_misses, s->keyspace_misses)
METRICS_REDIS(metrics_redis_hit_ratio,
              s->keyspace_hits + s->keyspace_misses > 0
                      ? (double)s->keyspace_hits / (double)(s->keyspace_hits + s->keyspace_misses)
                      : NAN)
METRICS_REDIS(metrics_redis_evicted, s->evicted_keys)
METRICS_REDIS(metrics_redis_used, s->used_memory)
METRICS_REDIS(metrics_redis_max, s->maxmemory)
METRICS_REDIS(metrics_redis_clients, s->connected_clients)

static const struct metrics_family metrics_table[] = {
	{ "cachewarden_build_info", METRICS_GAUGE, "The agent's version.", metrics_build_info },
	{ "cachewarden_start_time_seconds", METRICS_GAUGE,
	  "When the agent started, in Unix seconds.", metrics_start_time },
	{ "cachewarden_job_running", METRICS_GAUGE, "1 while a job of that kind runs.",
	  metrics_job_running },
	{ "cachewarden_warm_rows_total", METRICS_COUNTER,
	  "Rows read from MySQL by this agent's warms.", metrics_warm_rows },
	{ "cachewarden_warm_keys_written_total", METRICS_COUNTER,
	  "Redis keys written by this agent's warms.", metrics_warm_keys },
	{ "cachewarden_warm_runs_ok_total", METRICS_COUNTER, "Warms of a dataset that ended ok.",
	  metrics_warm_ok },
	{ "cachewarden_warm_runs_failed_total", METRICS_COUNTER,
	  "Warms of a dataset that ended partial, failed or interrupted.", metrics_warm_failed },
	{ "cachewarden_warm_last_duration_seconds", METRICS_GAUGE,
	  "How long the last warm of a dataset took.", metrics_warm_duration },
	{ "cachewarden_warm_last_success_timestamp_seconds", METRICS_GAUGE,
	  "When a warm of the dataset last ended ok, in Unix seconds.", metrics_warm_success },
	{ "cachewarden_verify_problems", METRICS_GAUGE,
	  "Problems the last verify found in an export set.", metrics_verify_problems },
	{ "cachewarden_verify_last_success_timestamp_seconds", METRICS_GAUGE,
	  "When a verify last found an export set clean, in Unix seconds.",
	  metrics_verify_success },
	{ "cachewarden_outbox_reports", METRICS_GAUGE, "Reports in the outbox, by state.",
	  metrics_outbox },
	{ "cachewarden_sns_publish_failures_total", METRICS_COUNTER,
	  "SNS Publish attempts that failed.", metrics_sns_failures },
	{ "cachewarden_sns_published_total", METRICS_COUNTER, "Reports delivered to SNS.",
	  metrics_sns_delivered },
	{ "cachewarden_restores_detected_total", METRICS_COUNTER,
	  "Redis losses (no generation marker) and rollbacks (an older marker) detected.",
	  metrics_restores },
	{ "cachewarden_dependency_up", METRICS_GAUGE,
	  "1 when the last health check of the dependency passed.", metrics_dep_up },
	{ "cachewarden_dependency_latency_seconds", METRICS_GAUGE,
	  "Latency of the last passing health check.", metrics_dep_latency },
	{ "cachewarden_redis_keyspace_hits_total", METRICS_COUNTER,
	  "Redis INFO keyspace_hits (resets when Redis restarts).", metrics_redis_hits },
	{ "cachewarden_redis_keyspace_misses_total", METRICS_COUNTER,
	  "Redis INFO keyspace_misses (resets when Redis restarts).", metrics_redis_misses },
	{ "cachewarden_redis_keyspace_hit_ratio", METRICS_GAUGE,
	  "keyspace_hits / (hits + misses) since Redis started.", metrics_redis_hit_ratio },
	{ "cachewarden_redis_evicted_keys_total", METRICS_COUNTER, "Redis INFO evicted_keys.",
	  metrics_redis_evicted },
	{ "cachewarden_redis_memory_used_bytes", METRICS_GAUGE, "Redis INFO used_memory.",
	  metrics_redis_used },
	{ "cachewarden_redis_memory_max_bytes", METRICS_GAUGE,
	  "Redis INFO maxmemory (0: no limit).", metrics_redis_max },
	{ "cachewarden_redis_connected_clients", METRICS_GAUGE, "Redis INFO connected_clients.",
	  metrics_redis_clients },
};

void
metrics_format(const struct metrics_snapshot *s, struct buf *out)
{
	size_t i;

	for (i = 0; i < sizeof metrics_table / sizeof metrics_table[0]; i++) {
		const struct metrics_family *f = &metrics_table[i];

		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		           f->type == METRICS_COUNTER ? "counter" : "gauge");
		f->samples(f, s, out);
	}
}
