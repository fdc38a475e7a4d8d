/* confval: single agent.conf values, checked (see confval.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "confval.h"
#include "sched.h"
#include "xmalloc.h"

static int
confval_int(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

char *
confval_ident(const char *v)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > 64)
		return xasprintf("'%s' is not a valid identifier (1 to 64 characters)", v);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '$')
			return xasprintf(
			        "'%s' is not a valid identifier (letters, digits, _ and $)", v);
	return NULL;
}

char *
confval_table(const char *v)
{
	const char *dot = strchr(v, '.');
	char *db, *why;

	if (dot == NULL)
		return confval_ident(v);
	db = xstrndup(v, (size_t)(dot - v));
	why = confval_ident(db);
	free(db);
	return why != NULL ? why : confval_ident(dot + 1);
}

char *
confval_hostport(const char *v)
{
	const char *colon = strrchr(v, ':');
	long long port;

	if (colon == NULL || colon == v)
		return xasprintf("'%s' is not host:port", v);
	if (confval_int(colon + 1, &port) != 0 || port < 1 || port > 65535)
		return xasprintf("'%s': port must be 1..65535", v);
	return NULL;
}

static int
confval_clock(const char *s, int *hour, int *minute)
{
	int h, m, n = 0;

	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] != '\0' || h < 0 || h > 23 || m < 0 ||
	    m > 59)
		return -1;
	*hour = h;
	*minute = m;
	return 0;
}

char *
confval_parse_schedule(const char *v, struct conf_schedule *when)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
	char kind[16], a[16], b[16];
	int n, i;

	memset(when, 0, sizeof *when);
	n = sscanf(v, "%15s %15s %15s", kind, a, b);
	if (n == 2 && strcmp(kind, "daily") == 0 &&
	    confval_clock(a, &when->hour, &when->minute) == 0) {
		when->kind = CONF_SCHEDULE_DAILY;
		return NULL;
	}
	if (n == 2 && strcmp(kind, "every") == 0) {
		when->kind = CONF_SCHEDULE_EVERY;
		when->interval_s = conf_parse_duration(a);
		if (when->interval_s >= 60)
			return NULL;
		return xasprintf("'%s': the interval must be a duration of at least 1m", v);
	}
	if (n == 3 && strcmp(kind, "weekly") == 0) {
		for (i = 0; i < 7; i++)
			if (strncasecmp(a, days[i], 3) == 0)
				break;
		if (i < 7 && confval_clock(b, &when->hour, &when->minute) == 0) {
			when->kind = CONF_SCHEDULE_WEEKLY;
			when->weekday = i;
			return NULL;
		}
	}
	return xasprintf("'%s' is not a schedule: use 'daily HH:MM', 'every 6h' or "
	                 "'weekly sun HH:MM'",
	                 v);
}

char *
confval_schedule(const char *v)
{
	struct conf_schedule when;

	return confval_parse_schedule(v, &when);
}

/* Loads the zone once so that a typo is a file:line error, not a 3 a.m. surprise. */
char *
confval_timezone(const char *v)
{
	struct sched_zone *zone;
	char *cause = NULL;

	if ((zone = sched_zone_load(v, &cause)) == NULL)
		return cause;
	sched_zone_free(zone);
	return NULL;
}

/*
 * Calls fn for each {column} of a key template; returns a message for a
 * malformed template. fn returns a message to stop with, or NULL.
 */
char *
confval_template_walk(const char *t, char *(*fn)(const char *, void *), void *arg)
{
	const char *open, *close;
	char *col, *why;
	int ncols = 0;

	while ((open = strpbrk(t, "{}")) != NULL) {
		if (*open == '}')
			return xasprintf("'}' without '{' in key template");
		if ((close = strpbrk(open + 1, "{}")) == NULL || *close == '{')
			return xasprintf("unclosed '{' in key template");
		col = xstrndup(open + 1, (size_t)(close - open - 1));
		why = confval_ident(col);
		if (why == NULL && fn != NULL)
			why = fn(col, arg);
		free(col);
		if (why != NULL)
			return why;
		ncols++;
		t = close + 1;
	}
	if (ncols == 0)
		return xstrdup("key template names no column, so every row would write the same "
		               "key: add one such as {id}");
	return NULL;
}

char *
confval_template(const char *v)
{
	return confval_template_walk(v, NULL, NULL);
}

