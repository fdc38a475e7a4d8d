/*
 * Unit tests for audit: freshness, retention count and gaps on synthetic
 * timestamps (the clock is an argument), and the duration and time texts.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.h"
#include "conf.h"

#define HOUR 3600LL
#define DAY  (24 * HOUR)
/* 2026-03-01T00:00:00Z */
#define NOW 1772323200LL

struct found {
	struct audit_problem *p;
	size_t n;
};

static void
run(struct found *f, const int64_t *mtimes, size_t n, long long max_age, long long retention,
    int tier)
{
	struct audit_input in = { NOW, mtimes, n, max_age, retention, tier };
	size_t added;

	f->p = NULL;
	f->n = 0;
	added = audit_run(&in, &f->p, &f->n);
	assert_int_equal(added, f->n);
}

static size_t
count(const struct found *f, enum audit_kind kind)
{
	size_t i, c = 0;

	for (i = 0; i < f->n; i++)
		c += f->p[i].kind == kind;
	return c;
}

static const char *
detail(const struct found *f, enum audit_kind kind, size_t nth)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->p[i].kind == kind && nth-- == 0)
			return f->p[i].detail;
	fail_msg("no problem of kind %s number %zu", audit_kind_name(kind), nth);
	return NULL;
}

static void
done(struct found *f)
{
	audit_problems_free(f->p, f->n);
}

static void
check_duration(long long s, const char *want)
{
	char out[32];

	audit_format_duration(s, out, sizeof out);
	assert_string_equal(out, want);
}

static void
test_durations(void **state)
{
	(void)state;
	check_duration(0, "0s");
	check_duration(-5, "0s");
	check_duration(59, "59s");
	check_duration(60, "1m");
	check_duration(61, "1m 1s");
	check_duration(HOUR, "1h");
	check_duration(HOUR + 30 * 60 + 10, "1h 30m");
	check_duration(26 * HOUR, "1d 2h");
	check_duration(DAY, "1d");
	check_duration(DAY + DAY / 2, "1d 12h");
	check_duration(180 * DAY, "180d");
}

static void
test_times(void **state)
{
	char out[AUDIT_TIME_LEN];

	(void)state;
	clocks_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	clocks_rfc3339(NOW + 3661, out);
	assert_string_equal(out, "2026-03-01T01:01:01Z");
}

static void
test_tiers(void **state)
{
	(void)state;
	assert_string_equal(audit_tier(CONF_TIER_CRITICAL)->name, "critical");
	assert_int_equal(audit_tier(CONF_TIER_CRITICAL)->interval_s, 6 * HOUR);
	assert_int_equal(audit_tier(CONF_TIER_CRITICAL)->window_s, 90 * DAY);
	assert_int_equal(audit_tier(CONF_TIER_STANDARD)->interval_s, DAY);
	assert_int_equal(audit_tier(CONF_TIER_STANDARD)->window_s, 180 * DAY);
	assert_int_equal(audit_tier(CONF_TIER_DEVELOPMENT)->interval_s, 7 * DAY);
	assert_int_equal(audit_tier(CONF_TIER_DEVELOPMENT)->window_s, 30 * DAY);
	assert_int_equal(audit_tier(CONF_TIER_DYNAMODB)->interval_s, DAY);
	assert_int_equal(audit_tier(CONF_TIER_DYNAMODB)->window_s, 365 * DAY);
	assert_null(audit_tier(-1));
	assert_null(audit_tier(4));
}

static void
test_stale(void **state)
{
	int64_t fresh[] = { NOW - 3 * DAY, NOW - HOUR };
	int64_t old[] = { NOW - 3 * DAY, NOW - 26 * HOUR };
	int64_t future[] = { NOW + HOUR };
	struct found f;

	(void)state;
	run(&f, NULL, 0, 26 * HOUR, 0, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 1);
	assert_string_equal(detail(&f, AUDIT_STALE, 0), "no file in the set (max_age 1d 2h)");
	done(&f);

	run(&f, fresh, 2, 26 * HOUR, 0, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 0);
	done(&f);

	/* Exactly max_age old is no longer younger than max_age. */
	run(&f, old, 2, 26 * HOUR, 0, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 1);
	assert_string_equal(detail(&f, AUDIT_STALE, 0), "newest file is 1d 2h old, max_age 1d 2h");
	done(&f);

	/* A clock ahead on the writer is not staleness. */
	run(&f, future, 1, 60, 0, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 0);
	done(&f);
}

