/*
 * rdbdup: the sort against qsort on random and patterned inputs (sorted,
 * reversed, all alike, organ pipe, few distinct values), then the duplicate
 * verdicts, the look-ups, and the key too large to check.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdbdup.h"
#include "xmalloc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
check_sort(const uint64_t *in, size_t n)
{
	uint64_t *a = xreallocarray(NULL, n + 1, sizeof *a);
	uint64_t *b = xreallocarray(NULL, n + 1, sizeof *b);

	memcpy(a, in, n * sizeof *a);
	memcpy(b, in, n * sizeof *b);
	rdbdup_sort(a, n);
	if (n > 0)
		qsort(b, n, sizeof *b, cmp_u64);
	assert_memory_equal(a, b, n * sizeof *a);
	free(a);
	free(b);
}

static void
test_sort(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 15, 16, 17, 18, 33, 100, 1000, 4097, 100000 };
	uint64_t *v = xreallocarray(NULL, 100000, sizeof *v);
	size_t s, i, n;
	int pattern;

	(void)state;
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		n = sizes[s];
		for (pattern = 0; pattern < 6; pattern++) {
			for (i = 0; i < n; i++) {
				switch (pattern) {
				case 0:
					v[i] = next();
					break;
				case 1:
					v[i] = i;
					break;
				case 2:
					v[i] = n - i;
					break;
				case 3:
					v[i] = 42;
					break;
				case 4:
					v[i] = i < n / 2 ? i : n - i;
					break;
				default:
					v[i] = next() % 3;
				}
			}
			check_sort(v, n);
		}
	}
	free(v);
}

/* rdbdup_end's own sort: bucketed up to 64Ki hashes, in place above, and for crafted buckets. */
static void
test_end_sorts(void **state)
{
	static const size_t sizes[] = { 15, 16, 17, 100, 1000, 65536, 65537, 200000 };
	struct rdbdup d = { 0 };
	uint64_t *want = xreallocarray(NULL, 200000, sizeof *want);
	size_t s, i, n;
	int crafted;

	(void)state;
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		for (crafted = 0; crafted < 2; crafted++) {
			n = sizes[s];
			rdbdup_begin(&d);
			for (i = 0; i < n; i++) {
				/* crafted: all in the lowest bucket, distinct */
				want[i] = crafted ? next() >> 20 : next();
				rdbdup_add(&d, want[i]);
			}
			qsort(want, n, sizeof *want, cmp_u64);
			for (i = 1; i < n; i++)
				assert_true(want[i] !=
				            want[i - 1]); /* the generator repeats nothing */
			assert_int_equal(rdbdup_end(&d), 0);
			assert_int_equal(d.n, n);
			assert_memory_equal(d.v, want, n * sizeof *want);
			assert_false(rdbdup_missing(&d, want[n / 2]));
		}
	}
	rdbdup_free(&d);
	free(want);
}

static void
test_duplicates(void **state)
{
	struct rdbdup d = { 0 };
	uint64_t h;
	int i;

	(void)state;
	rdbdup_begin(&d);
	assert_int_equal(rdbdup_end(&d), 0);
	assert_true(rdbdup_missing(&d, 1)); /* an empty list has nothing */
	rdbdup_begin(&d);
	for (i = 0; i < 1000; i++)
		rdbdup_add(&d, rdbdup_hash(&i, sizeof i));
	assert_int_equal(rdbdup_end(&d), 0);
	i = 500;
	assert_false(rdbdup_missing(&d, rdbdup_hash(&i, sizeof i)));
	i = 1000;
	assert_true(rdbdup_missing(&d, rdbdup_hash(&i, sizeof i)));
	/* The same member twice, far apart. */
	rdbdup_begin(&d);
	for (i = 0; i < 1000; i++)
		rdbdup_add(&d, rdbdup_hash(&i, sizeof i));
	i = 3;
	rdbdup_add(&d, rdbdup_hash(&i, sizeof i));
	assert_int_equal(rdbdup_end(&d), 1);
	/* A member too long to keep: not checked, and every look-up passes. */
	rdbdup_begin(&d);
	rdbdup_add(&d, 7);
	rdbdup_add(&d, 7);
	rdbdup_give_up(&d);
	assert_int_equal(rdbdup_end(&d), -1);
	assert_false(rdbdup_missing(&d, 8));
	/* Past RDBDUP_MAX members: not checked either. */
	rdbdup_begin(&d);
	for (h = 0; h <= RDBDUP_MAX; h++)
		rdbdup_add(&d, h);
	assert_int_equal(rdbdup_end(&d), -1);
	rdbdup_free(&d);
	/* The hash of "a" is not the hash of "b", and the empty member has one too. */
	assert_true(rdbdup_hash("a", 1) != rdbdup_hash("b", 1));
	assert_true(rdbdup_hash("", 0) != rdbdup_hash("\0", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_end_sorts),
		cmocka_unit_test(test_duplicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