int
confval_is_loopback(const char *host, size_t len)
{
	unsigned char addr[16];
	char buf[64];

	if (len == 9 && strncmp(host, "localhost", 9) == 0)
		return 1;
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
		host++, len -= 2;
	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	/* An address, not a name that merely starts with "127.". */
	return inet_pton(AF_INET, buf, addr) == 1 && addr[0] == 127;
}

char *
confval_endpoint(const char *v)
{
	const char *host;
	size_t len;

	if (strncmp(v, "https://", 8) == 0)
		return NULL;
	if (strncmp(v, "http://", 7) != 0)
		return xasprintf("'%s' is not an http(s) URL", v);
	host = v + 7;
	len = strcspn(host, "/");
	if (host[0] == '[')
		len = strcspn(host, "]") + 1;
	else
		len = strcspn(host, ":/");
	if (!confval_is_loopback(host, len))
		return xasprintf("plain http is accepted only for loopback addresses; use https");
	return NULL;
}

char *
confval_region(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) && v[i] != '-')
			return xasprintf("'%s' is not an AWS region name", v);
	return NULL;
}

static int
confval_word_in(const char *w, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncmp(w, *list, n) == 0)
			return 1;
	return 0;
}

/*
 * A region name as AWS spells them: AREA[-PARTITION]-DIRECTION-N, such as
 * us-east-1, ap-southeast-2, us-gov-west-1, cn-northwest-1. The areas and
 * directions are AWS's (a new region reuses them); the number is 1 to 2 digits.
 */
char *
confval_aws_region(const char *v)
{
	static const char *const areas[] = { "us", "eu", "ap", "sa", "ca", "me",
		                             "af", "cn", "il", "mx", NULL };
	static const char *const parts[] = { "gov", "iso", "isob", "isoe", "isof", NULL };
	static const char *const dirs[] = { "east",      "west",      "north",     "south",
		                            "central",   "northeast", "northwest", "southeast",
		                            "southwest", NULL };
	const char *w[4], *p = v;
	size_t len[4], k = 0, dir;

	while (k < 4) {
		w[k] = p;
		len[k] = strcspn(p, "-");
		p += len[k];
		k++;
		if (*p != '-')
			break;
		p++;
	}
	dir = k - 2;
	if (*p != '\0' || k < 3 || len[k - 1] < 1 || len[k - 1] > 2 ||
	    strspn(w[k - 1], "0123456789") != len[k - 1] || !confval_word_in(w[0], len[0], areas) ||
	    (k == 4 && !confval_word_in(w[1], len[1], parts)) ||
	    !confval_word_in(w[dir], len[dir], dirs))
		return xasprintf("'%s' is not an AWS region (such as us-east-1 or eu-west-3)", v);
	return NULL;
}

/*
 * RDS DB instance and cluster identifiers, ElastiCache replication group ids:
 * 1 to max letters, digits and hyphens, a letter first, no hyphen last and
 * no two hyphens in a row.
 */
char *
confval_aws_id(const char *v, size_t max, const char *what)
{
	size_t n = strlen(v);

	if (n == 0 || n > max || !isalpha((unsigned char)v[0]) || v[n - 1] == '-' ||
	    strstr(v, "--") != NULL ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	              "TUVWXYZ0123456789-") != n)
		return xasprintf("'%s' is not a valid %s (1 to %zu letters, digits and hyphens, a "
		                 "letter first, no hyphen last, no two hyphens in a row)",
		                 v, what, max);
	return NULL;
}

/* Backup vault names: 2 to 50 letters, digits, hyphens and underscores. */
char *
confval_vault(const char *v)
{
	size_t n = strlen(v);

	if (n < 2 || n > 50 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
		return xasprintf("'%s' is not a valid backup vault name (2 to 50 letters, digits, "
		                 "hyphens and underscores)",
		                 v);
	return NULL;
}

/* arn:PARTITION:sns:REGION:ACCOUNT:TOPIC */
char *
confval_arn(const char *v)
{
	const char *f[6], *p = v;
	size_t i;

	for (i = 0; i < 6; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (p == NULL && i < 5)
			break;
		if (p != NULL)
			p++;
	}
	if (i < 5 || strncmp(v, "arn:", 4) != 0 || strncmp(f[2], "sns:", 4) != 0 ||
	    f[3][0] == ':' || f[4][0] == ':' || f[5][0] == '\0' || strchr(f[5], ':') != NULL)
		return xasprintf("'%s' is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)",
		                 v);
	return NULL;
}
