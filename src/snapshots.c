/* snapshots: AWS snapshots and backups audited per tier (see snapshots.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "awsapi.h"
#include "buf.h"
#include "conf.h"
#include "creds.h"
#include "fileio.h"
#include "jval.h"
#include "log.h"
#include "sigv4.h"
#include "snapshots.h"
#include "verify.h"
#include "xmalloc.h"
#include "xmlq.h"

#define SNAPSHOTS_FORM "application/x-www-form-urlencoded; charset=utf-8"

/* ---- items ---------------------------------------------------------------- */

void
snapshots_list_free(struct snapshots_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].kind);
		free(l->v[i].status);
		free(l->v[i].message);
		free(l->v[i].resource);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static struct snapshots_item *
snapshots_add(struct snapshots_list *l)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	return &l->v[l->n++];
}

static char *
snapshots_dup(const char *s, const char *def)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : def != NULL ? xstrdup(def) : NULL;
}

/* An ISO 8601 UTC time as AWS writes it; 0 when absent or unreadable. */
static int64_t
snapshots_time(const char *s)
{
	time_t t;

	return s != NULL && creds_parse_time(s, &t) == 0 ? (int64_t)t : 0;
}

/* A status in one of the lists (case-insensitive: RDS says "available", Backup "COMPLETED"). */
static int
snapshots_status_in(const char *status, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp(status, *list) == 0)
			return 1;
	return 0;
}

static enum snapshots_state
snapshots_state_of(const char *status, int backup_job)
{
	static const char *const snap_ok[] = { "available", "completed", NULL };
	static const char *const snap_busy[] = { "creating", NULL };
	static const char *const snap_bad[] = { "failed", "incompatible-restore", NULL };
	static const char *const job_busy[] = { "created", "pending", "running", "aborting", NULL };
	static const char *const job_bad[] = { "failed", "aborted", "expired", NULL };

	if (backup_job) /* a job's success is its recovery point's business */
		return snapshots_status_in(status, job_busy)  ? SNAPSHOTS_CREATING
		       : snapshots_status_in(status, job_bad) ? SNAPSHOTS_FAILED
		                                              : SNAPSHOTS_OTHER;
	if (snapshots_status_in(status, snap_ok))
		return SNAPSHOTS_AVAILABLE;
	if (snapshots_status_in(status, snap_busy))
		return SNAPSHOTS_CREATING;
	if (snapshots_status_in(status, snap_bad))
		return SNAPSHOTS_FAILED;
	return SNAPSHOTS_OTHER;
}

/* ---- answers -------------------------------------------------------------- */

static char *
snapshots_unreadable(const char *body, size_t len, const char *what, const char *why)
{
	char *snip = awsapi_snippet(body != NULL ? body : "", len);
	char *cause = xasprintf("the %s answer is not what was asked for (%s): first bytes %s",
	                        what, why, snip);

	free(snip);
	return cause;
}

struct snapshots_shape {
	const char *what;    /* the action, for causes */
	const char *result;  /* "DescribeDBSnapshotsResult" */
	const char *list;    /* "DBSnapshots" */
	const char *member;  /* "DBSnapshot" */
	const char *id;      /* "DBSnapshotIdentifier" */
	const char *kind;    /* "SnapshotType" */
	const char *status;  /* "Status" */
	const char *created; /* a path below the member */
};

static int
snapshots_parse_query(const char *body, size_t len, const struct snapshots_shape *sh,
                      struct snapshots_list *out, char **next, char **cause)
{
	const struct xmlq_node *result, *list, *m;
	struct snapshots_item *it;
	struct xmlq_node *doc;
	const char *marker, *status;
	char *why = NULL;
	size_t i;

