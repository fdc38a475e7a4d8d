/*
 * sched: next fire times of a schedule in a time zone, from TZif files read
 * here (RFC 8536: version 1, 2 and 3; the 64-bit section when present) and
 * the POSIX TZ rule in their footer for instants past the last transition.
 *
 * A zone is a list of periods, each with one UTC offset. sched_period finds
 * the period holding an instant; sched_fire turns a local wall time into the
 * first instant showing it, walking the periods around it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched.h"
#include "xmalloc.h"

#define SCHED_DAY      86400LL
#define SCHED_TZDIR    "/usr/share/zoneinfo"
#define SCHED_NAME_MAX 255
/* TZif files are a few KiB; anything this big is not one. */
#define SCHED_FILE_MAX (1024 * 1024)
/* Largest |UTC offset| accepted (tzcode's own bound is just under 26 h). */
#define SCHED_OFF_MAX (26 * 3600L)
/* Instants handled: about +-300,000 years, far from any overflow below. */
#define SCHED_LIMIT 10000000000000LL
/* How far around a wall time its instant can be: the offset bound and slack. */
#define SCHED_WINDOW (30 * 3600LL)

/* A date of a POSIX TZ rule: Mm.w.d, Jn (no Feb 29) or n (from 0). */
struct sched_date {
	char kind; /* 'M', 'J' or 'n' */
	int month, week, wday, yday;
	long secs; /* local time of day of the change; may be < 0 or > 24 h */
};

/* The footer: std only, or std and dst with the dates dst starts and ends. */
struct sched_rule {
	long std_off, dst_off; /* east of UTC */
	int has_dst;
	struct sched_date start, end;
};

struct sched_zone {
	char *name;
	size_t ntrans;
	int64_t *trans;      /* ascending instants of the changes */
	unsigned char *tidx; /* type in effect from trans[i] */
	size_t ntypes;       /* at least 1 */
	long *types;         /* UTC offset of each type */
	int has_rule;
	struct sched_rule rule;
};

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ------------ */

static int64_t
sched_fdiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Howard Hinnant's days_from_civil. */
static int64_t
sched_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year holding day z (civil_from_days, year only). */
static int64_t
sched_year(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int
sched_wday(int64_t z)
{
	return (int)(z + 4 - sched_fdiv(z + 4, 7) * 7);
}

static int
sched_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The day (since the epoch) of rule date r in year y. */
static int64_t
sched_rule_day(const struct sched_date *r, int64_t y)
{
	int64_t first, next, day;

	switch (r->kind) {
	case 'J': /* 1..365, Feb 29 never counted */
		return sched_days(y, 1, 1) + r->yday - 1 + (sched_leap(y) && r->yday >= 60);
	case 'n': /* 0..365, Feb 29 counted */
		return sched_days(y, 1, 1) + r->yday;
	default: /* Mm.w.d: day d of week w (5 = last) of month m */
		first = sched_days(y, r->month, 1);
		next = r->month == 12 ? sched_days(y + 1, 1, 1) : sched_days(y, r->month + 1, 1);
		day = first + (r->wday - sched_wday(first) + 7) % 7 + (r->week - 1) * 7;
		while (day >= next)
			day -= 7;
		return day;
	}
}

/* ---- periods ----------------------------------------------------------- */

/* A change of the footer rule: the instant and the offset from then on. */
struct sched_change {
	int64_t at;
	long off;
	int starts_dst; /* orders equal instants: the end of dst before a start */
};

static int
sched_change_cmp(const void *a, const void *b)
{
	const struct sched_change *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->starts_dst - y->starts_dst;
}

/* The offset at t by the footer rule, within [lo, ...) where it applies. */
static long
sched_rule_period(const struct sched_rule *r, int64_t t, int64_t lo, int64_t *start, int64_t *end)
{
	struct sched_change ch[6];
	int64_t y;
	size_t i, n = 0;
	long off;

	*start = lo;
	*end = INT64_MAX;
	if (!r->has_dst)
		return r->std_off;
	y = sched_year(sched_fdiv(t + r->std_off, SCHED_DAY));
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		/* Each change's time is in the local time in effect before it. */
		ch[n++] = (struct sched_change){ sched_rule_day(&r->start, yy) * SCHED_DAY +
			                                 r->start.secs - r->std_off,
			                         r->dst_off, 1 };
		ch[n++] = (struct sched_change){ sched_rule_day(&r->end, yy) * SCHED_DAY +
			                                 r->end.secs - r->dst_off,
			                         r->std_off, 0 };
	}
	qsort(ch, n, sizeof ch[0], sched_change_cmp);
	/* Before the first change of the three years: the offset it ends. */
	off = ch[0].starts_dst ? r->std_off : r->dst_off;
	for (i = 0; i < n && ch[i].at <= t; i++) {
		off = ch[i].off;
		if (ch[i].at > *start)
			*start = ch[i].at;
	}
	if (i < n)
		*end = ch[i].at;
	return off;
}

