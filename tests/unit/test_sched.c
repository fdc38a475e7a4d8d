/*
 * Unit tests of sched: one cmocka test per row of a table of schedules, zones
 * and instants (DST gaps and repeats, month and year ends, instants past the
 * last transition of a file), plus zone names, TZif forms and sched_splay.
 *
 * The expected instants were derived from the local wall time each row must
 * fire at (the comment on the row) and checked once against Python's zoneinfo
 * and `TZ=zone date -d @T`. The zones come from tzdata (scripts/install-deps.sh).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "fileio.h"
#include "sched.h"
#include "xmalloc.h"

#define D(h, m)                                                                                    \
	{                                                                                          \
		CONF_SCHEDULE_DAILY, 0, 0, h, m                                                    \
	}
#define W(d, h, m)                                                                                 \
	{                                                                                          \
		CONF_SCHEDULE_WEEKLY, 0, d, h, m                                                   \
	}
#define E(s)                                                                                       \
	{                                                                                          \
		CONF_SCHEDULE_EVERY, s, 0, 0, 0                                                    \
	}
#define SUN 0
#define THU 4

struct row {
	const char *zone;
	struct conf_schedule when;
	const char *after; /* UTC, "YYYY-MM-DDTHH:MM:SSZ" */
	const char *want;  /* UTC */
};

