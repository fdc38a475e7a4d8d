/*
 * conf: the agent.conf parser. Every key is a row of conf_keys; parsing,
 * defaults, bounds, "did you mean" hints and `help config` all read that one
 * table. Cross-key rules (a key template naming a listed column, a string
 * dataset naming its value column) follow in conf_validate_*; checks of one
 * value alone (identifiers, schedules, endpoints, ARNs) are in confval.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "confval.h"
#include "log.h"
#include "sched.h"
#include "xmalloc.h"

enum conf_type {
	CONF_T_STRING,   /* char * */
	CONF_T_PATH,     /* char *, a file or directory */
	CONF_T_SECRET,   /* char *, a file that must not be readable by others */
	CONF_T_INT,      /* long long within [min, max] */
	CONF_T_DURATION, /* long long seconds within [min, max] */
	CONF_T_ENUM,     /* int, index into choices */
	CONF_T_BOOL,     /* int, on|off */
	CONF_T_LIST,     /* struct conf_list, comma separated */
	CONF_T_FILE      /* char *, a file that must be readable */
};

/* A value check beyond the type; returns NULL or a message the caller frees. */
typedef char *(*conf_check_fn)(const char *value);

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	const char *def; /* default, parsed like a value; NULL = unset */
	long long min, max;
	const char *const *choices;
	int required;
	size_t offset; /* into struct conf, or the named section's struct */
	conf_check_fn check;
	const char *help;
};

struct conf_section {
	const char *name;
	int named; /* [dataset NAME] style */
};

static const char *const conf_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const conf_log_formats[] = { "text", "json", NULL };
static const char *const conf_mysql_tls[] = { "disabled",  "preferred",       "required",
	                                      "verify-ca", "verify-identity", NULL };
static const char *const conf_on_restore[] = { "rebuild", "report", "off", NULL };
static const char *const conf_warm_write[] = { "auto", "restore", "commands", NULL };
static const char *const conf_value_types[] = { "hash", "json", "string", NULL };
static const char *const conf_json_big_numbers[] = { "string", "number", NULL };
static const char *const conf_formats[] = { "auto",    "rdb", "gzip", "mysqldump",
	                                    "parquet", "raw", NULL };
static const char *const conf_tiers[] = { "critical", "standard", "development", "dynamodb", NULL };
static const char *const conf_credentials[] = { "auto", "env", "file", "imds", NULL };
static const char *const conf_snap_services[] = { "rds", "elasticache", "backup", NULL };

static const struct conf_section conf_sections[] = {
	{ "agent", 0 },  { "admin", 0 }, { "mysql", 0 },   { "redis", 0 },   { "warm", 0 },
	{ "verify", 0 }, { "sns", 0 },   { "dataset", 1 }, { "exports", 1 }, { "snapshots", 1 },
};
#define CONF_NSECTIONS (sizeof conf_sections / sizeof conf_sections[0])

#define C(f)  offsetof(struct conf, f)
#define D(f)  offsetof(struct conf_dataset, f)
#define E(f)  offsetof(struct conf_exports, f)
#define S(f)  offsetof(struct conf_snapshots, f)
#define NOLIM 0, 0
#define DAY   86400LL

