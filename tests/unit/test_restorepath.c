/*
 * Unit tests for restorepath_row: an encoded row becomes one RESTORE with
 * the TTL in milliseconds and rdbenc's payload, or stays commands when the
 * probe could not vouch for its encoding. The probe itself runs against a
 * real Redis in tests/integration/warm-restore.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "encode.h"
#include "rdbenc.h"
#include "restorepath.h"

static char *cols3[] = { "id", "name", "price" };

static struct conf_dataset
dataset(int type, const char *value_column, long long ttl)
{
	struct conf_dataset ds;

	memset(&ds, 0, sizeof ds);
	ds.name = "t";
	ds.table = "t";
	ds.key_column = "id";
	ds.columns.items = cols3;
	ds.columns.count = 3;
	ds.key = (char *)"p:{id}";
	ds.type = type;
	ds.value_column = (char *)value_column;
	ds.ttl = ttl;
	return ds;
}

static const struct restorepath redis7 = { 1, "", { RDBENC_TYPE_HASH_LISTPACK, 10, 128, 64 }, 0 };

struct fixture {
	struct encoder *enc;
	struct encode_out out;
	struct buf payload, ttlms, want;
	const char *argv[5];
	size_t argvlen[5];
};

static int
row(struct fixture *f, const struct conf_dataset *ds, const char **vals, const size_t *lens)
{
	struct encode_row r = { vals, lens };
	char *cause = NULL;

	f->enc = encode_new(ds, NULL, 0, NULL, 0, &cause);
	assert_non_null(f->enc);
	encode_out_init(&f->out);
	assert_int_equal(encode_row(f->enc, &r, 1, &f->out, &cause), 0);
	return restorepath_row(&redis7, ds->type, &f->out, &f->payload, &f->ttlms, f->argv,
	                       f->argvlen);
}

static void
done(struct fixture *f)
{
	encode_out_free(&f->out);
	encode_free(f->enc);
	buf_free(&f->payload);
	buf_free(&f->ttlms);
	buf_free(&f->want);
}

static void
test_hash_with_ttl(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, NULL, 3600);
	const char *vals[] = { "7", "Widget", NULL };
	size_t lens[] = { 1, 6, 0 };
	const char *pairs[] = { "id", "7", "name", "Widget" };
	size_t plens[] = { 2, 1, 4, 6 };
	struct fixture f;

	(void)state;
	memset(&f, 0, sizeof f);
	assert_int_equal(row(&f, &ds, vals, lens), 1);
	assert_memory_equal(f.argv[0], "RESTORE", 7);
	assert_int_equal(f.argvlen[1], 3);
	assert_memory_equal(f.argv[1], "p:7", 3);
	/* The encoder's TTL in seconds, as milliseconds. */
	assert_int_equal(f.argvlen[2], 7);
	assert_memory_equal(f.argv[2], "3600000", 7);
	/* The NULL column is not in the payload: the key is replaced whole. */
	rdbenc_hash(&f.want, &redis7.srv, 2, pairs, plens);
	assert_int_equal(f.argvlen[3], f.want.len);
	assert_memory_equal(f.argv[3], f.want.data, f.want.len);
	assert_memory_equal(f.argv[4], "REPLACE", 7);
	done(&f);
}

static void
test_string_without_ttl(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_STRING, "name", 0);
	const char *vals[] = { "7", "12345", "1.00" };
	size_t lens[] = { 1, 5, 4 };
	struct fixture f;

	(void)state;
	memset(&f, 0, sizeof f);
	assert_int_equal(row(&f, &ds, vals, lens), 1);
	assert_int_equal(f.argvlen[2], 1);
	assert_memory_equal(f.argv[2], "0", 1);
	rdbenc_string(&f.want, &redis7.srv, "12345", 5);
	assert_int_equal(f.argvlen[3], f.want.len);
	assert_memory_equal(f.argv[3], f.want.data, f.want.len);
	done(&f);
}

/* Over the listpack value limit: a hashtable, whose field order only HSET gives. */
static void
test_hash_over_limit_stays_commands(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, NULL, 0);
	char big[65];
	const char *vals[] = { "7", big, "1" };
	size_t lens[] = { 1, sizeof big, 1 };
	struct fixture f;

	(void)state;
	memset(big, 'x', sizeof big);
	memset(&f, 0, sizeof f);
	assert_int_equal(row(&f, &ds, vals, lens), 0);
	done(&f);
	/* At the limit it is still a listpack. */
	lens[1] = 64;
	memset(&f, 0, sizeof f);
	assert_int_equal(row(&f, &ds, vals, lens), 1);
	assert_int_equal((unsigned char)f.argv[3][0], RDBENC_TYPE_HASH_LISTPACK);
	done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_with_ttl),
		cmocka_unit_test(test_string_without_ttl),
		cmocka_unit_test(test_hash_over_limit_stays_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