/* The UTC offset at t and the period [*start, *end) that has it. */
static long
sched_period(const struct sched_zone *z, int64_t t, int64_t *start, int64_t *end)
{
	size_t lo, hi, mid;

	if (z->ntrans == 0) {
		if (z->has_rule)
			return sched_rule_period(&z->rule, t, INT64_MIN, start, end);
		*start = INT64_MIN;
		*end = INT64_MAX;
		return z->types[0];
	}
	if (t < z->trans[0]) {
		*start = INT64_MIN;
		*end = z->trans[0];
		return z->types[0];
	}
	/* The last transition at or before t. */
	lo = 0;
	hi = z->ntrans;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo + 1 < z->ntrans) {
		*start = z->trans[lo];
		*end = z->trans[lo + 1];
		return z->types[z->tidx[lo]];
	}
	if (z->has_rule)
		return sched_rule_period(&z->rule, t, z->trans[lo], start, end);
	*start = z->trans[lo];
	*end = INT64_MAX;
	return z->types[z->tidx[lo]];
}

long
sched_zone_offset(const struct sched_zone *zone, time_t t)
{
	int64_t s, e;

	return sched_period(zone, (int64_t)t, &s, &e);
}

/*
 * The first instant whose local time is wall (local seconds since the
 * epoch); when no instant shows it (a spring-forward gap), the instant the
 * gap ends. Walks the periods from SCHED_WINDOW before wall in order, so the
 * first match is the earliest one (the first of a repeated hour).
 */
static int
sched_fire(const struct sched_zone *z, int64_t wall, int64_t *fire)
{
	int64_t t0 = wall - SCHED_WINDOW, s, e, t;
	long off;

	for (;;) {
		off = sched_period(z, t0, &s, &e);
		t = wall - off;
		if (t < s) {
			/* wall fell between the previous period's end and this one's. */
			*fire = s;
			return 0;
		}
		if (t < e) {
			*fire = t;
			return 0;
		}
		if (e == INT64_MAX || e <= t0 || e > wall + SCHED_WINDOW)
			return -1;
		t0 = e;
	}
}

int
sched_next(const struct conf_schedule *when, const struct sched_zone *zone, time_t after,
           time_t *next, char **cause)
{
	int64_t a = (int64_t)after, day0, d, fire, clock;

	if (a < -SCHED_LIMIT || a > SCHED_LIMIT) {
		*cause = xasprintf("schedule: instant %lld is out of range", (long long)a);
		return -1;
	}
	if (when->kind == CONF_SCHEDULE_EVERY) {
		if (when->interval_s <= 0 || when->interval_s > SCHED_LIMIT) {
			*cause = xasprintf("schedule: interval %lld s is out of range",
			                   when->interval_s);
			return -1;
		}
		/* The next multiple; both bounds keep this far from overflow. */
		*next = (time_t)((sched_fdiv(a, when->interval_s) + 1) * when->interval_s);
		return 0;
	}
	if ((when->kind != CONF_SCHEDULE_DAILY && when->kind != CONF_SCHEDULE_WEEKLY) ||
	    when->hour < 0 || when->hour > 23 || when->minute < 0 || when->minute > 59 ||
	    (when->kind == CONF_SCHEDULE_WEEKLY && (when->weekday < 0 || when->weekday > 6))) {
		*cause = xasprintf("schedule: not a valid schedule");
		return -1;
	}
	clock = when->hour * 3600LL + when->minute * 60LL;
	day0 = sched_fdiv(a + sched_zone_offset(zone, after), SCHED_DAY);
	/* One fire per local day (or week), in order: the first after a wins. */
	for (d = day0 - 1; d <= day0 + 9; d++) {
		if (when->kind == CONF_SCHEDULE_WEEKLY && sched_wday(d) != when->weekday)
			continue;
		if (sched_fire(zone, d * SCHED_DAY + clock, &fire) != 0)
			break;
		if (fire > a) {
			*next = (time_t)fire;
			return 0;
		}
	}
	*cause = xasprintf("schedule: no fire time found in time zone %s", zone->name);
	return -1;
}

time_t
sched_splay(time_t t, long long splay_s, uint64_t seed)
{
	int64_t add, r;

	if (splay_s <= 0)
		return t;
	add = (int64_t)(seed % (uint64_t)splay_s);
	if (__builtin_add_overflow((int64_t)t, add, &r))
		return (time_t)INT64_MAX;
	return (time_t)r;
}

