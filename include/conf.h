/*
 * conf: agent.conf, an INI file, parsed through one table of keys (conf.c:
 * conf_keys) into an immutable snapshot. Every error is collected as
 * "file:line: message" so the operator sees all of them at once.
 *
 * conf_load returns a struct conf the caller owns (conf_free). Strings inside
 * it belong to the snapshot. Secrets are never stored here: only the paths of
 * the files that hold them, read on demand with conf_read_secret.
 */
#ifndef CW_CONF_H
#define CW_CONF_H

#include <stddef.h>
#include <stdio.h>

/* SYSCONFDIR comes from configure: /etc for the packages. */
#define CONF_DEFAULT_PATH SYSCONFDIR "/cachewarden/agent.conf"

enum conf_log_level { CONF_LOG_ERROR, CONF_LOG_WARN, CONF_LOG_INFO, CONF_LOG_DEBUG };
enum conf_log_format { CONF_LOG_TEXT, CONF_LOG_JSON };
enum conf_mysql_tls {
	CONF_MYSQL_TLS_DISABLED,
	CONF_MYSQL_TLS_PREFERRED,
	CONF_MYSQL_TLS_REQUIRED,
	CONF_MYSQL_TLS_VERIFY_CA,
	CONF_MYSQL_TLS_VERIFY_IDENTITY
};
enum conf_on_restore { CONF_ON_RESTORE_REBUILD, CONF_ON_RESTORE_REPORT, CONF_ON_RESTORE_OFF };
enum conf_warm_write { CONF_WARM_WRITE_AUTO, CONF_WARM_WRITE_RESTORE, CONF_WARM_WRITE_COMMANDS };
enum conf_value_type { CONF_VALUE_HASH, CONF_VALUE_JSON, CONF_VALUE_STRING };
/* json: integers and decimals beyond +-(2^53-1), as strings (I-JSON) or numbers. */
enum conf_json_big_numbers { CONF_JSON_BIG_STRING, CONF_JSON_BIG_NUMBER };
enum conf_format {
	CONF_FORMAT_AUTO,
	CONF_FORMAT_RDB,
	CONF_FORMAT_GZIP,
	CONF_FORMAT_MYSQLDUMP,
	CONF_FORMAT_PARQUET,
	CONF_FORMAT_RAW
};
enum conf_tier {
	CONF_TIER_CRITICAL,
	CONF_TIER_STANDARD,
	CONF_TIER_DEVELOPMENT,
	CONF_TIER_DYNAMODB
};
enum conf_credentials { CONF_CREDS_AUTO, CONF_CREDS_ENV, CONF_CREDS_FILE, CONF_CREDS_IMDS };
enum conf_snap_service { CONF_SNAP_RDS, CONF_SNAP_ELASTICACHE, CONF_SNAP_BACKUP };
enum conf_schedule_kind { CONF_SCHEDULE_DAILY, CONF_SCHEDULE_EVERY, CONF_SCHEDULE_WEEKLY };

struct conf_list {
	char **items;
	size_t count;
};

struct conf_schedule {
	enum conf_schedule_kind kind;
	long long interval_s; /* every */
	int weekday;          /* weekly: 0 = Sunday */
	int hour, minute;     /* daily, weekly */
};

struct conf_dataset {
	char *name;
	unsigned line; /* of the [dataset NAME] header, for messages */
	char *table;
	char *key_column;
	struct conf_list columns;
	char *where;
	char *key;
	int type; /* enum conf_value_type */
	char *value_column;
	int json_big_numbers; /* enum conf_json_big_numbers */
	long long ttl;
};

struct conf_exports {
	char *name;
	unsigned line;
	char *path;
	int format; /* enum conf_format */
	long long max_age;
	long long retention;
	int tier; /* enum conf_tier */
};

