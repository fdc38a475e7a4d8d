/*
 * Unit tests for snapshots: the answers of RDS, ElastiCache and AWS Backup
 * read into items (pages, kinds, states, times; garbage refused with its
 * first bytes), and the STALE / RETENTION / GAP / INCOMPLETE / FAILED checks
 * as a table of cases on synthetic times.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "snapshots.h"
#include "verify.h"

#define HOUR 3600LL
#define DAY  (24 * HOUR)
/* 2026-03-01T00:00:00Z */
#define NOW 1772323200LL

/* ---- parsers ---- */

static void
test_rds_page(void **state)
{
	const char *doc =
	        "<DescribeDBSnapshotsResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">"
	        "<DescribeDBSnapshotsResult><DBSnapshots>"
	        "<DBSnapshot><DBSnapshotIdentifier>rds:orders-2026-02-28-03-00</"
	        "DBSnapshotIdentifier>"
	        "<SnapshotType>automated</SnapshotType><Status>available</Status>"
	        "<SnapshotCreateTime>2026-02-28T03:00:12.345Z</SnapshotCreateTime></DBSnapshot>"
	        "<DBSnapshot><DBSnapshotIdentifier>before-upgrade</DBSnapshotIdentifier>"
	        "<SnapshotType>manual</SnapshotType><Status>creating</Status>"
	        "<PercentProgress>40</PercentProgress></DBSnapshot>"
	        "</DBSnapshots><Marker>abc=</Marker></DescribeDBSnapshotsResult>"
	        "</DescribeDBSnapshotsResponse>";
	struct snapshots_list l = { NULL, 0 };
	char *next = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(snapshots_parse_rds(doc, strlen(doc), 0, &l, &next, &cause), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "rds:orders-2026-02-28-03-00");
	assert_string_equal(l.v[0].kind, "automated");
	assert_int_equal(l.v[0].state, SNAPSHOTS_AVAILABLE);
	assert_int_equal(l.v[0].created, NOW - DAY + 3 * HOUR + 12);
	assert_string_equal(l.v[1].kind, "manual");
	assert_int_equal(l.v[1].state, SNAPSHOTS_CREATING);
	assert_int_equal(l.v[1].created, 0);
	assert_string_equal(next, "abc=");
	free(next);
	snapshots_list_free(&l);
}

