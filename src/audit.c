/* audit: freshness, retention count and gaps of an export set (see audit.h). */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "conf.h"
#include "xmalloc.h"

#define HOUR (3600LL)
#define DAY  (24 * HOUR)

/* The runbook's backup tiers, indexed by enum conf_tier. */
static const struct audit_tier audit_tiers[] = {
	[CONF_TIER_CRITICAL] = { "critical", 6 * HOUR, 90 * DAY },
	[CONF_TIER_STANDARD] = { "standard", DAY, 180 * DAY },
	[CONF_TIER_DEVELOPMENT] = { "development", 7 * DAY, 30 * DAY },
	[CONF_TIER_DYNAMODB] = { "dynamodb", DAY, 365 * DAY },
};

const struct audit_tier *
audit_tier(int tier)
{
	if (tier < 0 || (size_t)tier >= sizeof audit_tiers / sizeof audit_tiers[0])
		return NULL;
	return &audit_tiers[tier];
}

const char *
audit_kind_name(enum audit_kind kind)
{
	switch (kind) {
	case AUDIT_STALE:
		return "STALE";
	case AUDIT_RETENTION:
		return "RETENTION";
	default:
		return "GAP";
	}
}

void
audit_format_duration(long long s, char *out, size_t outsize)
{
	static const struct {
		long long secs;
		char unit;
	} units[] = { { DAY, 'd' }, { HOUR, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i;
	long long big, small;

	if (s < 0)
		s = 0;
	for (i = 0; i + 1 < sizeof units / sizeof units[0] && s < units[i].secs; i++)
		;
	big = s / units[i].secs;
	if (i + 1 == sizeof units / sizeof units[0] ||
	    (small = (s % units[i].secs) / units[i + 1].secs) == 0)
		snprintf(out, outsize, "%lld%c", big, units[i].unit);
	else
		snprintf(out, outsize, "%lld%c %lld%c", big, units[i].unit, small,
		         units[i + 1].unit);
}

static void __attribute__((format(printf, 4, 5)))
add(struct audit_problem **out, size_t *nout, enum audit_kind kind, const char *fmt, ...)
{
	va_list ap;

	*out = xreallocarray(*out, *nout + 1, sizeof **out);
	va_start(ap, fmt);
	(*out)[*nout].kind = kind;
	(*out)[*nout].detail = xvasprintf(fmt, ap);
	va_end(ap);
	(*nout)++;
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
audit_stale(const struct audit_input *in, const int64_t *sorted, struct audit_problem **out,
            size_t *nout)
{
	char age[32], max[32];

	audit_format_duration(in->max_age, max, sizeof max);
	if (in->n == 0) {
		add(out, nout, AUDIT_STALE, "no file in the set (max_age %s)", max);
		return;
	}
	if (in->now - sorted[in->n - 1] < in->max_age)
		return;
	audit_format_duration(in->now - sorted[in->n - 1], age, sizeof age);
	add(out, nout, AUDIT_STALE, "newest file is %s old, max_age %s", age, max);
}

/* sorted[first..n) are the files inside the window, oldest first. */
static void
audit_gaps(const struct audit_input *in, const struct audit_tier *t, const int64_t *sorted,
           size_t first, struct audit_problem **out, size_t *nout)
{
	char from[AUDIT_TIME_LEN], to[AUDIT_TIME_LEN], len[32], limit[32], every[32];
	/* 1.5 x the interval, in integer arithmetic: intervals are whole hours. */
	long long max_gap = t->interval_s + t->interval_s / 2;
	size_t i;

	for (i = first + 1; i < in->n; i++) {
		if (sorted[i] - sorted[i - 1] <= max_gap)
			continue;
		clocks_rfc3339(sorted[i - 1], from);
		clocks_rfc3339(sorted[i], to);
		audit_format_duration(sorted[i] - sorted[i - 1], len, sizeof len);
		audit_format_duration(max_gap, limit, sizeof limit);
		audit_format_duration(t->interval_s, every, sizeof every);
		add(out, nout, AUDIT_GAP,
		    "no file between %s and %s (%s), more than %s = 1.5 x the %s tier's %s "
		    "interval",
		    from, to, len, limit, t->name, every);
	}
}

size_t
audit_run(const struct audit_input *in, struct audit_problem **out, size_t *nout)
{
	const struct audit_tier *t = audit_tier(in->tier);
	size_t before = *nout, first = 0;
	int64_t *sorted = NULL;
	char window[32];

	if (in->n > 0) {
		sorted = xreallocarray(NULL, in->n, sizeof *sorted);
		memcpy(sorted, in->mtimes, in->n * sizeof *sorted);
		qsort(sorted, in->n, sizeof *sorted, cmp_time);
	}
	audit_stale(in, sorted, out, nout);
	if (in->retention > 0 && t != NULL) {
		while (first < in->n && sorted[first] <= in->now - t->window_s)
			first++;
		if ((long long)(in->n - first) < in->retention) {
			audit_format_duration(t->window_s, window, sizeof window);
			add(out, nout, AUDIT_RETENTION,
			    "%zu file%s inside the %s tier's %s window, %lld expected",
			    in->n - first, in->n - first == 1 ? "" : "s", t->name, window,
			    in->retention);
		}
		audit_gaps(in, t, sorted, first, out, nout);
	}
	free(sorted);
	return *nout - before;
}

void
audit_problems_free(struct audit_problem *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].detail);
	free(p);
}
