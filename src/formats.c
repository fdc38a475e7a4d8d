/*
 * formats: format detection and incremental structure checks for backup
 * exports (see formats.h). gzip goes through zstream, a Parquet file's pages
 * through pqpages; everything else keeps a few head and tail bytes and
 * decides in final, when the size is known.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aof.h"
#include "buf.h"
#include "formats.h"
#include "pqfooter.h"
#include "pqpages.h"
#include "rdb.h"
#include "xmalloc.h"
#include "zst.h"
#include "zstream.h"

/* "REDIS" and four version digits. */
#define RDB_HEAD_LEN      9
#define DUMP_HEAD_LEN     128
#define DUMP_TAIL_LEN     512
#define DUMP_TRAILER      "-- Dump completed"
#define PARQUET_MAGIC_LEN 4
#define PARQUET_MIN_LEN   12 /* magic, footer length, magic */
#define PARQUET_TAIL_MAX  (4u << 20)
#define DETAIL_LINE_MAX   80

/* The tail of the stream without its trailing whitespace, and that whitespace apart. */
struct dump_check {
	uint8_t head[DUMP_HEAD_LEN];
	size_t head_len;
	uint8_t tail[DUMP_TAIL_LEN];
	size_t tail_len;
	uint8_t ws[DUMP_TAIL_LEN];
	size_t ws_len;
	uint64_t size;
	uint64_t content_end; /* offset just past the last non-whitespace byte */
};

/* The last bytes of the file, at least PARQUET_TAIL_MAX of them when there
 * are: the footer, decoded in final (pqfooter.h). The buffer grows with the
 * file up to twice that and is then slid, so each byte is moved once. */
struct parquet_check {
	uint8_t head[PARQUET_MAGIC_LEN];
	size_t head_len;
	uint8_t *tail;
	size_t tail_len, tail_cap;
	struct pqpages *pages; /* the page walk, reconciled with the footer in final */
};

struct formats_check {
	enum formats_kind kind;
	uint64_t size;
	struct zstream_gzip *gz; /* GZIP and MYSQLDUMP_GZ */
	struct rdb_check *rdb;   /* RDB */
	struct aof_check *aof;   /* AOF and AOF_MANIFEST */
	struct zst_check *zst;   /* ZSTD */
	union {
		struct dump_check dump;
		struct parquet_check pq;
	} u;
};

static const struct {
	const char *suffix;
	enum formats_kind kind;
} formats_suffixes[] = {
	/* Longest first: .sql.gz must win over .gz. */
	{ ".sql.gz", FORMATS_MYSQLDUMP_GZ },
	{ ".parquet", FORMATS_PARQUET },
	{ ".rdb", FORMATS_RDB },
	{ ".gz", FORMATS_GZIP },
	{ ".sql", FORMATS_MYSQLDUMP },
	{ ".aof", FORMATS_AOF },
	{ ".zst", FORMATS_ZSTD },
	{ ".xz", FORMATS_XZ },
	{ ".bz2", FORMATS_BZIP2 },
	{ ".lz4", FORMATS_LZ4 },
};

/* Compressions by their magic bytes. */
static const struct {
	const char *magic;
	size_t len;
	enum formats_kind kind;
} formats_magics[] = {
	{ "\x28\xb5\x2f\xfd", 4, FORMATS_ZSTD },
	{ "\xfd"
	  "7zXZ\0",
	  6, FORMATS_XZ },
	{ "BZh", 3, FORMATS_BZIP2 },
	{ "\x04\x22\x4d\x18", 4, FORMATS_LZ4 },
};

static void
keep_head(uint8_t *buf, size_t *have, size_t cap, const uint8_t *p, size_t n)
{
	size_t take = cap - *have < n ? cap - *have : n;

	memcpy(buf + *have, p, take);
	*have += take;
}

static void
keep_tail(uint8_t *buf, size_t *have, size_t cap, const uint8_t *p, size_t n)
{
	if (n >= cap) {
		memcpy(buf, p + n - cap, cap);
		*have = cap;
		return;
	}
	if (*have + n > cap) {
		memmove(buf, buf + (*have + n - cap), cap - n);
		*have = cap - n;
	}
	memcpy(buf + *have, p, n);
	*have += n;
}

