/*
 * Unit tests for zstream: CRC32, and the gzip checker on files made by
 * gzip(1) and on members built here with stored deflate blocks (no zlib in
 * the tests), whole, damaged, truncated, padded, and fed in every chunking.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "xmalloc.h"
#include "zstream.h"

/* From gzip -l / python zlib.crc32 of the fixtures' contents. */
#define TEXT_LEN  8893
#define TEXT_CRC  0x48b06bcfu
#define BIG_LEN   1048576
#define BIG_CRC   0x15c3e803u
#define MULTI_OUT "first member\nsecond member\n"

#define FHCRC    0x02
#define FEXTRA   0x04
#define FNAME    0x08
#define FCOMMENT 0x10

static const size_t chunkings[] = { 0, 1, 2, 3, 7, 8, 13, 64, 4093, 65537 };

static void
read_fixture(const char *rel, struct buf *out)
{
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, rel);
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	free(path);
}

static uint32_t
crc_of(const void *data, size_t len)
{
	struct zstream_crc32 c;
	uint32_t v;

	zstream_crc32_init(&c);
	zstream_crc32_update(&c, data, len);
	zstream_crc32_final(&c, &v);
	return v;
}

static void
put_le(struct buf *b, uint32_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		buf_addc(b, (char)(v >> (8 * i)));
}

/* Appends a gzip member holding data in stored deflate blocks, with optional header parts. */
static void
gz_member(struct buf *b, const void *data, size_t len, int flg)
{
	static const uint8_t fixed[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	const uint8_t *p = data;
	size_t start = b->len, n;

	buf_add(b, fixed, sizeof fixed);
	b->data[start + 3] = (char)flg;
	if (flg & FEXTRA) {
		put_le(b, 6, 2);
		buf_add(b, "AB\x02\x00xy", 6);
	}
	if (flg & FNAME)
		buf_add(b, "name.txt", 9);
	if (flg & FCOMMENT)
		buf_add(b, "a comment", 10);
	if (flg & FHCRC)
		put_le(b, crc_of(b->data + start, b->len - start) & 0xffff, 2);
	do {
		n = len > 65535 ? 65535 : len;
		buf_addc(b, len == n ? 1 : 0); /* BFINAL on the last block, BTYPE 00 */
		put_le(b, (uint32_t)n, 2);
		put_le(b, (uint32_t)n ^ 0xffff, 2);
		buf_add(b, p, n);
		p += n;
		len -= n;
	} while (len > 0);
	put_le(b, crc_of(data, (size_t)(p - (const uint8_t *)data)), 4);
	put_le(b, (uint32_t)(p - (const uint8_t *)data), 4);
}

struct out {
	struct zstream_crc32 crc;
	struct buf keep; /* the first 64 KiB of output */
	uint64_t len;
};

static void
collect(const void *data, size_t len, void *arg)
{
	struct out *o = arg;
	size_t room = o->keep.len < 65536 ? 65536 - o->keep.len : 0;

	zstream_crc32_update(&o->crc, data, len);
	buf_add(&o->keep, data, len < room ? len : room);
	o->len += len;
}

/* Runs the checker over data fed in pieces of chunk bytes (0: all at once). */
static void
run(const void *data, size_t len, size_t chunk, int flags, struct zstream_gzip_result *res,
    struct out *o)
{
	struct zstream_gzip *z;
	const uint8_t *p = data;
	size_t off, n;

	memset(o, 0, sizeof *o);
	zstream_crc32_init(&o->crc);
	z = zstream_gzip_init(flags, collect, o);
	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		zstream_gzip_update(z, p + off, n);
	}
	zstream_gzip_final(z, res);
	zstream_gzip_free(z);
}

/*
 * Runs every chunking and checks they agree on everything, output
 * included; returns the whole-input result in *res (caller frees error).
 */
static void
run_all(const void *data, size_t len, int flags, struct zstream_gzip_result *res, struct out *o)
{
	struct zstream_gzip_result r;
	struct out ro;
	uint32_t c0, c1;
	size_t i;

	run(data, len, 0, flags, res, o);
	zstream_crc32_final(&o->crc, &c0);
	for (i = 1; i < sizeof chunkings / sizeof chunkings[0]; i++) {
		run(data, len, chunkings[i], flags, &r, &ro);
		zstream_crc32_final(&ro.crc, &c1);
		assert_int_equal(r.ok, res->ok);
		assert_int_equal(r.members, res->members);
		assert_int_equal(r.in_bytes, len);
		assert_int_equal(r.out_bytes, res->out_bytes);
		assert_int_equal(r.padding, res->padding);
		assert_int_equal(r.error_offset, res->error_offset);
		if (res->error != NULL)
			assert_string_equal(r.error, res->error);
		else
			assert_null(r.error);
		assert_int_equal(ro.len, o->len);
		assert_int_equal(c1, c0);
		free(r.error);
		buf_free(&ro.keep);
	}
}