	*next = NULL;
	if ((doc = xmlq_parse(body != NULL ? body : "", len, &why)) == NULL) {
		*cause = snapshots_unreadable(body, len, sh->what, why);
		free(why);
		return -1;
	}
	if ((result = xmlq_child(doc, sh->result)) == NULL) {
		why = xasprintf("no <%s> in <%.40s>", sh->result, doc->name);
		*cause = snapshots_unreadable(body, len, sh->what, why);
		free(why);
		xmlq_free(doc);
		return -1;
	}
	list = xmlq_child(result, sh->list);
	for (i = 0; list != NULL && i < list->n; i++) {
		m = list->kids[i];
		if (strcmp(m->name, sh->member) != 0)
			continue;
		it = snapshots_add(out);
		it->id = snapshots_dup(xmlq_text(m, sh->id), "(no identifier)");
		it->kind = snapshots_dup(xmlq_text(m, sh->kind), "unknown kind");
		status = xmlq_text(m, sh->status);
		it->status = snapshots_dup(status, "unknown");
		it->state = snapshots_state_of(it->status, 0);
		it->created = snapshots_time(xmlq_text(m, sh->created));
	}
	marker = xmlq_text(result, "Marker");
	if (marker != NULL && *marker != '\0')
		*next = xstrdup(marker);
	xmlq_free(doc);
	return 0;
}

int
snapshots_parse_rds(const char *body, size_t len, int cluster, struct snapshots_list *out,
                    char **next, char **cause)
{
	static const struct snapshots_shape db = { "DescribeDBSnapshots",
		                                   "DescribeDBSnapshotsResult",
		                                   "DBSnapshots",
		                                   "DBSnapshot",
		                                   "DBSnapshotIdentifier",
		                                   "SnapshotType",
		                                   "Status",
		                                   "SnapshotCreateTime" };
	static const struct snapshots_shape cl = { "DescribeDBClusterSnapshots",
		                                   "DescribeDBClusterSnapshotsResult",
		                                   "DBClusterSnapshots",
		                                   "DBClusterSnapshot",
		                                   "DBClusterSnapshotIdentifier",
		                                   "SnapshotType",
		                                   "Status",
		                                   "SnapshotCreateTime" };

	return snapshots_parse_query(body, len, cluster ? &cl : &db, out, next, cause);
}

int
snapshots_parse_elasticache(const char *body, size_t len, struct snapshots_list *out, char **next,
                            char **cause)
{
	/* A snapshot has a time per node; the first node's stands for it. */
	static const struct snapshots_shape ec = {
		"DescribeSnapshots", "DescribeSnapshotsResult",
		"Snapshots",         "Snapshot",
		"SnapshotName",      "SnapshotSource",
		"SnapshotStatus",    "NodeSnapshots/NodeSnapshot/SnapshotCreateTime"
	};

	return snapshots_parse_query(body, len, &ec, out, next, cause);
}

/* A REST-JSON timestamp: epoch seconds (a number) or ISO 8601 text. */
static int64_t
snapshots_json_time(const struct jval *obj, const char *key)
{
	const struct jval *v = jval_get(obj, key);
	double d;
	char *end;

	if (v == NULL)
		return 0;
	if (v->type == JVAL_STRING)
		return snapshots_time(v->str);
	if (v->type != JVAL_NUMBER)
		return 0;
	errno = 0;
	d = strtod(v->str, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d) || d < 0 || d > 253402300799.0)
		return 0;
	return (int64_t)d;
}

static void
snapshots_backup_item(const struct jval *e, int jobs, struct snapshots_list *out)
{
	struct snapshots_item *it = snapshots_add(out);

	it->id = snapshots_dup(jval_get_string(e, jobs ? "BackupJobId" : "RecoveryPointArn"),
	                       "(no identifier)");
	it->kind = xstrdup(jobs ? "backup job" : "recovery point");
	it->status = snapshots_dup(jval_get_string(e, jobs ? "State" : "Status"), "unknown");
	it->state = snapshots_state_of(it->status, jobs);
	it->created = snapshots_json_time(e, "CreationDate");
	it->completed = snapshots_json_time(e, "CompletionDate");
	it->message = snapshots_dup(jval_get_string(e, "StatusMessage"), NULL);
	it->resource = snapshots_dup(jval_get_string(e, "ResourceArn"), NULL);
}