/* The table. Keep agent.conf (annotated) in step: tests/lint/conf-keys.sh checks it. */
static const struct conf_key conf_keys[] = {
	{ "agent", "name", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(agent.name), NULL,
	  "name of this host in reports (default: the hostname)" },
	{ "agent", "state_dir", CONF_T_PATH, "/var/lib/cachewarden", NOLIM, NULL, 0,
	  C(agent.state_dir), NULL, "directory for checkpoints and run state" },
	{ "agent", "log_level", CONF_T_ENUM, "info", NOLIM, conf_levels, 0, C(agent.log_level),
	  NULL, "least severe level logged" },
	{ "agent", "log_format", CONF_T_ENUM, "text", NOLIM, conf_log_formats, 0,
	  C(agent.log_format), NULL, "text lines or JSON lines on stderr" },
	{ "agent", "health_interval", CONF_T_DURATION, "30s", 5, 3600, NULL, 0,
	  C(agent.health_interval), NULL, "how often `run` checks MySQL and Redis" },

	{ "admin", "listen", CONF_T_STRING, "127.0.0.1:7781", NOLIM, NULL, 0, C(admin.listen),
	  confval_hostport, "address:port of the admin HTTP API" },
	{ "admin", "token_file", CONF_T_SECRET, NULL, NOLIM, NULL, 0, C(admin.token_file), NULL,
	  "file holding the bearer token required by POST routes" },

	{ "mysql", "host", CONF_T_STRING, "127.0.0.1", NOLIM, NULL, 0, C(mysql.host), NULL,
	  "MySQL server host name or address" },
	{ "mysql", "port", CONF_T_INT, "3306", 1, 65535, NULL, 0, C(mysql.port), NULL,
	  "MySQL TCP port" },
	{ "mysql", "socket", CONF_T_PATH, NULL, NOLIM, NULL, 0, C(mysql.socket), NULL,
	  "Unix socket path; used instead of host and port when set" },
	{ "mysql", "user", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(mysql.user), NULL,
	  "MySQL user name" },
	{ "mysql", "password_file", CONF_T_SECRET, NULL, NOLIM, NULL, 0, C(mysql.password_file),
	  NULL, "file holding the MySQL password (mode 0600)" },
	{ "mysql", "database", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(mysql.database),
	  confval_ident, "default database" },
	{ "mysql", "tls", CONF_T_ENUM, "preferred", NOLIM, conf_mysql_tls, 0, C(mysql.tls), NULL,
	  "TLS mode, as MySQL's --ssl-mode" },
	{ "mysql", "ca_file", CONF_T_FILE, NULL, NOLIM, NULL, 0, C(mysql.ca_file), NULL,
	  "CA bundle for verify-ca and verify-identity" },
	{ "mysql", "connect_timeout", CONF_T_DURATION, "5s", 1, 300, NULL, 0,
	  C(mysql.connect_timeout), NULL, "connect timeout" },

	{ "redis", "host", CONF_T_STRING, "127.0.0.1", NOLIM, NULL, 0, C(redis.host), NULL,
	  "Redis server host name or address" },
	{ "redis", "port", CONF_T_INT, "6379", 1, 65535, NULL, 0, C(redis.port), NULL,
	  "Redis TCP port" },
	{ "redis", "socket", CONF_T_PATH, NULL, NOLIM, NULL, 0, C(redis.socket), NULL,
	  "Unix socket path; used instead of host and port when set" },
	{ "redis", "username", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(redis.username), NULL,
	  "ACL user name (Redis 6+); empty for password-only AUTH" },
	{ "redis", "password_file", CONF_T_SECRET, NULL, NOLIM, NULL, 0, C(redis.password_file),
	  NULL, "file holding the Redis password (mode 0600)" },
	{ "redis", "db", CONF_T_INT, "0", 0, 15, NULL, 0, C(redis.db), NULL,
	  "database number selected after connecting" },
	{ "redis", "tls", CONF_T_BOOL, "off", NOLIM, NULL, 0, C(redis.tls), NULL,
	  "TLS to Redis (ElastiCache in-transit encryption)" },
	{ "redis", "ca_file", CONF_T_FILE, NULL, NOLIM, NULL, 0, C(redis.ca_file), NULL,
	  "CA bundle to verify the Redis server (default: system store)" },
	{ "redis", "connect_timeout", CONF_T_DURATION, "5s", 1, 300, NULL, 0,
	  C(redis.connect_timeout), NULL, "connect timeout" },

	{ "warm", "workers", CONF_T_INT, "4", 1, 64, NULL, 0, C(warm.workers), NULL,
	  "parallel worker threads, each with one MySQL and one Redis connection" },
	{ "warm", "batch_rows", CONF_T_INT, "0", 0, 100000, NULL, 0, C(warm.batch_rows), NULL,
	  "rows read per batch (and commands pipelined per round trip); 0 = about 512 KiB of rows "
	  "(16 to 50000)" },
	{ "warm", "max_batch_bytes", CONF_T_INT, "16777216", 65536, 1073741824, NULL, 0,
	  C(warm.max_batch_bytes), NULL,
	  "a batch ends early once its rows pass this many bytes (bounds memory)" },
	{ "warm", "max_rows_per_sec", CONF_T_INT, "0", 0, 100000000, NULL, 0,
	  C(warm.max_rows_per_sec), NULL, "read rate cap across all workers; 0 = unlimited" },
	{ "warm", "ttl_jitter", CONF_T_INT, "0", 0, 50, NULL, 0, C(warm.ttl_jitter), NULL,
	  "percent by which each key's TTL is randomly shortened" },
	{ "warm", "verify_sample", CONF_T_INT, "1000", 0, 1000000, NULL, 0, C(warm.verify_sample),
	  NULL, "rows read back and compared after a warm; 0 = none" },
	{ "warm", "on_restore", CONF_T_ENUM, "rebuild", NOLIM, conf_on_restore, 0,
	  C(warm.on_restore), NULL, "what to do when a Redis restore or flush is detected" },
	{ "warm", "write", CONF_T_ENUM, "auto", NOLIM, conf_warm_write, 0, C(warm.write), NULL,
	  "auto: RESTORE payloads where a probe shows the same result as commands; restore: "
	  "require them; commands: HSET/SET only" },
	{ "warm", "lease", CONF_T_BOOL, "on", NOLIM, NULL, 0, C(warm.lease), NULL,
	  "take a Redis lease so one host of the fleet rebuilds" },
	{ "warm", "lease_ttl", CONF_T_DURATION, "30s", 2, 600, NULL, 0, C(warm.lease_ttl), NULL,
	  "how long a lease outlives an agent that stopped renewing it" },
	{ "warm", "restore_poll", CONF_T_DURATION, "5s", 1, 300, NULL, 0, C(warm.restore_poll),
	  NULL, "how often `run` looks at Redis for a restore or a flush" },

	{ "verify", "schedule", CONF_T_STRING, "daily 03:30", NOLIM, NULL, 0, C(verify.schedule),
	  confval_schedule, "when `run` verifies: daily HH:MM, every Nh|Nm, weekly DAY HH:MM" },
	{ "verify", "timezone", CONF_T_STRING, SCHED_ZONE_DEFAULT, NOLIM, NULL, 0,
	  C(verify.timezone), confval_timezone,
	  "IANA time zone of the daily and weekly times (Europe/Berlin)" },
	{ "verify", "splay", CONF_T_DURATION, "10m", 0, 12 * 3600, NULL, 0, C(verify.splay), NULL,
	  "each host starts a scheduled verify up to this much later; 0 = none" },
	{ "verify", "workers", CONF_T_INT, "2", 1, 64, NULL, 0, C(verify.workers), NULL,
	  "parallel verification threads" },
	{ "verify", "max_read_mb_per_sec", CONF_T_INT, "0", 0, 100000, NULL, 0,
	  C(verify.max_read_mb_per_sec), NULL,
	  "read rate cap across all verify threads, in MB/s; 0 = unlimited" },
	{ "verify", "manifest_dir", CONF_T_PATH, "/var/lib/cachewarden/manifests", NOLIM, NULL, 0,
	  C(verify.manifest_dir), NULL, "where each export set's manifest is kept" },
	{ "verify", "trusted_key", CONF_T_FILE, NULL, NOLIM, NULL, 0, C(verify.trusted_key), NULL,
	  "minisign public key; when set, manifests must carry a good signature" },
	{ "verify", "signing_key", CONF_T_SECRET, NULL, NOLIM, NULL, 0, C(verify.signing_key), NULL,
	  "secret key used to sign manifests after each run (optional)" },

	{ "sns", "topic_arn", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(sns.topic_arn), confval_arn,
	  "SNS topic receiving every report; unset = reports go to the log" },
	{ "sns", "region", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(sns.region), confval_region,
	  "AWS region (default: the one in topic_arn)" },
	{ "sns", "endpoint", CONF_T_STRING, NULL, NOLIM, NULL, 0, C(sns.endpoint), confval_endpoint,
	  "endpoint URL override (VPC endpoint); http only on loopback" },
	{ "sns", "spool_dir", CONF_T_PATH, "/var/spool/cachewarden", NOLIM, NULL, 0,
	  C(sns.spool_dir), NULL, "durable outbox of undelivered reports" },
	{ "sns", "spool_max_mb", CONF_T_INT, "64", 1, 65536, NULL, 0, C(sns.spool_max_mb), NULL,
	  "outbox size bound; the oldest reports are dropped (and counted) past it" },
	{ "sns", "credentials", CONF_T_ENUM, "auto", NOLIM, conf_credentials, 0, C(sns.credentials),
	  NULL, "auto = env, then shared file, then instance metadata" },
	{ "sns", "profile", CONF_T_STRING, "default", NOLIM, NULL, 0, C(sns.profile), NULL,
	  "profile in the shared credentials file" },
	{ "sns", "not_found_grace", CONF_T_DURATION, "1h", 0, 30 * DAY, NULL, 0,
	  C(sns.not_found_grace), NULL,
	  "how long reports wait for a topic SNS calls not found before they go to dead/" },

	{ "dataset", "table", CONF_T_STRING, NULL, NOLIM, NULL, 1, D(table), confval_table,
	  "source table (db.table or table)" },
	{ "dataset", "key_column", CONF_T_STRING, NULL, NOLIM, NULL, 0, D(key_column),
	  confval_ident,
	  "a unique NOT NULL column to page by instead of the primary key (default: the "
	  "primary key)" },
	{ "dataset", "columns", CONF_T_LIST, NULL, NOLIM, NULL, 1, D(columns), confval_ident,
	  "columns stored (hash fields, JSON members), comma separated" },
	{ "dataset", "where", CONF_T_STRING, NULL, NOLIM, NULL, 0, D(where), NULL,
	  "optional SQL condition filtering rows" },
	{ "dataset", "key", CONF_T_STRING, NULL, NOLIM, NULL, 1, D(key), confval_template,
	  "Redis key template: table columns in braces, covering a unique key, product:{id}" },
	{ "dataset", "type", CONF_T_ENUM, "hash", NOLIM, conf_value_types, 0, D(type), NULL,
	  "value encoding: hash (HSET), json (SET of an object), string (SET value_column)" },
	{ "dataset", "value_column", CONF_T_STRING, NULL, NOLIM, NULL, 0, D(value_column),
	  confval_ident, "column stored by type = string" },
	{ "dataset", "json_big_numbers", CONF_T_ENUM, "string", NOLIM, conf_json_big_numbers, 0,
	  D(json_big_numbers), NULL,
	  "json: integers and decimals beyond +-(2^53-1) as strings (I-JSON) or as numbers" },
	{ "dataset", "ttl", CONF_T_DURATION, "0", 0, 10 * 365 * DAY, NULL, 0, D(ttl), NULL,
	  "key expiry; 0 = none" },

	{ "exports", "path", CONF_T_STRING, NULL, NOLIM, NULL, 1, E(path), NULL,
	  "glob of the export files" },
	{ "exports", "format", CONF_T_ENUM, "auto", NOLIM, conf_formats, 0, E(format), NULL,
	  "format check; auto decides by magic bytes, then extension" },
	{ "exports", "max_age", CONF_T_DURATION, "26h", 60, 3650 * DAY, NULL, 0, E(max_age), NULL,
	  "the newest file must be younger than this" },
	{ "exports", "retention", CONF_T_INT, "0", 0, 100000, NULL, 0, E(retention), NULL,
	  "files expected within the tier's window; 0 = not audited" },
	{ "exports", "tier", CONF_T_ENUM, "standard", NOLIM, conf_tiers, 0, E(tier), NULL,
	  "backup tier: its interval and window drive the retention audit" },

	{ "snapshots", "service", CONF_T_ENUM, NULL, NOLIM, conf_snap_services, 1, S(service), NULL,
	  "rds (DB snapshots), elasticache (snapshots) or backup (an AWS Backup vault)" },
	{ "snapshots", "source", CONF_T_STRING, NULL, NOLIM, NULL, 1, S(source), NULL,
	  "DB instance or cluster identifier, replication group id, or backup vault name" },
	{ "snapshots", "tier", CONF_T_ENUM, "standard", NOLIM, conf_tiers, 0, S(tier), NULL,
	  "backup tier: its interval and window drive the audit" },
	{ "snapshots", "max_age", CONF_T_DURATION, "0", 0, 3650 * DAY, NULL, 0, S(max_age), NULL,
	  "the newest available snapshot must be younger; 0 = the tier's interval plus grace" },
	{ "snapshots", "grace", CONF_T_DURATION, "2h", 0, 30 * DAY, NULL, 0, S(grace), NULL,
	  "added to the tier's interval for the default max_age" },
	{ "snapshots", "retention", CONF_T_INT, "0", 0, 100000, NULL, 0, S(retention), NULL,
	  "snapshots expected within the tier's window; 0 = not audited" },
	{ "snapshots", "region", CONF_T_STRING, NULL, NOLIM, NULL, 0, S(region), confval_aws_region,
	  "AWS region (default: [sns] region, else instance metadata)" },
	{ "snapshots", "endpoint", CONF_T_STRING, NULL, NOLIM, NULL, 0, S(endpoint),
	  confval_endpoint, "endpoint URL override (VPC endpoint); http only on loopback" },
};
#define CONF_NKEYS (sizeof conf_keys / sizeof conf_keys[0])

