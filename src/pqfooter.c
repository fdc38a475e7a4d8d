/*
 * pqfooter: a Thrift compact protocol reader and the checks of a Parquet
 * FileMetaData (see pqfooter.h). The reader is a cursor over the footer's
 * bytes; every read is bounded by them, nesting by PQ_DEPTH_MAX, and list
 * sizes by the bytes left, so a damaged footer cannot make it loop or
 * allocate without bound.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pqfooter.h"
#include "xmalloc.h"

#define PQ_DEPTH_MAX 64
#define PQ_MAGIC_LEN 4

/* Thrift compact types. */
enum {
	T_STOP,
	T_TRUE,
	T_FALSE,
	T_BYTE,
	T_I16,
	T_I32,
	T_I64,
	T_DOUBLE,
	T_BINARY,
	T_LIST,
	T_SET,
	T_MAP,
	T_STRUCT,
};

struct pq_cur {
	const uint8_t *p, *end, *start;
	char *err;
};

struct pq_chunk {
	int has_path, has_meta;
	int64_t data_off, dict_off, index_off, total, num_values;
	int64_t bloom_off, bloom_len;
	int64_t oi_off, oi_len, ci_off, ci_len;
};

static int __attribute__((format(printf, 2, 3))) pq_fail(struct pq_cur *c, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (c->err != NULL)
		return -1;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	c->err = xasprintf("%s (footer byte %td)", what, c->p - c->start);
	free(what);
	return -1;
}

static int
pq_varint(struct pq_cur *c, uint64_t *v)
{
	uint64_t x = 0;
	int shift = 0;

	while (c->p < c->end && shift < 64) {
		x |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
	}
	return pq_fail(c, "Thrift varint past the end of the footer");
}

