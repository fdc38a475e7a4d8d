/* health: timed MySQL and Redis checks. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clocks.h"
#include "confval.h"
#include "fileio.h"
#include "health.h"
#include "json.h"
#include "log.h"
#include "mysqlsrc.h"
#include "redisconn.h"
#include "report.h"
#include "xmalloc.h"

/* A host name or address that never leaves this machine (by its text: nothing is resolved). */
static int
health_is_loopback(const char *host)
{
	return host == NULL || confval_is_loopback(host, strlen(host));
}

size_t
health_transport_warnings(const struct conf *conf, int mysql_plain, struct buf *out)
{
	size_t n = 0;

	if (conf->mysql.socket == NULL && !health_is_loopback(conf->mysql.host)) {
		n++;
		if (conf->mysql.tls == CONF_MYSQL_TLS_DISABLED)
			buf_printf(out,
			           "mysql %s:%lld: tls = disabled: the connection (password, "
			           "data) is unencrypted\n",
			           conf->mysql.host, conf->mysql.port);
		else if (mysql_plain)
			buf_printf(out,
			           "mysql %s:%lld: tls = preferred, but the server offered no "
			           "TLS: this session was unencrypted\n",
			           conf->mysql.host, conf->mysql.port);
		else if (conf->mysql.tls < CONF_MYSQL_TLS_VERIFY_CA)
			buf_printf(out,
			           "mysql %s:%lld: tls = %s: the server's certificate is not "
			           "verified (use verify-identity)\n",
			           conf->mysql.host, conf->mysql.port,
			           conf->mysql.tls == CONF_MYSQL_TLS_PREFERRED ? "preferred"
			                                                       : "required");
		else
			n--;
	}
	/* Redis TLS always verifies the server (tls.h): only plain TCP is weak. */
	if (conf->redis.socket == NULL && !health_is_loopback(conf->redis.host) &&
	    !conf->redis.tls) {
		n++;
		buf_printf(out,
		           "redis %s:%lld: tls = off: the connection (AUTH password, data) is "
		           "unencrypted\n",
		           conf->redis.host, conf->redis.port);
	}
	return n;
}

static void
health_mysql(const struct conf *conf, struct health_check *c)
{
	struct mysqlsrc *src;
	char *cause = NULL;
	double start = clocks_mono() * 1000.0;

	c->name = "mysql";
	c->target = mysqlsrc_target(conf);
	if ((src = mysqlsrc_connect(conf, &cause)) == NULL || mysqlsrc_ping(src, &cause) != 0) {
		c->detail = cause;
	} else {
		const char *cipher = mysqlsrc_tls_cipher(src);

		c->ok = 1;
		c->plain = cipher == NULL;
		c->detail = cipher != NULL
		                    ? xasprintf("%s, TLS %s", mysqlsrc_server_version(src), cipher)
		                    : xstrdup(mysqlsrc_server_version(src));
	}
	c->latency_ms = clocks_mono() * 1000.0 - start;
	mysqlsrc_close(src);
}

static void
health_redis(const struct conf *conf, struct health_check *c)
{
	static const char *const ping[] = { "PING" };
	struct redis_reply *r = NULL;
	struct redisconn *rc;
	char *cause = NULL;
	double start = clocks_mono() * 1000.0;

	c->name = "redis";
	c->target = redisconn_target(conf);
	if ((rc = redisconn_open(conf, &cause)) == NULL ||
	    (r = redisconn_command(rc, &cause, 1, ping)) == NULL) {
		c->detail = cause;
	} else if (r->type != REDIS_REPLY_T_STATUS || strcmp(r->str, "PONG") != 0) {
		c->detail = xasprintf("redis %s: PING answered %s", c->target,
		                      r->str != NULL ? r->str : "an unexpected reply");
	} else {
		c->ok = 1;
		c->detail = xstrdup("PONG");
	}
	c->latency_ms = clocks_mono() * 1000.0 - start;
	redis_reply_free(r);
	redisconn_close(rc);
}

void
health_run(const struct conf *conf, struct health_result *result)
{
	memset(result, 0, sizeof *result);
	health_mysql(conf, &result->checks[0]);
	health_redis(conf, &result->checks[1]);
	result->ok = result->checks[0].ok && result->checks[1].ok;
	health_transport_warnings(conf, result->checks[0].ok && result->checks[0].plain,
	                          &result->warnings);
}