/* One section instance met while parsing, with the line each key was set on. */
struct conf_instance {
	const struct conf_section *section;
	char *name;
	unsigned line;
	unsigned keyline[CONF_NKEYS];
};

struct conf_parser {
	const char *file;
	struct conf *conf;
	struct conf_errors *errors;
	struct conf_instance *inst; /* current, NULL before the first or in an unknown section */
	struct conf_instance **all;
	size_t nall;
	int skipping; /* inside an unknown section: its keys are not reported again */
};

static void conf_error(struct conf_parser *, unsigned, const char *, ...)
        __attribute__((format(printf, 3, 4)));

static void
conf_error(struct conf_parser *p, unsigned line, const char *fmt, ...)
{
	struct conf_errors *e = p->errors;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	e->lines = xreallocarray(e->lines, e->count + 1, sizeof *e->lines);
	e->lines[e->count++] = xasprintf("%s:%u: %s", p->file, line, msg);
	free(msg);
}

/* Edit distance, for "did you mean" hints on short names. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, tmp, row[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (tolower((unsigned char)a[i - 1]) !=
			                 tolower((unsigned char)b[j - 1]));
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* Appends " (did you mean 'x'?)" when a candidate is close enough. */
static void
conf_hint(struct buf *msg, const char *word, const char *const *cands, size_t n)
{
	size_t i, d, best = SIZE_MAX, len = strlen(word), limit = len <= 4 ? 1 : 2;
	const char *pick = NULL;

	for (i = 0; i < n; i++) {
		/* Lengths further apart than the limit cannot be within it. */
		if (cands[i] == NULL || strlen(cands[i]) + limit < len ||
		    len + limit < strlen(cands[i]))
			continue;
		d = conf_distance(word, cands[i]);
		if (d < best)
			best = d, pick = cands[i];
	}
	if (pick != NULL && best <= limit)
		buf_printf(msg, " (did you mean '%s'?)", pick);
}

