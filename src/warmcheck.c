/* warmcheck: warm's read-back sample, compared with Redis. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "redisconn.h"
#include "warmcheck.h"
#include "xmalloc.h"

#define WARMCHECK_CHUNK 250 /* look-ups per UNION query */

struct warmcheck {
	const struct warmcheck_input *in;
	struct warmcheck_result *res;
};

/*
 * Reads sample rows i..i+k of n: spread evenly over the key span (one UNION
 * query of LIMIT 1 look-ups), or the first n rows for a key without ranges.
 * Batches are bounded by max_batch_bytes like the workers' pages.
 */
static int
warmcheck_sample_chunk(struct warmcheck *c, struct mysqlsrc *src, size_t i, size_t k, size_t n,
                       struct mysqlsrc_batch *b, char **cause)
{
	unsigned long long span = (unsigned long long)c->in->max - (unsigned long long)c->in->min;
	long long points[WARMCHECK_CHUNK];
	struct mysqlsrc_page page;
	size_t j;

	if (!c->in->ranged) {
		memset(&page, 0, sizeof page);
		page.limit = n;
		page.max_bytes = c->in->max_batch_bytes;
		return mysqlsrc_fetch(src, c->in->scan, &page, b, cause);
	}
	for (j = 0; j < k; j++)
		points[j] =
		        (long long)((unsigned long long)c->in->min +
		                    (unsigned long long)((long double)span * (long double)(i + j) /
		                                         (long double)n));
	return mysqlsrc_sample_int(src, c->in->scan, points, k, c->in->max, c->in->max_batch_bytes,
	                           b, cause);
}

static void
warmcheck_mismatch(struct warmcheck *c, const char *key, size_t keylen, const char *why)
{
	c->res->mismatches++;
	if (c->res->nmismatched < WARMCHECK_KEEP)
		c->res->mismatched[c->res->nmismatched++] =
		        xasprintf("%.*s: %s", (int)keylen, key, why);
}

/* Whether an HGETALL reply holds exactly the fields of the HSET in out. */
static int
warmcheck_hash_equal(const struct encode_out *out, const struct redis_reply *r)
{
	size_t i, j, nfields = (size_t)(out->argc[0] - 2) / 2;

	if (r->type != REDIS_REPLY_T_ARRAY || r->elements != 2 * nfields)
		return 0;
	for (i = 0; i < nfields; i++) {
		const char *f = out->argv[0][2 + 2 * i], *v = out->argv[0][3 + 2 * i];
		size_t flen = out->argvlen[0][2 + 2 * i], vlen = out->argvlen[0][3 + 2 * i];

		for (j = 0; j < r->elements; j += 2)
			if (r->element[j]->len == flen && memcmp(r->element[j]->str, f, flen) == 0)
				break;
		if (j == r->elements || r->element[j + 1]->len != vlen ||
		    memcmp(r->element[j + 1]->str, v, vlen) != 0)
			return 0;
	}
	return 1;
}

/* Compares one sampled row with what Redis holds for it. */
static void
warmcheck_compare(struct warmcheck *c, const struct encode_out *out,
                  const struct redis_reply *value, const struct redis_reply *ttl)
{
	long long want = c->in->ds->ttl, low;
	char *why;

	c->res->sampled++;
	if (value->type == REDIS_REPLY_T_NIL ||
	    (value->type == REDIS_REPLY_T_ARRAY && value->elements == 0)) {
		if (!out->deleted)
			warmcheck_mismatch(c, out->key, out->keylen, "missing");
		return;
	}
	if (out->deleted) {
		warmcheck_mismatch(c, out->key, out->keylen, "present, but its value is NULL");
		return;
	}
	if (c->in->ds->type == CONF_VALUE_HASH
	            ? !warmcheck_hash_equal(out, value)
	            : value->type != REDIS_REPLY_T_STRING || value->len != out->valuelen ||
	                      memcmp(value->str, out->value, out->valuelen) != 0) {
		warmcheck_mismatch(c, out->key, out->keylen, "value differs from the MySQL row");
		return;
	}
	if (ttl == NULL)
		return;
	/* The TTL counts down from the moment the key was written, at most a run ago. */
	low = want - want * c->in->conf->warm.ttl_jitter / 100 -
	      (long long)(clocks_mono() - c->in->started) - 1;
	if (ttl->type != REDIS_REPLY_T_INTEGER || ttl->integer < low || ttl->integer > want) {
		why = xasprintf("ttl %lld outside %lld..%lld", ttl->integer, low, want);
		warmcheck_mismatch(c, out->key, out->keylen, why);
		free(why);
	}
}

