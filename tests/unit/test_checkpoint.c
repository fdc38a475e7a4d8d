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
#include "xmalloc.h"

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
test_round_trip_ranges(void **state)
{
	char key[] = { 'k', '\0', '\n', (char)0xff, ' ' };
	struct checkpoint_range ranges[] = { { 1, 100, 0, NULL, 0 },
		                             { 101, 200, 1, key, sizeof key },
		                             { -9000000000000000000LL, -5, 0, key, 1 } };
	struct checkpoint ck = { "d", "run1", "abc123", 1700000000, 1, 10, 9, 1, ranges, 3 }, got;
	char *path = checkpoint_path(dir, "d"), *cause = NULL;

	(void)state;
	assert_int_equal(checkpoint_load(path, &got, &cause), 1); /* none yet */
	assert_int_equal(checkpoint_save(path, &ck, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 0);
	assert_string_equal(got.dataset, "d");
	assert_string_equal(got.run_id, "run1");
	assert_string_equal(got.fingerprint, "abc123");
	assert_int_equal(got.created, 1700000000);
	assert_int_equal(got.ranged, 1);
	assert_int_equal(got.rows_read, 10);
	assert_int_equal(got.keys_written, 9);
	assert_int_equal(got.keys_deleted, 1);
	assert_int_equal(got.nranges, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(got.ranges[i].lo, ranges[i].lo);
		assert_int_equal(got.ranges[i].hi, ranges[i].hi);
		assert_int_equal(got.ranges[i].done, ranges[i].done);
		assert_int_equal(got.ranges[i].afterlen, ranges[i].afterlen);
		if (ranges[i].after == NULL)
			assert_null(got.ranges[i].after);
		else
			assert_memory_equal(got.ranges[i].after, ranges[i].after,
			                    ranges[i].afterlen);
	}
	checkpoint_free(&got);
	assert_int_equal(checkpoint_remove(path, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 1);
	free(path);
}

/* Issue 12: a name with spaces was written with %s and read back with %255s. */
static void
test_name_with_spaces_and_long_cursor(void **state)
{
	const char *name = "my data set";
	size_t big = 20000; /* a 20 kB text key: a 40 kB hex line */
	char *key = xmalloc(big);
	struct checkpoint_range range = { 0, 0, 0, key, big };
	struct checkpoint ck = { (char *)name, "r", "f", 1, 0, 0, 0, 0, &range, 1 }, got;
	char *path = checkpoint_path(dir, "d"), *cause = NULL;

	(void)state;
	memset(key, 'x', big);
	assert_int_equal(checkpoint_save(path, &ck, &cause), 0);
	assert_int_equal(checkpoint_load(path, &got, &cause), 0);
	assert_string_equal(got.dataset, name);
	assert_int_equal(got.ranged, 0);
	assert_int_equal(got.nranges, 1);
	assert_int_equal(got.ranges[0].afterlen, big);
	assert_memory_equal(got.ranges[0].after, key, big);
	checkpoint_free(&got);
	unlink(path);
	free(path);
	free(key);
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
	fputs("cachewarden-checkpoint 2\ndataset d\nrun_id r\nfingerprint f\nranged 1\n"
	      "range 1 2 0 -\n",
	      f);
	fclose(f);
	assert_int_equal(checkpoint_load(path, &got, &cause), -1);
	assert_non_null(strstr(cause, "is damaged or from another version"));
	free(cause);
	cause = NULL;
	/* A version 1 file (before fingerprints) is refused the same way. */
	f = fopen(path, "w");
	fputs("cachewarden-checkpoint 1\ndataset d\nrun_id r\ninteger_key 1\nrange 1 2 1 0\nend\n",
	      f);
	fclose(f);
	assert_int_equal(checkpoint_load(path, &got, &cause), -1);
	free(cause);
	cause = NULL;
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
		cmocka_unit_test(test_round_trip_ranges),
		cmocka_unit_test(test_name_with_spaces_and_long_cursor),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_bucket_rate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