static const struct conf_key *
conf_find_key(const char *section, const char *name, size_t *index)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0) {
			*index = i;
			return &conf_keys[i];
		}
	}
	return NULL;
}

static char *
conf_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
conf_parse_int(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

long long
conf_parse_duration(const char *s)
{
	long long n, mult = 1;
	char *end;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || n < 0)
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = DAY;
	else
		return -1;
	if (n > LLONG_MAX / mult)
		return -1;
	return n * mult;
}

static int
conf_parse_bool(const char *s)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

static void
conf_list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* Splits a comma list; returns a message on an empty item. */
static char *
conf_parse_list(const char *value, struct conf_list *l)
{
	char *copy = xstrdup(value), *p = copy, *comma, *item;

	conf_list_free(l);
	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		item = conf_trim(p);
		if (*item == '\0') {
			free(copy);
			return xstrdup("empty item in list");
		}
		l->items = xreallocarray(l->items, l->count + 1, sizeof *l->items);
		l->items[l->count++] = xstrdup(item);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	free(copy);
	return NULL;
}

static void
conf_choices(struct buf *b, const char *const *choices)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i++)
		buf_printf(b, "%s%s", i ? "|" : "", choices[i]);
}

/* Stores value into the key's field; returns NULL or a message the caller frees. */
static char *
conf_set(const struct conf_key *k, void *base, const char *value)
{
	void *field = (char *)base + k->offset;
	struct buf msg = BUF_INIT;
	long long n;
	int i;

	switch (k->type) {
	case CONF_T_STRING:
	case CONF_T_PATH:
	case CONF_T_SECRET:
	case CONF_T_FILE:
		if (*value == '\0' && k->type != CONF_T_STRING)
			return xasprintf("%s: empty path", k->name);
		if (k->check != NULL && *value != '\0') {
			char *why = k->check(value);
			if (why != NULL) {
				buf_printf(&msg, "%s: %s", k->name, why);
				free(why);
				return buf_detach(&msg);
			}
		}
		free(*(char **)field);
		*(char **)field = *value == '\0' ? NULL : xstrdup(value);
		return NULL;
	case CONF_T_INT:
	case CONF_T_DURATION:
		if (k->type == CONF_T_INT ? conf_parse_int(value, &n) != 0
		                          : (n = conf_parse_duration(value)) < 0)
			return xasprintf("%s: expected %s, got '%s'", k->name,
			                 k->type == CONF_T_INT
			                         ? "an integer"
			                         : "a duration such as 30s, 15m, 26h, 7d",
			                 value);
		if ((k->min != 0 || k->max != 0) && (n < k->min || n > k->max))
			return xasprintf("%s: %lld is out of range %lld..%lld", k->name, n, k->min,
			                 k->max);
		*(long long *)field = n;
		return NULL;
	case CONF_T_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(k->choices[i], value) == 0) {
				*(int *)field = i;
				return NULL;
			}
		}
		buf_printf(&msg, "%s: '%s' is not one of ", k->name, value);
		conf_choices(&msg, k->choices);
		conf_hint(&msg, value, k->choices, (size_t)i);
		return buf_detach(&msg);
	case CONF_T_BOOL:
		if ((i = conf_parse_bool(value)) < 0)
			return xasprintf("%s: expected on or off, got '%s'", k->name, value);
		*(int *)field = i;
		return NULL;
	case CONF_T_LIST: {
		struct conf_list *l = field;
		char *why = conf_parse_list(value, l);
		size_t j;
		for (j = 0; why == NULL && k->check != NULL && j < l->count; j++)
			why = k->check(l->items[j]);
		if (why != NULL) {
			buf_printf(&msg, "%s: %s", k->name, why);
			free(why);
			return buf_detach(&msg);
		}
		return NULL;
	}
	}
	return xstrdup("internal: unknown key type");
}

