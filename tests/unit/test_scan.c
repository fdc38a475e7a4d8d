/*
 * Unit tests for scan: digests and format checks of files read inline and
 * through the pipeline (ring wrap-around with every worker count), the
 * format a set asks for, and the files that must not be read: empty, a
 * directory, a FIFO, a dangling link, an unreadable file, one whose size
 * lies (procfs: "changed during read").
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "crypto.h"
#include "formats.h"
#include "scan.h"
#include "xmalloc.h"
#include "zstream.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = xstrdup("/tmp/cw-test-scan.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	free(dir);
	return rc;
}

static char *
put(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
fixture(const char *rel, struct buf *out)
{
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, rel);
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	buf_reset(out);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	free(path);
}

/* Pseudo-random bytes, the same every run. */
static uint8_t *
noise(size_t len, uint32_t seed)
{
	uint8_t *p = xmalloc(len);
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

static void
assert_digests(const struct scan_file *f, const void *data, size_t len)
{
	uint8_t want[SCAN_DIGEST_LEN];
	struct zstream_crc32 c;
	uint32_t crc;

	assert_null(f->error);
	assert_int_equal(f->regular, 1);
	assert_int_equal(f->size, len);
	crypto_blake2b(data, len, want, sizeof want);
	assert_memory_equal(f->blake2b, want, sizeof want);
	zstream_crc32_init(&c);
	zstream_crc32_update(&c, data, len);
	zstream_crc32_final(&c, &crc);
	assert_int_equal(f->crc32, crc);
}

static void
test_known_digest(void **state)
{
	struct scan_file f = { 0 };
	char hex[2 * SCAN_DIGEST_LEN + 1];

	(void)state;
	f.path = put("hello", "hello", 5);
	scan_run(&f, 1, 1);
	crypto_hex(f.blake2b, SCAN_DIGEST_LEN, hex);
	/* What `printf hello | b2sum -l 256` and python's zlib.crc32(b"hello") print. */
	assert_string_equal(hex,
	                    "324dcf027dd4a30a932c441f365a25e86b173defa4b8e58948253471b81b72cf");
	assert_int_equal(f.crc32, 0x3610a686);
	assert_int_equal(f.kind, FORMATS_RAW);
	assert_int_equal(f.check.status, FORMATS_OK);
	scan_file_clear(&f);
	free((char *)f.path);
}

/* Files of many sizes around the buffer size, with 1, 2, 3 and 64 workers. */
static void
test_pipeline_sizes(void **state)
{
	static const size_t sizes[] = { 1,         4095,           65536,           65537,
		                        1u << 20,  (1u << 20) + 1, (5u << 20) + 77, 3u << 20,
		                        (9u << 20) };
	static const long long workers[] = { 1, 2, 3, 64 };
	struct scan_file f[sizeof sizes / sizeof sizes[0]];
	uint8_t *data[sizeof sizes / sizeof sizes[0]];
	size_t i, w, n = sizeof sizes / sizeof sizes[0];
	char name[32];

	(void)state;
	memset(f, 0, sizeof f);
	for (i = 0; i < n; i++) {
		data[i] = noise(sizes[i], (uint32_t)i + 1);
		snprintf(name, sizeof name, "noise%zu", i);
		f[i].path = put(name, data[i], sizes[i]);
	}
	for (w = 0; w < sizeof workers / sizeof workers[0]; w++) {
		scan_run(f, n, workers[w]);
		for (i = 0; i < n; i++) {
			assert_digests(&f[i], data[i], sizes[i]);
			scan_file_clear(&f[i]);
		}
	}
	for (i = 0; i < n; i++) {
		free(data[i]);
		free((char *)f[i].path);
	}
}

static void
check_fixture(const char *rel, const char *name, enum scan_format want, enum formats_kind kind,
              enum formats_status status)
{
	struct buf b = BUF_INIT;
	struct scan_file f = { 0 };

	fixture(rel, &b);
	f.path = put(name, b.data, b.len);
	f.format = want;
	scan_run(&f, 1, 2);
	assert_digests(&f, b.data, b.len);
	assert_int_equal(f.kind, kind);
	assert_int_equal(f.check.status, status);
	assert_non_null(f.check.detail);
	scan_file_clear(&f);
	free((char *)f.path);
	buf_free(&b);
}

static void
test_formats(void **state)
{
	(void)state;
	check_fixture("formats/dump.rdb", "a.bin", SCAN_AUTO, FORMATS_RDB, FORMATS_OK);
	check_fixture("formats/nochecksum.rdb", "b.rdb", SCAN_AUTO, FORMATS_RDB, FORMATS_UNCHECKED);
	check_fixture("formats/shop.sql.gz", "c.gz", SCAN_AUTO, FORMATS_MYSQLDUMP_GZ, FORMATS_OK);
	check_fixture("formats/shop.sql.gz", "d.gz", SCAN_GZIP, FORMATS_GZIP, FORMATS_OK);
	check_fixture("formats/shop.sql.gz", "e", SCAN_MYSQLDUMP, FORMATS_MYSQLDUMP_GZ, FORMATS_OK);
	check_fixture("formats/shop.sql", "f", SCAN_MYSQLDUMP, FORMATS_MYSQLDUMP, FORMATS_OK);
	check_fixture("formats/sample.parquet", "g", SCAN_AUTO, FORMATS_PARQUET, FORMATS_OK);
	check_fixture("formats/sample.parquet", "h.rdb", SCAN_RAW, FORMATS_RAW, FORMATS_OK);
	check_fixture("formats/sample.parquet", "i", SCAN_RDB, FORMATS_RDB, FORMATS_CORRUPT);
	check_fixture("formats/shop.sql", "j", SCAN_PARQUET, FORMATS_PARQUET, FORMATS_CORRUPT);
}

/* A large gzip file goes through the pipeline and is checked there. */
static void
test_large_gzip_truncated(void **state)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	struct scan_file f = { 0 };
	size_t i;

	(void)state;
	fixture("formats/shop.sql.gz", &b);
	for (i = 0; i < 1500; i++) /* members concatenated: still one valid gzip stream */
		buf_add(&big, b.data, b.len);
	f.path = put("big.sql.gz", big.data, big.len);
	scan_run(&f, 1, 1);
	assert_digests(&f, big.data, big.len);
	assert_int_equal(f.check.status, FORMATS_OK);
	scan_file_clear(&f);
	assert_int_equal(truncate(f.path, (off_t)big.len - 1), 0);
	scan_run(&f, 1, 1);
	assert_int_equal(f.check.status, FORMATS_CORRUPT);
	assert_non_null(strstr(f.check.detail, "gzip: "));
	scan_file_clear(&f);
	free((char *)f.path);
	buf_free(&b);
	buf_free(&big);
}

