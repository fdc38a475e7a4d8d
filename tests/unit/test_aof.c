/*
 * aof: the streaming AOF and manifest checks, on AOFs built here in the
 * shapes Redis writes (RESP commands, "#TS:" annotations, MULTI/EXEC, an RDB
 * preamble taken from a real dump) and damaged; every verdict in every
 * chunking. tests/integration/aof-reference.sh compares with redis-check-aof
 * on AOFs a live redis-server wrote.
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

#include "aof.h"
#include "buf.h"
#include "xmalloc.h"

static const size_t chunkings[] = { 0, 1, 2, 3, 7, 64 };

static void
run(int manifest, const void *data, size_t len, size_t chunk, struct aof_result *res)
{
	struct aof_check *a = aof_check_init(manifest);
	const uint8_t *p = data;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		aof_check_update(a, p + off, n);
	}
	aof_check_final(a, res);
	aof_check_free(a);
}

static void
expect_m(int manifest, const void *data, size_t len, enum aof_status want, const char *needle)
{
	struct aof_result first, r;
	size_t i;

	run(manifest, data, len, 0, &first);
	if (first.status != want || strstr(first.detail, needle) == NULL)
		fail_msg("got %d \"%s\", want %d with \"%s\"", first.status, first.detail, want,
		         needle);
	for (i = 1; i < sizeof chunkings / sizeof chunkings[0]; i++) {
		run(manifest, data, len, chunkings[i], &r);
		if (r.status != first.status || strcmp(r.detail, first.detail) != 0)
			fail_msg("chunks of %zu: \"%s\", whole: \"%s\"", chunkings[i], r.detail,
			         first.detail);
		free(r.detail);
	}
	free(first.detail);
}

#define expect(s, want, needle)          expect_m(0, s, strlen(s), want, needle)
#define expect_manifest(s, want, needle) expect_m(1, s, strlen(s), want, needle)

#define SET   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
#define MULTI "*1\r\n$5\r\nMULTI\r\n"
#define EXEC  "*1\r\n$4\r\nEXEC\r\n"
#define INCR  "*2\r\n$4\r\nincr\r\n$1\r\nn\r\n"
#define TS    "#TS:1795328389\r\n"

static void
test_resp(void **state)
{
	(void)state;
	expect(SET, AOF_OK, "aof: 1 commands, all whole");
	expect(TS SET TS MULTI INCR INCR EXEC SET, AOF_OK, "aof: 6 commands, all whole");
	/* strtol's reading of an empty count is 0: redis-check-aof accepts it. */
	expect("*\r\n" SET, AOF_OK, "2 commands");
	/* A cut: whole up to the start of the command it cuts. */
	expect(SET SET "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel", AOF_CORRUPT,
	       "aof: truncated: the file ends inside a command at offset 62; whole up to offset "
	       "62 (2 commands)");
	expect(SET "*3\r", AOF_CORRUPT, "whole up to offset 31 (1 commands)");
	/* An open transaction: whole up to its MULTI. */
	expect(SET MULTI INCR, AOF_CORRUPT,
	       "aof: MULTI without EXEC before the end at offset 31; whole up to offset 31");
	expect(SET MULTI INCR "*2\r\n$4\r\nin", AOF_CORRUPT, "whole up to offset 31");
	expect(MULTI MULTI EXEC, AOF_CORRUPT, "MULTI inside a transaction at offset 15");
	expect(SET EXEC, AOF_CORRUPT, "EXEC without MULTI at offset 31");
	expect(SET "garbage\r\n", AOF_CORRUPT,
	       "aof: format error: 0x67 where a command should start at offset 31; whole up to "
	       "offset 31 (1 commands)");
	expect_m(0, SET "\0\0\0\0", sizeof SET + 3, AOF_CORRUPT, "format error: 0x00 where");
	expect("*1\r\n$-1\r\n", AOF_CORRUPT, "bulk string length -1 out of range");
	expect("*1\r\n$3\r\nabcXY", AOF_CORRUPT, "bulk string not ended by \\r\\n");
	expect("*1x\r\n", AOF_CORRUPT, "a '*' line not ended by \\r\\n");
	expect("*1\r\n:3\r\n", AOF_CORRUPT, "expected '$', got 0x3a");
	expect("", AOF_CORRUPT, "aof: empty file");
	expect("*1", AOF_CORRUPT, "truncated");
}