int
snapshots_parse_backup(const char *body, size_t len, int jobs, struct snapshots_list *out,
                       char **next, char **cause)
{
	const char *what = jobs ? "ListBackupJobs" : "ListRecoveryPointsByBackupVault";
	const char *token;
	struct jval *doc, *list;
	char *why = NULL;
	size_t i;

	*next = NULL;
	if ((doc = jval_parse(body != NULL ? body : "", len, &why)) == NULL ||
	    doc->type != JVAL_OBJECT) {
		*cause = snapshots_unreadable(body, len, what, why != NULL ? why : "not an object");
		free(why);
		jval_free(doc);
		return -1;
	}
	list = jval_get(doc, jobs ? "BackupJobs" : "RecoveryPoints");
	if (list != NULL && list->type != JVAL_ARRAY) {
		*cause = snapshots_unreadable(body, len, what, "the list is not an array");
		jval_free(doc);
		return -1;
	}
	for (i = 0; list != NULL && i < list->n; i++)
		if (list->items[i]->type == JVAL_OBJECT)
			snapshots_backup_item(list->items[i], jobs, out);
	token = jval_get_string(doc, "NextToken");
	if (token != NULL && *token != '\0')
		*next = xstrdup(token);
	jval_free(doc);
	return 0;
}

/* ---- checks --------------------------------------------------------------- */