static void
expect_error(const void *data, size_t len, int flags, const char *text, uint64_t offset)
{
	struct zstream_gzip_result res;
	struct out o;

	run_all(data, len, flags, &res, &o);
	assert_false(res.ok);
	assert_non_null(res.error);
	if (strcmp(res.error, text) != 0)
		fail_msg("got \"%s\", want \"%s\"", res.error, text);
	assert_int_equal(res.error_offset, offset);
	free(res.error);
	buf_free(&o.keep);
}

static void
test_crc32(void **state)
{
	struct zstream_crc32 c;
	uint32_t v;
	const char *s = "123456789";
	size_t i;

	(void)state;
	assert_int_equal(crc_of(s, 9), 0xcbf43926u);
	assert_int_equal(crc_of("", 0), 0);
	zstream_crc32_init(&c);
	for (i = 0; i < 9; i++)
		zstream_crc32_update(&c, s + i, 1);
	zstream_crc32_final(&c, &v);
	assert_int_equal(v, 0xcbf43926u);
}

static void
test_gzip_fixture(void **state)
{
	struct buf gz = BUF_INIT, txt = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	uint32_t c;

	(void)state;
	read_fixture("zstream/text.gz", &gz);
	read_fixture("zstream/text.txt", &txt);
	run_all(gz.data, gz.len, 0, &res, &o);
	assert_true(res.ok);
	assert_null(res.error);
	assert_int_equal(res.members, 1);
	assert_int_equal(res.out_bytes, TEXT_LEN);
	assert_int_equal(o.keep.len, txt.len);
	assert_memory_equal(o.keep.data, txt.data, txt.len);
	zstream_crc32_final(&o.crc, &c);
	assert_int_equal(c, TEXT_CRC);
	buf_free(&o.keep);
	buf_free(&gz);
	buf_free(&txt);
}

static void
test_gzip_big_output(void **state)
{
	struct buf gz = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	uint32_t c;

	(void)state;
	/* 2.6 KB inflating to 1 MiB: many scratch buffers per input byte. */
	read_fixture("zstream/big.gz", &gz);
	run_all(gz.data, gz.len, 0, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.out_bytes, BIG_LEN);
	zstream_crc32_final(&o.crc, &c);
	assert_int_equal(c, BIG_CRC);
	buf_free(&o.keep);
	buf_free(&gz);
}

static void
test_gzip_multi_member(void **state)
{
	struct buf gz = BUF_INIT, cat = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	char *want;
	size_t second;

	(void)state;
	read_fixture("zstream/multi.gz", &gz); /* cat a.gz b.gz */
	run_all(gz.data, gz.len, 0, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.members, 2);
	assert_int_equal(o.keep.len, strlen(MULTI_OUT));
	assert_memory_equal(o.keep.data, MULTI_OUT, strlen(MULTI_OUT));
	buf_free(&o.keep);

	/* A bad trailer in the second member names that member. */
	second = gz.len - 8;
	gz.data[second] ^= 0x01;
	run(gz.data, gz.len, 0, 0, &res, &o);
	assert_false(res.ok);
	assert_non_null(strstr(res.error, "member 2: crc32 mismatch"));
	want = xasprintf("at offset %zu", second);
	assert_non_null(strstr(res.error, want));
	free(want);
	free(res.error);
	buf_free(&o.keep);

	/* Three members of different kinds, built at run time. */
	read_fixture("zstream/text.gz", &cat);
	read_fixture("zstream/big.gz", &cat);
	gz_member(&cat, "tail", 4, 0);
	run_all(cat.data, cat.len, 0, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.members, 3);
	assert_int_equal(res.out_bytes, TEXT_LEN + BIG_LEN + 4);
	buf_free(&o.keep);
	buf_free(&cat);
	buf_free(&gz);
}

