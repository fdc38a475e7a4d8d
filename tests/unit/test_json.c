/* Unit tests for json: escaping, invalid UTF-8, nesting and commas. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "json.h"

static void
check_escape(const char *in, size_t len, const char *want)
{
	struct buf b = BUF_INIT;

	json_escape(&b, in, len);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
test_escape(void **state)
{
	(void)state;
	check_escape("plain", 5, "\"plain\"");
	check_escape("", 0, "\"\"");
	check_escape("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
	check_escape("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	check_escape("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	check_escape("a\0b", 3, "\"a\\u0000b\"");
	/* Valid multi-byte UTF-8 passes through unchanged. */
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	             "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	check_escape("\xff", 1, "\"\\ufffd\"");
	check_escape("a\xc3", 2, "\"a\\ufffd\"");                     /* truncated sequence */
	check_escape("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");            /* overlong */
	check_escape("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	check_escape("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	check_escape("\xe2\x82x", 3, "\"\\ufffd\\ufffdx\"");
}

static void
test_document(void **state)
{
	struct buf b = BUF_INIT;
	struct json j;

	(void)state;
	json_init(&j, &b);
	json_object_begin(&j, NULL);
	json_string(&j, "s", "v");
	json_int(&j, "i", -42);
	json_double(&j, "d", 1.5);
	json_bool(&j, "t", 1);
	json_null(&j, "n");
	json_string(&j, "nul", NULL);
	json_array_begin(&j, "a");
	json_int(&j, NULL, 1);
	json_object_begin(&j, NULL);
	json_object_end(&j);
	json_array_begin(&j, NULL);
	json_array_end(&j);
	json_array_end(&j);
	json_raw(&j, "r", "[1,2]", 5);
	json_object_end(&j);
	assert_string_equal(b.data, "{\"s\":\"v\",\"i\":-42,\"d\":1.5,\"t\":true,\"n\":null,"
	                            "\"nul\":null,\"a\":[1,{},[]],\"r\":[1,2]}");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
