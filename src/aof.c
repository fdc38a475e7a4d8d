/*
 * aof: the streaming AOF check (see aof.h). Its rules are redis-check-aof's:
 * a header line is at most 127 bytes up to its '\n' and its number is read
 * as strtol reads it, then "\r\n" must follow; a bulk string is its length
 * and "\r\n"; an annotation line is skipped; anything else where a record
 * starts is a format error. The offset a file is "whole up to" is the start
 * of the first record that is not whole, or of the MULTI of a transaction
 * left open.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aof.h"
#include "rdb.h"
#include "xmalloc.h"

#define AOF_LINE_MAX     127  /* fgets into Redis's 128-byte buffer */
#define AOF_ANNOT_MAX    1023 /* AOF_ANNOTATION_LINE_MAX_LEN - 1 */
#define AOF_MAN_LINE_MAX 4096
#define AOF_NAME_MAX     8
/* Base and incr files a manifest may name: Redis keeps one base and a few incrs. */
#define AOF_MAN_FILES_MAX 4096

enum aof_state {
	ST_HEAD,  /* the first five bytes decide: RDB preamble or not */
	ST_RDB,   /* inside the preamble */
	ST_REC,   /* where a record starts */
	ST_ANNOT, /* inside an annotation line */
	ST_LINE,  /* inside a "*N" or "$N" line */
	ST_BULK,  /* inside a bulk string and its "\r\n" */
	ST_FAILED,
};

struct aof_check {
	int manifest;
	enum aof_state state;
	uint64_t off;
	uint8_t head[5];
	size_t head_len;

	struct rdb_check *rdb; /* the preamble's checker, when there is one */
	uint64_t rdb_end;      /* offset just past the preamble */

	char line[AOF_MAN_LINE_MAX + 1];
	size_t line_len;
	uint64_t annot_len;
	long argc, argi;
	uint64_t bulk_left; /* payload bytes and "\r\n" still to come */
	uint64_t bulk_len;
	char name[AOF_NAME_MAX + 1];
	size_t name_len;
	uint8_t crlf[2];
	int multi;
	uint64_t rec_off; /* start of the current record */
	uint64_t ok_off;  /* whole up to here */
	uint64_t commands;

	/* Manifest. */
	unsigned long lines, bases, incrs;
	long long last_incr_seq;
	char **files; /* the base and incr files named, for the caller to look for */
	size_t nfiles;

	char *error;
};

int
aof_looks_resp(const void *head, size_t len)
{
	const uint8_t *p = head;

	if (len >= 2 && p[0] == '*' && (isdigit(p[1]) || p[1] == '-'))
		return 1;
	return len >= 4 && memcmp(p, "#TS:", 4) == 0;
}

int
aof_looks_manifest(const void *head, size_t len)
{
	const char *p = head, *nl;
	size_t n;

	if (len < 5 || memcmp(p, "file ", 5) != 0)
		return 0;
	nl = memchr(p, '\n', len);
	n = nl ? (size_t)(nl - p) : len;
	return memmem(p, n, " seq ", 5) != NULL && memmem(p, n, " type ", 6) != NULL;
}

static void __attribute__((format(printf, 3, 4)))
aof_fail(struct aof_check *a, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (a->state == ST_FAILED)
		return;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	if (a->manifest)
		a->error = xasprintf("aof manifest: line %lu: %s", a->lines, what);
	else
		a->error = xasprintf("aof: %s at offset %" PRIu64 "; whole up to offset %" PRIu64
		                     " (%" PRIu64 " commands)",
		                     what, off, a->ok_off, a->commands);
	free(what);
	a->state = ST_FAILED;
}

struct aof_check *
aof_check_init(int manifest)
{
	struct aof_check *a = xcalloc(1, sizeof *a);

	a->manifest = manifest;
	a->state = manifest ? ST_LINE : ST_HEAD;
	return a;
}

void
aof_check_free(struct aof_check *a)
{
	if (a == NULL)
		return;
	rdb_check_free(a->rdb);
	free(a->error);
	while (a->nfiles > 0)
		free(a->files[--a->nfiles]);
	free(a->files);
	free(a);
}