static void *
conf_instance_base(struct conf_parser *p, const struct conf_section *s, const char *name,
                   unsigned line)
{
	struct conf *c = p->conf;
	size_t i;

	if (!s->named)
		return c;
	if (strcmp(s->name, "dataset") == 0) {
		for (i = 0; i < c->ndatasets; i++)
			if (strcmp(c->datasets[i].name, name) == 0)
				return NULL;
		c->datasets = xreallocarray(c->datasets, c->ndatasets + 1, sizeof *c->datasets);
		memset(&c->datasets[c->ndatasets], 0, sizeof *c->datasets);
		c->datasets[c->ndatasets].name = xstrdup(name);
		c->datasets[c->ndatasets].line = line;
		return &c->datasets[c->ndatasets++];
	}
	if (strcmp(s->name, "snapshots") == 0) {
		for (i = 0; i < c->nsnapshots; i++)
			if (strcmp(c->snapshots[i].name, name) == 0)
				return NULL;
		c->snapshots = xreallocarray(c->snapshots, c->nsnapshots + 1, sizeof *c->snapshots);
		memset(&c->snapshots[c->nsnapshots], 0, sizeof *c->snapshots);
		c->snapshots[c->nsnapshots].name = xstrdup(name);
		c->snapshots[c->nsnapshots].line = line;
		return &c->snapshots[c->nsnapshots++];
	}
	for (i = 0; i < c->nexports; i++)
		if (strcmp(c->exports[i].name, name) == 0)
			return NULL;
	c->exports = xreallocarray(c->exports, c->nexports + 1, sizeof *c->exports);
	memset(&c->exports[c->nexports], 0, sizeof *c->exports);
	c->exports[c->nexports].name = xstrdup(name);
	c->exports[c->nexports].line = line;
	return &c->exports[c->nexports++];
}

/* Named-section bases move when their array grows: resolve them after parsing. */
static void *
conf_resolve_base(struct conf *c, struct conf_instance *in)
{
	size_t i;

	if (!in->section->named)
		return c;
	if (strcmp(in->section->name, "dataset") == 0) {
		for (i = 0; i < c->ndatasets; i++)
			if (strcmp(c->datasets[i].name, in->name) == 0)
				return &c->datasets[i];
	} else if (strcmp(in->section->name, "snapshots") == 0) {
		for (i = 0; i < c->nsnapshots; i++)
			if (strcmp(c->snapshots[i].name, in->name) == 0)
				return &c->snapshots[i];
	} else {
		for (i = 0; i < c->nexports; i++)
			if (strcmp(c->exports[i].name, in->name) == 0)
				return &c->exports[i];
	}
	return NULL;
}

static struct conf_instance *
conf_instance_find(struct conf_parser *p, const struct conf_section *s, const char *name)
{
	size_t i;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->section == s && !s->named)
			return p->all[i];
	(void)name;
	return NULL;
}

static void
conf_parse_header(struct conf_parser *p, char *text, unsigned line)
{
	const char *names[CONF_NSECTIONS + 1];
	char *close = strchr(text, ']'), *word, *name = NULL;
	const struct conf_section *s = NULL;
	struct conf_instance *in;
	struct buf msg = BUF_INIT;
	size_t i;

	p->inst = NULL;
	p->skipping = 1;
	if (close == NULL || conf_trim(close + 1)[0] != '\0') {
		conf_error(p, line, "malformed section header: expected [name] or [name NAME]");
		return;
	}
	*close = '\0';
	word = conf_trim(text + 1);
	name = word + strcspn(word, " \t");
	if (*name != '\0') {
		*name++ = '\0';
		name = conf_trim(name);
	}
	for (i = 0; i < CONF_NSECTIONS; i++) {
		names[i] = conf_sections[i].name;
		if (strcmp(conf_sections[i].name, word) == 0)
			s = &conf_sections[i];
	}
	names[i] = NULL;
	if (s == NULL) {
		buf_printf(&msg, "unknown section [%s]", word);
		conf_hint(&msg, word, names, CONF_NSECTIONS);
		conf_error(p, line, "%s", msg.data);
		buf_free(&msg);
		return;
	}
	if (s->named && *name == '\0') {
		conf_error(p, line, "section [%s] needs a name: [%s NAME]", s->name, s->name);
		return;
	}
	if (!s->named && *name != '\0') {
		conf_error(p, line, "section [%s] takes no name", s->name);
		return;
	}
	p->skipping = 0;
	if ((in = conf_instance_find(p, s, name)) != NULL) {
		p->inst = in; /* a repeated [mysql] continues the first */
		return;
	}
	in = xcalloc(1, sizeof *in);
	in->section = s;
	in->name = xstrdup(name);
	in->line = line;
	if (conf_instance_base(p, s, name, line) == NULL) {
		conf_error(p, line, "duplicate section [%s %s]", s->name, name);
		free(in->name);
		free(in);
		p->skipping = 1;
		return;
	}
	p->all = xreallocarray(p->all, p->nall + 1, sizeof *p->all);
	p->all[p->nall++] = in;
	p->inst = in;
}

