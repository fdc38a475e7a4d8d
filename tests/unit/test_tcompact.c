/*
 * tcompact: the Thrift compact reader on bytes built here: fields with
 * short and long ids, every wire type skipped, and each way of running out
 * of bytes told apart (short_input) from bytes that are not Thrift.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcompact.h"

/* A struct with every wire type: i32 -3 (field 1), then by long ids a list
 * of two bools, a binary, a map of one pair, a double and a nested struct. */
static const uint8_t every[] = {
	0x15, 0x05,                   /* 1: i32 zigzag 5 = -3 */
	0x09, 0x06, 0x21, 0x01, 0x02, /* 3 (long id, zigzag 6): list of 2 bools */
	0x18, 0x02, 'h',  'i',        /* 4: binary "hi" */
	0x1b, 0x01, 0x55, 0x02, 0x04, /* 5: map of 1 (i32 -> i32) */
	0x17, 0,    0,    0,    0,    0,    0, 0xf0, 0x3f, /* 6: double 1.0 */
	0x1c, 0x16, 0x80, 0x01, 0x11, 0x00,                /* 7: struct { 1: i64 64, 2: true } */
	0x00,
};

static void
test_every_type(void **state)
{
	struct tcompact c;
	int16_t last = 0, id;
	int type;
	int64_t v;

	(void)state;
	tcompact_init(&c, every, sizeof every, "test");
	assert_int_equal(tcompact_field(&c, &last, &id, &type), 1);
	assert_int_equal(id, 1);
	assert_true(tcompact_is_int(type));
	assert_int_equal(tcompact_int(&c, type, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(tcompact_field(&c, &last, &id, &type), 1);
	assert_int_equal(id, 3);
	assert_int_equal(type, TCOMPACT_LIST);
	assert_int_equal(tcompact_skip(&c, type, 1), 0);
	assert_int_equal(tcompact_skip_struct(&c, 0), 0); /* the rest */
	assert_ptr_equal(c.p, every + sizeof every);
	assert_null(c.err);
}

/* Every cut of a sound struct runs out of bytes, and says so. */
static void
test_cuts_are_short(void **state)
{
	struct tcompact c;
	size_t len;

	(void)state;
	for (len = 0; len < sizeof every; len++) {
		tcompact_init(&c, every, len, "test");
		assert_int_equal(tcompact_skip_struct(&c, 0), -1);
		assert_non_null(c.err);
		if (!c.short_input)
			fail_msg("cut at %zu: \"%s\" not short", len, c.err);
		assert_non_null(strstr(c.err, "end of the test"));
		free(c.err);
	}
}

static void
test_not_thrift(void **state)
{
	static const uint8_t bad_type[] = { 0x1d }; /* wire type 13 */
	static const uint8_t long_varint[] = { 0x15, 0xff, 0xff, 0xff, 0xff, 0xff,
		                               0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	uint8_t deep[200];
	struct tcompact c;

	(void)state;
	tcompact_init(&c, bad_type, sizeof bad_type, "test");
	assert_int_equal(tcompact_skip_struct(&c, 0), -1);
	assert_string_equal(c.err, "unknown Thrift type 13 (test byte 1)");
	assert_false(c.short_input);
	free(c.err);
	tcompact_init(&c, long_varint, sizeof long_varint, "test");
	assert_int_equal(tcompact_skip_struct(&c, 0), -1);
	assert_non_null(strstr(c.err, "Thrift varint longer than 64 bits"));
	assert_false(c.short_input);
	free(c.err);
	memset(deep, 0x1c, sizeof deep); /* field 1: struct, nested without end */
	tcompact_init(&c, deep, sizeof deep, "test");
	assert_int_equal(tcompact_skip_struct(&c, 0), -1);
	assert_non_null(strstr(c.err, "Thrift nesting deeper than 64"));
	assert_false(c.short_input);
	free(c.err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_cuts_are_short),
		cmocka_unit_test(test_not_thrift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
