/* Unit tests for checkpoint (save, load, damage) and bucket (rate). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bucket.h"
#include "checkpoint.h"
#include "clocks.h"

static char dir[] = "/tmp/cw-test-ckpt-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *p = checkpoint_path(dir, "d");

	(void)state;
	unlink(p);
	free(p);
	return rmdir(dir);
}

static void
test_round_trip_integer(void **state)
{
	struct checkpoint_range ranges[] = { { 1, 100, 51, 0 },
		                             { 101, 200, 201, 1 },
		                             { -9000000000000000000LL, -5, -7, 0 } };
	struct checkpoint ck = { "d", "run1", 1, ranges, 3, NULL, 0, 0 }, got;
	char *path = checkpoint_path(dir, "d"), *cause = NULL;

	(void)state;
	assert_int_equal(checkpoint_load(path, &got, &cause), 1); /* none yet */
	assert_int_equal(checkpoint_save(path, &ck, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 0);
	assert_string_equal(got.dataset, "d");
	assert_string_equal(got.run_id, "run1");
	assert_int_equal(got.nranges, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(got.ranges[i].lo, ranges[i].lo);
		assert_int_equal(got.ranges[i].hi, ranges[i].hi);
		assert_int_equal(got.ranges[i].next, ranges[i].next);
		assert_int_equal(got.ranges[i].done, ranges[i].done);
	}
	checkpoint_free(&got);
	assert_int_equal(checkpoint_remove(path, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 1);
	free(path);
}

static void
test_round_trip_binary_cursor(void **state)
{
	char key[] = { 'k', '\0', '\n', (char)0xff };
	struct checkpoint ck = { "d", "r", 0, NULL, 0, key, sizeof key, 0 }, got;
	char *path = checkpoint_path(dir, "d"), *cause = NULL;

	(void)state;
	assert_int_equal(checkpoint_save(path, &ck, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 0);
	assert_int_equal(got.integer_key, 0);
	assert_int_equal(got.afterlen, sizeof key);
	assert_memory_equal(got.after, key, sizeof key);
	checkpoint_free(&got);
	free(path);
}

static void
test_damaged(void **state)
{
	char *path = checkpoint_path(dir, "d"), *cause = NULL;
	struct checkpoint got;
	FILE *f;

	(void)state;
	/* Cut before "end": refused, never half believed. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("cachewarden-checkpoint 1\ndataset d\nrun_id r\ninteger_key 1\nrange 1 2 1 0\n", f);
	fclose(f);
	assert_int_equal(checkpoint_load(path, &got, &cause), -1);
	assert_non_null(strstr(cause, "is damaged; remove it to start afresh"));
	free(cause);
	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	assert_int_equal(checkpoint_load(path, &got, &cause), -1);
	free(cause);
	free(path);
}

static void
test_bucket_rate(void **state)
{
	struct bucket b;
	double start;
	int i;

	(void)state;
	bucket_init(&b, 1000, 100);
	start = clocks_mono();
	for (i = 0; i < 5; i++)
		bucket_take(&b, 100); /* 500 tokens at 1000/s: about 0.5 s */
	/* A lower bound only: a loaded machine may be slower, never faster. */
	assert_true(clocks_mono() - start >= 0.45);
	bucket_destroy(&b);
	bucket_init(&b, 0, 100); /* unlimited */
	bucket_take(&b, 1e12);
	bucket_destroy(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_integer),
		cmocka_unit_test(test_round_trip_binary_cursor),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_bucket_rate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
