/*
 * pqfooter: the checks of a Parquet FileMetaData (see pqfooter.h), read
 * with tcompact, which bounds every read by the footer's bytes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pqfooter.h"
#include "tcompact.h"
#include "xmalloc.h"

#define PQ_MAGIC_LEN 4

struct pq_chunk {
	int has_path, has_meta, has_crypto;
	int64_t data_off, dict_off, index_off, total, num_values;
	int64_t bloom_off, bloom_len;
	int64_t oi_off, oi_len, ci_off, ci_len;
};

/* What every row group's check needs. */
struct pq_ctx {
	uint64_t footer_off;
	size_t leaves;
	struct pqfooter_info *info;
	pqfooter_chunk_fn *fn;
	void *arg;
};

/* ---- the structures ---- */

static int
pq_column_meta(struct tcompact *c, struct pq_chunk *k)
{
	int16_t last = 0, id;
	int type, r;
	int64_t *dst, v;

	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if ((id == 1 || id == 4) && tcompact_is_int(type)) {
			/* physical type (0..7) and codec (UNCOMPRESSED..LZ4_RAW, 0..7) */
			if (tcompact_int(c, type, &v) != 0)
				return -1;
			if (v < 0 || v > 7)
				return tcompact_fail(c,
				                     "column %s %" PRId64 " is not a Parquet value",
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
		if (dst != NULL && tcompact_is_int(type) ? tcompact_int(c, type, dst)
		                                         : tcompact_skip(c, type, 2))
			return -1;
	}
	return r;
}

static int
pq_column_chunk(struct tcompact *c, struct pq_chunk *k)
{
	int16_t last = 0, id;
	int type, r;
	int64_t *dst;

	memset(k, 0, sizeof *k);
	k->dict_off = k->index_off = k->bloom_off = -1;
	k->oi_off = k->ci_off = -1;
	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id == 1) {
			k->has_path = 1;
			if (tcompact_skip(c, type, 1) != 0)
				return -1;
			continue;
		}
		if (id == 3 && type == TCOMPACT_STRUCT) {
			k->has_meta = 1;
			if (pq_column_meta(c, k) < 0)
				return -1;
			continue;
		}
		if (id == 8) /* crypto_metadata: the pages are encrypted */
			k->has_crypto = 1;
		dst = id == 4   ? &k->oi_off
		      : id == 5 ? &k->oi_len
		      : id == 6 ? &k->ci_off
		      : id == 7 ? &k->ci_len
		                : NULL;
		if (dst != NULL && tcompact_is_int(type) ? tcompact_int(c, type, dst)
		                                         : tcompact_skip(c, type, 1))
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
pq_check_chunk(struct tcompact *c, const struct pq_chunk *k, size_t rg, size_t col,
               uint64_t footer_off)
{
	int64_t start;

	if (k->has_path || !k->has_meta) /* in another file, or encrypted metadata */
		return 0;
	if (k->num_values < 0 || k->total < 0)
		return tcompact_fail(c, "row group %zu column %zu: negative num_values or size", rg,
		                     col);
	if (k->num_values == 0) /* no pages: some writers leave the offsets out */
		return 0;
	if (!pq_inside(k->data_off, -1, footer_off))
		return tcompact_fail(c,
		                     "row group %zu column %zu: data page offset %" PRId64
		                     " outside the data (footer at %" PRIu64 ")",
		                     rg, col, k->data_off, footer_off);
	start = k->data_off;
	/* 0 is what some writers put for "no dictionary". */
	if (k->dict_off > 0) {
		if (!pq_inside(k->dict_off, -1, footer_off))
			return tcompact_fail(
			        c,
			        "row group %zu column %zu: dictionary page offset %" PRId64
			        " outside the data",
			        rg, col, k->dict_off);
		if (k->dict_off < start)
			start = k->dict_off;
	}
	if (!pq_inside(start, k->total, footer_off))
		return tcompact_fail(c,
		                     "row group %zu column %zu: %" PRId64
		                     " bytes from offset %" PRId64
		                     " run past the footer at %" PRIu64,
		                     rg, col, k->total, start, footer_off);
	if (k->oi_off >= 0 && !pq_inside(k->oi_off, k->oi_len, footer_off))
		return tcompact_fail(c, "row group %zu column %zu: offset index outside the data",
		                     rg, col);
	if (k->ci_off >= 0 && !pq_inside(k->ci_off, k->ci_len, footer_off))
		return tcompact_fail(c, "row group %zu column %zu: column index outside the data",
		                     rg, col);
	if (k->bloom_off > 0 &&
	    !pq_inside(k->bloom_off, k->bloom_len > 0 ? k->bloom_len : -1, footer_off))
		return tcompact_fail(c, "row group %zu column %zu: bloom filter outside the data",
		                     rg, col);
	return 0;
}

/* The row group's num_rows, read ahead on a copy of the cursor: the chunks
 * come first in the struct, and each is handed on with the count. -1 when
 * absent or unreadable (the pass that follows reports why). */
static int64_t
pq_peek_rows(const struct tcompact *c)
{
	struct tcompact peek = *c;
	int16_t last = 0, id;
	int type;
	int64_t rows = -1;

	while (tcompact_field(&peek, &last, &id, &type) == 1) {
		if (id == 3 && tcompact_is_int(type)) {
			if (tcompact_int(&peek, type, &rows) != 0)
				rows = -1;
			break;
		}
		if (tcompact_skip(&peek, type, 1) != 0)
			break;
	}
	free(peek.err);
	return rows;
}

/* Hands a chunk whose pages are in this file to the caller's function. */
static void
pq_hand_on(const struct pq_ctx *x, const struct pq_chunk *k, size_t rg, size_t col, int64_t rows)
{
	struct pqfooter_chunk out;

	if (x->fn == NULL || k->has_path || !k->has_meta || k->num_values == 0)
		return;
	memset(&out, 0, sizeof out);
	out.row_group = rg;
	out.column = col;
	out.rows = rows;
	out.num_values = k->num_values;
	out.data_off = k->data_off;
	out.dict_off = k->dict_off > 0 ? k->dict_off : 0;
	out.start = out.dict_off > 0 && out.dict_off < k->data_off ? out.dict_off : k->data_off;
	out.total = k->total;
	out.encrypted = k->has_crypto;
	x->fn(&out, x->arg);
}

static int
pq_columns(struct tcompact *c, const struct pq_ctx *x, size_t rg, int64_t rows, uint64_t *n)
{
	struct pq_chunk k;
	uint64_t i;
	int et;

	if (tcompact_list(c, &et, n) != 0)
		return -1;
	if (et != TCOMPACT_STRUCT)
		return tcompact_fail(c, "row group %zu: columns not a list of structs", rg);
	for (i = 0; i < *n; i++) {
		if (pq_column_chunk(c, &k) < 0 || pq_check_chunk(c, &k, rg, i, x->footer_off))
			return -1;
		pq_hand_on(x, &k, rg, i, rows);
	}
	return 0;
}

static int
pq_row_group(struct tcompact *c, const struct pq_ctx *x, size_t rg, int64_t *rows)
{
	int16_t last = 0, id;
	int type, r;
	uint64_t n = 0;
	int seen_columns = 0;
	int64_t ahead = pq_peek_rows(c);

	*rows = -1;
	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id == 1 && type == TCOMPACT_LIST) {
			if (pq_columns(c, x, rg, ahead, &n) != 0)
				return -1;
			seen_columns = 1;
			x->info->chunks += n;
		} else if (id == 3 && tcompact_is_int(type)) {
			if (tcompact_int(c, type, rows) != 0)
				return -1;
		} else if (tcompact_skip(c, type, 1) != 0) {
			return -1;
		}
	}
	if (r < 0)
		return -1;
	if (!seen_columns || *rows < 0)
		return tcompact_fail(c, "row group %zu: columns or num_rows missing", rg);
	if (n != x->leaves)
		return tcompact_fail(
		        c, "row group %zu: %" PRIu64 " column chunks for %zu schema columns", rg, n,
		        x->leaves);
	return 0;
}

