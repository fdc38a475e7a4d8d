/* Unit tests for encode: keys, hash/json/string commands, NULLs, TTL jitter. */
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

static char *cols3[] = { "id", "name", "price" };

static struct conf_dataset
dataset(int type, const char *key, char **cols, size_t n, const char *value_column, long long ttl)
{
	struct conf_dataset ds;

	memset(&ds, 0, sizeof ds);
	ds.name = "t";
	ds.table = "t";
	ds.key_column = "id";
	ds.columns.items = cols;
	ds.columns.count = n;
	ds.key = (char *)key;
	ds.type = type;
	ds.value_column = (char *)value_column;
	ds.ttl = ttl;
	return ds;
}

/* The command as one string, arguments separated by '|', for easy comparison. */
static char *
joined(const struct encode_out *out, int cmd)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < out->argc[cmd]; i++) {
		if (i > 0)
			buf_addc(&b, '|');
		buf_add(&b, out->argv[cmd][i], out->argvlen[cmd][i]);
	}
	return buf_detach(&b);
}

static void
check_cmd(const struct encode_out *out, int cmd, const char *want)
{
	char *got = joined(out, cmd);

	assert_string_equal(got, want);
	free(got);
}

static void
test_hash(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, "p:{id}", cols3, 3, NULL, 0);
	const char *vals[] = { "7", "Widget", "9.50" };
	size_t lens[] = { 1, 6, 4 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, NULL, 0, &cause);

	(void)state;
	assert_non_null(enc);
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 1, &out, &cause), 0);
	assert_int_equal(out.ncmds, 1);
	check_cmd(&out, 0, "HSET|p:7|id|7|name|Widget|price|9.50");
	/* A NULL column is left out of HSET and removed with HDEL. */
	vals[1] = NULL;
	assert_int_equal(encode_row(enc, &row, 1, &out, &cause), 0);
	assert_int_equal(out.ncmds, 2);
	check_cmd(&out, 0, "HSET|p:7|id|7|price|9.50");
	check_cmd(&out, 1, "HDEL|p:7|name");
	encode_out_free(&out);
	encode_free(enc);
}

static void
test_hash_ttl_and_key_column_apart(void **state)
{
	char *cols[] = { "name" };
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, "p:{id}:{name}", cols, 1, NULL, 100);
	/* Rows carry key_column after the columns when it is not one of them. */
	const char *vals[] = { "a b", "42" };
	size_t lens[] = { 3, 2 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, NULL, 0, &cause);

	(void)state;
	assert_non_null(enc);
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 12345, &out, &cause), 0);
	assert_int_equal(out.ncmds, 2);
	check_cmd(&out, 0, "HSET|p:42:a b|name|a b");
	check_cmd(&out, 1, "EXPIRE|p:42:a b|100");
	encode_out_free(&out);
	encode_free(enc);
}

static void
test_json(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_JSON, "j:{id}", cols3, 3, NULL, 60);
	const int numeric[] = { 1, 0, 1 };
	const char *vals[] = { "-3", "q\"uo\\te\n\xff", "0.50" };
	size_t lens[] = { 2, 9, 4 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, numeric, 0, &cause);

	(void)state;
	assert_non_null(enc);
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	assert_int_equal(out.ncmds, 1);
	check_cmd(&out, 0,
	          "SET|j:-3|{\"id\":-3,\"name\":\"q\\\"uo\\\\te\\n\\ufffd\",\"price\":0.50}|EX|60");
	/* NULL is null; a numeric column whose text is no JSON number is a string. */
	vals[1] = NULL;
	vals[2] = "1e";
	lens[2] = 2;
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	check_cmd(&out, 0, "SET|j:-3|{\"id\":-3,\"name\":null,\"price\":\"1e\"}|EX|60");
	encode_out_free(&out);
	encode_free(enc);
}

static void
test_string_binary(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_STRING, "s:{id}", cols3, 3, "name", 0);
	const char bin[] = { 'a', '\0', 'b', '\r', '\n' };
	const char *vals[] = { "1", bin, "2" };
	size_t lens[] = { 1, sizeof bin, 1 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, NULL, 0, &cause);

	(void)state;
	assert_non_null(enc);
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	assert_int_equal(out.argc[0], 3);
	assert_int_equal(out.argvlen[0][2], sizeof bin);
	assert_memory_equal(out.argv[0][2], bin, sizeof bin);
	assert_int_equal(out.valuelen, sizeof bin);
	assert_int_equal(out.deleted, 0);
	/* A NULL value deletes the key: an old value must not outlive it. */
	vals[1] = NULL;
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	assert_int_equal(out.deleted, 1);
	assert_int_equal(out.ncmds, 1);
	check_cmd(&out, 0, "DEL|s:1");
	encode_out_free(&out);
	encode_free(enc);
}