void
health_result_free(struct health_result *result)
{
	size_t i;

	for (i = 0; i < HEALTH_NCHECKS; i++) {
		free(result->checks[i].target);
		free(result->checks[i].detail);
	}
	buf_free(&result->warnings);
	memset(result, 0, sizeof *result);
}

/* "warning: LINE" for each transport warning. */
static void
health_format_warnings(const struct health_result *result, struct buf *out)
{
	const char *p = result->warnings.data, *nl;

	while (p != NULL && *p != '\0' && (nl = strchr(p, '\n')) != NULL) {
		buf_printf(out, "warning: %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

void
health_format_text(const struct health_result *result, struct buf *out)
{
	size_t i;

	for (i = 0; i < HEALTH_NCHECKS; i++) {
		const struct health_check *c = &result->checks[i];

		buf_printf(out, "%-6s %-28s %-4s %8.1f ms  %s\n", c->name, c->target,
		           c->ok ? "ok" : "FAIL", c->latency_ms, c->detail ? c->detail : "");
	}
	health_format_warnings(result, out);
}

void
health_json_checks(struct json *j, const struct health_result *result)
{
	size_t i;

	json_array_begin(j, "checks");
	for (i = 0; i < HEALTH_NCHECKS; i++) {
		const struct health_check *c = &result->checks[i];

		json_object_begin(j, NULL);
		json_string(j, "name", c->name);
		json_string(j, "target", c->target);
		json_bool(j, "ok", c->ok);
		json_double(j, "latency_ms", (double)(long long)(c->latency_ms * 1000) / 1000);
		json_string(j, "detail", c->detail);
		json_object_end(j);
	}
	json_array_end(j);
}

void
health_format_json(const struct health_result *result, const struct conf *conf, struct buf *out)
{
	const char *p, *nl;
	struct json j;
	char *line;

	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.health/1");
	json_string(&j, "kind", "health");
	json_string(&j, "status", result->ok ? "ok" : "failed");
	json_string(&j, "host", conf->agent.name);
	health_json_checks(&j, result);
	json_array_begin(&j, "warnings");
	for (p = result->warnings.data; p != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		line = xstrndup(p, (size_t)(nl - p));
		json_string(&j, NULL, line);
		free(line);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_addc(out, '\n');
}

/*
 * state_dir/health.last: "<status> <when ok was last sent> <when failed was
 * last sent>" (Unix seconds; a file of an older version holds the status
 * alone). 0 (status "" when there is no file), or -1 and a cause.
 */
static int
health_last(const char *path, char status[16], long long sent[2], char **cause)
{
	char line[96] = "";
	FILE *f;

	status[0] = '\0';
	sent[0] = sent[1] = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof line, f) == NULL ||
	    sscanf(line, "%15s %lld %lld", status, &sent[0], &sent[1]) < 1)
		status[0] = '\0';
	fclose(f);
	return 0;
}

int
health_changed(const struct conf *conf, const struct health_result *result, double now,
               char **cause)
{
	const char *status = result->ok ? "ok" : "failed";
	char *path = xasprintf("%s/health.last", conf->agent.state_dir), last[16], *text;
	long long sent[2];
	int rv;

	if (health_last(path, last, sent, cause) != 0) {
		free(path);
		return -1;
	}
	if (strcmp(last, status) == 0 || now - (double)sent[!result->ok] < HEALTH_REPORT_GAP_S) {
		free(path);
		return 0;
	}
	sent[!result->ok] = (long long)now;
	text = xasprintf("%s %lld %lld\n", status, sent[0], sent[1]);
	rv = fileio_mkdirs(conf->agent.state_dir, 0700, cause) == 0 &&
	                     fileio_replace(path, text, strlen(text), 0600, cause) == 0
	             ? 1
	             : -1;
	free(text);
	free(path);
	return rv;
}

void
health_report(const struct conf *conf, const struct health_result *result, int wait_ms)
{
	struct buf json = BUF_INIT;
	char *cause = NULL;
	int changed = health_changed(conf, result, clocks_wall(), &cause);

	if (changed < 0) {
		log_warn("health: %s", cause);
		free(cause);
		cause = NULL;
	}
	/* When the last state cannot be known, a failure is worth a message, a pass is not. */
	if (changed == 0 || (changed < 0 && result->ok))
		return;
	health_format_json(result, conf, &json);
	if (report_submit(conf, "health", result->ok ? "ok" : "failed", NULL, json.data, json.len,
	                  wait_ms, &cause) != 0) {
		log_error("report: %s", cause);
		free(cause);
	}
	buf_free(&json);
}
