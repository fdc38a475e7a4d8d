/* warmplan: the key a dataset pages by, the template check, fingerprints, tuples, ranges. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "warmplan.h"
#include "xmalloc.h"

struct warmplan_index *
warmplan_table_add_index(struct warmplan_table *t, const char *name, int primary)
{
	struct warmplan_index *ix;

	t->unique = xreallocarray(t->unique, t->nunique + 1, sizeof *t->unique);
	ix = &t->unique[t->nunique++];
	memset(ix, 0, sizeof *ix);
	ix->name = xstrdup(name);
	ix->primary = primary;
	ix->notnull = 1;
	return ix;
}

void
warmplan_index_add_column(struct warmplan_index *ix, const char *col, int nullable)
{
	ix->cols = xreallocarray(ix->cols, ix->ncols + 1, sizeof *ix->cols);
	ix->cols[ix->ncols++] = xstrdup(col);
	if (nullable)
		ix->notnull = 0;
}

void
warmplan_table_free(struct warmplan_table *t)
{
	size_t i, j;

	for (i = 0; i < t->ncolumns; i++)
		free(t->columns[i].name);
	for (i = 0; i < t->nunique; i++) {
		for (j = 0; j < t->unique[i].ncols; j++)
			free(t->unique[i].cols[j]);
		free(t->unique[i].cols);
		free(t->unique[i].name);
	}
	free(t->columns);
	free(t->unique);
	free(t->name);
	memset(t, 0, sizeof *t);
}

void
warmplan_free(struct warmplan *plan)
{
	size_t i;

	for (i = 0; i < plan->nselect; i++)
		free(plan->select[i]);
	free(plan->select);
	free(plan->key);
	free(plan->key_name);
	memset(plan, 0, sizeof *plan);
}

/* MySQL column names compare without regard to case. */
static int
warmplan_same(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static const struct warmplan_column *
warmplan_column(const struct warmplan_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncolumns; i++)
		if (warmplan_same(t->columns[i].name, name))
			return &t->columns[i];
	return NULL;
}

/* The {column} names of a key template (well formed: conf checked it). */
static size_t
warmplan_template_columns(const char *t, char ***out)
{
	const char *open, *close;
	size_t n = 0;

	*out = NULL;
	while ((open = strchr(t, '{')) != NULL && (close = strchr(open, '}')) != NULL) {
		*out = xreallocarray(*out, n + 1, sizeof **out);
		(*out)[n++] = xstrndup(open + 1, (size_t)(close - open - 1));
		t = close + 1;
	}
	return n;
}

static int
warmplan_has(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (warmplan_same(list[i], name))
			return 1;
	return 0;
}

/* "PRIMARY (a, b), uq_email (email)" or a sentence saying there is none. */
static char *
warmplan_keys_text(const struct warmplan_table *t)
{
	struct buf b = BUF_INIT;
	size_t i, j, n = 0;

	for (i = 0; i < t->nunique; i++) {
		if (!t->unique[i].notnull)
			continue;
		buf_printf(&b, "%s%s (", n++ ? ", " : "", t->unique[i].name);
		for (j = 0; j < t->unique[i].ncols; j++)
			buf_printf(&b, "%s%s", j ? ", " : "", t->unique[i].cols[j]);
		buf_addc(&b, ')');
	}
	if (n == 0)
		buf_printf(&b, "none: %s has no primary key and no unique NOT NULL key", t->name);
	return buf_detach(&b);
}

/* The index the pages follow: key_column's, the primary key, or the smallest unique one. */
static const struct warmplan_index *
warmplan_pick(const struct conf_dataset *ds, const struct warmplan_table *t)
{
	const struct warmplan_index *best = NULL, *ix;
	size_t i;

	for (i = 0; i < t->nunique; i++) {
		ix = &t->unique[i];
		if (!ix->notnull)
			continue;
		if (ds->key_column != NULL) {
			if (ix->ncols == 1 && warmplan_same(ix->cols[0], ds->key_column))
				return ix;
			continue;
		}
		if (ix->primary)
			return ix;
		if (best == NULL || ix->ncols < best->ncols)
			best = ix;
	}
	return best;
}

/* Whether the template's columns include every column of a unique NOT NULL key. */
static int
warmplan_template_unique(const struct warmplan_table *t, char *const *tcols, size_t ntcols)
{
	size_t i, j;

	for (i = 0; i < t->nunique; i++) {
		if (!t->unique[i].notnull)
			continue;
		for (j = 0; j < t->unique[i].ncols; j++)
			if (!warmplan_has(tcols, ntcols, t->unique[i].cols[j]))
				break;
		if (j == t->unique[i].ncols)
			return 1;
	}
	return 0;
}

static size_t
warmplan_add_select(struct warmplan *plan, const char *name)
{
	size_t i;

	for (i = 0; i < plan->nselect; i++)
		if (warmplan_same(plan->select[i], name))
			return i;
	plan->select = xreallocarray(plan->select, plan->nselect + 1, sizeof *plan->select);
	plan->select[plan->nselect] = xstrdup(name);
	return plan->nselect++;
}

/* Every column the dataset names exists in the table. */
static int
warmplan_check_columns(const struct conf_dataset *ds, const struct warmplan_table *t,
                       char *const *tcols, size_t ntcols, char **cause)
{
	const char *missing = NULL;
	size_t i;

	for (i = 0; i < ds->columns.count && missing == NULL; i++)
		if (warmplan_column(t, ds->columns.items[i]) == NULL)
			missing = ds->columns.items[i];
	for (i = 0; i < ntcols && missing == NULL; i++)
		if (warmplan_column(t, tcols[i]) == NULL)
			missing = tcols[i];
	if (missing == NULL && ds->key_column != NULL && warmplan_column(t, ds->key_column) == NULL)
		missing = ds->key_column;
	if (missing == NULL)
		return 0;
	*cause = xasprintf("table %s has no column '%s'", t->name, missing);
	return -1;
}