static void
test_preamble(void **state)
{
	struct buf b = BUF_INIT;
	FILE *f = fopen(TEST_DATA_DIR "/formats/dump.rdb", "rb");
	char chunk[4096];
	size_t n, rdb;

	(void)state;
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	rdb = b.len;
	buf_adds(&b, SET INCR);
	expect_m(0, b.data, b.len, AOF_OK,
	         "aof: RDB preamble (version 10, 9 keys, crc64 0x39efe3d2829cfa69 ok), then 2 "
	         "commands, all whole");
	expect_m(0, b.data, b.len - 3, AOF_CORRUPT, "whole up to offset 369 (1 commands)");
	expect_m(0, b.data, rdb, AOF_OK, "then 0 commands");
	expect_m(0, b.data, rdb - 1, AOF_CORRUPT, "aof: RDB preamble: truncated");
	b.data[0x62] ^= 1;
	expect_m(0, b.data, b.len, AOF_CORRUPT, "aof: RDB preamble: crc64 mismatch");
	b.data[0x62] ^= 1;
	memset(b.data + rdb - 8, 0, 8); /* saved with rdbchecksum no */
	expect_m(0, b.data, b.len, AOF_UNCHECKED, "written without checksum");
	buf_free(&b);
}

static void
test_manifest(void **state)
{
	(void)state;
	expect_manifest("file appendonly.aof.2.base.rdb seq 2 type b\n"
	                "file appendonly.aof.2.incr.aof seq 2 type i\n",
	                AOF_OK, "aof manifest: 1 base, 1 incr files in 2 lines");
	expect_manifest("file \"my dir.aof.1.base.aof\" seq 1 type b\n"
	                "file a.1.incr.aof seq 1 type h\n"
	                "file a.2.incr.aof seq 2 type i\nfile a.3.incr.aof seq 3 type i\n",
	                AOF_OK, "1 base, 2 incr files in 4 lines");
	expect_manifest("file a seq 1 type b\nfile b seq 2 type b\n", AOF_CORRUPT,
	                "aof manifest: line 2: a second base file");
	expect_manifest("file a seq 3 type i\nfile b seq 2 type i\n", AOF_CORRUPT,
	                "line 2: incr seq 2 not above the previous one");
	expect_manifest("file a seq 1 type x\n", AOF_CORRUPT, "unknown type \"x\"");
	expect_manifest("file a seq one type b\n", AOF_CORRUPT, "seq \"one\" is not a number");
	expect_manifest("file a seq 1\n", AOF_CORRUPT, "not \"file NAME seq N type T\"");
	expect_manifest("file a seq 1 type b", AOF_CORRUPT, "no newline at the end");
	expect_manifest("\n", AOF_CORRUPT, "line 1: not \"file");
	expect_manifest("", AOF_CORRUPT, "an empty manifest");
	expect_manifest("file ../etc/passwd seq 1 type b\n", AOF_CORRUPT,
	                "file \"../etc/passwd\" is a path, not a file name");
}

/* The base and incr files a manifest names, for the caller to look for; not the history. */
static void
test_manifest_files(void **state)
{
	static const char m[] = "file \"my dir.aof.1.base.aof\" seq 1 type b\n"
	                        "file a.1.incr.aof seq 1 type h\n"
	                        "file a.2.incr.aof seq 2 type i\n";
	struct aof_check *a = aof_check_init(1);
	const char *const *names;
	struct aof_result res;

	(void)state;
	aof_check_update(a, m, strlen(m));
	aof_check_final(a, &res);
	assert_int_equal(res.status, AOF_OK);
	free(res.detail);
	assert_int_equal(aof_check_files(a, &names), 2);
	assert_string_equal(names[0], "my dir.aof.1.base.aof");
	assert_string_equal(names[1], "a.2.incr.aof");
	aof_check_free(a);
	/* A manifest that failed names nothing to look for. */
	a = aof_check_init(1);
	aof_check_update(a, "file a seq 1 type b\nfile b seq 2 type b\n", 40);
	aof_check_final(a, &res);
	assert_int_equal(res.status, AOF_CORRUPT);
	free(res.detail);
	assert_int_equal(aof_check_files(a, &names), 0);
	aof_check_free(a);
}

static void
test_looks(void **state)
{
	(void)state;
	assert_true(aof_looks_resp(SET, strlen(SET)));
	assert_true(aof_looks_resp(TS, strlen(TS)));
	assert_false(aof_looks_resp("*x", 2));
	assert_false(aof_looks_resp("REDIS0010", 9));
	assert_true(aof_looks_manifest("file a seq 1 type b\n", 20));
	assert_false(aof_looks_manifest("file a\n", 7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp),     cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_manifest), cmocka_unit_test(test_manifest_files),
		cmocka_unit_test(test_looks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
