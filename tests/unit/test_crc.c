/*
 * crc: both CRCs against a bit-at-a-time reference, by the folding code and
 * by the tables, for every alignment, every length around the folding's
 * block sizes, and chunked input.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc.h"

#define DATA_LEN 5000

static uint32_t
crc32_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

static uint64_t
crc64_bitwise(uint64_t crc, const uint8_t *p, size_t len)
{
	int k;

	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0x95ac9329ac4bc9b5ull : crc >> 1;
	}
	return crc;
}

static uint8_t data[DATA_LEN + 64];

static int
setup(void **state)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof data; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	return 0;
}

/* Every alignment, lengths 0 to 300 (tables, the folding's edge, its loops), and long runs. */
static void
check_both(void)
{
	size_t off, len, split;
	static const size_t longs[] = { 511, 512, 513, 1000, 4095, 4096, 4111, DATA_LEN };
	uint64_t want64;
	uint32_t want32;
	size_t i;

	for (off = 0; off < 16; off++) {
		for (len = 0; len <= 300; len++) {
			assert_true(crc_32(0, data + off, len) ==
			            crc32_bitwise(0, data + off, len));
			assert_true(crc_64(0, data + off, len) ==
			            crc64_bitwise(0, data + off, len));
		}
		for (i = 0; i < sizeof longs / sizeof longs[0]; i++) {
			len = longs[i];
			assert_true(crc_32(0, data + off, len) ==
			            crc32_bitwise(0, data + off, len));
			assert_true(crc_64(0, data + off, len) ==
			            crc64_bitwise(0, data + off, len));
		}
	}
	/* Chunked: the running CRC enters the next chunk's folding. */
	want32 = crc32_bitwise(0, data, DATA_LEN);
	want64 = crc64_bitwise(0, data, DATA_LEN);
	for (split = 0; split <= DATA_LEN; split += 97) {
		assert_true(crc_32(crc_32(0, data, split), data + split, DATA_LEN - split) ==
		            want32);
		assert_true(crc_64(crc_64(0, data, split), data + split, DATA_LEN - split) ==
		            want64);
	}
	/* A nonzero start value, as zlib's crc32(crc, ...) takes one. */
	assert_true(crc_32(0x12345678u, data, 1000) == crc32_bitwise(0x12345678u, data, 1000));
	assert_true(crc_64(0x1234567890abcdefull, data, 1000) ==
	            crc64_bitwise(0x1234567890abcdefull, data, 1000));
}

static void
test_vectors(void **state)
{
	(void)state;
	assert_true(crc_32(0, "123456789", 9) == 0xcbf43926u);
	assert_true(crc_64(0, "123456789", 9) == 0xe9c6d914c4b8d9caull);
	assert_true(crc_32(0, "", 0) == 0);
	assert_true(crc_64(0, "", 0) == 0);
}

static void
test_folded(void **state)
{
	(void)state;
	crc_set_fold(1); /* where the CPU cannot, this runs the tables again */
	check_both();
}

static void
test_tables(void **state)
{
	int was;

	(void)state;
	was = crc_set_fold(0);
	check_both();
	crc_set_fold(was);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