size_t
aof_check_files(const struct aof_check *a, const char *const **names)
{
	*names = (const char *const *)a->files;
	return a->state == ST_FAILED ? 0 : a->nfiles;
}

/* ---- RESP ---- */

/* A header line is complete in a->line: "*N" or "$N" then "\r\n". */
static void
aof_header(struct aof_check *a)
{
	char *end;
	long v;

	a->line[a->line_len] = '\0';
	if (a->line[0] != (a->argc < 0 ? '*' : '$')) {
		aof_fail(a, a->rec_off, "expected '%c', got 0x%02x", a->argc < 0 ? '*' : '$',
		         (uint8_t)a->line[0]);
		return;
	}
	errno = 0;
	v = strtol(a->line + 1, &end, 10);
	if (end[0] != '\r' || end[1] != '\n') {
		aof_fail(a, a->rec_off, "a '%c' line not ended by \\r\\n", a->line[0]);
		return;
	}
	if (a->argc < 0) { /* the command's "*N" */
		a->argc = v;
		a->argi = 0;
		if (v <= 0) {
			a->commands++;
			a->argc = -1;
			a->state = ST_REC;
		} else {
			a->state = ST_LINE;
		}
		a->line_len = 0;
		return;
	}
	if (v < 0 || v > LONG_MAX - 2) {
		aof_fail(a, a->rec_off, "bulk string length %ld out of range", v);
		return;
	}
	a->bulk_len = (uint64_t)v;
	a->bulk_left = (uint64_t)v + 2;
	a->name_len = 0;
	a->line_len = 0;
	a->state = ST_BULK;
}

/* A whole argument was read; the first one may open or close a transaction. */
static void
aof_arg_done(struct aof_check *a)
{
	if (a->argi == 0) {
		a->name[a->name_len] = '\0';
		if (a->bulk_len == 5 && strcasecmp(a->name, "multi") == 0) {
			if (a->multi++) {
				aof_fail(a, a->rec_off, "MULTI inside a transaction");
				return;
			}
		} else if (a->bulk_len == 4 && strcasecmp(a->name, "exec") == 0) {
			if (--a->multi) {
				aof_fail(a, a->rec_off, "EXEC without MULTI");
				return;
			}
		}
	}
	if (++a->argi < a->argc) {
		a->state = ST_LINE;
		return;
	}
	a->commands++;
	a->argc = -1;
	a->state = ST_REC;
}

static size_t
aof_bulk(struct aof_check *a, const uint8_t *p, size_t n)
{
	size_t take = a->bulk_left < n ? (size_t)a->bulk_left : n, i, k;
	uint64_t pos = a->bulk_len + 2 - a->bulk_left; /* where p[0] is in payload + "\r\n" */

	/* The first bytes of a command's name, for MULTI and EXEC. */
	if (a->argi == 0 && pos < AOF_NAME_MAX && pos < a->bulk_len) {
		k = AOF_NAME_MAX - (size_t)pos;
		if (k > a->bulk_len - pos)
			k = (size_t)(a->bulk_len - pos);
		if (k > take)
			k = take;
		memcpy(a->name + pos, p, k);
		a->name_len = (size_t)pos + k;
	}
	for (i = pos < a->bulk_len ? (size_t)(a->bulk_len - pos) : 0; i < take; i++)
		a->crlf[pos + i - a->bulk_len] = p[i];
	a->bulk_left -= take;
	if (a->bulk_left == 0) {
		if (a->crlf[0] != '\r' || a->crlf[1] != '\n')
			aof_fail(a, a->rec_off, "bulk string not ended by \\r\\n");
		else
			aof_arg_done(a);
	}
	return take;
}