static void
conf_parse_assignment(struct conf_parser *p, char *text, unsigned line)
{
	const char *cands[CONF_NKEYS + 1];
	char *eq = strchr(text, '='), *key, *value, *why;
	const struct conf_key *k;
	struct buf msg = BUF_INIT;
	size_t i, n = 0, index;

	if (p->skipping)
		return;
	if (p->inst == NULL) {
		conf_error(p, line, "key outside any section");
		return;
	}
	if (eq == NULL) {
		conf_error(p, line, "expected key = value");
		return;
	}
	*eq = '\0';
	key = conf_trim(text);
	value = conf_trim(eq + 1);
	/* Quotes keep leading or trailing spaces; they are not part of the value. */
	if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
		value[strlen(value) - 1] = '\0';
		value++;
	}
	if ((k = conf_find_key(p->inst->section->name, key, &index)) == NULL) {
		for (i = 0; i < CONF_NKEYS; i++)
			if (strcmp(conf_keys[i].section, p->inst->section->name) == 0)
				cands[n++] = conf_keys[i].name;
		buf_printf(&msg, "unknown key '%s' in [%s]", key, p->inst->section->name);
		conf_hint(&msg, key, cands, n);
		conf_error(p, line, "%s", msg.data);
		buf_free(&msg);
		return;
	}
	if (p->inst->keyline[index] != 0) {
		conf_error(p, line, "duplicate key '%s' (first set on line %u)", key,
		           p->inst->keyline[index]);
		return;
	}
	p->inst->keyline[index] = line;
	if ((why = conf_set(k, conf_resolve_base(p->conf, p->inst), value)) != NULL) {
		conf_error(p, line, "%s", why);
		free(why);
	}
}

static void
conf_parse_text(struct conf_parser *p, const char *text)
{
	char *copy = xstrdup(text), *line = copy, *next, *s;
	unsigned lineno = 0;

	for (; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		s = conf_trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			conf_parse_header(p, s, lineno);
		else
			conf_parse_assignment(p, s, lineno);
	}
	free(copy);
}

int
conf_read_secret(const char *path, char **secret, char **cause)
{
	struct buf b = BUF_INIT_SECRET;
	struct stat st;
	char chunk[512], *why = NULL;
	ssize_t n = 0;
	int fd;

	*secret = NULL;
	/*
	 * Symlinks are followed (Kubernetes and systemd mount secrets through
	 * them); what counts is the file at the end, checked on the open fd.
	 */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
	    fstat(fd, &st) != 0) {
		*cause = xasprintf("cannot read secret file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		why = xasprintf("secret file %s is not a regular file", path);
	else if ((st.st_mode & 077) != 0)
		why = xasprintf("secret file %s is readable by group or others (mode %04o): "
		                "chmod 600 it",
		                path, (unsigned)(st.st_mode & 07777));
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		why = xasprintf("secret file %s is owned by uid %lu, neither root nor this "
		                "agent's user (uid %lu)",
		                path, (unsigned long)st.st_uid, (unsigned long)geteuid());
	else {
		while (b.len < 65536 &&
		       ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
			if (n > 0)
				buf_add(&b, chunk, (size_t)n);
		if (n < 0)
			why = xasprintf("cannot read secret file %s: %s", path, strerror(errno));
	}
	close(fd);
	explicit_bzero(chunk, sizeof chunk);
	if (why != NULL) {
		*cause = why;
		buf_free(&b);
		return -1;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	*secret = buf_detach(&b);
	return 0;
}

static void
conf_check_files(struct conf_parser *p, struct conf_instance *in, void *base)
{
	char *secret, *cause;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *path;

		if (strcmp(k->section, in->section->name) != 0 || in->keyline[i] == 0 ||
		    (k->type != CONF_T_SECRET && k->type != CONF_T_FILE))
			continue;
		path = *(char **)((char *)base + k->offset);
		if (path == NULL)
			continue;
		if (k->type == CONF_T_SECRET) {
			if (conf_read_secret(path, &secret, &cause) != 0) {
				conf_error(p, in->keyline[i], "%s: %s", k->name, cause);
				free(cause);
			} else {
				explicit_bzero(secret, strlen(secret));
				free(secret);
			}
		} else if (k->type == CONF_T_FILE && access(path, R_OK) != 0)
			conf_error(p, in->keyline[i], "%s: cannot read %s: %s", k->name, path,
			           strerror(errno));
	}
}

/* Applies defaults for the keys of section s not set in instance in (may be NULL). */
static void
conf_apply_defaults(struct conf_parser *p, const struct conf_section *s, struct conf_instance *in,
                    void *base)
{
	char *why;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(k->section, s->name) != 0 || (in != NULL && in->keyline[i] != 0))
			continue;
		if (k->required && in != NULL) {
			conf_error(p, in->line, "[%s%s%s]: missing required key '%s'", s->name,
			           s->named ? " " : "", s->named ? in->name : "", k->name);
			continue;
		}
		if (k->def == NULL)
			continue;
		if ((why = conf_set(k, base, k->def)) != NULL)
			fatal("conf: default of %s.%s is invalid: %s", s->name, k->name, why);
	}
}

static unsigned
conf_keyline(struct conf_instance *in, const char *name)
{
	size_t index;

	if (conf_find_key(in->section->name, name, &index) == NULL)
		fatal("conf: no key %s.%s", in->section->name, name);
	return in->keyline[index] != 0 ? in->keyline[index] : in->line;
}

static int
conf_list_has(const struct conf_list *l, const char *item)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->items[i], item) == 0)
			return 1;
	return 0;
}

/*
 * The key template may name any column of the table (warm checks them, and
 * that they cover a unique key, against the catalogue); the names are checked
 * as identifiers here.
 */