static int
starts_with(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(p, prefix, n) == 0;
}

static void __attribute__((format(printf, 3, 4)))
result(struct formats_result *res, enum formats_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	res->status = status;
	res->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

/* Copies a line from a file into out for a detail text, tamed for a log. */
static void
printable(char *out, size_t outsize, const uint8_t *p, size_t len)
{
	size_t i;

	if (len > outsize - 1)
		len = outsize - 1;
	for (i = 0; i < len; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	out[len] = '\0';
}

/* ---- detection ---- */

/* A mysqldump or mariadb-dump header, unless written with --skip-comments. */
static int
dump_has_header(const uint8_t *p, size_t len)
{
	/* Recent MariaDB dumps start with this line, ahead of the header, so
	 * that older clients refuse the dump's client commands. */
	static const char sandbox[] = "/*M!999999\\- enable the sandbox mode */";
	const uint8_t *nl;

	if (starts_with(p, len, sandbox)) {
		if ((nl = memchr(p, '\n', len)) == NULL)
			return 0;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return starts_with(p, len, "-- MySQL dump") || starts_with(p, len, "-- MariaDB dump");
}

static int
has_rdb_magic(const uint8_t *p, size_t len)
{
	size_t i;

	if (!starts_with(p, len, "REDIS"))
		return 0;
	for (i = 5; i < RDB_HEAD_LEN && i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
	}
	return 1;
}

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n, s;

	if (name == NULL)
		return 0;
	n = strlen(name);
	s = strlen(suffix);
	return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

enum formats_kind
formats_detect(const void *head, size_t len, const char *filename)
{
	const uint8_t *p = head;
	uint8_t inflated[DUMP_HEAD_LEN];
	size_t i, n;

	if (has_rdb_magic(p, len))
		return has_suffix(filename, ".aof") ? FORMATS_AOF : FORMATS_RDB;
	if (starts_with(p, len, "PAR1") || starts_with(p, len, "PARE"))
		return FORMATS_PARQUET;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		n = zstream_gunzip_head(p, len, inflated, sizeof inflated);
		if (dump_has_header(inflated, n) || has_suffix(filename, ".sql.gz"))
			return FORMATS_MYSQLDUMP_GZ;
		return FORMATS_GZIP;
	}
	if (dump_has_header(p, len))
		return FORMATS_MYSQLDUMP;
	for (i = 0; i < sizeof formats_magics / sizeof formats_magics[0]; i++) {
		if (len >= formats_magics[i].len &&
		    memcmp(p, formats_magics[i].magic, formats_magics[i].len) == 0)
			return formats_magics[i].kind;
	}
	if (aof_looks_resp(p, len))
		return FORMATS_AOF;
	if (aof_looks_manifest(p, len))
		return FORMATS_AOF_MANIFEST;
	for (i = 0; i < sizeof formats_suffixes / sizeof formats_suffixes[0]; i++) {
		if (has_suffix(filename, formats_suffixes[i].suffix))
			return formats_suffixes[i].kind;
	}
	return FORMATS_RAW;
}

const char *
formats_kind_name(enum formats_kind kind)
{
	switch (kind) {
	case FORMATS_RDB:
		return "rdb";
	case FORMATS_GZIP:
		return "gzip";
	case FORMATS_MYSQLDUMP:
		return "mysqldump";
	case FORMATS_MYSQLDUMP_GZ:
		return "mysqldump.gz";
	case FORMATS_PARQUET:
		return "parquet";
	case FORMATS_AOF:
		return "aof";
	case FORMATS_AOF_MANIFEST:
		return "aof-manifest";
	case FORMATS_ZSTD:
		return "zstd";
	case FORMATS_XZ:
		return "xz";
	case FORMATS_BZIP2:
		return "bzip2";
	case FORMATS_LZ4:
		return "lz4";
	default:
		return "raw";
	}
}

const char *
formats_status_name(enum formats_status status)
{
	switch (status) {
	case FORMATS_OK:
		return "ok";
	case FORMATS_WARNING:
		return "warning";
	case FORMATS_UNCHECKED:
		return "unchecked";
	default:
		return "corrupt";
	}
}

/* ---- Redis RDB: the walk is rdb.c's ---- */

static void
rdb_kind_final(struct rdb_check *r, struct formats_result *res)
{
	static const enum formats_status map[] = {
		[RDB_OK] = FORMATS_OK,
		[RDB_WARNING] = FORMATS_WARNING,
		[RDB_UNCHECKED] = FORMATS_UNCHECKED,
		[RDB_CORRUPT] = FORMATS_CORRUPT,
	};
	struct rdb_result rr;

	rdb_check_final(r, &rr);
	res->status = map[rr.status];
	res->detail = rr.detail;
}

/* ---- Redis AOF: aof.c's ---- */

static void
aof_kind_final(struct aof_check *a, struct formats_result *res)
{
	struct aof_result ar;

	aof_check_final(a, &ar);
	res->status = ar.status == AOF_OK          ? FORMATS_OK
	              : ar.status == AOF_UNCHECKED ? FORMATS_UNCHECKED
	                                           : FORMATS_CORRUPT;
	res->detail = ar.detail;
}

/* ---- zstd: zst.c's, and a dump inside it ---- */

static void dump_final(const struct dump_check *d, const char *what, struct formats_result *res);

static void
zst_kind_final(struct formats_check *c, struct formats_result *res)
{
	struct zst_result z;
	struct formats_result dump;

	zst_check_final(c->zst, &z);
	if (z.status == ZST_UNAVAILABLE) {
		res->status = FORMATS_UNCHECKED;
		res->detail = z.detail;
	} else if (z.status == ZST_CORRUPT) {
		res->status = FORMATS_CORRUPT;
		res->detail = z.detail;
	} else if (dump_has_header(c->u.dump.head, c->u.dump.head_len)) {
		dump_final(&c->u.dump, "decompressed stream", &dump);
		result(res, dump.status, "%s; %s", dump.detail, z.detail);
		free(dump.detail);
		free(z.detail);
	} else {
		res->status = FORMATS_OK;
		res->detail = z.detail;
	}
}

/* ---- mysqldump ---- */

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static void
dump_update(struct dump_check *d, const uint8_t *p, size_t n)
{
	size_t end = n;

	keep_head(d->head, &d->head_len, sizeof d->head, p, n);
	d->size += n;
	while (end > 0 && is_space(p[end - 1]))
		end--;
	if (end == 0) {
		keep_tail(d->ws, &d->ws_len, sizeof d->ws, p, n);
		return;
	}
	/* Whitespace followed by content is content: the trailer line itself
	 * has spaces, and a chunk may end in the middle of it. */
	keep_tail(d->tail, &d->tail_len, sizeof d->tail, d->ws, d->ws_len);
	keep_tail(d->tail, &d->tail_len, sizeof d->tail, p, end);
	d->ws_len = 0;
	keep_tail(d->ws, &d->ws_len, sizeof d->ws, p + end, n - end);
	d->content_end = d->size - (n - end);
}

static void
dump_final(const struct dump_check *d, const char *what, struct formats_result *res)
{
	char line[DETAIL_LINE_MAX];
	const uint8_t *nl, *start = d->tail;
	size_t len = d->tail_len;
	int whole;

	nl = len > 0 ? memrchr(d->tail, '\n', len) : NULL;
	if (nl != NULL) {
		start = nl + 1;
		len -= (size_t)(start - d->tail);
	}
	/* With no newline in the tail, the last line is whole only when the tail is all there is.
	 */
	whole = nl != NULL || d->content_end == d->tail_len;
	if (d->size == 0) {
		result(res, FORMATS_CORRUPT, "mysqldump: empty %s", what);
	} else if (whole && starts_with(start, len, DUMP_TRAILER)) {
		printable(line, sizeof line, start, len);
		result(res, FORMATS_OK, "mysqldump: complete (%s)", line);
	} else if (dump_has_header(d->head, d->head_len)) {
		result(res, FORMATS_CORRUPT,
		       "mysqldump: truncated: no '" DUMP_TRAILER
		       "' line at the end (%s ends at offset %" PRIu64 ")",
		       what, d->content_end);
	} else {
		result(res, FORMATS_UNCHECKED,
		       "mysqldump: neither header nor '" DUMP_TRAILER
		       "' line (written with --skip-comments?): completeness cannot be checked");
	}
}

static void
dump_gz_output(const void *data, size_t len, void *arg)
{
	dump_update(arg, data, len);
}

/* ---- Parquet ---- */

static void
parquet_keep(struct parquet_check *q, const uint8_t *p, size_t n)
{
	size_t keep;

	if (n > 2 * PARQUET_TAIL_MAX) {
		p += n - PARQUET_TAIL_MAX;
		n = PARQUET_TAIL_MAX;
		q->tail_len = 0;
	}
	if (q->tail_len + n > 2 * PARQUET_TAIL_MAX) {
		keep = PARQUET_TAIL_MAX - n < q->tail_len ? PARQUET_TAIL_MAX - n : q->tail_len;
		memmove(q->tail, q->tail + q->tail_len - keep, keep);
		q->tail_len = keep;
	}
	if (q->tail_len + n > q->tail_cap) {
		q->tail_cap = q->tail_len + n < 4096 ? 4096 : 2 * (q->tail_len + n);
		if (q->tail_cap > 2 * PARQUET_TAIL_MAX)
			q->tail_cap = 2 * PARQUET_TAIL_MAX;
		q->tail = xreallocarray(q->tail, q->tail_cap, 1);
	}
	memcpy(q->tail + q->tail_len, p, n);
	q->tail_len += n;
}

/* pqfooter hands each column chunk to the page walk for reconciliation. */
static void
parquet_chunk(const struct pqfooter_chunk *k, void *arg)
{
	pqpages_chunk(arg, k);
}

/* What the page walk found, after the footer's detail: "; pages: ...". */
static void
parquet_pages_note(struct buf *b, const struct pqpages_result *r)
{
	if (r->chunks > 0) {
		buf_printf(b,
		           "; pages: %" PRIu64 " in %zu column chunks decode and tile them, "
		           "num_values agree",
		           r->pages, r->chunks);
		if (r->crcs > 0)
			buf_printf(b, ", %" PRIu64 " page CRC-32s match", r->crcs);
		else
			buf_adds(b, ", no page CRC-32s stored");
	}
	if (r->legacy_sizes > 0)
		buf_printf(b,
		           " (%zu chunks' total_compressed_size leaves out the dictionary page "
		           "header, as parquet-mr before 1.2.9 wrote it)",
		           r->legacy_sizes);
	if (r->uncounted > 0)
		buf_printf(b,
		           " (num_values of %zu chunks not compared: pages of a type after "
		           "DATA_PAGE_V2)",
		           r->uncounted);
	if (r->unwalked > 0)
		buf_printf(b, "; pages of %zu chunks not walked (first: %s)", r->unwalked,
		           r->unwalked_why);
	if (r->encrypted > 0)
		buf_printf(b, "; pages of %zu encrypted chunks not read", r->encrypted);
}

/* The footer decoded, then each of its column chunks reconciled with the pages walked. */
static void
parquet_footer(struct parquet_check *q, const uint8_t *meta, uint32_t footer, uint64_t foot_off,
               struct formats_result *res)
{
	const struct pqpages_result *r;
	struct pqfooter_info info;
	struct buf b = BUF_INIT;
	char *err;

	pqpages_end(q->pages);
	err = pqfooter_check(meta, footer, foot_off, &info, parquet_chunk, q->pages);
	if (err != NULL) {
		result(res, FORMATS_CORRUPT, "parquet: footer at offset %" PRIu64 ": %s", foot_off,
		       err);
		free(err);
		return;
	}
	r = pqpages_result(q->pages);
	if (r->damage != NULL) {
		result(res, FORMATS_CORRUPT, "parquet: %s", r->damage);
		return;
	}
	buf_printf(&b,
	           "parquet: footer %" PRIu32 " bytes at offset %" PRIu64 ": %" PRId64
	           " rows in %zu row groups, %zu columns, %zu column chunks inside the file",
	           footer, foot_off, info.num_rows, info.row_groups, info.columns, info.chunks);
	parquet_pages_note(&b, r);
	res->status = FORMATS_OK;
	res->detail = buf_detach(&b);
}

static void
parquet_final(struct parquet_check *q, uint64_t size, struct formats_result *res)
{
	const uint8_t *end; /* the footer length and the closing magic */
	uint32_t footer;
	uint64_t foot_off;

	if (size < PARQUET_MIN_LEN) {
		result(res, FORMATS_CORRUPT,
		       "parquet: truncated: %" PRIu64 " bytes, at least %d needed", size,
		       PARQUET_MIN_LEN);
		return;
	}
	end = q->tail + q->tail_len - 8;
	footer = (uint32_t)end[0] | (uint32_t)end[1] << 8 | (uint32_t)end[2] << 16 |
	         (uint32_t)end[3] << 24;
	if (memcmp(q->head, "PAR1", 4) != 0 && memcmp(q->head, "PARE", 4) != 0) {
		result(res, FORMATS_CORRUPT, "parquet: bad magic at offset 0");
		return;
	}
	if (memcmp(end + 4, q->head, 4) != 0) {
		result(res, FORMATS_CORRUPT,
		       "parquet: no closing magic at offset %" PRIu64 " (truncated?)", size - 4);
		return;
	}
	/* Stricter than footer + 8 <= size: the footer cannot overlap the leading magic. */
	if (footer == 0 || (uint64_t)footer + PARQUET_MIN_LEN > size) {
		result(res, FORMATS_CORRUPT,
		       "parquet: footer length %" PRIu32 " at offset %" PRIu64
		       " does not fit a %" PRIu64 "-byte file",
		       footer, size - 8, size);
		return;
	}
	foot_off = size - 8 - footer;
	if (memcmp(q->head, "PARE", 4) == 0) {
		result(res, FORMATS_UNCHECKED,
		       "parquet: encrypted footer (PARE): only its length checked, pages not read");
		return;
	}
	if ((size_t)footer + 8 > q->tail_len) {
		result(res, FORMATS_OK,
		       "parquet: footer %" PRIu32 " bytes at offset %" PRIu64
		       ", over %u MiB: not decoded, nor its pages reconciled",
		       footer, foot_off, PARQUET_TAIL_MAX >> 20);
		return;
	}
	parquet_footer(q, end - footer, footer, foot_off, res);
}

/* ---- the checker ---- */

struct formats_check *
formats_check_init(enum formats_kind kind)
{
	struct formats_check *c = xcalloc(1, sizeof *c);

	c->kind = kind;
	if (kind == FORMATS_PARQUET)
		c->u.pq.pages = pqpages_init();
	if (kind == FORMATS_RDB)
		c->rdb = rdb_check_init();
	else if (kind == FORMATS_ZSTD)
		c->zst = zst_check_init(dump_gz_output, &c->u.dump);
	else if (kind == FORMATS_AOF || kind == FORMATS_AOF_MANIFEST)
		c->aof = aof_check_init(kind == FORMATS_AOF_MANIFEST);
	/* Zero padding is accepted as gzip -t accepts it (tar blocks, tape
	 * records, preallocated files); gzip_final turns it into a warning. */
	if (kind == FORMATS_GZIP)
		c->gz = zstream_gzip_init(ZSTREAM_GZIP_ALLOW_ZERO_PADDING, NULL, NULL);
	else if (kind == FORMATS_MYSQLDUMP_GZ)
		c->gz = zstream_gzip_init(ZSTREAM_GZIP_ALLOW_ZERO_PADDING, dump_gz_output,
		                          &c->u.dump);
	return c;
}

void
formats_check_update(struct formats_check *c, const void *data, size_t len)
{
	struct parquet_check *q = &c->u.pq;

	if (len == 0)
		return;
	c->size += len;
	switch (c->kind) {
	case FORMATS_RDB:
		rdb_check_update(c->rdb, data, len);
		break;
	case FORMATS_AOF:
	case FORMATS_AOF_MANIFEST:
		aof_check_update(c->aof, data, len);
		break;
	case FORMATS_ZSTD:
		zst_check_update(c->zst, data, len);
		break;
	case FORMATS_GZIP:
	case FORMATS_MYSQLDUMP_GZ:
		zstream_gzip_update(c->gz, data, len);
		break;
	case FORMATS_MYSQLDUMP:
		dump_update(&c->u.dump, data, len);
		break;
	case FORMATS_PARQUET:
		keep_head(q->head, &q->head_len, sizeof q->head, data, len);
		parquet_keep(q, data, len);
		pqpages_update(q->pages, data, len);
		break;
	default:
		break;
	}
}

static void
gzip_final(struct formats_check *c, struct formats_result *res)
{
	struct zstream_gzip_result g;
	struct formats_result dump;
	enum formats_status st = FORMATS_OK;
	char *what;
	char pad[DETAIL_LINE_MAX * 2] = "";

	zstream_gzip_final(c->gz, &g);
	if (!g.ok) {
		res->status = FORMATS_CORRUPT;
		res->detail = g.error;
		return;
	}
	if (g.padding > 0) {
		st = FORMATS_WARNING;
		snprintf(pad, sizeof pad,
		         "; warning: %" PRIu64 " bytes of zero padding at offset %" PRIu64
		         " after member %lu ignored, as gzip -t does",
		         g.padding, g.in_bytes - g.padding, g.members);
	}
	if (c->kind == FORMATS_MYSQLDUMP_GZ) {
		dump_final(&c->u.dump, "inflated stream", &dump);
		what = dump.detail;
		if (dump.status != FORMATS_OK)
			st = dump.status;
		result(res, st, "%s; gzip: %lu member%s ok%s", what, g.members,
		       g.members == 1 ? "" : "s", pad);
		free(what);
	} else {
		result(res, st,
		       "gzip: %lu member%s, %" PRIu64 " bytes inflated, crc32 and length ok%s",
		       g.members, g.members == 1 ? "" : "s", g.out_bytes, pad);
	}
}

void
formats_check_final(struct formats_check *c, struct formats_result *res)
{
	switch (c->kind) {
	case FORMATS_RDB:
		rdb_kind_final(c->rdb, res);
		break;
	case FORMATS_AOF:
	case FORMATS_AOF_MANIFEST:
		aof_kind_final(c->aof, res);
		break;
	case FORMATS_ZSTD:
		zst_kind_final(c, res);
		break;
	case FORMATS_XZ:
	case FORMATS_BZIP2:
	case FORMATS_LZ4:
		result(res, FORMATS_UNCHECKED,
		       "%s: compressed with %s, which cannot be checked here: only the digests "
		       "vouch "
		       "for it",
		       formats_kind_name(c->kind), formats_kind_name(c->kind));
		break;
	case FORMATS_GZIP:
	case FORMATS_MYSQLDUMP_GZ:
		gzip_final(c, res);
		break;
	case FORMATS_MYSQLDUMP:
		dump_final(&c->u.dump, "file", res);
		break;
	case FORMATS_PARQUET:
		parquet_final(&c->u.pq, c->size, res);
		break;
	default:
		result(res, FORMATS_OK, "raw: no format check, digests only");
		break;
	}
}

size_t
formats_check_files(const struct formats_check *c, const char *const **names)
{
	*names = NULL;
	return c->kind == FORMATS_AOF_MANIFEST ? aof_check_files(c->aof, names) : 0;
}

void
formats_check_free(struct formats_check *c)
{
	if (c == NULL)
		return;
	zstream_gzip_free(c->gz);
	rdb_check_free(c->rdb);
	aof_check_free(c->aof);
	if (c->kind == FORMATS_PARQUET) {
		free(c->u.pq.tail);
		pqpages_free(c->u.pq.pages);
	}
	zst_check_free(c->zst);
	free(c);
}