/* Re-encodes a sampled row as the workers did; 0 for a row they skipped. */
static int
warmcheck_encode_sample(struct warmcheck *c, const struct mysqlsrc_batch *b, size_t r,
                        struct encode_out *out)
{
	struct encode_row row = { b->values + r * b->ncols, b->lengths + r * b->ncols };
	char *cause = NULL;

	if (encode_row(c->in->enc, &row, 0, out, &cause) != 0) {
		free(cause); /* counted as a row error during the warm */
		return 0;
	}
	return 1;
}

/* Queues the read-back commands of one row. */
static void
warmcheck_queue_read(struct warmcheck *c, struct redisconn *rc, const struct mysqlsrc_batch *b,
                     size_t r, struct encode_out *out)
{
	const char *argv[2];

	if (!warmcheck_encode_sample(c, b, r, out))
		return;
	argv[0] = c->in->ds->type == CONF_VALUE_HASH ? "HGETALL" : "GET";
	argv[1] = out->key;
	redisconn_append(rc, 2, argv, (size_t[]){ strlen(argv[0]), out->keylen });
	if (c->in->ds->ttl > 0) {
		argv[0] = "TTL";
		redisconn_append(rc, 2, argv, (size_t[]){ 3, out->keylen });
	}
}

/* Reads back one chunk of sample rows and compares them with Redis. */
static int
warmcheck_verify_batch(struct warmcheck *c, struct redisconn *rc, const struct mysqlsrc_batch *b,
                       struct encode_out *out, char **cause)
{
	struct redis_reply *value = NULL, *ttl = NULL;
	size_t r;

	for (r = 0; r < b->nrows; r++)
		warmcheck_queue_read(c, rc, b, r, out);
	if (redisconn_flush(rc, cause) != 0)
		return -1;
	for (r = 0; r < b->nrows; r++) {
		if (!warmcheck_encode_sample(c, b, r, out))
			continue;
		if (redisconn_read(rc, &value, cause) != 0 ||
		    (c->in->ds->ttl > 0 && redisconn_read(rc, &ttl, cause) != 0)) {
			redis_reply_free(value);
			return -1;
		}
		warmcheck_compare(c, out, value, out->deleted ? NULL : ttl);
		redis_reply_free(value);
		redis_reply_free(ttl);
		value = ttl = NULL;
	}
	return 0;
}

static int
warmcheck_verify(struct warmcheck *c, char **cause)
{
	size_t n = (size_t)c->in->conf->warm.verify_sample, i, k, fit = WARMCHECK_CHUNK;
	struct mysqlsrc *src = NULL;
	struct redisconn *rc = NULL;
	struct mysqlsrc_batch b;
	struct encode_out out;
	int rv = -1;

	encode_out_init(&out);
	if ((src = mysqlsrc_connect(c->in->conf, cause)) == NULL ||
	    (rc = redisconn_open(c->in->conf, cause)) == NULL)
		goto out;
	/* Chunk by chunk, so the sample of a table of wide rows stays within the byte bound. */
	for (i = 0; i < n; i += k) {
		k = !c->in->ranged ? n : n - i < fit ? n - i : fit;
		if (warmcheck_sample_chunk(c, src, i, k, n, &b, cause) != 0)
			goto out;
		/* Wide rows: fewer look-ups per query, so the next chunk ends by itself. */
		if (b.nrows > 0 && b.bytes / b.nrows > 0 &&
		    c->in->max_batch_bytes / (b.bytes / b.nrows) + 1 < fit)
			fit = c->in->max_batch_bytes / (b.bytes / b.nrows) + 1;
		rv = warmcheck_verify_batch(c, rc, &b, &out, cause);
		mysqlsrc_batch_free(&b);
		if (rv != 0)
			goto out;
		rv = -1;
	}
	rv = 0;
out:
	encode_out_free(&out);
	redisconn_close(rc);
	mysqlsrc_close(src);
	return rv;
}

int
warmcheck_run(const struct warmcheck_input *in, struct warmcheck_result *res, char **cause)
{
	struct warmcheck c = { in, res };

	return warmcheck_verify(&c, cause);
}

void
warmcheck_result_free(struct warmcheck_result *res)
{
	size_t i;

	for (i = 0; i < res->nmismatched; i++)
		free(res->mismatched[i]);
	memset(res, 0, sizeof *res);
}
