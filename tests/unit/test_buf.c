/*
 * Unit tests for buf: growth keeps the text, a secret buffer keeps it when
 * it moves by hand, and buf_reset wipes a secret buffer's whole storage.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
assert_zero_from(const struct buf *b, size_t from)
{
	size_t i;

	for (i = from; i < b->cap; i++)
		if (b->data[i] != '\0')
			fail_msg("byte %zu of %zu is 0x%02x", i, b->cap, (unsigned char)b->data[i]);
}

static void
test_growth_keeps_text(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "abc");
	buf_reserve(&b, 100000);
	assert_true(b.cap >= 100004);
	assert_string_equal(b.data, "abc");
	buf_printf(&b, "%d", 42);
	assert_string_equal(b.data, "abc42");
	buf_reset(&b);
	assert_string_equal(b.data, "");
	buf_free(&b);
	assert_null(b.data);
}

static void
test_secret(void **state)
{
	struct buf b = BUF_INIT_SECRET;
	size_t cap;

	(void)state;
	buf_adds(&b, "hunter2");
	buf_reserve(&b, 5000); /* moved by hand, the old copy wiped */
	assert_string_equal(b.data, "hunter2");
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_zero_from(&b, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth_keeps_text),
		cmocka_unit_test(test_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
