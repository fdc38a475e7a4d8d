/*
 * Unit tests for clocks: the capped exponential backoff every retry loop
 * uses (warm's reconnects and the agent's restore retries its ceiling, SNS
 * and AWS API calls its full-jitter form), and RFC 3339 text.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clocks.h"
#include "crypto.h"

static void
test_backoff_cap(void **state)
{
	(void)state;
	assert_int_equal(clocks_backoff_cap_ms(0, 100, 4000), 100);
	assert_int_equal(clocks_backoff_cap_ms(1, 100, 4000), 200);
	assert_int_equal(clocks_backoff_cap_ms(5, 100, 4000), 3200);
	assert_int_equal(clocks_backoff_cap_ms(6, 100, 4000), 4000);
	/* No overflow however long it has failed. */
	assert_int_equal(clocks_backoff_cap_ms(UINT32_MAX, 30000, 3600000), 3600000);
	assert_int_equal(clocks_backoff_cap_ms(40, UINT32_MAX, UINT32_MAX), UINT32_MAX);
}

static void
test_backoff_jitter(void **state)
{
	unsigned attempt;

	(void)state;
	assert_int_equal(clocks_backoff_ms(0, 1000, 30000, 0), 0);
	assert_int_equal(clocks_backoff_ms(0, 1000, 30000, UINT32_MAX), UINT32_MAX % 1001);
	assert_int_equal(clocks_backoff_ms(0, 1000, 30000, 1000), 1000);
	assert_int_equal(clocks_backoff_ms(3, 1000, 30000, 8000), 8000);
	assert_int_equal(clocks_backoff_ms(3, 1000, 30000, 8001), 0);
	for (attempt = 0; attempt < 200; attempt++) {
		uint64_t ceiling = attempt < 40 ? 1000ULL << (attempt < 20 ? attempt : 20) : 30000;

		if (ceiling > 30000)
			ceiling = 30000;
		assert_true(clocks_backoff_ms(attempt, 1000, 30000, UINT32_MAX) <= ceiling);
		assert_true(clocks_backoff_ms(attempt, 1000, 30000, crypto_random_u32()) <= 30000);
	}
	/* Capped: a ceiling of exactly cap_ms is reachable. */
	assert_int_equal(clocks_backoff_ms(50, 1000, 30000, 30000), 30000);
	/* A cap of UINT32_MAX: the modulus does not wrap to 0. */
	assert_int_equal(clocks_backoff_ms(40, 1, UINT32_MAX, 7), 7);
}

static void
test_rfc3339(void **state)
{
	char out[CLOCKS_RFC3339_LEN];

	(void)state;
	clocks_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	clocks_rfc3339(1795328389, out);
	assert_string_equal(out, "2026-11-22T06:19:49Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_cap),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