/* ---- the POSIX TZ string of the footer --------------------------------- */

/* "CET", "<+0330>": 3 or more characters. */
static int
sched_tz_name(const char **p)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '<') {
		for (s++; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		          (*s >= '0' && *s <= '9') || *s == '+' || *s == '-';
		     s++)
			n++;
		if (*s != '>' || n < 3)
			return -1;
		*p = s + 1;
		return 0;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return -1;
	*p = s;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh, into seconds. */
static int
sched_tz_time(const char **p, int maxh, long *secs)
{
	const char *s = *p;
	long sign = 1, part[3] = { 0, 0, 0 };
	int i, digits;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *s != ':')
			break;
		if (i > 0)
			s++;
		for (digits = 0; *s >= '0' && *s <= '9' && digits < 3; digits++)
			part[i] = part[i] * 10 + (*s++ - '0');
		if (digits == 0 || (i > 0 && (digits != 2 || part[i] > 59)))
			return -1;
	}
	if (part[0] > maxh)
		return -1;
	*secs = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return 0;
}

static int
sched_tz_num(const char **p, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno != 0 || v < lo || v > hi)
		return -1;
	*out = (int)v;
	*p = end;
	return 0;
}

/* Mm.w.d, Jn or n, then an optional /time (default 02:00). */
static int
sched_tz_date(const char **p, struct sched_date *d)
{
	memset(d, 0, sizeof *d);
	if (**p == 'M') {
		(*p)++;
		d->kind = 'M';
		if (sched_tz_num(p, 1, 12, &d->month) != 0 || *(*p)++ != '.' ||
		    sched_tz_num(p, 1, 5, &d->week) != 0 || *(*p)++ != '.' ||
		    sched_tz_num(p, 0, 6, &d->wday) != 0)
			return -1;
	} else if (**p == 'J') {
		(*p)++;
		d->kind = 'J';
		if (sched_tz_num(p, 1, 365, &d->yday) != 0)
			return -1;
	} else {
		d->kind = 'n';
		if (sched_tz_num(p, 0, 365, &d->yday) != 0)
			return -1;
	}
	d->secs = 2 * 3600;
	if (**p == '/') {
		(*p)++;
		/* RFC 8536 3.3.1: hours from -167 to 167. */
		return sched_tz_time(p, 167, &d->secs);
	}
	return 0;
}

/* "start[/time],end[/time]" and nothing after. */
static int
sched_tz_dates(const char *s, struct sched_rule *r)
{
	if (sched_tz_date(&s, &r->start) != 0 || *s++ != ',' || sched_tz_date(&s, &r->end) != 0)
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3"; offsets in it count west, ours east. */
static int
sched_tz_parse(const char *s, struct sched_rule *r)
{
	long off;

	memset(r, 0, sizeof *r);
	if (sched_tz_name(&s) != 0 || sched_tz_time(&s, 24, &off) != 0)
		return -1;
	r->std_off = -off;
	if (*s == '\0')
		return 0;
	if (sched_tz_name(&s) != 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (sched_tz_time(&s, 24, &off) != 0)
			return -1;
		r->dst_off = -off;
	}
	/* No dates: POSIX leaves them to the system; tzcode uses the US rule. */
	if (*s == '\0')
		return sched_tz_dates("M3.2.0,M11.1.0", r);
	if (*s != ',')
		return -1;
	return sched_tz_dates(s + 1, r);
}

/* ---- TZif files ------------------------------------------------------- */

static uint32_t
sched_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
sched_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)sched_be32(p) << 32 | sched_be32(p + 4));
}