static char *
conf_template_column(const char *col, void *arg)
{
	(void)arg;
	return confval_ident(col);
}

static void
conf_validate_dataset(struct conf_parser *p, struct conf_instance *in, struct conf_dataset *d)
{
	size_t i, j;
	char *why;

	if (d->key != NULL &&
	    (why = confval_template_walk(d->key, conf_template_column, d)) != NULL) {
		conf_error(p, conf_keyline(in, "key"), "key: %s", why);
		free(why);
	}
	/* A column listed twice would be two hash fields in one, or duplicate JSON members. */
	for (i = 0; i < d->columns.count; i++)
		for (j = 0; j < i; j++)
			if (strcmp(d->columns.items[i], d->columns.items[j]) == 0) {
				conf_error(p, conf_keyline(in, "columns"),
				           "columns: '%s' is listed twice", d->columns.items[i]);
				j = i;
			}
	if (d->type == CONF_VALUE_STRING && d->value_column == NULL)
		conf_error(p, conf_keyline(in, "type"), "type = string needs value_column");
	if (d->value_column != NULL && d->type != CONF_VALUE_STRING)
		conf_error(p, conf_keyline(in, "value_column"),
		           "value_column is used only with type = string");
	if (d->value_column != NULL && d->columns.count > 0 &&
	    !conf_list_has(&d->columns, d->value_column))
		conf_error(p, conf_keyline(in, "value_column"),
		           "value_column '%s' is not in columns", d->value_column);
}

static void
conf_validate_snapshots(struct conf_parser *p, struct conf_instance *in, struct conf_snapshots *s)
{
	char *why = NULL;

	if (s->source == NULL)
		return; /* missing: reported already */
	if (s->service == CONF_SNAP_RDS)
		why = confval_aws_id(s->source, 63, "DB instance or cluster identifier");
	else if (s->service == CONF_SNAP_ELASTICACHE)
		why = confval_aws_id(s->source, 40, "replication group id");
	else if (s->service == CONF_SNAP_BACKUP)
		why = confval_vault(s->source);
	if (why != NULL) {
		conf_error(p, conf_keyline(in, "source"), "source: %s", why);
		free(why);
	}
}

static void
conf_validate_global(struct conf_parser *p)
{
	struct conf *c = p->conf;
	const char *region;
	char *why;

	/* NULL here means the value was bad, and that was reported already. */
	if (c->verify.schedule != NULL &&
	    (why = confval_parse_schedule(c->verify.schedule, &c->verify.when)) != NULL)
		fatal("conf: schedule check and parse disagree: %s", why);
	if (c->verify.timezone == NULL) /* "timezone =" */
		c->verify.timezone = xstrdup(SCHED_ZONE_DEFAULT);
	if (c->sns.region == NULL && c->sns.topic_arn != NULL) {
		/* arn:aws:sns:REGION:...: the fourth field. */
		region = strchr(strchr(strchr(c->sns.topic_arn, ':') + 1, ':') + 1, ':') + 1;
		c->sns.region = xstrndup(region, strcspn(region, ":"));
	}
	if (c->agent.name == NULL) {
		char host[256];

		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "unknown");
		host[sizeof host - 1] = '\0';
		c->agent.name = xstrdup(host);
	}
}

static void
conf_finish(struct conf_parser *p, int check_secrets)
{
	struct conf *c = p->conf;
	struct conf_instance *in;
	size_t i, j;
	void *base;

	for (i = 0; i < CONF_NSECTIONS; i++) {
		const struct conf_section *s = &conf_sections[i];
		if (s->named)
			continue;
		in = conf_instance_find(p, s, "");
		conf_apply_defaults(p, s, in, c);
	}
	for (j = 0; j < p->nall; j++) {
		in = p->all[j];
		base = conf_resolve_base(c, in);
		if (in->section->named)
			conf_apply_defaults(p, in->section, in, base);
		if (strcmp(in->section->name, "dataset") == 0)
			conf_validate_dataset(p, in, base);
		if (strcmp(in->section->name, "snapshots") == 0)
			conf_validate_snapshots(p, in, base);
		if (check_secrets)
			conf_check_files(p, in, base);
	}
	conf_validate_global(p);
}

static unsigned long
conf_error_line(const struct conf_parser *p, const char *msg)
{
	return strtoul(msg + strlen(p->file) + 1, NULL, 10);
}

/* Errors were found in passes (syntax, then cross-key rules): show them in file order. */
static void
conf_sort_errors(struct conf_parser *p)
{
	struct conf_errors *e = p->errors;
	size_t i, j;
	char *tmp;

	for (i = 1; i < e->count; i++) {
		tmp = e->lines[i];
		for (j = i; j > 0 && conf_error_line(p, e->lines[j - 1]) > conf_error_line(p, tmp);
		     j--)
			e->lines[j] = e->lines[j - 1];
		e->lines[j] = tmp;
	}
}

