/* Unit tests for jval: parsing, decoding, errors, editing and sizes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "jval.h"
#include "xmalloc.h"

/* Parses in, writes it back compactly, compares with want. */
static void
check_round_trip(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	struct jval *v;
	char *cause = NULL;

	v = jval_parse(in, strlen(in), &cause);
	if (v == NULL)
		fail_msg("%s: %s", in, cause);
	jval_write(&b, v);
	assert_string_equal(b.data, want);
	assert_int_equal(jval_size(v), b.len);
	buf_free(&b);
	jval_free(v);
}

static void
check_error(const char *in, size_t len)
{
	char *cause = NULL;
	struct jval *v = jval_parse(in, len, &cause);

	if (v != NULL)
		fail_msg("accepted %.*s", (int)len, in);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "invalid JSON at byte"));
	free(cause);
}

static void
test_round_trip(void **state)
{
	(void)state;
	check_round_trip(" { \"a\" : 1 , \"b\" : [ true , false , null ] } ",
	                 "{\"a\":1,\"b\":[true,false,null]}");
	check_round_trip("[]", "[]");
	check_round_trip("{}", "{}");
	check_round_trip("\"x\\ny\\t\\\"q\\\"\\\\\"", "\"x\\ny\\t\\\"q\\\"\\\\\"");
	/* Numbers keep their text. */
	check_round_trip("[0,-0,1.50,-2e+10,3E-2,12345678901234567890]",
	                 "[0,-0,1.50,-2e+10,3E-2,12345678901234567890]");
	/* "\/" is just "/". */
	check_round_trip("\"a\\/b\"", "\"a/b\"");
}

static void
test_unicode(void **state)
{
	struct jval *v;
	char *cause = NULL;

	(void)state;
	v = jval_parse("\"\\u00e9\\u20ac\\ud83d\\ude00\"", 26, &cause);
	assert_non_null(v);
	assert_int_equal(v->len, 9);
	assert_memory_equal(v->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	jval_free(v);
	/* A lone surrogate becomes U+FFFD; an escaped NUL is kept (trust len). */
	v = jval_parse("\"\\ud800x\\u0000\"", 15, &cause);
	assert_non_null(v);
	assert_int_equal(v->len, 5);
	assert_memory_equal(v->str, "\xef\xbf\xbdx\0", 5);
	jval_free(v);
	/* Raw UTF-8 passes. */
	check_round_trip("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"");
}

static void
test_errors(void **state)
{
	static const char *const bad[] = { "",         "{",        "[1,]",       "{\"a\" 1}",
		                           "{\"a\":}", "01",       "1.",         "-",
		                           "1e",       "tru",      "nul",        "[1 2]",
		                           "1 2",      "\"abc",    "\"\\x\"",    "\"\\u12\"",
		                           "{1:2}",    "[\"a\",]", "{\"a\":1,}", "'a'" };
	char deep[JVAL_MAX_DEPTH + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_error(bad[i], strlen(bad[i]));
	check_error("\"a\x01\"", 4);    /* raw control character */
	check_error("[1]\0", 4);        /* a NUL after the value */
	memset(deep, '[', sizeof deep); /* one level too deep */
	check_error(deep, JVAL_MAX_DEPTH + 1);
}

static void
test_depth_limit(void **state)
{
	struct buf b = BUF_INIT;
	struct jval *v;
	char *cause = NULL;
	int i;

	(void)state;
	for (i = 0; i < JVAL_MAX_DEPTH; i++)
		buf_addc(&b, '[');
	for (i = 0; i < JVAL_MAX_DEPTH; i++)
		buf_addc(&b, ']');
	v = jval_parse(b.data, b.len, &cause);
	assert_non_null(v);
	jval_free(v);
	buf_free(&b);
}

static void
test_get_set(void **state)
{
	const char *doc = "{\"a\":\"1\",\"b\":2,\"a\":\"3\"}";
	struct buf b = BUF_INIT;
	struct jval *v;
	char *cause = NULL;

	(void)state;
	v = jval_parse(doc, strlen(doc), &cause);
	assert_non_null(v);
	assert_string_equal(jval_get_string(v, "a"), "3"); /* the last one wins */
	assert_null(jval_get_string(v, "b"));              /* not a string */
	assert_null(jval_get(v, "c"));
	jval_set(v, "b", jval_new(JVAL_TRUE));
	jval_set(v, "c", jval_new_string("x", 1));
	jval_write(&b, v);
	assert_string_equal(b.data, "{\"a\":\"1\",\"b\":true,\"a\":\"3\",\"c\":\"x\"}");
	buf_free(&b);
	jval_free(v);
}

static void
test_sizes_and_caps(void **state)
{
	const char *doc = "{\"x\":[1,2,3,[4,5,6]],\"y\":[\"a\\u0001\",\"b\"],\"z\":\"\xff\"}";
	struct buf b = BUF_INIT;
	struct jval *v;
	char *cause = NULL;

	(void)state;
	v = jval_parse(doc, strlen(doc), &cause);
	assert_non_null(v);
	jval_write(&b, v);
	assert_int_equal(jval_size(v), b.len);
	buf_reset(&b);
	assert_int_equal(jval_size_capped(v, 1),
	                 strlen("{\"x\":[1],\"y\":[\"a\\u0001\"],\"z\":\"\\ufffd\"}"));
	jval_cap_arrays(v, 1);
	jval_write(&b, v);
	assert_string_equal(b.data, "{\"x\":[1],\"y\":[\"a\\u0001\"],\"z\":\"\\ufffd\"}");
	assert_int_equal(jval_size(v), b.len);
	buf_free(&b);
	jval_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip), cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_errors),     cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_get_set),    cmocka_unit_test(test_sizes_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