static void
test_not_read(void **state)
{
	struct scan_file f[5];
	char *fifo = xasprintf("%s/fifo", dir), *link = xasprintf("%s/dangling", dir);
	char *sub = xasprintf("%s/sub.rdb", dir);
	size_t i;

	(void)state;
	memset(f, 0, sizeof f);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink("/nonexistent/cw", link), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	f[0].path = fifo;
	f[1].path = link;
	f[2].path = sub;
	f[3].path = put("empty.rdb", "", 0);
	f[4].path = "/nonexistent/cw";
	scan_run(f, 5, 2);
	assert_string_equal(f[0].error, "not a regular file: a FIFO");
	assert_string_equal(f[1].error, "dangling symbolic link");
	assert_string_equal(f[2].error, "not a regular file: a directory");
	assert_null(f[3].error);
	assert_int_equal(f[3].regular, 1);
	assert_int_equal(f[3].check.status, FORMATS_CORRUPT);
	assert_string_equal(f[3].check.detail, "empty file (0 bytes)");
	assert_string_equal(f[4].error, "stat: No such file or directory");
	for (i = 0; i < 3; i++)
		assert_int_equal(f[i].regular, 0);
	for (i = 0; i < 5; i++)
		scan_file_clear(&f[i]);
	free((char *)f[3].path);
	free(fifo);
	free(link);
	free(sub);
}

/* procfs files say 0 bytes and hold more: exactly what a file growing under us looks like. */
static void
test_changed_during_read(void **state)
{
	struct scan_file f = { 0 };

	(void)state;
	f.path = "/proc/self/status";
	scan_run(&f, 1, 1);
	assert_non_null(f.error);
	assert_non_null(strstr(f.error, "changed during read: size 0 -> 0 bytes, mtime unchanged, "
	                                "at least "));
	scan_file_clear(&f);
}

/* Root reads anything with mode 000, but not a write-only sysctl. */
static void
test_unreadable(void **state)
{
	struct scan_file f = { 0 };
	char *path = NULL;

	(void)state;
	if (geteuid() == 0) {
		f.path = "/proc/sys/vm/drop_caches";
	} else {
		f.path = path = put("secret", "x", 1);
		assert_int_equal(chmod(path, 0), 0);
	}
	scan_run(&f, 1, 1);
	if (f.error == NULL || strcmp(f.error, "open: Permission denied") != 0)
		print_message("# no unreadable file available here (%s): checked nothing\n",
		              f.error ? f.error : "read fine");
	else
		assert_int_equal(f.regular, 1);
	scan_file_clear(&f);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_digest), cmocka_unit_test(test_pipeline_sizes),
		cmocka_unit_test(test_formats),      cmocka_unit_test(test_large_gzip_truncated),
		cmocka_unit_test(test_not_read),     cmocka_unit_test(test_changed_during_read),
		cmocka_unit_test(test_unreadable),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