static void
test_gzip_flipped_byte(void **state)
{
	struct buf gz = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	size_t mid, i;
	char *want;

	(void)state;
	read_fixture("zstream/text.gz", &gz);
	mid = gz.len / 2;
	gz.data[mid] ^= 0x55;
	run_all(gz.data, gz.len, 0, &res, &o);
	assert_false(res.ok);
	assert_non_null(strstr(res.error, "gzip: member 1: "));
	/* Found where inflate notices: at or after the damage, never before. */
	assert_true(res.error_offset >= mid && res.error_offset <= gz.len);
	free(res.error);
	buf_free(&o.keep);
	gz.data[mid] ^= 0x55;

	/* Each trailer field, at its own offset. */
	gz.data[gz.len - 8] ^= 0x01;
	want = xasprintf("gzip: member 1: crc32 mismatch (stored 0x%08x, computed 0x%08x) at "
	                 "offset %zu",
	                 TEXT_CRC ^ 0x01, TEXT_CRC, gz.len - 8);
	expect_error(gz.data, gz.len, 0, want, gz.len - 8);
	free(want);
	gz.data[gz.len - 8] ^= 0x01;
	gz.data[gz.len - 4] ^= 0x01;
	want = xasprintf("gzip: member 1: length mismatch (stored %u, inflated %u mod 2^32) at "
	                 "offset %zu",
	                 TEXT_LEN ^ 0x01, TEXT_LEN, gz.len - 4);
	expect_error(gz.data, gz.len, 0, want, gz.len - 4);
	free(want);
	gz.data[gz.len - 4] ^= 0x01;

	/* Every single-byte flip in the deflate data is caught one way or another. */
	for (i = 20; i < gz.len - 8; i += 97) {
		gz.data[i] ^= 0x10;
		run(gz.data, gz.len, 0, 0, &res, &o);
		assert_false(res.ok);
		free(res.error);
		buf_free(&o.keep);
		gz.data[i] ^= 0x10;
	}
	buf_free(&gz);
}

static void
test_gzip_truncated(void **state)
{
	struct buf gz = BUF_INIT;
	char *want;

	(void)state;
	read_fixture("zstream/text.gz", &gz);
	want = xasprintf("gzip: member 1: truncated in trailer at offset %zu", gz.len - 1);
	expect_error(gz.data, gz.len - 1, 0, want, gz.len - 1);
	free(want);
	want = xasprintf("gzip: member 1: truncated in deflate data at offset %zu", gz.len / 2);
	expect_error(gz.data, gz.len / 2, 0, want, gz.len / 2);
	free(want);
	expect_error(gz.data, 5, 0, "gzip: member 1: truncated in header at offset 5", 5);
	/* In the file name. */
	expect_error(gz.data, 13, 0, "gzip: member 1: truncated in header at offset 13", 13);
	expect_error(gz.data, 1, 0, "gzip: member 1: truncated in header at offset 1", 1);
	buf_free(&gz);
}

static void
test_gzip_not_gzip(void **state)
{
	uint8_t junk[4096];
	size_t i;
	uint32_t x = 2463534242u;

	(void)state;
	expect_error("", 0, 0, "gzip: empty input at offset 0", 0);
	for (i = 0; i < sizeof junk; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32: fixed "random" bytes */
		junk[i] = (uint8_t)x;
	}
	junk[0] = 0x42;
	expect_error(junk, sizeof junk, 0, "gzip: not a gzip file (bad magic 0x42) at offset 0", 0);
	junk[0] = 0x1f;
	junk[1] = 0x8c;
	expect_error(junk, sizeof junk, 0, "gzip: member 1: bad magic 0x1f 0x8c at offset 0", 0);
}

static void
test_gzip_trailing_bytes(void **state)
{
	static const uint8_t zeros[512];
	struct buf gz = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	size_t end;
	char *want;

	(void)state;
	read_fixture("zstream/text.gz", &gz);
	end = gz.len;
	buf_add(&gz, zeros, sizeof zeros);
	/* Strict by default: a zero-filled tail may be where a member was lost. */
	want = xasprintf("gzip: 512 bytes of zero padding after member 1 at offset %zu", end);
	expect_error(gz.data, gz.len, 0, want, end);
	free(want);
	/* gzip -t's leniency, on request. */
	run_all(gz.data, gz.len, ZSTREAM_GZIP_ALLOW_ZERO_PADDING, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.padding, 512);
	assert_int_equal(res.members, 1);
	buf_free(&o.keep);
	/* Zeros, then something else: garbage, even when padding is allowed. */
	buf_add(&gz, "x", 1);
	want = xasprintf("gzip: trailing garbage after member 1 (first non-zero byte at offset "
	                 "%zu) at offset %zu",
	                 end + 512, end);
	expect_error(gz.data, gz.len, ZSTREAM_GZIP_ALLOW_ZERO_PADDING, want, end);
	free(want);
	gz.len = end;
	buf_add(&gz, "garbage", 7);
	want = xasprintf("gzip: trailing garbage after member 1 at offset %zu", end);
	expect_error(gz.data, gz.len, 0, want, end);
	free(want);
	/* A lone 0x1f starts a member that never comes: truncated, as gzip says. */
	gz.len = end;
	buf_add(&gz, "\x1f", 1);
	want = xasprintf("gzip: member 2: truncated in header at offset %zu", end + 1);
	expect_error(gz.data, gz.len, 0, want, end + 1);
	free(want);
	buf_free(&gz);
}