static void
test_cluster_and_last_page(void **state)
{
	const char *doc =
	        "<DescribeDBClusterSnapshotsResponse><DescribeDBClusterSnapshotsResult>"
	        "<DBClusterSnapshots><DBClusterSnapshot>"
	        "<DBClusterSnapshotIdentifier>c1</DBClusterSnapshotIdentifier>"
	        "<SnapshotType>awsbackup</SnapshotType><Status>failed</Status>"
	        "<SnapshotCreateTime>2026-02-28T00:00:00Z</SnapshotCreateTime>"
	        "</DBClusterSnapshot></DBClusterSnapshots>"
	        "</DescribeDBClusterSnapshotsResult></DescribeDBClusterSnapshotsResponse>";
	struct snapshots_list l = { NULL, 0 };
	char *next = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(snapshots_parse_rds(doc, strlen(doc), 1, &l, &next, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "c1");
	assert_string_equal(l.v[0].kind, "awsbackup");
	assert_int_equal(l.v[0].state, SNAPSHOTS_FAILED);
	assert_null(next);
	snapshots_list_free(&l);
}

static void
test_elasticache(void **state)
{
	const char *doc =
	        "<DescribeSnapshotsResponse><DescribeSnapshotsResult><Snapshots><Snapshot>"
	        "<SnapshotName>automatic.sessions-2026-02-28-05-00</SnapshotName>"
	        "<SnapshotStatus>available</SnapshotStatus><SnapshotSource>automated</"
	        "SnapshotSource>"
	        "<NodeSnapshots><NodeSnapshot><CacheNodeId>0001</CacheNodeId>"
	        "<SnapshotCreateTime>2026-02-28T05:00:00Z</SnapshotCreateTime></NodeSnapshot>"
	        "<NodeSnapshot><SnapshotCreateTime>2026-02-28T05:00:09Z</SnapshotCreateTime>"
	        "</NodeSnapshot></NodeSnapshots></Snapshot></Snapshots><Marker>m2</Marker>"
	        "</DescribeSnapshotsResult></DescribeSnapshotsResponse>";
	struct snapshots_list l = { NULL, 0 };
	char *next = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(snapshots_parse_elasticache(doc, strlen(doc), &l, &next, &cause), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "automated");
	assert_int_equal(l.v[0].created, NOW - DAY + 5 * HOUR);
	assert_string_equal(next, "m2");
	free(next);
	snapshots_list_free(&l);
}

static void
test_backup(void **state)
{
	const char *jobs =
	        "{\"BackupJobs\":[{\"BackupJobId\":\"j1\",\"State\":\"FAILED\","
	        "\"StatusMessage\":\"Insufficient privileges\",\"CreationDate\":1772236800.5,"
	        "\"ResourceArn\":\"arn:aws:dynamodb:eu-west-1:1:table/t\"},"
	        "{\"BackupJobId\":\"j2\",\"State\":\"COMPLETED\",\"CreationDate\":1772236800},"
	        "{\"BackupJobId\":\"j3\",\"State\":\"RUNNING\",\"CreationDate\":"
	        "\"2026-02-27T00:00:00Z\"}],\"NextToken\":\"t/2+\"}";
	const char *points =
	        "{\"RecoveryPoints\":[{\"RecoveryPointArn\":\"arn:rp1\",\"Status\":"
	        "\"COMPLETED\",\"CreationDate\":1772236800,\"CompletionDate\":1772237000}]}";
	struct snapshots_list l = { NULL, 0 };
	char *next = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(snapshots_parse_backup(jobs, strlen(jobs), 1, &l, &next, &cause), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].kind, "backup job");
	assert_int_equal(l.v[0].state, SNAPSHOTS_FAILED);
	assert_string_equal(l.v[0].message, "Insufficient privileges");
	assert_string_equal(l.v[0].resource, "arn:aws:dynamodb:eu-west-1:1:table/t");
	assert_int_equal(l.v[0].created, NOW - DAY);
	assert_int_equal(l.v[1].state, SNAPSHOTS_OTHER); /* its recovery point counts */
	assert_int_equal(l.v[2].state, SNAPSHOTS_CREATING);
	assert_int_equal(l.v[2].created, NOW - 2 * DAY);
	assert_string_equal(next, "t/2+");
	free(next);
	assert_int_equal(snapshots_parse_backup(points, strlen(points), 0, &l, &next, &cause), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[3].kind, "recovery point");
	assert_int_equal(l.v[3].state, SNAPSHOTS_AVAILABLE);
	assert_int_equal(l.v[3].completed, NOW - DAY + 200);
	assert_null(next);
	snapshots_list_free(&l);
}