/* The schema list: num_children of each element (-1: a leaf). */
static int
pq_schema(struct tcompact *c, int32_t **kids, size_t *n)
{
	int et, type, r;
	uint64_t count, i;
	int16_t last, id;
	int64_t v;

	if (tcompact_list(c, &et, &count) != 0)
		return -1;
	if (et != TCOMPACT_STRUCT || count == 0)
		return tcompact_fail(c, "schema not a non-empty list of elements");
	*kids = xreallocarray(NULL, count, sizeof **kids);
	*n = count;
	for (i = 0; i < count; i++) {
		(*kids)[i] = -1;
		last = 0;
		while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
			if ((id == 1 || id == 3) && tcompact_is_int(type)) {
				/* Type (BOOLEAN..FIXED_LEN_BYTE_ARRAY), repetition
				 * (REQUIRED..REPEATED) */
				if (tcompact_int(c, type, &v) != 0)
					return -1;
				if (v < 0 || v > (id == 1 ? 7 : 2))
					return tcompact_fail(
					        c,
					        "schema element %" PRIu64 ": %s %" PRId64
					        " is not a Parquet value",
					        i, id == 1 ? "type" : "repetition_type", v);
			} else if (id == 5 && tcompact_is_int(type)) {
				if (tcompact_int(c, type, &v) != 0)
					return -1;
				if (v < 0 || v > INT32_MAX)
					return tcompact_fail(c,
					                     "schema element %" PRIu64
					                     ": num_children %" PRId64,
					                     i, v);
				(*kids)[i] = (int32_t)v;
			} else if (tcompact_skip(c, type, 2) != 0) {
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

/* The row groups list, once the schema has given the number of leaves. */
static int
pq_row_groups(struct tcompact *c, const struct pq_ctx *x, int64_t *sum)
{
	uint64_t n, i;
	int64_t rows;
	int et;

	if (tcompact_list(c, &et, &n) != 0)
		return -1;
	if (et != TCOMPACT_STRUCT)
		return tcompact_fail(c, "row groups not a list of structs");
	for (i = 0; i < n; i++) {
		if (pq_row_group(c, x, x->info->row_groups, &rows) != 0)
			return -1;
		*sum += rows;
		x->info->row_groups++;
	}
	return 0;
}

char *
pqfooter_check(const uint8_t *meta, size_t len, uint64_t footer_off, struct pqfooter_info *info,
               pqfooter_chunk_fn *fn, void *arg)
{
	struct pq_ctx x;
	struct tcompact c;
	int32_t *kids = NULL;
	size_t nkids = 0;
	int16_t last = 0, id;
	int type, r, have_rows = 0;
	int64_t sum = 0;
	long leaves = -1;

	tcompact_init(&c, meta, len, "footer");
	memset(info, 0, sizeof *info);
	x.footer_off = footer_off;
	x.leaves = 0;
	x.info = info;
	x.fn = fn;
	x.arg = arg;
	while ((r = tcompact_field(&c, &last, &id, &type)) == 1) {
		if (id == 2 && type == TCOMPACT_LIST) {
			free(kids); /* a second schema field replaces the first, as in Thrift */
			kids = NULL;
			if (pq_schema(&c, &kids, &nkids) != 0)
				break;
			leaves = pq_tree(kids, nkids);
			if (leaves < 0) {
				tcompact_fail(
				        &c,
				        "schema num_children do not make one tree of %zu elements",
				        nkids);
				break;
			}
			info->columns = x.leaves = (size_t)leaves;
		} else if (id == 3 && tcompact_is_int(type)) {
			if (tcompact_int(&c, type, &info->num_rows) != 0)
				break;
			have_rows = 1;
		} else if (id == 4 && type == TCOMPACT_LIST) {
			if (leaves < 0) {
				tcompact_fail(&c, "row groups before the schema");
				break;
			}
			if (pq_row_groups(&c, &x, &sum) != 0)
				break;
		} else {
			if (id == 8) /* encryption_algorithm: a plaintext footer */
				info->encrypted = 1;
			if (tcompact_skip(&c, type, 1) != 0)
				break;
		}
	}
	free(kids);
	if (c.err == NULL && (leaves < 0 || !have_rows))
		tcompact_fail(&c, "FileMetaData without schema or num_rows");
	/* Some writers leave the file's num_rows at 0; readers count the row groups'. */
	if (c.err == NULL && info->num_rows != sum && info->num_rows != 0)
		tcompact_fail(&c, "num_rows %" PRId64 ", but its row groups hold %" PRId64,
		              info->num_rows, sum);
	return c.err;
}
