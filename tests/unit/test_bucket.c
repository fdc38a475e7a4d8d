/*
 * Unit tests for bucket, the rate cap of warm's reads (rows) and verify's
 * reads (max_read_mb_per_sec, bytes), on a clock the test moves itself:
 * bucket_reserve says how long a taker must wait, and nothing sleeps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "bucket.h"

#define EPS 1e-9

/* In doubles: cmocka 1.1's assert_float_equal casts to float (and only its first operand). */
#define assert_near(a, b, eps) near_((a), (b), (eps), __FILE__, __LINE__)

static void
near_(double a, double b, double eps, const char *file, int line)
{
	if (!(a - b <= eps && b - a <= eps))
		fail_msg("%s:%d: %.9f is not %.9f (within %g)", file, line, a, b, eps);
}

/* A reader that waits as told reads at the cap, whatever its chunk size. */
static void
test_reader_paced_at_the_rate(void **state)
{
	static const double chunks[] = { 4e6, 1e6, 65536, 4096 };
	struct bucket b;
	double t0, t, read;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		bucket_init(&b, 10e6, 4e6); /* max_read_mb_per_sec = 10 */
		t0 = t = b.last;
		for (read = 0; read + chunks[i] <= 20e6 + EPS; read += chunks[i])
			t += bucket_reserve(&b, chunks[i], t);
		/* Starts empty: the first chunk already waits its share. */
		assert_near(t - t0, read / 10e6, 1e-9);
		bucket_destroy(&b);
	}
}

/* Idle time saves up at most the burst: no catch-up surge after a pause. */
static void
test_burst_after_idle(void **state)
{
	struct bucket b;
	double t0;

	(void)state;
	bucket_init(&b, 10e6, 1e6);
	t0 = b.last;
	assert_near(bucket_reserve(&b, 1e6, t0 + 100), 0, EPS);
	assert_near(bucket_reserve(&b, 4e6, t0 + 100), 0.4, EPS);
	bucket_destroy(&b);
}

/* Workers taking at the same moment queue behind each other's debt. */
static void
test_workers_share_the_cap(void **state)
{
	struct bucket b;
	double t0, a, c;

	(void)state;
	bucket_init(&b, 10e6, 1e6);
	t0 = b.last;
	a = bucket_reserve(&b, 2e6, t0);
	c = bucket_reserve(&b, 2e6, t0);
	assert_near(a, 0.2, EPS);
	assert_near(c, 0.4, EPS);
	/* Given back (a short read): the next taker waits that much less. */
	bucket_refund(&b, 2e6);
	assert_near(bucket_reserve(&b, 2e6, t0), 0.4, EPS);
	bucket_destroy(&b);
}

/* No cap at 0; a clock read earlier than the last one refills nothing. */
static void
test_no_cap_and_clock_order(void **state)
{
	struct bucket b;
	double t0;

	(void)state;
	bucket_init(&b, 0, 0);
	assert_near(bucket_reserve(&b, 1e12, b.last), 0, EPS);
	bucket_take(&b, 1e12); /* returns at once */
	bucket_destroy(&b);
	bucket_init(&b, 1000, 1000);
	t0 = b.last;
	assert_near(bucket_reserve(&b, 500, t0 + 1), 0, EPS);
	assert_near(bucket_reserve(&b, 1000, t0 + 0.5), 0.5, EPS);
	bucket_destroy(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_paced_at_the_rate),
		cmocka_unit_test(test_burst_after_idle),
		cmocka_unit_test(test_workers_share_the_cap),
		cmocka_unit_test(test_no_cap_and_clock_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