static void
expect_unreadable(int rv, char *cause, const char *want)
{
	assert_int_equal(rv, -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		print_error("cause '%s' lacks '%s'\n", cause, want);
	assert_non_null(strstr(cause, want));
	free(cause);
}

static void
test_garbage(void **state)
{
	struct snapshots_list l = { NULL, 0 };
	char *next = NULL, *cause = NULL;
	const char *html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
	const char *bin = "\x1f\x8b\x08\x00\x00\x00";
	int rv;

	(void)state;
	rv = snapshots_parse_rds(html, strlen(html), 0, &l, &next, &cause);
	expect_unreadable(rv, cause,
	                  "first bytes \"<html><body><h1>502 Bad Gateway</h1></body></html>\"");
	cause = NULL;
	rv = snapshots_parse_elasticache(bin, 6, &l, &next, &cause);
	expect_unreadable(rv, cause, "first bytes \"\\x1f\\x8b\\x08\\x00\\x00\\x00\"");
	cause = NULL;
	rv = snapshots_parse_backup("<xml/>", 6, 1, &l, &next, &cause);
	expect_unreadable(rv, cause, "ListBackupJobs answer is not what was asked for");
	cause = NULL;
	rv = snapshots_parse_backup("{\"BackupJobs\":7}", 16, 1, &l, &next, &cause);
	expect_unreadable(rv, cause, "not an array");
	cause = NULL;
	rv = snapshots_parse_backup("[]", 2, 0, &l, &next, &cause);
	expect_unreadable(rv, cause, "not an object");
	cause = NULL;
	rv = snapshots_parse_rds(NULL, 0, 1, &l, &next, &cause);
	expect_unreadable(rv, cause, "first bytes \"\"");
	cause = NULL;
	rv = snapshots_parse_rds("<a/>", 4, 1, &l, &next, &cause);
	expect_unreadable(rv, cause, "no <DescribeDBClusterSnapshotsResult> in <a>");
	assert_int_equal(l.n, 0);
}

/* ---- checks, as a table ---- */

struct item_spec {
	const char *id;
	const char *kind;
	const char *status;
	enum snapshots_state state;
	long long age; /* seconds before NOW; -1: no time */
};

struct check_case {
	const char *name;
	long long max_age, retention, since_age;
	int tier;
	struct item_spec items[8];
	const char *want; /* "PROBLEM:id PROBLEM:(set) ...", in the order found */
};

#define A(id, age)                                                                                 \
	{                                                                                          \
		id, "automated", "available", SNAPSHOTS_AVAILABLE, age                             \
	}
#define M(id, age)                                                                                 \
	{                                                                                          \
		id, "manual", "available", SNAPSHOTS_AVAILABLE, age                                \
	}

static const struct check_case check_cases[] = {
	{ "fresh daily set",
	  26 * HOUR,
	  3,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("a", 2 * HOUR), A("b", 26 * HOUR), M("c", 49 * HOUR) },
	  "" },
	{ "nothing at all", 26 * HOUR, 0, DAY, CONF_TIER_STANDARD, { { NULL } }, "STALE:(set)" },
	{ "undated only", 26 * HOUR, 0, DAY, CONF_TIER_STANDARD, { A("u", -1) }, "STALE:(set)" },
	{ "newest too old",
	  26 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("old", 30 * HOUR), M("older", 50 * HOUR) },
	  "STALE:old" },
	{ "exactly max_age is stale",
	  26 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("edge", 26 * HOUR) },
	  "STALE:edge" },
	{ "a creating one does not make it fresh",
	  8 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_CRITICAL,
	  { A("a", 9 * HOUR), { "busy", "manual", "creating", SNAPSHOTS_CREATING, HOUR } },
	  "STALE:a" },
	{ "retention short",
	  26 * HOUR,
	  5,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("a", HOUR), A("b", 25 * HOUR), A("c", 49 * HOUR) },
	  "RETENTION:(set)" },
	{ "outside the window does not count",
	  8 * DAY,
	  2,
	  DAY,
	  CONF_TIER_DEVELOPMENT,
	  { A("a", DAY), A("b", 31 * DAY) },
	  "RETENTION:(set)" },
	{ "gap between two",
	  26 * HOUR,
	  2,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("a", HOUR), M("b", 40 * HOUR) },
	  "GAP:a" },
	{ "no gap audit without retention",
	  26 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_STANDARD,
	  { A("a", HOUR), M("b", 40 * HOUR) },
	  "" },
	{ "stuck creating",
	  8 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_CRITICAL,
	  { A("a", HOUR), { "stuck", "manual", "creating", SNAPSHOTS_CREATING, 7 * HOUR } },
	  "INCOMPLETE:stuck" },
	{ "creating within its window",
	  8 * HOUR,
	  0,
	  DAY,
	  CONF_TIER_CRITICAL,
	  { A("a", HOUR), { "busy", "manual", "creating", SNAPSHOTS_CREATING, 5 * HOUR } },
	  "" },
	{ "failed since the last run",
	  26 * HOUR,
	  0,
	  12 * HOUR,
	  CONF_TIER_STANDARD,
	  { A("a", HOUR),
	    { "j1", "backup job", "FAILED", SNAPSHOTS_FAILED, 2 * HOUR },
	    { "j2", "backup job", "EXPIRED", SNAPSHOTS_FAILED, 11 * HOUR },
	    { "j0", "backup job", "ABORTED", SNAPSHOTS_FAILED, 13 * HOUR } },
	  "FAILED:j1 FAILED:j2" },
	{ "everything at once",
	  6 * HOUR,
	  4,
	  DAY,
	  CONF_TIER_CRITICAL,
	  { A("a", 7 * HOUR),
	    A("b", 20 * HOUR),
	    { "s", "automated", "creating", SNAPSHOTS_CREATING, 8 * HOUR },
	    { "f", "manual", "failed", SNAPSHOTS_FAILED, 3 * HOUR },
	    { "d", "manual", "deleting", SNAPSHOTS_OTHER, 2 * HOUR } },
	  "STALE:a RETENTION:(set) GAP:a INCOMPLETE:s FAILED:f" },
};