static struct conf *
conf_parse(const char *name, const char *text, int check_secrets, struct conf_errors *errors)
{
	struct conf_parser p;
	struct conf *c = xcalloc(1, sizeof *c);
	size_t i;

	memset(&p, 0, sizeof p);
	memset(errors, 0, sizeof *errors);
	c->file = xstrdup(name);
	p.file = name;
	p.conf = c;
	p.errors = errors;
	p.skipping = 0;
	conf_parse_text(&p, text);
	conf_finish(&p, check_secrets);
	conf_sort_errors(&p);
	for (i = 0; i < p.nall; i++) {
		free(p.all[i]->name);
		free(p.all[i]);
	}
	free(p.all);
	if (errors->count > 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_load_string(const char *name, const char *text, int check_secrets, struct conf_errors *errors)
{
	return conf_parse(name, text, check_secrets, errors);
}

struct conf *
conf_load(const char *path, int check_secrets, struct conf_errors *errors)
{
	struct buf text = BUF_INIT;
	struct conf *c;
	char chunk[8192];
	size_t n;
	FILE *f;

	memset(errors, 0, sizeof *errors);
	if ((f = fopen(path, "r")) == NULL) {
		errors->lines = xmalloc(sizeof *errors->lines);
		errors->lines[0] = xasprintf("%s: cannot open: %s", path, strerror(errno));
		errors->count = 1;
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&text, chunk, n);
	if (ferror(f)) {
		errors->lines = xmalloc(sizeof *errors->lines);
		errors->lines[0] = xasprintf("%s: read error: %s", path, strerror(errno));
		errors->count = 1;
		fclose(f);
		buf_free(&text);
		return NULL;
	}
	fclose(f);
	if (memchr(text.data ? text.data : "", '\0', text.len) != NULL) {
		errors->lines = xmalloc(sizeof *errors->lines);
		errors->lines[0] = xasprintf("%s: binary file (contains NUL bytes)", path);
		errors->count = 1;
		buf_free(&text);
		return NULL;
	}
	c = conf_parse(path, text.data ? text.data : "", check_secrets, errors);
	buf_free(&text);
	return c;
}

/* Frees every field of base that the table says is a string or list. */
static void
conf_free_fields(const char *section, void *base)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		void *field = (char *)base + k->offset;

		if (strcmp(k->section, section) != 0)
			continue;
		if (k->type == CONF_T_LIST)
			conf_list_free(field);
		else if (k->type == CONF_T_STRING || k->type == CONF_T_PATH ||
		         k->type == CONF_T_SECRET || k->type == CONF_T_FILE)
			free(*(char **)field);
	}
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CONF_NSECTIONS; i++)
		if (!conf_sections[i].named)
			conf_free_fields(conf_sections[i].name, c);
	for (i = 0; i < c->ndatasets; i++) {
		conf_free_fields("dataset", &c->datasets[i]);
		free(c->datasets[i].name);
	}
	for (i = 0; i < c->nexports; i++) {
		conf_free_fields("exports", &c->exports[i]);
		free(c->exports[i].name);
	}
	for (i = 0; i < c->nsnapshots; i++) {
		conf_free_fields("snapshots", &c->snapshots[i]);
		free(c->snapshots[i].name);
	}
	free(c->datasets);
	free(c->exports);
	free(c->snapshots);
	free(c->file);
	free(c);
}

void
conf_errors_free(struct conf_errors *e)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		free(e->lines[i]);
	free(e->lines);
	e->lines = NULL;
	e->count = 0;
}

const struct conf_dataset *
conf_find_dataset(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ndatasets; i++)
		if (strcmp(c->datasets[i].name, name) == 0)
			return &c->datasets[i];
	return NULL;
}

const struct conf_exports *
conf_find_exports(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nexports; i++)
		if (strcmp(c->exports[i].name, name) == 0)
			return &c->exports[i];
	return NULL;
}

const struct conf_snapshots *
conf_find_snapshots(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsnapshots; i++)
		if (strcmp(c->snapshots[i].name, name) == 0)
			return &c->snapshots[i];
	return NULL;
}

/* "string", "choice a|b|c", "integer 1..64": the type as help and man show it. */
static void
conf_key_type(struct buf *b, const struct conf_key *k)
{
	static const char *const types[] = { "string",  "path",     "secret file",
		                             "integer", "duration", "choice",
		                             "on|off",  "list",     "file" };

	buf_reset(b);
	if (k->type == CONF_T_ENUM)
		conf_choices(b, k->choices);
	else
		buf_adds(b, types[k->type]);
	if ((k->type == CONF_T_INT || k->type == CONF_T_DURATION) && (k->min || k->max))
		buf_printf(b, " %lld..%lld", k->min, k->max);
}

static const char *
conf_section_suffix(const char *section)
{
	return strcmp(section, "dataset") == 0 || strcmp(section, "exports") == 0 ||
	                       strcmp(section, "snapshots") == 0
	               ? " NAME"
	               : "";
}

void
conf_print_keys(FILE *out)
{
	const char *section = "";
	struct buf type = BUF_INIT;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "%s[%s%s]\n", i ? "\n" : "", section,
			        conf_section_suffix(section));
		}
		conf_key_type(&type, k);
		fprintf(out, "  %-18s %s%s%s%s\n      %s\n", k->name, type.data,
		        k->required ? ", required" : "", k->def ? ", default " : "",
		        k->def ? k->def : "", k->help);
	}
	buf_free(&type);
}

/*
 * Text as roff reads it literally: a backslash is \e, a hyphen \- (so that
 * option names and paths survive copy and paste), a double quote \(dq (it
 * may sit inside a quoted macro argument), and a line may not begin with a
 * control character.
 */
static void
conf_roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '"')
			fputs("\\(dq", out);
		else
			fputc(*s, out);
	}
}

void
conf_print_keys_man(FILE *out)
{
	const char *section = "";
	struct buf type = BUF_INIT;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, ".SS \"[%s%s]\"\n", section, conf_section_suffix(section));
		}
		conf_key_type(&type, k);
		fputs(".TP\n.B ", out);
		conf_roff(out, k->name);
		fputs("\n.RI \"", out);
		conf_roff(out, type.data);
		fputs(k->required ? ", required" : "", out);
		if (k->def != NULL) {
			fputs("; default \" \"", out);
			conf_roff(out, *k->def ? k->def : "(empty)");
		}
		fputs("\"\n.br\n", out);
		conf_roff(out, k->help);
		fputc('\n', out);
	}
	buf_free(&type);
}