/* clang-format off */
static const struct row rows[] = {
	/* UTC: month ends, leap years, the year end, strictly after. */
	{ "UTC", D(3, 30), "2026-01-31T04:00:00Z", "2026-02-01T03:30:00Z" },
	{ "UTC", D(3, 30), "2026-02-28T04:00:00Z", "2026-03-01T03:30:00Z" },
	{ "UTC", D(3, 30), "2028-02-28T04:00:00Z", "2028-02-29T03:30:00Z" },
	{ "UTC", D(3, 30), "2028-02-29T04:00:00Z", "2028-03-01T03:30:00Z" },
	{ "UTC", D(3, 30), "2100-02-28T04:00:00Z", "2100-03-01T03:30:00Z" }, /* 2100: no leap */
	{ "UTC", D(3, 30), "2000-02-28T04:00:00Z", "2000-02-29T03:30:00Z" }, /* 2000: leap */
	{ "UTC", D(0, 0), "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z" },
	{ "UTC", D(3, 30), "2026-05-10T03:29:59Z", "2026-05-10T03:30:00Z" },
	{ "UTC", D(3, 30), "2026-05-10T03:30:00Z", "2026-05-11T03:30:00Z" },
	{ "UTC", D(23, 59), "1969-12-31T12:00:00Z", "1969-12-31T23:59:00Z" },
	{ "UTC", W(SUN, 1, 0), "2026-12-31T12:00:00Z", "2027-01-03T01:00:00Z" },
	{ "UTC", W(SUN, 1, 0), "2026-12-27T00:00:00Z", "2026-12-27T01:00:00Z" },
	{ "UTC", W(SUN, 1, 0), "2026-12-27T01:00:00Z", "2027-01-03T01:00:00Z" },
	{ "UTC", W(THU, 0, 0), "1970-01-01T00:00:00Z", "1970-01-08T00:00:00Z" },
	/* every: multiples of N from the epoch, whatever the zone. */
	{ "UTC", E(6 * 3600), "2026-05-10T03:30:00Z", "2026-05-10T06:00:00Z" },
	{ "UTC", E(6 * 3600), "2026-05-10T06:00:00Z", "2026-05-10T12:00:00Z" },
	{ "UTC", E(6 * 3600), "1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z" },
	{ "UTC", E(7 * 3600), "1970-01-01T00:00:00Z", "1970-01-01T07:00:00Z" },
	{ "UTC", E(7 * 3600), "2026-05-10T00:00:00Z", "2026-05-10T05:00:00Z" },
	{ "Europe/Berlin", E(6 * 3600), "2026-03-29T00:30:00Z", "2026-03-29T06:00:00Z" },
	{ "America/New_York", E(90 * 60), "2026-11-01T05:59:59Z", "2026-11-01T06:00:00Z" },

	/* Europe/Berlin 2026: CET -> CEST Sun 29 Mar 02:00, CEST -> CET Sun 25 Oct 03:00. */
	{ "Europe/Berlin", D(3, 30), "2026-01-15T12:00:00Z", "2026-01-16T02:30:00Z" }, /* CET */
	{ "Europe/Berlin", D(3, 30), "2026-07-15T12:00:00Z", "2026-07-16T01:30:00Z" }, /* CEST */
	{ "Europe/Berlin", D(2, 30), "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z" }, /* gap: 03:00 */
	{ "Europe/Berlin", D(2, 0), "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z" },  /* gap: 03:00 */
	{ "Europe/Berlin", D(3, 0), "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z" },  /* 03:00 CEST */
	{ "Europe/Berlin", D(3, 30), "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z" },
	{ "Europe/Berlin", D(1, 59), "2026-03-28T12:00:00Z", "2026-03-29T00:59:00Z" }, /* CET */
	{ "Europe/Berlin", D(2, 30), "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z" },
	{ "Europe/Berlin", D(2, 30), "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z" }, /* 1st: CEST */
	{ "Europe/Berlin", D(2, 30), "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z" }, /* not twice */
	{ "Europe/Berlin", D(2, 30), "2026-10-25T01:00:00Z", "2026-10-26T01:30:00Z" },
	{ "Europe/Berlin", D(2, 0), "2026-10-24T12:00:00Z", "2026-10-25T00:00:00Z" },
	{ "Europe/Berlin", D(3, 0), "2026-10-24T12:00:00Z", "2026-10-25T02:00:00Z" },  /* CET */
	{ "Europe/Berlin", W(SUN, 2, 30), "2026-03-23T00:00:00Z", "2026-03-29T01:00:00Z" },
	{ "Europe/Berlin", W(SUN, 2, 30), "2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z" },
	{ "Europe/Berlin", D(0, 30), "2026-12-31T22:59:59Z", "2026-12-31T23:30:00Z" }, /* Jan 1 */
	{ "Europe/Berlin", D(0, 30), "2026-12-31T23:30:00Z", "2027-01-01T23:30:00Z" }, /* Jan 2 */
	{ "Europe/Berlin", W(SUN, 1, 0), "2026-12-28T12:00:00Z", "2027-01-03T00:00:00Z" },
	/* Past the last transition in the file: the footer's rule (2100). */
	{ "Europe/Berlin", D(2, 30), "2100-03-27T12:00:00Z", "2100-03-28T01:00:00Z" },
	{ "Europe/Berlin", D(2, 30), "2100-10-30T12:00:00Z", "2100-10-31T00:30:00Z" },
	{ "Europe/Berlin", D(2, 30), "2100-10-31T00:30:00Z", "2100-11-01T01:30:00Z" },

	/* America/New_York 2026: EST -> EDT Sun 8 Mar 02:00, EDT -> EST Sun 1 Nov 02:00. */
	{ "America/New_York", D(2, 30), "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z" }, /* gap */
	{ "America/New_York", D(2, 30), "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z" },
	{ "America/New_York", D(1, 30), "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z" }, /* EDT */
	{ "America/New_York", D(1, 30), "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z" },
	{ "America/New_York", D(1, 30), "2026-11-01T06:00:00Z", "2026-11-02T06:30:00Z" },
	{ "America/New_York", D(0, 0), "2026-01-31T06:00:00Z", "2026-02-01T05:00:00Z" },
	{ "America/New_York", D(23, 0), "2028-02-29T04:00:00Z", "2028-03-01T04:00:00Z" },
	{ "America/New_York", D(23, 0), "2026-02-28T04:00:00Z", "2026-03-01T04:00:00Z" },
	{ "America/New_York", W(SUN, 1, 0), "2026-12-28T00:00:00Z", "2027-01-03T06:00:00Z" },
	{ "America/New_York", W(SUN, 2, 30), "2026-03-02T00:00:00Z", "2026-03-08T07:00:00Z" },
	{ "America/New_York", D(2, 30), "2100-03-13T12:00:00Z", "2100-03-14T07:00:00Z" },
	{ "America/New_York", D(1, 30), "2100-11-06T12:00:00Z", "2100-11-07T05:30:00Z" },

	/* Australia/Lord_Howe: +10:30, +11 in summer; 30-minute steps, south. */
	{ "Australia/Lord_Howe", D(2, 15), "2026-10-03T12:00:00Z", "2026-10-03T15:30:00Z" }, /* gap */
	{ "Australia/Lord_Howe", D(1, 45), "2026-04-04T12:00:00Z", "2026-04-04T14:45:00Z" }, /* 1st */
	{ "Australia/Lord_Howe", D(1, 45), "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z" },
	/* Asia/Kolkata: +05:30, no DST. */
	{ "Asia/Kolkata", D(3, 30), "2026-01-31T22:00:00Z", "2026-02-01T22:00:00Z" },
};
/* clang-format on */
#define NROWS (sizeof rows / sizeof rows[0])