static int
pq_zigzag(struct pq_cur *c, int64_t *v)
{
	uint64_t u;

	if (pq_varint(c, &u) != 0)
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

/* An integer field of any integer type. */
static int
pq_int(struct pq_cur *c, int type, int64_t *v)
{
	if (type == T_BYTE) {
		if (c->p >= c->end)
			return pq_fail(c, "Thrift byte past the end of the footer");
		*v = (int8_t)*c->p++;
		return 0;
	}
	if (type == T_I16 || type == T_I32 || type == T_I64)
		return pq_zigzag(c, v);
	return pq_fail(c, "Thrift field of type %d where an integer belongs", type);
}

/* Thrift's generated readers skip a known field whose wire type is not the
 * expected one; so do we, for the integer fields we read. */
static int
pq_is_int(int type)
{
	return type == T_BYTE || type == T_I16 || type == T_I32 || type == T_I64;
}

static int
pq_binary(struct pq_cur *c, const uint8_t **s, uint64_t *len)
{
	if (pq_varint(c, len) != 0)
		return -1;
	if (*len > (uint64_t)(c->end - c->p))
		return pq_fail(c, "Thrift string of %" PRIu64 " bytes past the end of the footer",
		               *len);
	*s = c->p;
	c->p += *len;
	return 0;
}

static int pq_skip(struct pq_cur *c, int type, int depth);

/* A list or set header: element type and count, the count bounded by the bytes left. */
static int
pq_list(struct pq_cur *c, int *etype, uint64_t *n)
{
	uint8_t b;

	if (c->p >= c->end)
		return pq_fail(c, "Thrift list header past the end of the footer");
	b = *c->p++;
	*etype = b & 0x0f;
	*n = b >> 4;
	if (*n == 15 && pq_varint(c, n) != 0)
		return -1;
	if (*n > (uint64_t)(c->end - c->p) && *etype != T_TRUE && *etype != T_FALSE)
		return pq_fail(c, "Thrift list of %" PRIu64 " elements past the end of the footer",
		               *n);
	return 0;
}

/* Reads a field header: 1 and the field, 0 at the struct's end, -1 on error. */
static int
pq_field(struct pq_cur *c, int16_t *last, int16_t *id, int *type)
{
	uint8_t b;
	int64_t v;

	if (c->p >= c->end)
		return pq_fail(c, "Thrift struct not ended before the end of the footer");
	b = *c->p++;
	*type = b & 0x0f;
	if (*type == T_STOP)
		return 0;
	if (*type > T_STRUCT)
		return pq_fail(c, "unknown Thrift type %d", *type);
	if (b >> 4) {
		*id = (int16_t)(*last + (b >> 4));
	} else {
		if (pq_zigzag(c, &v) != 0)
			return -1;
		*id = (int16_t)v;
	}
	*last = *id;
	return 1;
}

static int
pq_skip_struct(struct pq_cur *c, int depth)
{
	int16_t last = 0, id;
	int type, r;

	while ((r = pq_field(c, &last, &id, &type)) == 1)
		if (pq_skip(c, type, depth + 1) != 0)
			return -1;
	return r;
}

static int
pq_skip(struct pq_cur *c, int type, int depth)
{
	const uint8_t *s;
	uint64_t n, i, len;
	int64_t v;
	int et, kt;

	if (depth > PQ_DEPTH_MAX)
		return pq_fail(c, "Thrift nesting deeper than %d", PQ_DEPTH_MAX);
	switch (type) {
	case T_TRUE:
	case T_FALSE:
		return 0;
	case T_BYTE:
	case T_I16:
	case T_I32:
	case T_I64:
		return pq_int(c, type, &v);
	case T_DOUBLE:
		if (c->end - c->p < 8)
			return pq_fail(c, "Thrift double past the end of the footer");
		c->p += 8;
		return 0;
	case T_BINARY:
		return pq_binary(c, &s, &len);
	case T_LIST:
	case T_SET:
		if (pq_list(c, &et, &n) != 0)
			return -1;
		for (i = 0; i < n; i++) {
			/* A bool in a list is one byte. */
			if (et == T_TRUE || et == T_FALSE) {
				if (c->p >= c->end)
					return pq_fail(c, "Thrift bool past the end of the footer");
				c->p++;
			} else if (pq_skip(c, et, depth + 1) != 0) {
				return -1;
			}
		}
		return 0;
	case T_MAP:
		if (pq_varint(c, &n) != 0)
			return -1;
		if (n == 0)
			return 0;
		if (n > (uint64_t)(c->end - c->p) || c->p >= c->end)
			return pq_fail(c, "Thrift map past the end of the footer");
		kt = *c->p >> 4;
		et = *c->p++ & 0x0f;
		for (i = 0; i < n; i++)
			if (pq_skip(c, kt, depth + 1) != 0 || pq_skip(c, et, depth + 1) != 0)
				return -1;
		return 0;
	case T_STRUCT:
		return pq_skip_struct(c, depth) < 0 ? -1 : 0;
	default:
		return pq_fail(c, "unknown Thrift type %d", type);
	}
}

/* ---- the structures ---- */

static int
pq_column_meta(struct pq_cur *c, struct pq_chunk *k)
{
	int16_t last = 0, id;
	int type, r;
	int64_t *dst, v;

	while ((r = pq_field(c, &last, &id, &type)) == 1) {
		if ((id == 1 || id == 4) && pq_is_int(type)) {
			/* physical type (0..7) and codec (UNCOMPRESSED..LZ4_RAW, 0..7) */
			if (pq_int(c, type, &v) != 0)
				return -1;
			if (v < 0 || v > 7)
				return pq_fail(c, "column %s %" PRId64 " is not a Parquet value",
				               id == 1 ? "type" : "codec", v);
			continue;
		}
		dst = id == 5    ? &k->num_values
		      : id == 7  ? &k->total
		      : id == 9  ? &k->data_off
		      : id == 10 ? &k->index_off
		      : id == 11 ? &k->dict_off
		      : id == 14 ? &k->bloom_off
		      : id == 15 ? &k->bloom_len
		                 : NULL;
		if (dst != NULL && pq_is_int(type) ? pq_int(c, type, dst) : pq_skip(c, type, 2))
			return -1;
	}
	return r;
}

static int
pq_column_chunk(struct pq_cur *c, struct pq_chunk *k)
{
	int16_t last = 0, id;
	int type, r;
	int64_t *dst;

	memset(k, 0, sizeof *k);
	k->dict_off = k->index_off = k->bloom_off = -1;
	k->oi_off = k->ci_off = -1;
	while ((r = pq_field(c, &last, &id, &type)) == 1) {
		if (id == 1) {
			k->has_path = 1;
			if (pq_skip(c, type, 1) != 0)
				return -1;
			continue;
		}
		if (id == 3 && type == T_STRUCT) {
			k->has_meta = 1;
			if (pq_column_meta(c, k) < 0)
				return -1;
			continue;
		}
		dst = id == 4   ? &k->oi_off
		      : id == 5 ? &k->oi_len
		      : id == 6 ? &k->ci_off
		      : id == 7 ? &k->ci_len
		                : NULL;
		if (dst != NULL && pq_is_int(type) ? pq_int(c, type, dst) : pq_skip(c, type, 1))
			return -1;
	}
	return r;
}

/* An offset and length (len < 0: just the offset) must lie in [magic, footer). */
static int
pq_inside(int64_t off, int64_t len, uint64_t footer_off)
{
	if (off < PQ_MAGIC_LEN || (uint64_t)off >= footer_off)
		return 0;
	return len < 0 || (uint64_t)len <= footer_off - (uint64_t)off;
}

static int
pq_check_chunk(struct pq_cur *c, const struct pq_chunk *k, size_t rg, size_t col,
               uint64_t footer_off)
{
	int64_t start;

	if (k->has_path || !k->has_meta) /* in another file, or encrypted metadata */
		return 0;
	if (k->num_values < 0 || k->total < 0)
		return pq_fail(c, "row group %zu column %zu: negative num_values or size", rg, col);
	if (k->num_values == 0) /* no pages: some writers leave the offsets out */
		return 0;
	if (!pq_inside(k->data_off, -1, footer_off))
		return pq_fail(c,
		               "row group %zu column %zu: data page offset %" PRId64
		               " outside the data (footer at %" PRIu64 ")",
		               rg, col, k->data_off, footer_off);
	start = k->data_off;
	/* 0 is what some writers put for "no dictionary". */
	if (k->dict_off > 0) {
		if (!pq_inside(k->dict_off, -1, footer_off))
			return pq_fail(c,
			               "row group %zu column %zu: dictionary page offset %" PRId64
			               " outside the data",
			               rg, col, k->dict_off);
		if (k->dict_off < start)
			start = k->dict_off;
	}
	if (!pq_inside(start, k->total, footer_off))
		return pq_fail(c,
		               "row group %zu column %zu: %" PRId64 " bytes from offset %" PRId64
		               " run past the footer at %" PRIu64,
		               rg, col, k->total, start, footer_off);
	if (k->oi_off >= 0 && !pq_inside(k->oi_off, k->oi_len, footer_off))
		return pq_fail(c, "row group %zu column %zu: offset index outside the data", rg,
		               col);
	if (k->ci_off >= 0 && !pq_inside(k->ci_off, k->ci_len, footer_off))
		return pq_fail(c, "row group %zu column %zu: column index outside the data", rg,
		               col);
	if (k->bloom_off > 0 &&
	    !pq_inside(k->bloom_off, k->bloom_len > 0 ? k->bloom_len : -1, footer_off))
		return pq_fail(c, "row group %zu column %zu: bloom filter outside the data", rg,
		               col);
	return 0;
}

static int
pq_row_group(struct pq_cur *c, size_t rg, uint64_t footer_off, size_t leaves,
             struct pqfooter_info *info, int64_t *rows)
{
	int16_t last = 0, id;
	int type, r, et;
	uint64_t n = 0, i;
	struct pq_chunk k;
	int seen_columns = 0;

	*rows = -1;
	while ((r = pq_field(c, &last, &id, &type)) == 1) {
		if (id == 1 && type == T_LIST) {
			if (pq_list(c, &et, &n) != 0)
				return -1;
			if (et != T_STRUCT)
				return pq_fail(c, "row group %zu: columns not a list of structs",
				               rg);
			for (i = 0; i < n; i++) {
				if (pq_column_chunk(c, &k) < 0 ||
				    pq_check_chunk(c, &k, rg, i, footer_off))
					return -1;
			}
			seen_columns = 1;
			info->chunks += n;
		} else if (id == 3 && pq_is_int(type)) {
			if (pq_int(c, type, rows) != 0)
				return -1;
		} else if (pq_skip(c, type, 1) != 0) {
			return -1;
		}
	}
	if (r < 0)
		return -1;
	if (!seen_columns || *rows < 0)
		return pq_fail(c, "row group %zu: columns or num_rows missing", rg);
	if (n != leaves)
		return pq_fail(c, "row group %zu: %" PRIu64 " column chunks for %zu schema columns",
		               rg, n, leaves);
	return 0;
}

/* The schema list: num_children of each element (-1: a leaf). */
static int
pq_schema(struct pq_cur *c, int32_t **kids, size_t *n)
{
	int et, type, r;
	uint64_t count, i;
	int16_t last, id;
	int64_t v;

	if (pq_list(c, &et, &count) != 0)
		return -1;
	if (et != T_STRUCT || count == 0)
		return pq_fail(c, "schema not a non-empty list of elements");
	*kids = xreallocarray(NULL, count, sizeof **kids);
	*n = count;
	for (i = 0; i < count; i++) {
		(*kids)[i] = -1;
		last = 0;
		while ((r = pq_field(c, &last, &id, &type)) == 1) {
			if ((id == 1 || id == 3) && pq_is_int(type)) {
				/* Type (BOOLEAN..FIXED_LEN_BYTE_ARRAY), repetition
				 * (REQUIRED..REPEATED) */
				if (pq_int(c, type, &v) != 0)
					return -1;
				if (v < 0 || v > (id == 1 ? 7 : 2))
					return pq_fail(c,
					               "schema element %" PRIu64 ": %s %" PRId64
					               " is not a Parquet value",
					               i, id == 1 ? "type" : "repetition_type", v);
			} else if (id == 5 && pq_is_int(type)) {
				if (pq_int(c, type, &v) != 0)
					return -1;
				if (v < 0 || v > INT32_MAX)
					return pq_fail(c,
					               "schema element %" PRIu64
					               ": num_children %" PRId64,
					               i, v);
				(*kids)[i] = (int32_t)v;
			} else if (pq_skip(c, type, 2) != 0) {
				return -1;
			}
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The elements in depth-first order make exactly one tree: returns its leaves, or -1. */
static long
pq_tree(const int32_t *kids, size_t n)
{
	size_t *todo = xreallocarray(NULL, n + 1, sizeof *todo), depth = 0, i;
	long leaves = 0;

	if (kids[0] < 0) {
		free(todo);
		return -1; /* the root is a group */
	}
	todo[depth++] = (size_t)kids[0];
	for (i = 1; i < n; i++) {
		while (depth > 0 && todo[depth - 1] == 0)
			depth--;
		if (depth == 0)
			break; /* elements after the tree is complete */
		todo[depth - 1]--;
		if (kids[i] < 0)
			leaves++;
		else
			todo[depth++] = (size_t)kids[i];
	}
	while (depth > 0 && todo[depth - 1] == 0)
		depth--;
	free(todo);
	return i == n && depth == 0 ? leaves : -1;
}

char *
pqfooter_check(const uint8_t *meta, size_t len, uint64_t footer_off, struct pqfooter_info *info)
{
	struct pq_cur c = { meta, meta + len, meta, NULL };
	int32_t *kids = NULL;
	size_t nkids = 0, rg = 0;
	int16_t last = 0, id;
	int type, r, et, have_rows = 0;
	int64_t rows, sum = 0;
	long leaves = -1;
	uint64_t n, i;

	memset(info, 0, sizeof *info);
	while ((r = pq_field(&c, &last, &id, &type)) == 1) {
		if (id == 2 && type == T_LIST) {
			free(kids); /* a second schema field replaces the first, as in Thrift */
			kids = NULL;
			if (pq_schema(&c, &kids, &nkids) != 0)
				break;
			leaves = pq_tree(kids, nkids);
			if (leaves < 0) {
				pq_fail(&c,
				        "schema num_children do not make one tree of %zu elements",
				        nkids);
				break;
			}
			info->columns = (size_t)leaves;
		} else if (id == 3 && pq_is_int(type)) {
			if (pq_int(&c, type, &info->num_rows) != 0)
				break;
			have_rows = 1;
		} else if (id == 4 && type == T_LIST) {
			if (leaves < 0) {
				pq_fail(&c, "row groups before the schema");
				break;
			}
			if (pq_list(&c, &et, &n) != 0)
				break;
			if (et != T_STRUCT) {
				pq_fail(&c, "row groups not a list of structs");
				break;
			}
			for (i = 0; i < n; i++, rg++) {
				if (pq_row_group(&c, rg, footer_off, (size_t)leaves, info, &rows) !=
				    0)
					break;
				sum += rows;
			}
			if (c.err != NULL)
				break;
			info->row_groups = rg;
		} else if (pq_skip(&c, type, 1) != 0) {
			break;
		}
	}
	free(kids);
	if (c.err == NULL && (leaves < 0 || !have_rows))
		pq_fail(&c, "FileMetaData without schema or num_rows");
	/* Some writers leave the file's num_rows at 0; readers count the row groups'. */
	if (c.err == NULL && info->num_rows != sum && info->num_rows != 0)
		pq_fail(&c, "num_rows %" PRId64 ", but its row groups hold %" PRId64,
		        info->num_rows, sum);
	return c.err;
}