/* A hash whose columns are all NULL has no field left: its key is deleted, no EXPIRE. */
static void
test_hash_all_null(void **state)
{
	char *cols[] = { "name" };
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, "p:{id}", cols, 1, NULL, 100);
	const char *vals[] = { NULL, "5" };
	size_t lens[] = { 0, 1 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, NULL, 0, &cause);

	(void)state;
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	assert_int_equal(out.deleted, 1);
	assert_int_equal(out.ncmds, 1);
	check_cmd(&out, 0, "DEL|p:5");
	encode_out_free(&out);
	encode_free(enc);
}

/* I-JSON: exact numbers beyond +-(2^53-1) become strings unless the dataset keeps numbers. */
static void
test_json_big_numbers_and_bit(void **state)
{
	static char *cols[] = { "a", "b", "c", "d", "e", "f", "g" };
	struct conf_dataset ds = dataset(CONF_VALUE_JSON, "j:{a}", cols, 7, NULL, 0);
	/* key_column among the columns: rows carry exactly the seven. */
	const int kinds[] = { ENCODE_EXACT, ENCODE_EXACT, ENCODE_EXACT, ENCODE_EXACT,
		              ENCODE_EXACT, ENCODE_FLOAT, ENCODE_BIT };
	const char bit[] = { 0x01, 0x02 };
	const char *vals[] = { "9007199254740991",
		               "-9007199254740992",
		               "9223372036854775807",
		               "9007199254740991.50",
		               "-0.5",
		               "1e300",
		               bit };
	size_t lens[] = { 16, 17, 19, 19, 4, 5, 2 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc;

	(void)state;
	ds.key_column = "a";
	enc = encode_new(&ds, NULL, 0, kinds, 0, &cause);
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	check_cmd(&out, 0,
	          "SET|j:9007199254740991|{\"a\":9007199254740991,\"b\":\"-9007199254740992\","
	          "\"c\":\"9223372036854775807\",\"d\":\"9007199254740991.50\",\"e\":-0.5,"
	          "\"f\":1e300,\"g\":258}");
	encode_free(enc);
	ds.json_big_numbers = CONF_JSON_BIG_NUMBER;
	enc = encode_new(&ds, NULL, 0, kinds, 0, &cause);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), 0);
	check_cmd(&out, 0,
	          "SET|j:9007199254740991|{\"a\":9007199254740991,\"b\":-9007199254740992,"
	          "\"c\":9223372036854775807,\"d\":9007199254740991.50,\"e\":-0.5,"
	          "\"f\":1e300,\"g\":258}");
	encode_out_free(&out);
	encode_free(enc);
}

static void
test_null_key(void **state)
{
	struct conf_dataset ds = dataset(CONF_VALUE_HASH, "p:{name}", cols3, 3, NULL, 0);
	const char *vals[] = { "1", NULL, "2" };
	size_t lens[] = { 1, 0, 1 };
	struct encode_row row = { vals, lens };
	struct encode_out out;
	char *cause = NULL;
	struct encoder *enc = encode_new(&ds, NULL, 0, NULL, 0, &cause);

	(void)state;
	encode_out_init(&out);
	assert_int_equal(encode_row(enc, &row, 0, &out, &cause), -1);
	assert_string_equal(cause, "column name, used in the key, is NULL");
	free(cause);
	encode_out_free(&out);
	encode_free(enc);
}

static void
test_jitter(void **state)
{
	uint64_t rng = 42;
	long long t, min = 1000, max = 0;
	int i;

	(void)state;
	assert_int_equal(encode_jitter_ttl(1000, 0, 999), 1000);
	assert_int_equal(encode_jitter_ttl(0, 50, 999), 0);
	for (i = 0; i < 100000; i++) {
		t = encode_jitter_ttl(1000, 10, encode_rand(&rng));
		assert_true(t >= 900 && t <= 1000);
		min = t < min ? t : min;
		max = t > max ? t : max;
	}
	/* The whole window is used, so keys spread over it. */
	assert_int_equal(min, 900);
	assert_int_equal(max, 1000);
	assert_int_equal(encode_jitter_ttl(1, 50, 1), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_ttl_and_key_column_apart),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_string_binary),
		cmocka_unit_test(test_null_key),
		cmocka_unit_test(test_hash_all_null),
		cmocka_unit_test(test_json_big_numbers_and_bit),
		cmocka_unit_test(test_jitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