static time_t
parse_utc(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	return timegm(&tm);
}

static void
test_row(void **state)
{
	const struct row *r = *state;
	struct sched_zone *z;
	char *cause = NULL;
	time_t next = 0, want = parse_utc(r->want);

	z = sched_zone_load(r->zone, &cause);
	if (z == NULL)
		fail_msg("%s: %s", r->zone, cause);
	if (sched_next(&r->when, z, parse_utc(r->after), &next, &cause) != 0)
		fail_msg("sched_next: %s", cause);
	if (next != want)
		fail_msg("want %s (%lld), got %lld (%+lld s)", r->want, (long long)want,
		         (long long)next, (long long)(next - want));
	sched_zone_free(z);
}

static void
test_offsets(void **state)
{
	struct sched_zone *z;
	char *cause = NULL;

	(void)state;
	z = sched_zone_load("Europe/Berlin", &cause);
	assert_non_null(z);
	assert_string_equal(sched_zone_name(z), "Europe/Berlin");
	/* 1 s before and at the change (2026-03-29T01:00:00Z). */
	assert_int_equal(sched_zone_offset(z, parse_utc("2026-03-29T00:59:59Z")), 3600);
	assert_int_equal(sched_zone_offset(z, parse_utc("2026-03-29T01:00:00Z")), 7200);
	assert_int_equal(sched_zone_offset(z, parse_utc("2100-07-01T00:00:00Z")), 7200);
	assert_int_equal(sched_zone_offset(z, parse_utc("2100-12-01T00:00:00Z")), 3600);
	/* Before 1893 Berlin kept local mean time, +0:53:28. */
	assert_int_equal(sched_zone_offset(z, parse_utc("1850-01-01T00:00:00Z")), 3208);
	sched_zone_free(z);
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"",
		"../etc/passwd",
		"/etc/localtime",
		"Europe/../UTC",
		"Europe/Ber lin",
		"UTC;rm -rf",
		"Europe\\Berlin",
		"Mars/Olympus_Mons",
		"Europe",
		"zone.tab",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *cause = NULL;
		struct sched_zone *z = sched_zone_load(bad[i], &cause);

		if (z != NULL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(cause);
		assert_non_null(strstr(cause, bad[i]));
		free(cause);
	}
}

/* A TZDIR of our own: a v1-only copy of a real zone, and files that are not TZif. */
static void
test_tzif_forms(void **state)
{
	char dir[] = "/tmp/test_sched.XXXXXX", *path, *cause = NULL;
	unsigned char *data;
	struct sched_zone *z;
	struct conf_schedule when = D(2, 30);
	time_t next = 0;
	FILE *f;
	size_t len, v1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
	assert_non_null(f);
	data = xmalloc(1 << 16);
	len = fread(data, 1, 1 << 16, f);
	fclose(f);
	assert_true(len > 44 && data[4] >= '2');
	/* The v1 part alone: header and 32-bit data, version byte cleared. */
	v1 = 44 + (size_t)(data[32] << 24 | data[33] << 16 | data[34] << 8 | data[35]) * 5 +
	     (size_t)(data[36] << 24 | data[37] << 16 | data[38] << 8 | data[39]) * 6 +
	     (size_t)(data[40] << 24 | data[41] << 16 | data[42] << 8 | data[43]) +
	     (size_t)(data[28] << 24 | data[29] << 16 | data[30] << 8 | data[31]) * 8 +
	     (size_t)(data[24] << 24 | data[25] << 16 | data[26] << 8 | data[27]) +
	     (size_t)(data[20] << 24 | data[21] << 16 | data[22] << 8 | data[23]);
	data[4] = '\0';
	path = xasprintf("%s/V1", dir);
	assert_int_equal(fileio_replace(path, data, v1, 0644, &cause), 0);
	free(path);
	path = xasprintf("%s/Truncated", dir);
	assert_int_equal(fileio_replace(path, data, 60, 0644, &cause), 0);
	free(path);
	path = xasprintf("%s/Text", dir);
	assert_int_equal(fileio_replace(path, "Europe/Berlin\n", 14, 0644, &cause), 0);
	free(path);
	free(data);

	assert_int_equal(setenv("TZDIR", dir, 1), 0);
	z = sched_zone_load("V1", &cause);
	if (z == NULL)
		fail_msg("V1: %s", cause);
	/* 2026 is inside the 32-bit transitions: the spring gap as above. */
	assert_int_equal(sched_next(&when, z, parse_utc("2026-03-07T12:00:00Z"), &next, &cause), 0);
	assert_int_equal(next, parse_utc("2026-03-08T07:00:00Z"));
	sched_zone_free(z);
	assert_null(sched_zone_load("Truncated", &cause));
	assert_non_null(strstr(cause, "truncated"));
	free(cause);
	assert_null(sched_zone_load("Text", &cause));
	assert_non_null(strstr(cause, "not a TZif file"));
	free(cause);
	/* UTC is built in: no file needed. */
	z = sched_zone_load("UTC", &cause);
	assert_non_null(z);
	assert_int_equal(sched_zone_offset(z, parse_utc("2026-07-01T00:00:00Z")), 0);
	sched_zone_free(z);
	assert_int_equal(unsetenv("TZDIR"), 0);

	path = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
	free(path);
}