static size_t
aof_step(struct aof_check *a, const uint8_t *p, size_t n)
{
	const uint8_t *nl;
	size_t take;

	switch (a->state) {
	case ST_REC:
		if (a->multi == 0)
			a->ok_off = a->off;
		a->rec_off = a->off;
		if (p[0] == '#') {
			a->annot_len = 0;
			a->state = ST_ANNOT;
		} else if (p[0] == '*') {
			a->argc = -1;
			a->line_len = 0;
			a->state = ST_LINE;
		} else {
			aof_fail(a, a->off, "format error: 0x%02x where a command should start",
			         p[0]);
		}
		return 0;
	case ST_ANNOT:
		take = AOF_ANNOT_MAX - a->annot_len < n ? (size_t)(AOF_ANNOT_MAX - a->annot_len)
		                                        : n;
		nl = memchr(p, '\n', take);
		if (nl != NULL)
			take = (size_t)(nl - p) + 1;
		a->annot_len += take;
		if (nl != NULL || a->annot_len == AOF_ANNOT_MAX)
			a->state = ST_REC;
		return take;
	case ST_LINE:
		take = AOF_LINE_MAX - a->line_len < n ? AOF_LINE_MAX - a->line_len : n;
		nl = memchr(p, '\n', take);
		if (nl != NULL)
			take = (size_t)(nl - p) + 1;
		memcpy(a->line + a->line_len, p, take);
		a->line_len += take;
		if (nl != NULL || a->line_len == AOF_LINE_MAX)
			aof_header(a);
		return take;
	default:
		return aof_bulk(a, p, n);
	}
}

/* ---- the manifest ---- */