static void
run_case(const struct check_case *c)
{
	struct snapshots_list l = { NULL, 0 };
	struct verify_problems p = { NULL, 0 };
	struct snapshots_input in;
	struct buf got = BUF_INIT;
	size_t i;

	l.v = calloc(8, sizeof *l.v);
	for (i = 0; i < 8 && c->items[i].id != NULL; i++) {
		l.v[i].id = strdup(c->items[i].id);
		l.v[i].kind = strdup(c->items[i].kind);
		l.v[i].status = strdup(c->items[i].status);
		l.v[i].state = c->items[i].state;
		l.v[i].created = c->items[i].age < 0 ? 0 : NOW - c->items[i].age;
		l.n++;
	}
	memset(&in, 0, sizeof in);
	in.now = NOW;
	in.since = NOW - c->since_age;
	in.max_age = c->max_age;
	in.retention = c->retention;
	in.tier = c->tier;
	in.items = &l;
	snapshots_check(&in, &p);
	buf_adds(&got, "");
	for (i = 0; i < p.n; i++) {
		buf_printf(&got, "%s%s:%s", i ? " " : "", p.v[i].problem,
		           p.v[i].file != NULL ? p.v[i].file : "(set)");
		assert_non_null(p.v[i].detail);
	}
	if (strcmp(got.data, c->want) != 0) {
		print_error("case '%s': want '%s', got '%s'\n", c->name, c->want, got.data);
		for (i = 0; i < p.n; i++)
			print_error("  %s: %s\n", p.v[i].problem, p.v[i].detail);
		fail();
	}
	buf_free(&got);
	verify_problems_free(&p);
	snapshots_list_free(&l);
}

static void
test_check_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++)
		run_case(&check_cases[i]);
}

/* The details name the snapshot, its kind and its times. */
static void
test_details(void **state)
{
	struct snapshots_item items[3] = {
		{ "rds:db-1", "automated", "available", SNAPSHOTS_AVAILABLE, NOW - 30 * HOUR, 0,
		  NULL, NULL },
		{ "before-upgrade", "manual", "available", SNAPSHOTS_AVAILABLE, NOW - 70 * HOUR, 0,
		  NULL, NULL },
		{ "j9", "backup job", "FAILED", SNAPSHOTS_FAILED, NOW - HOUR, 0,
		  "Backup job failed because the vault was locked", "arn:aws:rds:x:1:db:orders" },
	};
	struct snapshots_list l = { items, 3 };
	struct verify_problems p = { NULL, 0 };
	struct snapshots_input in = { NOW, NOW - DAY, 26 * HOUR, 3, CONF_TIER_STANDARD, &l };

	(void)state;
	snapshots_check(&in, &p);
	assert_int_equal(p.n, 4);
	assert_string_equal(p.v[0].problem, "STALE");
	assert_string_equal(p.v[0].detail, "newest available snapshot (automated) was created "
	                                   "2026-02-27T18:00:00Z, 1d 6h ago; max_age 1d 2h");
	assert_string_equal(p.v[1].problem, "RETENTION");
	assert_string_equal(p.v[1].detail, "2 available snapshots created inside the standard "
	                                   "tier's 180d window, 3 expected");
	assert_string_equal(p.v[2].problem, "GAP");
	assert_string_equal(p.v[2].detail,
	                    "no snapshot for 1d 16h between before-upgrade (manual, "
	                    "2026-02-26T02:00:00Z) and rds:db-1 (automated, 2026-02-27T18:00:00Z): "
	                    "the standard tier takes one every 1d");
	assert_string_equal(p.v[3].problem, "FAILED");
	assert_string_equal(p.v[3].detail, "backup job FAILED, started 2026-02-28T23:00:00Z, "
	                                   "resource arn:aws:rds:x:1:db:orders: Backup job failed "
	                                   "because the vault was locked");
	verify_problems_free(&p);
}

static void
test_max_age_default(void **state)
{
	struct conf_snapshots s;

	(void)state;
	memset(&s, 0, sizeof s);
	s.tier = CONF_TIER_CRITICAL;
	s.grace = 2 * HOUR;
	assert_int_equal(snapshots_max_age(&s), 8 * HOUR);
	s.tier = CONF_TIER_DEVELOPMENT;
	assert_int_equal(snapshots_max_age(&s), 7 * DAY + 2 * HOUR);
	s.max_age = 90;
	assert_int_equal(snapshots_max_age(&s), 90);
	assert_string_equal(snapshots_service_name(CONF_SNAP_ELASTICACHE), "elasticache");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rds_page),    cmocka_unit_test(test_cluster_and_last_page),
		cmocka_unit_test(test_elasticache), cmocka_unit_test(test_backup),
		cmocka_unit_test(test_garbage),     cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_details),     cmocka_unit_test(test_max_age_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