static void
test_bad_input(void **state)
{
	struct conf_schedule every0 = E(0), hour = D(24, 0), day = W(7, 1, 0), ok = D(1, 0);
	struct sched_zone *z;
	char *cause = NULL;
	time_t next = 0;

	(void)state;
	z = sched_zone_load("UTC", &cause);
	assert_non_null(z);
	assert_int_equal(sched_next(&every0, z, 0, &next, &cause), -1);
	free(cause);
	assert_int_equal(sched_next(&hour, z, 0, &next, &cause), -1);
	free(cause);
	assert_int_equal(sched_next(&day, z, 0, &next, &cause), -1);
	free(cause);
	assert_int_equal(sched_next(&ok, z, (time_t)INT64_MAX, &next, &cause), -1);
	assert_non_null(strstr(cause, "out of range"));
	free(cause);
	sched_zone_free(z);
}

static void
test_splay(void **state)
{
	(void)state;
	assert_int_equal(sched_splay(1000, 0, 12345), 1000);
	assert_int_equal(sched_splay(1000, -5, 12345), 1000);
	assert_int_equal(sched_splay(1000, 600, 12345), 1000 + 12345 % 600);
	assert_int_equal(sched_splay(1000, 600, 600), 1000);
	assert_int_equal(sched_splay(1000, 600, UINT64_MAX), 1000 + (long long)(UINT64_MAX % 600));
	assert_int_equal(sched_splay((time_t)INT64_MAX - 1, 600, 599), (time_t)INT64_MAX);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_offsets),    cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_tzif_forms), cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_splay),
	};
	struct CMUnitTest *tests;
	const size_t nfixed = sizeof fixed / sizeof fixed[0];
	size_t i;
	int rc;

	tests = xcalloc(NROWS + nfixed, sizeof *tests);
	for (i = 0; i < NROWS; i++) {
		static const char *const days[] = {
			"sun", "mon", "tue", "wed", "thu", "fri", "sat"
		};
		const struct conf_schedule *w = &rows[i].when;

		if (w->kind == CONF_SCHEDULE_EVERY)
			tests[i].name = xasprintf("%s every %llds after %s", rows[i].zone,
			                          w->interval_s, rows[i].after);
		else
			tests[i].name =
			        xasprintf("%s %s%s %02d:%02d after %s", rows[i].zone,
			                  w->kind == CONF_SCHEDULE_DAILY ? "daily" : "weekly ",
			                  w->kind == CONF_SCHEDULE_DAILY ? "" : days[w->weekday],
			                  w->hour, w->minute, rows[i].after);
		tests[i].test_func = test_row;
		tests[i].initial_state = (void *)&rows[i];
	}
	memcpy(tests + NROWS, fixed, sizeof fixed);
	rc = _cmocka_run_group_tests("sched", tests, NROWS + nfixed, NULL, NULL);
	for (i = 0; i < NROWS; i++)
		free((char *)tests[i].name);
	free(tests);
	return rc;
}
