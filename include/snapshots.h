/*
 * snapshots: the cloud side of `cachewarden verify`. For each
 * [snapshots NAME] (conf.h) the snapshots or backups AWS keeps are listed
 * (awsapi.h) and audited against the set's tier (audit.h), with the problem
 * names of the verify report (verify.h):
 *
 *   STALE       no available snapshot, or the newest available one is
 *               max_age old or older (max_age 0: the tier's interval + grace);
 *   RETENTION   fewer than `retention` available snapshots created inside the
 *               tier's window (retention 0: not audited, and no GAP either);
 *   GAP         two consecutive available snapshots inside the window more
 *               than 1.5 x the tier's interval apart;
 *   INCOMPLETE  a snapshot (or an AWS Backup job) still being created longer
 *               than the tier's interval, its completion window;
 *   FAILED      an AWS Backup job FAILED, ABORTED or EXPIRED, or a snapshot in
 *               status failed, created since the set's previous run;
 *   UNREADABLE  a listing that failed (permission, network, an answer that is
 *               not XML/JSON): the other checks are skipped then, as they would
 *               judge a partial list.
 *
 * Automated and manual snapshots both count; each problem names the
 * snapshot, its kind and its times. The APIs: rds DescribeDBSnapshots and
 * DescribeDBClusterSnapshots, elasticache DescribeSnapshots (Query, XML,
 * Marker), backup ListRecoveryPointsByBackupVault and ListBackupJobs (REST
 * JSON, NextToken). The time of a set's last run is kept in
 * verify.manifest_dir/NAME.snapshots (FAILED looks back to it).
 *
 * The parsers and the checks are pure (tests give them text and times);
 * snapshots_verify does the network and blocks.
 */
#ifndef CW_SNAPSHOTS_H
#define CW_SNAPSHOTS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "verify.h"

/* Snapshots asked for per page (the APIs' own maximum is 100; ElastiCache's 50). */
#define SNAPSHOTS_PAGE_RDS         100
#define SNAPSHOTS_PAGE_ELASTICACHE 50
#define SNAPSHOTS_PAGE_BACKUP      100
/* Pages read per listing at most: a loop on a Marker that never ends stops here. */
#define SNAPSHOTS_MAX_PAGES 1000

enum snapshots_state {
	SNAPSHOTS_AVAILABLE, /* counts for STALE, RETENTION, GAP */
	SNAPSHOTS_CREATING,  /* INCOMPLETE once older than the completion window */
	SNAPSHOTS_FAILED,    /* FAILED when created since the last run */
	SNAPSHOTS_OTHER      /* deleting, copying, a completed backup job, ... */
};

struct snapshots_item {
	char *id;     /* snapshot identifier, recovery point ARN, backup job id */
	char *kind;   /* "automated", "manual", "awsbackup", "recovery point", "backup job" */
	char *status; /* as AWS spells it */
	enum snapshots_state state;
	int64_t created;   /* 0 when AWS gave no time */
	int64_t completed; /* 0 when unknown */
	char *message;     /* StatusMessage, or NULL */
	char *resource;    /* the backed-up resource (AWS Backup), or NULL */
};

struct snapshots_list {
	struct snapshots_item *v;
	size_t n;
};

void snapshots_list_free(struct snapshots_list *l);

/*
 * One page of an answer, appended to out. *next gets the Marker or NextToken
 * (NULL on the last page; the caller frees it). -1 and a cause (with the
 * first bytes of the answer) when it is not the expected XML or JSON.
 */
int snapshots_parse_rds(const char *body, size_t len, int cluster, struct snapshots_list *out,
                        char **next, char **cause);
int snapshots_parse_elasticache(const char *body, size_t len, struct snapshots_list *out,
                                char **next, char **cause);
/* jobs: ListBackupJobs; else ListRecoveryPointsByBackupVault. */
int snapshots_parse_backup(const char *body, size_t len, int jobs, struct snapshots_list *out,
                           char **next, char **cause);

struct snapshots_input {
	int64_t now;
	int64_t since;       /* FAILED reports failures created after this */
	long long max_age;   /* resolved: never 0 */
	long long retention; /* 0 = RETENTION and GAP not audited */
	int tier;            /* enum conf_tier */
	const struct snapshots_list *items;
};

/* Adds the STALE, RETENTION, GAP, INCOMPLETE and FAILED problems of in to p. */
void snapshots_check(const struct snapshots_input *in, struct verify_problems *p);

/* "rds", "elasticache", "backup". */
const char *snapshots_service_name(int service);
/* max_age, or the tier's interval plus grace when it is 0. */
long long snapshots_max_age(const struct conf_snapshots *s);

struct snapshots_result {
	struct verify_problems problems;
	char *region;     /* the region used, or NULL when none was found */
	size_t available; /* available snapshots listed */
	size_t listed;    /* everything listed (jobs and other states too) */
	int have_newest;  /* an available snapshot with a time */
	int64_t newest;   /* its creation time */
	char *newest_id;
};

/* Lists and audits one set at now; r is filled (the caller frees it). */
void snapshots_verify(const struct conf *conf, const struct conf_snapshots *s, int64_t now,
                      struct snapshots_result *r);
void snapshots_result_free(struct snapshots_result *r);

#endif
