/*
 * audit: freshness and retention of a backup export set, judged from the
 * modification times of its files alone. Pure functions: the clock is an
 * argument, so tests use synthetic timestamps.
 *
 *   STALE      there is no file, or the newest is max_age old or older;
 *   RETENTION  fewer than `retention` files are inside the tier's window
 *              (mtime > now - window);
 *   GAP        two consecutive files inside the window (by mtime) are more
 *              than 1.5 x the tier's interval apart: a missed run.
 *
 * The gap check spans the oldest to the newest file inside the window only.
 * Newest-to-now is STALE's business (max_age, set per export set), and the
 * window's start to the oldest file is RETENTION's (a young set is not a
 * gap). retention = 0 turns RETENTION and GAP off; STALE always applies.
 */
#ifndef CW_AUDIT_H
#define CW_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "clocks.h"

/* "2026-01-02T03:04:05Z" and its NUL (clocks.h). */
#define AUDIT_TIME_LEN CLOCKS_RFC3339_LEN

struct audit_tier {
	const char *name;
	long long interval_s; /* how often a backup is taken */
	long long window_s;   /* how long backups are kept */
};

/* The tier of an enum conf_tier value; NULL when out of range. */
const struct audit_tier *audit_tier(int tier);

enum audit_kind { AUDIT_STALE, AUDIT_RETENTION, AUDIT_GAP };

struct audit_problem {
	enum audit_kind kind;
	char *detail; /* one line for the operator */
};

struct audit_input {
	int64_t now;
	const int64_t *mtimes; /* one per file, any order */
	size_t n;
	long long max_age;   /* seconds */
	long long retention; /* files expected inside the window; 0 = not audited */
	int tier;            /* enum conf_tier */
};

/*
 * Appends the problems found to *out, which holds *nout entries and is
 * grown as needed (start with NULL and 0). Returns how many were added.
 * The caller frees them with audit_problems_free.
 */
size_t audit_run(const struct audit_input *in, struct audit_problem **out, size_t *nout);
void audit_problems_free(struct audit_problem *p, size_t n);
/* "STALE", "RETENTION", "GAP". */
const char *audit_kind_name(enum audit_kind kind);

/* "45s", "5m 3s", "26h", "1d 12h": at most two units, for messages. */
void audit_format_duration(long long seconds, char *out, size_t outsize);

#endif