static void
test_retention_count(void **state)
{
	int64_t t[7];
	struct found f;
	size_t i;

	(void)state;
	/* Five daily files inside the window, two older than 180 days. */
	for (i = 0; i < 5; i++)
		t[i] = NOW - (int64_t)i * DAY - HOUR;
	t[5] = NOW - 181 * DAY;
	t[6] = NOW - 180 * DAY; /* on the window's edge: outside */
	run(&f, t, 7, 26 * HOUR, 7, CONF_TIER_STANDARD);
	assert_int_equal(count(&f, AUDIT_RETENTION), 1);
	assert_int_equal(count(&f, AUDIT_GAP), 0);
	assert_int_equal(count(&f, AUDIT_STALE), 0);
	assert_string_equal(detail(&f, AUDIT_RETENTION, 0),
	                    "5 files inside the standard tier's 180d window, 7 expected");
	done(&f);

	run(&f, t, 7, 26 * HOUR, 5, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 0);
	done(&f);

	/* retention = 0: neither counted nor gap-checked, whatever the files. */
	t[1] = NOW - 40 * DAY;
	run(&f, t, 7, 26 * HOUR, 0, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 0);
	done(&f);
}

static void
test_gaps(void **state)
{
	/* Daily at 01:00, unsorted, with 2026-02-24 missing. */
	int64_t t[] = { NOW - DAY + HOUR,     NOW - 2 * DAY + HOUR, NOW - 3 * DAY + HOUR,
		        NOW - 6 * DAY + HOUR, NOW - 4 * DAY + HOUR, NOW - 7 * DAY + HOUR };
	struct found f;

	(void)state;
	run(&f, t, 6, 26 * HOUR, 6, CONF_TIER_STANDARD);
	assert_int_equal(f.n, 1);
	assert_string_equal(detail(&f, AUDIT_GAP, 0),
	                    "no file between 2026-02-23T01:00:00Z and 2026-02-25T01:00:00Z (2d), "
	                    "more than 1d 12h = 1.5 x the standard tier's 1d interval");
	done(&f);

	/* Critical: every 6 h, so 9 h is the most allowed. */
	{
		int64_t c[] = { NOW - HOUR, NOW - 10 * HOUR, NOW - 19 * HOUR, NOW - 19 * HOUR - 1 };
		run(&f, c, 4, 6 * HOUR, 4, CONF_TIER_CRITICAL);
		assert_int_equal(count(&f, AUDIT_GAP), 0); /* 9 h apart: not more than 9 h */
		done(&f);
		c[1] = NOW - 10 * HOUR - 1;
		run(&f, c, 4, 6 * HOUR, 4, CONF_TIER_CRITICAL);
		assert_int_equal(count(&f, AUDIT_GAP), 1);
		done(&f);
	}
}

static void
test_gap_bounds(void **state)
{
	/* Weekly development backups: a file before the 30-day window and a
	 * file inside it are far apart, but that span is not audited; nor is
	 * the newest file to now, which is STALE's business. */
	int64_t t[] = { NOW - 60 * DAY, NOW - 20 * DAY, NOW - 14 * DAY, NOW - 9 * DAY };
	struct found f;

	(void)state;
	run(&f, t, 4, 8 * DAY, 3, CONF_TIER_DEVELOPMENT);
	assert_int_equal(count(&f, AUDIT_GAP), 0);
	assert_int_equal(count(&f, AUDIT_RETENTION), 0);
	assert_int_equal(count(&f, AUDIT_STALE), 1);
	done(&f);

	/* Two gaps: two problems, oldest first. Same-second files are no gap. */
	{
		int64_t d[] = { NOW - DAY, NOW - DAY, NOW - 5 * DAY, NOW - 9 * DAY };
		run(&f, d, 4, 2 * DAY, 4, CONF_TIER_DYNAMODB);
		assert_int_equal(count(&f, AUDIT_GAP), 2);
		assert_non_null(strstr(detail(&f, AUDIT_GAP, 0), "between 2026-02-20T00:00:00Z"));
		assert_non_null(strstr(detail(&f, AUDIT_GAP, 1), "between 2026-02-24T00:00:00Z"));
		assert_non_null(strstr(detail(&f, AUDIT_GAP, 1), "the dynamodb tier's 1d"));
		done(&f);
	}
}

static void
test_appends(void **state)
{
	int64_t t[] = { NOW - 100 * DAY };
	struct audit_input in = { NOW, t, 1, DAY, 2, CONF_TIER_CRITICAL };
	struct audit_problem *p = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(audit_run(&in, &p, &n), 2); /* STALE, RETENTION (0 inside 90d) */
	assert_int_equal(audit_run(&in, &p, &n), 2);
	assert_int_equal(n, 4);
	assert_string_equal(audit_kind_name(p[0].kind), "STALE");
	assert_string_equal(audit_kind_name(p[1].kind), "RETENTION");
	assert_string_equal(p[1].detail,
	                    "0 files inside the critical tier's 90d window, 2 expected");
	audit_problems_free(p, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),       cmocka_unit_test(test_times),
		cmocka_unit_test(test_tiers),           cmocka_unit_test(test_stale),
		cmocka_unit_test(test_retention_count), cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_gap_bounds),      cmocka_unit_test(test_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