int
warmplan_make(const struct conf_dataset *ds, const struct warmplan_table *t, struct warmplan *plan,
              char **cause)
{
	const struct warmplan_index *ix;
	char **tcols, *keys;
	size_t ntcols, i;
	int rv = -1;

	memset(plan, 0, sizeof *plan);
	ntcols = warmplan_template_columns(ds->key, &tcols);
	if (t->ncolumns == 0)
		*cause = xasprintf("table %s not found (or this MySQL user may not read it)",
		                   t->name);
	else if (warmplan_check_columns(ds, t, tcols, ntcols, cause) == 0) {
		keys = warmplan_keys_text(t);
		if ((ix = warmplan_pick(ds, t)) == NULL && ds->key_column != NULL)
			*cause = xasprintf("key_column %s is not a unique NOT NULL key of %s, so "
			                   "rows sharing a value would be skipped; unique keys: %s",
			                   ds->key_column, t->name, keys);
		else if (ix == NULL)
			*cause = xasprintf("table %s has no primary key or unique NOT NULL key to "
			                   "page by and to tell rows apart (unique keys: %s)",
			                   t->name, keys);
		else if (!warmplan_template_unique(t, tcols, ntcols))
			*cause = xasprintf("key template '%s' does not name every column of a "
			                   "unique key of %s, so rows would share a key; unique "
			                   "keys: %s",
			                   ds->key, t->name, keys);
		else {
			for (i = 0; i < ds->columns.count; i++)
				warmplan_add_select(plan, ds->columns.items[i]);
			plan->nfields = plan->nselect;
			plan->key = xcalloc(ix->ncols, sizeof *plan->key);
			for (i = 0; i < ix->ncols; i++)
				plan->key[plan->nkey++] = warmplan_add_select(plan, ix->cols[i]);
			for (i = 0; i < ntcols; i++)
				warmplan_add_select(plan, tcols[i]);
			plan->key_name = xstrdup(ix->name);
			rv = 0;
		}
		free(keys);
	}
	for (i = 0; i < ntcols; i++)
		free(tcols[i]);
	free(tcols);
	if (rv != 0)
		warmplan_free(plan);
	return rv;
}

/* One field of the fingerprint: name, length, bytes, so no two definitions run together. */
static void
warmplan_fp_field(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s %zu:%s\n", name, value ? strlen(value) : 0, value ? value : "");
}

char *
warmplan_fingerprint(const struct conf_dataset *ds, const struct warmplan *plan)
{
	uint8_t digest[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];
	struct buf b = BUF_INIT;
	size_t i;

	warmplan_fp_field(&b, "table", ds->table);
	warmplan_fp_field(&b, "where", ds->where);
	for (i = 0; i < ds->columns.count; i++)
		warmplan_fp_field(&b, "column", ds->columns.items[i]);
	for (i = 0; i < plan->nkey; i++)
		warmplan_fp_field(&b, "key_column", plan->select[plan->key[i]]);
	warmplan_fp_field(&b, "key", ds->key);
	buf_printf(&b, "type %d\njson_big_numbers %d\nttl %lld\n", ds->type, ds->json_big_numbers,
	           ds->ttl);
	warmplan_fp_field(&b, "value_column", ds->value_column);
	crypto_sha256(b.data, b.len, digest);
	crypto_hex(digest, sizeof digest, hex);
	hex[sizeof hex - 1] = '\0';
	buf_free(&b);
	return xstrdup(hex);
}

void
warmplan_tuple_pack(struct buf *out, const char *const *values, const size_t *lens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_printf(out, "%zu:", lens[i]);
		buf_add(out, values[i] != NULL ? values[i] : "", lens[i]);
	}
}

int
warmplan_tuple_unpack(const char *p, size_t len, size_t n, const char **values, size_t *lens)
{
	const char *end = p + len;
	unsigned long long v;
	size_t i;

	for (i = 0; i < n; i++) {
		for (v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v > (ULLONG_MAX - 9) / 10)
				return -1;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (p == end || *p != ':' || v > (unsigned long long)(end - p - 1))
			return -1;
		p++;
		values[i] = p;
		lens[i] = (size_t)v;
		p += v;
	}
	return p == end ? 0 : -1;
}

void
warmplan_split(struct checkpoint *ck, long long min, long long max, unsigned long long n)
{
	/* In unsigned arithmetic: the span of a BIGINT key can exceed LLONG_MAX. */
	unsigned long long span = (unsigned long long)max - (unsigned long long)min, step;
	struct checkpoint_range *r;
	long long lo;

	if (n == 0)
		n = 1;
	if (span < ULLONG_MAX && n > span + 1) /* span + 1 keys; all of them wraps */
		n = span + 1;
	step = span / n + 1;
	for (lo = min;;) {
		ck->ranges = xreallocarray(ck->ranges, ck->nranges + 1, sizeof *ck->ranges);
		r = &ck->ranges[ck->nranges++];
		memset(r, 0, sizeof *r);
		r->lo = lo;
		if ((unsigned long long)max - (unsigned long long)lo < step) {
			r->hi = max;
			return;
		}
		r->hi = (long long)((unsigned long long)lo + step - 1);
		lo = (long long)((unsigned long long)lo + step);
	}
}