/* The counts of a TZif header, in the RFC's order. */
struct sched_hdr {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int
sched_hdr_parse(const unsigned char *p, size_t len, struct sched_hdr *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = (char)p[4];
	h->isutcnt = sched_be32(p + 20);
	h->isstdcnt = sched_be32(p + 24);
	h->leapcnt = sched_be32(p + 28);
	h->timecnt = sched_be32(p + 32);
	h->typecnt = sched_be32(p + 36);
	h->charcnt = sched_be32(p + 40);
	/* Bounds from RFC 8536 3.1, which also keep the sizes below small. */
	if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > 100000 || h->charcnt > 65536 ||
	    h->leapcnt > 100000 || (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return -1;
	return 0;
}

/* Bytes of the data block after a header, with tsize-byte times. */
static size_t
sched_block_len(const struct sched_hdr *h, size_t tsize)
{
	return (size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Fills z from the block at p (tsize 4 or 8); returns a message or NULL. */
static const char *
sched_block_parse(struct sched_zone *z, const struct sched_hdr *h, const unsigned char *p,
                  size_t tsize)
{
	const unsigned char *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	size_t i;

	if (h->leapcnt != 0)
		return "leap-second zones (right/) are not supported";
	z->ntrans = h->timecnt;
	z->trans = xcalloc(h->timecnt + 1, sizeof *z->trans);
	z->tidx = xcalloc(h->timecnt + 1, 1);
	for (i = 0; i < h->timecnt; i++) {
		z->trans[i] = tsize == 8 ? sched_be64(p + i * 8) : (int32_t)sched_be32(p + i * 4);
		z->tidx[i] = idx[i];
		if (idx[i] >= h->typecnt || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return "transitions out of order or of an unknown type";
	}
	z->ntypes = h->typecnt;
	z->types = xcalloc(h->typecnt, sizeof *z->types);
	for (i = 0; i < h->typecnt; i++) {
		z->types[i] = (int32_t)sched_be32(types + i * 6);
		if (z->types[i] > SCHED_OFF_MAX || z->types[i] < -SCHED_OFF_MAX)
			return "a UTC offset beyond 26 hours";
	}
	return NULL;
}

/* Parses a whole TZif file into z; returns a message or NULL. */
static const char *
sched_tzif_parse(struct sched_zone *z, const unsigned char *p, size_t len)
{
	struct sched_hdr h;
	size_t n;
	const char *why, *foot, *eol;
	char *tz;

	if (sched_hdr_parse(p, len, &h) != 0)
		return "not a TZif file";
	n = sched_block_len(&h, 4);
	if (h.version == '\0') {
		if (len - 44 < n)
			return "truncated";
		return sched_block_parse(z, &h, p + 44, 4);
	}
	/* Version 2+: skip the 32-bit part; the 64-bit one and a footer follow. */
	if (len - 44 < n)
		return "truncated";
	p += 44 + n;
	len -= 44 + n;
	if (sched_hdr_parse(p, len, &h) != 0)
		return "no second TZif header";
	n = sched_block_len(&h, 8);
	if (len - 44 < n)
		return "truncated";
	if ((why = sched_block_parse(z, &h, p + 44, 8)) != NULL)
		return why;
	foot = (const char *)p + 44 + n;
	len -= 44 + n;
	if (len < 2 || foot[0] != '\n' || (eol = memchr(foot + 1, '\n', len - 1)) == NULL)
		return "no footer";
	if (eol == foot + 1)
		return NULL; /* empty: the last type stays */
	tz = xstrndup(foot + 1, (size_t)(eol - foot - 1));
	if (sched_tz_parse(tz, &z->rule) != 0) {
		free(tz);
		return "a footer TZ string this reader does not understand";
	}
	free(tz);
	z->has_rule = 1;
	return NULL;
}

/* Reads the whole file (at most SCHED_FILE_MAX); returns a message or NULL. */
static const char *
sched_read(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	/* Fixed texts: strerror is not guaranteed thread-safe. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot be opened";
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SCHED_FILE_MAX) {
		close(fd);
		return "not a regular file of a time zone's size";
	}
	*data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, *data + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return NULL;
}

static int
sched_name_ok(const char *name)
{
	const char *s;

	if (*name == '\0' || *name == '/' || strlen(name) > SCHED_NAME_MAX ||
	    strstr(name, "..") != NULL)
		return 0;
	for (s = name; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '+' || *s == '-' || *s == '/'))
			return 0;
	return 1;
}

struct sched_zone *
sched_zone_load(const char *name, char **cause)
{
	struct sched_zone *z;
	const char *dir, *why;
	unsigned char *data = NULL;
	size_t len = 0;
	char *path;

	if (!sched_name_ok(name)) {
		*cause = xasprintf("'%s' is not a time zone name such as Europe/Berlin", name);
		return NULL;
	}
	z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name);
	if (strcmp(name, SCHED_ZONE_DEFAULT) == 0) {
		z->ntypes = 1;
		z->types = xcalloc(1, sizeof *z->types);
		return z;
	}
	/* getenv only reads; nothing here changes the environment. */
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = SCHED_TZDIR;
	path = xasprintf("%s/%s", dir, name);
	if ((why = sched_read(path, &data, &len)) == NULL)
		why = sched_tzif_parse(z, data, len);
	free(data);
	if (why != NULL) {
		*cause = xasprintf("unknown time zone '%s': %s: %s", name, path, why);
		free(path);
		sched_zone_free(z);
		return NULL;
	}
	free(path);
	return z;
}

void
sched_zone_free(struct sched_zone *zone)
{
	if (zone == NULL)
		return;
	free(zone->name);
	free(zone->trans);
	free(zone->tidx);
	free(zone->types);
	free(zone);
}

const char *
sched_zone_name(const struct sched_zone *zone)
{
	return zone->name;
}