static void
test_gzip_header_fields(void **state)
{
	struct buf gz = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	size_t hcrc_off;

	(void)state;
	gz_member(&gz, "hello, world\n", 13, FEXTRA | FNAME | FCOMMENT | FHCRC);
	gz_member(&gz, "", 0, FNAME);
	run_all(gz.data, gz.len, 0, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.members, 2);
	assert_int_equal(o.keep.len, 13);
	assert_memory_equal(o.keep.data, "hello, world\n", 13);
	buf_free(&o.keep);

	/* Header CRC16 after 10 fixed + 2 + 6 extra + 9 name + 10 comment bytes. */
	hcrc_off = 10 + 2 + 6 + 9 + 10;
	gz.data[hcrc_off] ^= 0x01;
	expect_error(gz.data, gz.len, 0, "gzip: member 1: header crc16 mismatch at offset 37", 37);
	gz.data[hcrc_off] ^= 0x01;
	gz.data[3] |= 0x20;
	expect_error(gz.data, gz.len, 0,
	             "gzip: member 1: reserved header flags 0x3e set at offset 3", 3);
	gz.data[3] &= ~0x20;
	gz.data[2] = 7;
	expect_error(gz.data, gz.len, 0, "gzip: member 1: unknown compression method 7 at offset 2",
	             2);
	buf_free(&gz);
}

static void
test_gzip_large_generated(void **state)
{
	const size_t len = 5 * 1024 * 1024 + 12345;
	uint8_t *data = xmalloc(len);
	struct buf gz = BUF_INIT;
	struct zstream_gzip_result res;
	struct out o;
	uint32_t c, x = 1;
	size_t i;

	(void)state;
	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	gz_member(&gz, data, len, FNAME);
	run(gz.data, gz.len, 1024 * 1024, 0, &res, &o);
	assert_true(res.ok);
	assert_int_equal(res.out_bytes, len);
	zstream_crc32_final(&o.crc, &c);
	assert_int_equal(c, crc_of(data, len));
	buf_free(&o.keep);
	run(gz.data, gz.len, 777777, 0, &res, &o);
	assert_true(res.ok);
	buf_free(&o.keep);
	/* A flipped byte in stored data is only seen by the CRC32. */
	gz.data[gz.len / 2] ^= 1;
	run(gz.data, gz.len, 1024 * 1024, 0, &res, &o);
	assert_false(res.ok);
	assert_non_null(strstr(res.error, "crc32 mismatch"));
	assert_int_equal(res.error_offset, gz.len - 8);
	free(res.error);
	buf_free(&o.keep);
	buf_free(&gz);
	free(data);
}

static void
test_gunzip_head(void **state)
{
	struct buf gz = BUF_INIT;
	char out[64];
	size_t n;

	(void)state;
	read_fixture("zstream/text.gz", &gz);
	n = zstream_gunzip_head(gz.data, 200, out, sizeof out);
	assert_int_equal(n, sizeof out);
	assert_memory_equal(out, "line 1\nline 2\nline 3\n", 21);
	assert_int_equal(zstream_gunzip_head("plain text", 10, out, sizeof out), 0);
	assert_int_equal(zstream_gunzip_head(gz.data, 1, out, sizeof out), 0);
	assert_int_equal(zstream_gunzip_head(gz.data, 12, out, sizeof out), 0);
	buf_free(&gz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_gzip_fixture),
		cmocka_unit_test(test_gzip_big_output),
		cmocka_unit_test(test_gzip_multi_member),
		cmocka_unit_test(test_gzip_flipped_byte),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_not_gzip),
		cmocka_unit_test(test_gzip_trailing_bytes),
		cmocka_unit_test(test_gzip_header_fields),
		cmocka_unit_test(test_gzip_large_generated),
		cmocka_unit_test(test_gunzip_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
