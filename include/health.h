/*
 * health: the dependency checks of the operations runbook: MySQL answers
 * SELECT 1 and Redis answers PING, each timed. Used by `cachewarden health`
 * and the admin API. Results are plain data owned by the caller.
 */
#ifndef CW_HEALTH_H
#define CW_HEALTH_H

#include "buf.h"
#include "conf.h"
#include "json.h"

#define HEALTH_NCHECKS 2

struct health_check {
	const char *name; /* "mysql", "redis" */
	char *target;     /* host:port or unix:path */
	int ok;
	double latency_ms;
	char *detail; /* server version when ok, the cause otherwise */
	int plain;    /* connected without TLS */
};

struct health_result {
	struct health_check checks[HEALTH_NCHECKS];
	int ok;              /* every check passed */
	struct buf warnings; /* health_transport_warnings' lines */
};

/*
 * Appends one line (no prefix, '\n'-terminated) per connection to a
 * non-loopback MySQL or Redis that is unencrypted or whose certificate is
 * not verified, from the config; mysql_plain says a MySQL session was just
 * made without TLS (tls = preferred and a server that offers none). Returns
 * the number of lines. For check-config (mysql_plain 0) and health.
 */
size_t health_transport_warnings(const struct conf *conf, int mysql_plain, struct buf *out);

void health_run(const struct conf *conf, struct health_result *result);
void health_result_free(struct health_result *result);
/* The same change (to ok, to failed) is sent at most once in this many seconds. */
#define HEALTH_REPORT_GAP_S 60

/*
 * Whether the result's status (ok or failed) differs from the last one sent
 * (state_dir/health.last, which then records it), held back while the last
 * message announcing the same status is younger than HEALTH_REPORT_GAP_S: a
 * flapping dependency sends at most two messages a minute, not one per
 * check. 1 send, 0 do not, -1 and a cause when the state cannot be read or
 * written.
 */
int health_changed(const struct conf *conf, const struct health_result *result, double now,
                   char **cause);
/*
 * Sends result to SNS (kind "health") when health_changed says so, waiting
 * up to wait_ms for delivery; failures are logged here. For `cachewarden
 * health` and the daemon alike.
 */
void health_report(const struct conf *conf, const struct health_result *result, int wait_ms);
/* One line per check, for people. */
void health_format_text(const struct health_result *result, struct buf *out);
/* The "checks" array of a result, into an object being written (the report, GET /health). */
void health_json_checks(struct json *j, const struct health_result *result);
/* The cachewarden.health/1 JSON document (kind "health", for the SNS report). */
void health_format_json(const struct health_result *result, const struct conf *conf,
                        struct buf *out);

#endif
