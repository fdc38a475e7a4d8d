/* Unit tests for warmplan: key choice, template check, fingerprint, tuples, ranges. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "warmplan.h"

/* film_actor(actor_id, film_id) PRIMARY (actor_id, film_id), plus a nullable unique code. */
static void
table_film_actor(struct warmplan_table *t)
{
	static const char *cols[] = { "actor_id", "film_id", "code", "note" };
	struct warmplan_index *ix;
	size_t i;

	memset(t, 0, sizeof *t);
	t->name = strdup("film_actor");
	t->columns = calloc(4, sizeof *t->columns);
	for (i = 0; i < 4; i++) {
		t->columns[i].name = strdup(cols[i]);
		t->columns[i].nullable = i >= 2;
	}
	t->ncolumns = 4;
	ix = warmplan_table_add_index(t, "PRIMARY", 1);
	warmplan_index_add_column(ix, "actor_id", 0);
	warmplan_index_add_column(ix, "film_id", 0);
	ix = warmplan_table_add_index(t, "uq_code", 0);
	warmplan_index_add_column(ix, "code", 1);
}

static struct conf_dataset
dataset(const char *key_column, char **cols, size_t n, const char *key)
{
	struct conf_dataset ds;

	memset(&ds, 0, sizeof ds);
	ds.name = "d";
	ds.table = "film_actor";
	ds.key_column = (char *)key_column;
	ds.columns.items = cols;
	ds.columns.count = n;
	ds.key = (char *)key;
	return ds;
}

static void
test_composite_primary_key(void **state)
{
	char *cols[] = { "note" };
	struct conf_dataset ds = dataset(NULL, cols, 1, "fa:{actor_id}:{film_id}");
	struct warmplan_table t;
	struct warmplan plan;
	char *cause = NULL;

	(void)state;
	table_film_actor(&t);
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), 0);
	assert_string_equal(plan.key_name, "PRIMARY");
	assert_int_equal(plan.nfields, 1);
	assert_int_equal(plan.nselect, 3);
	assert_int_equal(plan.nkey, 2);
	assert_string_equal(plan.select[plan.key[0]], "actor_id");
	assert_string_equal(plan.select[plan.key[1]], "film_id");
	warmplan_free(&plan);
	warmplan_table_free(&t);
}

static void
test_refusals(void **state)
{
	char *cols[] = { "note", "actor_id" };
	struct conf_dataset ds = dataset("actor_id", cols, 2, "fa:{actor_id}:{film_id}");
	struct warmplan_table t;
	struct warmplan plan;
	char *cause = NULL;

	(void)state;
	table_film_actor(&t);
	/* A key_column that is one column of a composite key is not unique. */
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), -1);
	assert_string_equal(cause,
	                    "key_column actor_id is not a unique NOT NULL key of film_actor, "
	                    "so rows sharing a value would be skipped; unique keys: "
	                    "PRIMARY (actor_id, film_id)");
	free(cause);
	cause = NULL;
	/* Nor is a nullable unique column. */
	ds.key_column = "code";
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), -1);
	free(cause);
	cause = NULL;
	/* A template that leaves out a key column makes keys collide. */
	ds.key_column = NULL;
	ds.key = "fa:{actor_id}";
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), -1);
	assert_string_equal(cause, "key template 'fa:{actor_id}' does not name every column of a "
	                           "unique key of film_actor, so rows would share a key; unique "
	                           "keys: PRIMARY (actor_id, film_id)");
	free(cause);
	cause = NULL;
	/* An unknown column. */
	ds.key = "fa:{actor_id}:{film}";
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), -1);
	assert_string_equal(cause, "table film_actor has no column 'film'");
	free(cause);
	cause = NULL;
	warmplan_table_free(&t);
	/* A table without keys. */
	table_film_actor(&t);
	t.nunique = 1; /* only the nullable unique index... */
	t.unique[0].notnull = 0;
	ds.key = "fa:{actor_id}:{film_id}";
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), -1);
	assert_string_equal(cause, "table film_actor has no primary key or unique NOT NULL key to "
	                           "page by and to tell rows apart (unique keys: none: film_actor "
	                           "has no primary key and no unique NOT NULL key)");
	free(cause);
	t.nunique = 2;
	warmplan_table_free(&t);
}

static void
test_fingerprint(void **state)
{
	char *cols[] = { "note" };
	struct conf_dataset ds = dataset(NULL, cols, 1, "fa:{actor_id}:{film_id}");
	struct warmplan_table t;
	struct warmplan plan;
	char *cause = NULL, *a, *b;

	(void)state;
	table_film_actor(&t);
	assert_int_equal(warmplan_make(&ds, &t, &plan, &cause), 0);
	a = warmplan_fingerprint(&ds, &plan);
	b = warmplan_fingerprint(&ds, &plan);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	free(b);
	ds.where = "actor_id > 3";
	b = warmplan_fingerprint(&ds, &plan);
	assert_string_not_equal(a, b);
	free(b);
	ds.where = NULL;
	ds.type = CONF_VALUE_JSON;
	b = warmplan_fingerprint(&ds, &plan);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	warmplan_free(&plan);
	warmplan_table_free(&t);
}

static void
test_tuples(void **state)
{
	const char *in[] = { "12", "", "a:b\n\0c" };
	size_t inlen[] = { 2, 0, 7 }, lens[3];
	const char *out[3];
	struct buf b = BUF_INIT;

	(void)state;
	warmplan_tuple_pack(&b, in, inlen, 3);
	assert_int_equal(warmplan_tuple_unpack(b.data, b.len, 3, out, lens), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(lens[i], inlen[i]);
		assert_memory_equal(out[i], in[i], inlen[i]);
	}
	assert_int_equal(warmplan_tuple_unpack(b.data, b.len, 2, out, lens), -1);
	assert_int_equal(warmplan_tuple_unpack(b.data, b.len - 1, 3, out, lens), -1);
	assert_int_equal(warmplan_tuple_unpack("99:x", 4, 1, out, lens), -1);
	buf_free(&b);
}

static void
test_split(void **state)
{
	struct checkpoint ck;
	size_t i;

	(void)state;
	memset(&ck, 0, sizeof ck);
	warmplan_split(&ck, 1, 100, 8);
	assert_int_equal(ck.nranges, 8);
	assert_int_equal(ck.ranges[0].lo, 1);
	assert_int_equal(ck.ranges[7].hi, 100);
	for (i = 1; i < ck.nranges; i++)
		assert_int_equal(ck.ranges[i].lo, ck.ranges[i - 1].hi + 1);
	checkpoint_free(&ck);
	/* The whole BIGINT span, and a span smaller than the ranges asked for. */
	warmplan_split(&ck, INT64_MIN, INT64_MAX, 4);
	assert_int_equal(ck.nranges, 4);
	assert_int_equal(ck.ranges[3].hi, INT64_MAX);
	checkpoint_free(&ck);
	warmplan_split(&ck, INT64_MAX - 1, INT64_MAX, 64);
	assert_int_equal(ck.nranges, 2);
	assert_int_equal(ck.ranges[1].lo, INT64_MAX);
	checkpoint_free(&ck);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_composite_primary_key),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_tuples),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