/* Splits a manifest line into up to max tokens (double quotes group words). */
static int
aof_split(char *s, char **tok, int max)
{
	int n = 0;

	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n == max)
			return -1;
		if (*s == '"') {
			tok[n++] = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			if (*s != '"')
				return -1;
		} else {
			tok[n++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

static void
aof_man_line(struct aof_check *a)
{
	char *tok[32], *file = NULL, *seq = NULL, *type = NULL, *end;
	long long s;
	int n, i;

	a->lines++;
	while (a->line_len > 0 && strchr(" \t\r\n", a->line[a->line_len - 1]) != NULL)
		a->line_len--;
	a->line[a->line_len] = '\0';
	a->line_len = 0;
	if (a->line[0] == '#')
		return;
	n = aof_split(a->line, tok, 32);
	if (n < 6 || n % 2 != 0) {
		aof_fail(a, 0, "not \"file NAME seq N type T\"");
		return;
	}
	for (i = 0; i < n; i += 2) {
		if (strcmp(tok[i], "file") == 0)
			file = tok[i + 1];
		else if (strcmp(tok[i], "seq") == 0)
			seq = tok[i + 1];
		else if (strcmp(tok[i], "type") == 0)
			type = tok[i + 1];
	}
	if (file == NULL || seq == NULL || type == NULL || *file == '\0') {
		aof_fail(a, 0, "file, seq or type missing");
		return;
	}
	errno = 0;
	s = strtoll(seq, &end, 10);
	if (errno != 0 || *end != '\0' || end == seq || s < 0) {
		aof_fail(a, 0, "seq \"%s\" is not a number", seq);
		return;
	}
	/* As Redis: "File can't be a path, just a filename". */
	if (strchr(file, '/') != NULL) {
		aof_fail(a, 0, "file \"%s\" is a path, not a file name", file);
		return;
	}
	if (strcmp(type, "b") == 0 || strcmp(type, "i") == 0) {
		if (a->nfiles == AOF_MAN_FILES_MAX) {
			aof_fail(a, 0, "more than %d base and incr files", AOF_MAN_FILES_MAX);
			return;
		}
		a->files = xreallocarray(a->files, a->nfiles + 1, sizeof *a->files);
		a->files[a->nfiles++] = xstrdup(file);
	}
	if (strcmp(type, "b") == 0) {
		if (a->bases++)
			aof_fail(a, 0, "a second base file");
	} else if (strcmp(type, "i") == 0) {
		if (a->incrs++ && s <= a->last_incr_seq)
			aof_fail(a, 0, "incr seq %lld not above the previous one", s);
		a->last_incr_seq = s;
	} else if (strcmp(type, "h") != 0) {
		aof_fail(a, 0, "unknown type \"%s\"", type);
	}
}

static size_t
aof_man_step(struct aof_check *a, const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t take = nl != NULL ? (size_t)(nl - p) + 1 : n;

	if (a->line_len + take > AOF_MAN_LINE_MAX) {
		a->lines++;
		aof_fail(a, 0, "longer than %d bytes", AOF_MAN_LINE_MAX);
		return n;
	}
	memcpy(a->line + a->line_len, p, take);
	a->line_len += take;
	if (nl != NULL)
		aof_man_line(a);
	return take;
}

/* ---- input ---- */

static void aof_feed(struct aof_check *a, const uint8_t *p, size_t n);

/* The first five bytes are in: an RDB preamble or RESP from the start. */
static void
aof_decide(struct aof_check *a)
{
	uint8_t head[5];
	size_t n = a->head_len;

	memcpy(head, a->head, n);
	a->off -= n;
	if (n == 5 && memcmp(head, "REDIS", 5) == 0) {
		a->rdb = rdb_check_init();
		rdb_check_set_embedded(a->rdb);
		a->state = ST_RDB;
	} else {
		a->state = ST_REC;
	}
	aof_feed(a, head, n);
}

static void
aof_feed(struct aof_check *a, const uint8_t *p, size_t n)
{
	size_t used;

	while (n > 0 && a->state != ST_FAILED) {
		if (a->state == ST_HEAD) {
			used = 5 - a->head_len < n ? 5 - a->head_len : n;
			memcpy(a->head + a->head_len, p, used);
			a->head_len += used;
			a->off += used;
			p += used;
			n -= used;
			if (a->head_len == 5)
				aof_decide(a);
			continue;
		}
		if (a->state == ST_RDB) {
			used = rdb_check_update(a->rdb, p, n);
			a->off += used;
			p += used;
			n -= used;
			a->rdb_end = rdb_check_end(a->rdb);
			if (a->rdb_end == 0) /* still inside the preamble, or broken */
				return;
			a->state = ST_REC;
			continue;
		}
		used = a->manifest ? aof_man_step(a, p, n) : aof_step(a, p, n);
		a->off += used;
		p += used;
		n -= used;
	}
}

void
aof_check_update(struct aof_check *a, const void *data, size_t len)
{
	aof_feed(a, data, len);
}

static void
aof_man_final(struct aof_check *a, struct aof_result *res)
{
	if (a->state != ST_FAILED && a->line_len > 0)
		aof_fail(a, 0, "no newline at the end");
	if (a->state != ST_FAILED && a->bases + a->incrs == 0) {
		a->lines++;
		aof_fail(a, 0, "neither a base nor an incr file: an empty manifest");
	}
	if (a->state == ST_FAILED) {
		res->status = AOF_CORRUPT;
		res->detail = a->error;
		a->error = NULL;
		return;
	}
	res->status = AOF_OK;
	res->detail = xasprintf("aof manifest: %lu base, %lu incr files in %lu lines", a->bases,
	                        a->incrs, a->lines);
}

void
aof_check_final(struct aof_check *a, struct aof_result *res)
{
	struct rdb_result rr = { RDB_OK, NULL };
	enum aof_status st = AOF_OK;

	if (a->manifest) {
		aof_man_final(a, res);
		return;
	}
	if (a->state == ST_HEAD && a->head_len > 0)
		aof_decide(a);
	if (a->rdb != NULL) {
		rdb_check_final(a->rdb, &rr);
		if (rr.status == RDB_CORRUPT) {
			res->status = AOF_CORRUPT;
			res->detail = xasprintf("aof: RDB preamble: %s", rr.detail + 5);
			free(rr.detail);
			return;
		}
		if (rr.status == RDB_UNCHECKED)
			st = AOF_UNCHECKED;
	}
	if (a->state == ST_FAILED) {
		/* the error is set */
	} else if (a->off == 0) {
		aof_fail(a, 0, "empty file");
	} else if (a->state == ST_REC || a->state == ST_ANNOT) {
		if (a->multi > 0)
			aof_fail(a, a->ok_off, "MULTI without EXEC before the end");
	} else {
		aof_fail(a, a->rec_off, "truncated: the file ends inside a command");
	}
	if (a->state == ST_FAILED) {
		res->status = AOF_CORRUPT;
		res->detail = a->error;
		a->error = NULL;
	} else if (rr.detail != NULL) {
		res->status = st;
		res->detail =
		        xasprintf("aof: RDB preamble (%s), then %" PRIu64 " commands, all whole",
		                  rr.detail + 5, a->commands);
	} else {
		res->status = st;
		res->detail = xasprintf("aof: %" PRIu64 " commands, all whole", a->commands);
	}
	free(rr.detail);
}