/* [snapshots NAME]: snapshots and backups kept by AWS, audited by verify (snapshots.h). */
struct conf_snapshots {
	char *name;
	unsigned line;
	int service; /* enum conf_snap_service */
	char *source;
	int tier;          /* enum conf_tier */
	long long max_age; /* 0: the tier's interval plus grace */
	long long grace;
	long long retention;
	char *region;   /* NULL: [sns] region, else instance metadata */
	char *endpoint; /* NULL: the service's regional endpoint */
};

struct conf {
	char *file;
	struct {
		char *name;
		char *state_dir;
		int log_level;  /* enum conf_log_level */
		int log_format; /* enum conf_log_format */
		long long health_interval;
	} agent;
	struct {
		char *listen;
		char *token_file;
	} admin;
	struct {
		char *host;
		long long port;
		char *socket;
		char *user;
		char *password_file;
		char *database;
		int tls; /* enum conf_mysql_tls */
		char *ca_file;
		long long connect_timeout;
	} mysql;
	struct {
		char *host;
		long long port;
		char *socket;
		char *username;
		char *password_file;
		long long db;
		int tls; /* 0 off, 1 on */
		char *ca_file;
		long long connect_timeout;
	} redis;
	struct {
		long long workers;
		long long batch_rows;
		long long max_batch_bytes;
		long long max_rows_per_sec;
		long long ttl_jitter;
		long long verify_sample;
		int on_restore; /* enum conf_on_restore */
		int lease;      /* 0 off, 1 on */
		long long lease_ttl;
		long long restore_poll;
		int write; /* enum conf_warm_write */
	} warm;
	struct {
		char *schedule;
		struct conf_schedule when;
		char *timezone;  /* IANA name, for sched_zone_load */
		long long splay; /* seconds */
		long long workers;
		long long max_read_mb_per_sec; /* 0: unlimited */
		char *manifest_dir;
		char *trusted_key;
		char *signing_key;
	} verify;
	struct {
		char *topic_arn;
		char *region;
		char *endpoint;
		char *spool_dir;
		long long spool_max_mb;
		int credentials; /* enum conf_credentials */
		char *profile;
		long long not_found_grace; /* seconds */
	} sns;
	struct conf_dataset *datasets;
	size_t ndatasets;
	struct conf_exports *exports;
	size_t nexports;
	struct conf_snapshots *snapshots;
	size_t nsnapshots;
};

/* Collected "file:line: message" strings; owned by the struct. */
struct conf_errors {
	char **lines;
	size_t count;
};

/*
 * Parses path. On success returns a snapshot and leaves errors empty; on any
 * error returns NULL with every message in errors (release with
 * conf_errors_free). check_secrets also stats every secret file.
 */
struct conf *conf_load(const char *path, int check_secrets, struct conf_errors *errors);
struct conf *conf_load_string(const char *name, const char *text, int check_secrets,
                              struct conf_errors *errors);
void conf_free(struct conf *conf);
void conf_errors_free(struct conf_errors *errors);

const struct conf_dataset *conf_find_dataset(const struct conf *conf, const char *name);
const struct conf_exports *conf_find_exports(const struct conf *conf, const char *name);
const struct conf_snapshots *conf_find_snapshots(const struct conf *conf, const char *name);

/*
 * Reads a secret file (trailing newline removed, at most 64 KiB) after
 * refusing one that is not a regular file, that group or others may read,
 * or that belongs to someone other than root or this process's user.
 * Symlinks are followed: the checks are on the final target (Kubernetes and
 * systemd credentials mount secrets through links). No copy is left behind
 * unwiped. Returns 0 and a string the caller frees (and should wipe), or -1
 * and a cause.
 */
int conf_read_secret(const char *path, char **secret, char **cause);

/* Prints every key of the table with its type, default and help. */
void conf_print_keys(FILE *out);

/*
 * The same keys as roff (.SS per section, .TP per key) for agent.conf(5);
 * the Makefile splices it into doc/agent.conf.5.in at build time, so the
 * man page cannot drift from the table.
 */
void conf_print_keys_man(FILE *out);

/* Parses "26h", "90m", "30s", "7d" or plain seconds; -1 on error. */
long long conf_parse_duration(const char *s);

#endif