static int
snapshots_cmp_created(const void *a, const void *b)
{
	const struct snapshots_item *x = *(struct snapshots_item *const *)a;
	const struct snapshots_item *y = *(struct snapshots_item *const *)b;

	/* Ties (one second) by identifier, as snapshots_summarize picks the newest. */
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void
snapshots_stale(const struct snapshots_input *in, struct snapshots_item **av, size_t n,
                size_t undated, struct verify_problems *p)
{
	const struct snapshots_item *newest = n > 0 ? av[n - 1] : NULL;
	char age[32], max[32], when[AUDIT_TIME_LEN];

	audit_format_duration(in->max_age, max, sizeof max);
	if (newest == NULL) {
		if (undated > 0)
			verify_problem_add(p, NULL, "STALE",
			                   "%zu available snapshot%s, none with a creation time "
			                   "(max_age %s)",
			                   undated, undated == 1 ? "" : "s", max);
		else
			verify_problem_add(p, NULL, "STALE", "no available snapshot (max_age %s)",
			                   max);
		return;
	}
	if (in->now - newest->created < in->max_age)
		return;
	audit_format_duration(in->now - newest->created, age, sizeof age);
	clocks_rfc3339(newest->created, when);
	verify_problem_add(p, newest->id, "STALE",
	                   "newest available snapshot (%s) was created %s, %s ago; max_age %s",
	                   newest->kind, when, age, max);
}

/* av[first..n): the available snapshots inside the window, oldest first. */
static void
snapshots_retention(const struct snapshots_input *in, const struct audit_tier *t,
                    struct snapshots_item **av, size_t first, size_t n, struct verify_problems *p)
{
	char window[32], from[AUDIT_TIME_LEN], to[AUDIT_TIME_LEN], len[32], every[32];
	long long max_gap = t->interval_s + t->interval_s / 2;
	size_t i;

	audit_format_duration(t->window_s, window, sizeof window);
	if ((long long)(n - first) < in->retention)
		verify_problem_add(p, NULL, "RETENTION",
		                   "%zu available snapshot%s created inside the %s tier's %s "
		                   "window, %lld expected",
		                   n - first, n - first == 1 ? "" : "s", t->name, window,
		                   in->retention);
	audit_format_duration(t->interval_s, every, sizeof every);
	for (i = first + 1; i < n; i++) {
		if (av[i]->created - av[i - 1]->created <= max_gap)
			continue;
		clocks_rfc3339(av[i - 1]->created, from);
		clocks_rfc3339(av[i]->created, to);
		audit_format_duration(av[i]->created - av[i - 1]->created, len, sizeof len);
		verify_problem_add(p, av[i]->id, "GAP",
		                   "no snapshot for %s between %s (%s, %s) and %s (%s, %s): the %s "
		                   "tier takes one every %s",
		                   len, av[i - 1]->id, av[i - 1]->kind, from, av[i]->id,
		                   av[i]->kind, to, t->name, every);
	}
}

static void
snapshots_incomplete_failed(const struct snapshots_input *in, const struct audit_tier *t,
                            struct verify_problems *p)
{
	const struct snapshots_item *it;
	char when[AUDIT_TIME_LEN], age[32], limit[32];
	size_t i;

	audit_format_duration(t->interval_s, limit, sizeof limit);
	for (i = 0; i < in->items->n; i++) {
		it = &in->items->v[i];
		if (it->created == 0)
			continue;
		clocks_rfc3339(it->created, when);
		audit_format_duration(in->now - it->created, age, sizeof age);
		if (it->state == SNAPSHOTS_CREATING && in->now - it->created > t->interval_s)
			verify_problem_add(p, it->id, "INCOMPLETE",
			                   "%s still %s, started %s (%s ago), past the %s tier's "
			                   "completion window of %s%s%s",
			                   it->kind, it->status, when, age, t->name, limit,
			                   it->resource != NULL ? "; resource " : "",
			                   it->resource != NULL ? it->resource : "");
		else if (it->state == SNAPSHOTS_FAILED && it->created > in->since)
			verify_problem_add(p, it->id, "FAILED", "%s %s, started %s%s%s: %s",
			                   it->kind, it->status, when,
			                   it->resource != NULL ? ", resource " : "",
			                   it->resource != NULL ? it->resource : "",
			                   it->message != NULL ? it->message : "no status message");
	}
}

void
snapshots_check(const struct snapshots_input *in, struct verify_problems *p)
{
	const struct audit_tier *t = audit_tier(in->tier);
	struct snapshots_item **av;
	size_t i, n = 0, first = 0, undated = 0;

	if (t == NULL)
		fatal("snapshots: tier %d out of range", in->tier);
	av = xreallocarray(NULL, in->items->n + 1, sizeof *av);
	for (i = 0; i < in->items->n; i++) {
		if (in->items->v[i].state != SNAPSHOTS_AVAILABLE)
			continue;
		if (in->items->v[i].created > 0)
			av[n++] = &in->items->v[i];
		else
			undated++;
	}
	qsort(av, n, sizeof *av, snapshots_cmp_created);
	snapshots_stale(in, av, n, undated, p);
	if (in->retention > 0) {
		while (first < n && av[first]->created <= in->now - t->window_s)
			first++;
		snapshots_retention(in, t, av, first, n, p);
	}
	snapshots_incomplete_failed(in, t, p);
	free(av);
}

const char *
snapshots_service_name(int service)
{
	switch (service) {
	case CONF_SNAP_RDS:
		return "rds";
	case CONF_SNAP_ELASTICACHE:
		return "elasticache";
	default:
		return "backup";
	}
}

long long
snapshots_max_age(const struct conf_snapshots *s)
{
	const struct audit_tier *t = audit_tier(s->tier);

	if (s->max_age > 0 || t == NULL)
		return s->max_age;
	return t->interval_s + s->grace;
}

/* ---- listing -------------------------------------------------------------- */

typedef int (*snapshots_parse_fn)(const char *, size_t, int, struct snapshots_list *, char **,
                                  char **);

static int
snapshots_parse_rds_db(const char *b, size_t l, int x, struct snapshots_list *o, char **n, char **c)
{
	(void)x;
	return snapshots_parse_rds(b, l, 0, o, n, c);
}

static int
snapshots_parse_rds_cluster(const char *b, size_t l, int x, struct snapshots_list *o, char **n,
                            char **c)
{
	(void)x;
	return snapshots_parse_rds(b, l, 1, o, n, c);
}

static int
snapshots_parse_ec(const char *b, size_t l, int x, struct snapshots_list *o, char **n, char **c)
{
	(void)x;
	return snapshots_parse_elasticache(b, l, o, n, c);
}

/* One listing, every page. Query APIs take a form body; REST ones a query string. */
struct snapshots_listing {
	const char *iam_action;
	int rest;             /* GET path?query, else POST form */
	char *path;           /* REST: "/backup-jobs/" (owned) */
	char *params;         /* form or query parameters, encoded, without the token (owned) */
	const char *token;    /* "Marker", "nextToken" */
	const char *notfound; /* an error code meaning "nothing there", or NULL */
	snapshots_parse_fn parse;
	int arg;
};

static int
snapshots_list_all(struct awsapi *api, const struct snapshots_listing *ls,
                   struct snapshots_list *out, char **cause)
{
	struct buf params = BUF_INIT, body = BUF_INIT;
	struct awsapi_request req;
	char *next = NULL, *code = NULL;
	int page, rv = 0;

	for (page = 0; page < SNAPSHOTS_MAX_PAGES && rv == 0; page++) {
		buf_reset(&params);
		buf_adds(&params, ls->params);
		if (next != NULL) {
			buf_printf(&params, "&%s=", ls->token);
			sigv4_uri_encode(&params, next, strlen(next), 1);
		}
		memset(&req, 0, sizeof req);
		req.method = ls->rest ? "GET" : "POST";
		req.path = ls->rest ? ls->path : "/";
		req.query = ls->rest ? params.data : NULL;
		req.body = ls->rest ? NULL : params.data;
		req.body_len = ls->rest ? 0 : params.len;
		req.content_type = ls->rest ? NULL : SNAPSHOTS_FORM;
		req.iam_action = ls->iam_action;
		buf_reset(&body);
		free(next);
		next = NULL;
		if (awsapi_call(api, &req, &body, NULL, &code, cause) != 0) {
			if (ls->notfound != NULL && code != NULL &&
			    strcmp(code, ls->notfound) == 0) {
				free(*cause);
				*cause = NULL;
			} else
				rv = -1;
			break;
		}
		rv = ls->parse(body.data, body.len, ls->arg, out, &next, cause);
		if (next == NULL)
			break;
	}
	if (rv == 0 && next != NULL) {
		/* A Marker that never ends: the list is not known whole. */
		*cause = xasprintf("%s: still more pages after %d", ls->iam_action,
		                   SNAPSHOTS_MAX_PAGES);
		rv = -1;
	}
	free(next);
	free(code);
	buf_free(&params);
	buf_free(&body);
	return rv;
}

static char *
snapshots_encode(const char *s)
{
	struct buf b = BUF_INIT;

	sigv4_uri_encode(&b, s, strlen(s), 1);
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

/* The Query listings (form bodies) of an rds or elasticache set; returns how many. */
static size_t
snapshots_plan_query(const struct conf_snapshots *s, const char *src, struct snapshots_listing *ls)
{
	if (s->service == CONF_SNAP_ELASTICACHE) {
		ls[0] = (struct snapshots_listing){
			.iam_action = "elasticache:DescribeSnapshots",
			.params = xasprintf("Action=DescribeSnapshots&Version=2015-02-02&"
			                    "ReplicationGroupId=%s&MaxRecords=%d",
			                    src, SNAPSHOTS_PAGE_ELASTICACHE),
			.token = "Marker",
			.parse = snapshots_parse_ec,
		};
		return 1;
	}
	/* The source may be an instance or a cluster: both are asked, "not found" is none. */
	ls[0] = (struct snapshots_listing){
		.iam_action = "rds:DescribeDBSnapshots",
		.params = xasprintf("Action=DescribeDBSnapshots&Version=2014-10-31&"
		                    "DBInstanceIdentifier=%s&MaxRecords=%d",
		                    src, SNAPSHOTS_PAGE_RDS),
		.token = "Marker",
		.notfound = "DBInstanceNotFound",
		.parse = snapshots_parse_rds_db,
	};
	ls[1] = (struct snapshots_listing){
		.iam_action = "rds:DescribeDBClusterSnapshots",
		.params = xasprintf("Action=DescribeDBClusterSnapshots&Version=2014-10-31&"
		                    "DBClusterIdentifier=%s&MaxRecords=%d",
		                    src, SNAPSHOTS_PAGE_RDS),
		.token = "Marker",
		.notfound = "DBClusterNotFoundFault",
		.parse = snapshots_parse_rds_cluster,
	};
	return 2;
}

/*
 * The REST listings of a backup set: recovery points created inside the
 * window, and jobs since the last run, or two intervals back at least (a
 * stuck job is reported while it is young enough to matter).
 */
static size_t
snapshots_plan_backup(const struct conf_snapshots *s, const char *src, int64_t now, int64_t since,
                      struct snapshots_listing *ls)
{
	const struct audit_tier *t = audit_tier(s->tier);
	char after[AUDIT_TIME_LEN], jobs_after[AUDIT_TIME_LEN], *a, *j;

	clocks_rfc3339(now - t->window_s, after);
	clocks_rfc3339(since < now - 2 * t->interval_s ? since : now - 2 * t->interval_s,
	               jobs_after);
	a = snapshots_encode(after); /* ':' encoded, as AWS's SDKs send it */
	j = snapshots_encode(jobs_after);
	ls[0] = (struct snapshots_listing){
		.iam_action = "backup:ListRecoveryPointsByBackupVault",
		.rest = 1,
		.path = xasprintf("/backup-vaults/%s/recovery-points/", src),
		.params = xasprintf("createdAfter=%s&maxResults=%d", a, SNAPSHOTS_PAGE_BACKUP),
		.token = "nextToken",
		.parse = snapshots_parse_backup,
	};
	ls[1] = (struct snapshots_listing){
		.iam_action = "backup:ListBackupJobs",
		.rest = 1,
		.path = xstrdup("/backup-jobs/"),
		.params = xasprintf("backupVaultName=%s&createdAfter=%s&maxResults=%d", src, j,
		                    SNAPSHOTS_PAGE_BACKUP),
		.token = "nextToken",
		.parse = snapshots_parse_backup,
		.arg = 1,
	};
	free(a);
	free(j);
	return 2;
}

/* The listings of one set: 0, or -1 and each failure added to p as UNREADABLE. */
static int
snapshots_fetch(struct awsapi *api, const struct conf_snapshots *s, int64_t now, int64_t since,
                struct snapshots_list *items, struct verify_problems *p)
{
	struct snapshots_listing ls[2];
	char *src = snapshots_encode(s->source), *cause = NULL;
	size_t i, n;
	int rv = 0;

	memset(ls, 0, sizeof ls);
	if (s->service == CONF_SNAP_BACKUP)
		n = snapshots_plan_backup(s, src, now, since, ls);
	else
		n = snapshots_plan_query(s, src, ls);
	for (i = 0; i < n; i++) {
		if (snapshots_list_all(api, &ls[i], items, &cause) != 0) {
			verify_problem_add(p, NULL, "UNREADABLE", "%s", cause);
			free(cause);
			cause = NULL;
			rv = -1;
		}
		free(ls[i].path);
		free(ls[i].params);
	}
	free(src);
	return rv;
}

/* ---- the run -------------------------------------------------------------- */

/* [snapshots] region, [sns] region, AWS_REGION, AWS_DEFAULT_REGION, instance metadata. */
static char *
snapshots_region(const struct conf *conf, const struct conf_snapshots *s, char **cause)
{
	struct creds_chain *ch;
	const char *env;
	char *region = NULL;

	if (s->region != NULL)
		return xstrdup(s->region);
	if (conf->sns.region != NULL)
		return xstrdup(conf->sns.region);
	if ((env = getenv("AWS_REGION")) != NULL && *env != '\0')
		return xstrdup(env);
	if ((env = getenv("AWS_DEFAULT_REGION")) != NULL && *env != '\0')
		return xstrdup(env);
	ch = creds_chain_new(CONF_CREDS_IMDS, NULL);
	if (creds_chain_region(ch, &region, cause) != 0) {
		char *why = *cause;

		*cause = xasprintf("no region: set [snapshots] region or [sns] region (%s)", why);
		free(why);
	}
	creds_chain_free(ch);
	return region;
}

static char *
snapshots_state_path(const struct conf *conf, const struct conf_snapshots *s)
{
	return xasprintf("%s/%s.snapshots", conf->verify.manifest_dir, s->name);
}

/* When the set was last listed whole; 0 when never. */
static int64_t
snapshots_last_run(const char *path)
{
	char line[64];
	long long v = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) == NULL || sscanf(line, "last_run %lld", &v) != 1 || v < 0)
		v = 0;
	fclose(f);
	return (int64_t)v;
}

static void
snapshots_save_run(const struct conf *conf, const char *path, int64_t now)
{
	char line[64], *cause = NULL;
	int n = snprintf(line, sizeof line, "last_run %" PRId64 "\n", now);

	if (fileio_mkdirs(conf->verify.manifest_dir, 0750, &cause) != 0 ||
	    fileio_replace(path, line, (size_t)n, 0640, &cause) != 0) {
		log_warn("snapshots: %s not written: %s (failures are looked for since the "
		         "previous run again next time)",
		         path, cause);
		free(cause);
	}
}

static void
snapshots_summarize(const struct snapshots_list *items, struct snapshots_result *r)
{
	size_t i;

	r->listed = items->n;
	for (i = 0; i < items->n; i++) {
		if (items->v[i].state != SNAPSHOTS_AVAILABLE)
			continue;
		r->available++;
		if (items->v[i].created > 0 &&
		    (!r->have_newest || items->v[i].created > r->newest ||
		     (items->v[i].created == r->newest &&
		      strcmp(items->v[i].id, r->newest_id) > 0))) {
			r->have_newest = 1;
			r->newest = items->v[i].created;
			free(r->newest_id);
			r->newest_id = xstrdup(items->v[i].id);
		}
	}
}

void
snapshots_verify(const struct conf *conf, const struct conf_snapshots *s, int64_t now,
                 struct snapshots_result *r)
{
	struct snapshots_list items = { NULL, 0 };
	struct snapshots_input in;
	struct awsapi *api = NULL;
	char *cause = NULL, *state = snapshots_state_path(conf, s);
	int64_t since = snapshots_last_run(state);

	memset(r, 0, sizeof *r);
	if (since == 0 || since > now)
		since = now - snapshots_max_age(s); /* first run: one max_age back */
	if ((r->region = snapshots_region(conf, s, &cause)) == NULL ||
	    (api = awsapi_new(snapshots_service_name(s->service), r->region, s->endpoint,
	                      conf->sns.credentials, conf->sns.profile, &cause)) == NULL) {
		verify_problem_add(&r->problems, NULL, "UNREADABLE", "%s", cause);
		free(cause);
	} else if (snapshots_fetch(api, s, now, since, &items, &r->problems) == 0) {
		memset(&in, 0, sizeof in);
		in.now = now;
		in.since = since;
		in.max_age = snapshots_max_age(s);
		in.retention = s->retention;
		in.tier = s->tier;
		in.items = &items;
		snapshots_check(&in, &r->problems);
		snapshots_summarize(&items, r);
		snapshots_save_run(conf, state, now);
	}
	awsapi_free(api);
	snapshots_list_free(&items);
	free(state);
}

void
snapshots_result_free(struct snapshots_result *r)
{
	verify_problems_free(&r->problems);
	free(r->region);
	free(r->newest_id);
	memset(r, 0, sizeof *r);
}
