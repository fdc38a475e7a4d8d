/*
 * Unit tests for manifest: the text form (exact bytes, b2sum's escaping,
 * round trips, every malformation refused with its line), the file name of
 * a set, durable writing, and signatures with the minisign fixture key.
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
#include "manifest.h"
#include "minisign.h"
#include "xmalloc.h"

/* 2026-03-01T00:00:00Z */
#define T0 1772323200LL

/* BLAKE2b-256 of "hello", as `printf hello | b2sum -l 256` prints it. */
#define HELLO_HEX "324dcf027dd4a30a932c441f365a25e86b173defa4b8e58948253471b81b72cf"

static const char golden[] =
        "# cachewarden manifest 1\n"
        "# set: redis snapshots\n"
        "# written: 2026-03-01T00:00:00Z\n"
        "# Digest lines are BLAKE2b-256 as b2sum prints them: b2sum -l 256 -c FILE\n"
        "# entry size=5 mtime=2026-02-28T23:00:00.000000007Z crc32=3610a686 "
        "first_seen=2026-02-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n" HELLO_HEX
        "  /b/a file\n"
        "# entry size=5 mtime=2026-02-28T23:00:00.123456789Z crc32=3610a686 "
        "first_seen=2026-03-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n"
        "\\" HELLO_HEX "  /b/new\\nline\\\\back\\rcr\n";

static void
entry(struct manifest_entry *e, const char *path, long ns, int64_t first)
{
	static const uint8_t hello[] = { 0x32, 0x4d, 0xcf, 0x02, 0x7d, 0xd4, 0xa3, 0x0a,
		                         0x93, 0x2c, 0x44, 0x1f, 0x36, 0x5a, 0x25, 0xe8,
		                         0x6b, 0x17, 0x3d, 0xef, 0xa4, 0xb8, 0xe5, 0x89,
		                         0x48, 0x25, 0x34, 0x71, 0xb8, 0x1b, 0x72, 0xcf };

	memset(e, 0, sizeof *e);
	e->path = (char *)path;
	e->size = 5;
	e->mtime_s = T0 - 3600;
	e->mtime_ns = ns;
	e->crc32 = 0x3610a686;
	memcpy(e->blake2b, hello, sizeof hello);
	e->first_seen = first;
	e->last_verified = T0;
}

static void
two_entries(struct manifest *m)
{
	struct manifest_entry e;

	manifest_init(m);
	entry(&e, "/b/new\nline\\back\rcr", 123456789, T0);
	manifest_add(m, &e);
	entry(&e, "/b/a file", 7, T0 - 28 * 86400);
	manifest_add(m, &e);
	manifest_sort(m);
}

static void
test_format_golden(void **state)
{
	struct manifest m;
	struct buf out = BUF_INIT;

	(void)state;
	two_entries(&m);
	manifest_format(&m, "redis snapshots", T0, &out);
	assert_string_equal(out.data, golden);
	buf_free(&out);
	manifest_free(&m);
}

static void
test_round_trip(void **state)
{
	struct manifest m, back;
	struct buf out = BUF_INIT;
	char *cause = NULL;
	size_t i;

	(void)state;
	two_entries(&m);
	manifest_format(&m, "s", T0, &out);
	manifest_init(&back);
	assert_int_equal(manifest_parse(out.data, out.len, &back, &cause), 0);
	assert_int_equal(back.n, 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(back.entries[i].path, m.entries[i].path);
		assert_int_equal(back.entries[i].size, m.entries[i].size);
		assert_int_equal(back.entries[i].mtime_s, m.entries[i].mtime_s);
		assert_int_equal(back.entries[i].mtime_ns, m.entries[i].mtime_ns);
		assert_int_equal(back.entries[i].crc32, m.entries[i].crc32);
		assert_memory_equal(back.entries[i].blake2b, m.entries[i].blake2b,
		                    MANIFEST_DIGEST_LEN);
		assert_int_equal(back.entries[i].first_seen, m.entries[i].first_seen);
		assert_int_equal(back.entries[i].last_verified, m.entries[i].last_verified);
	}
	assert_non_null(manifest_find(&back, "/b/a file"));
	assert_non_null(manifest_find(&back, "/b/new\nline\\back\rcr"));
	assert_null(manifest_find(&back, "/b/a"));
	buf_free(&out);
	manifest_free(&m);
	manifest_free(&back);
}

/* What later versions or an operator may add: comments, blank lines, unknown keys, " *". */
static void
test_parse_tolerant(void **state)
{
	static const char text[] =
	        "# cachewarden manifest 1\n"
	        "# anything\n"
	        "\n"
	        "# entry first_seen=2026-02-01T00:00:00Z size=5 owner=ops "
	        "mtime=2026-02-28T23:00:00.5Z crc32=3610A686 last_verified=2026-03-01T00:00:00Z\n"
	        "324DCF027DD4A30A932C441F365A25E86B173DEFA4B8E58948253471B81B72CF */x";
	struct manifest m;
	char *cause = NULL;

	(void)state;
	manifest_init(&m);
	assert_int_equal(manifest_parse(text, sizeof text - 1, &m, &cause), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.entries[0].path, "/x");
	assert_int_equal(m.entries[0].mtime_ns, 500000000);
	assert_int_equal(m.entries[0].crc32, 0x3610a686);
	assert_int_equal(m.entries[0].blake2b[0], 0x32);
	manifest_free(&m);
}

static void
check_bad(const char *text, const char *want)
{
	struct manifest m;
	char *cause = NULL;

	manifest_init(&m);
	assert_int_equal(manifest_parse(text, strlen(text), &m, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
	manifest_free(&m);
}

#define HDR "# cachewarden manifest 1\n"
#define ENT                                                                                        \
	"# entry size=5 mtime=2026-02-28T23:00:00Z crc32=3610a686 "                                \
	"first_seen=2026-02-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n"

static void
test_parse_errors(void **state)
{
	struct manifest m;
	char *cause = NULL;

	(void)state;
	check_bad("", "manifest: empty file");
	check_bad("# cachewarden manifest 2\n",
	          "manifest: line 1: not a cachewarden manifest version 1");
	check_bad(HELLO_HEX "  /x\n", "manifest: line 1: not a cachewarden manifest version 1");
	check_bad(HDR HELLO_HEX "  /x\n", "manifest: line 2: malformed");
	check_bad(HDR ENT, "manifest: line 2: entry without its digest line");
	check_bad(HDR ENT ENT, "manifest: line 3: malformed");
	check_bad(HDR ENT "324dcf  /x\n", "manifest: line 3: malformed");
	check_bad(HDR ENT "z" HELLO_HEX "  /x\n", "manifest: line 3: malformed");
	check_bad(HDR ENT HELLO_HEX " /x\n", "manifest: line 3: malformed");
	check_bad(HDR ENT HELLO_HEX "  \n", "manifest: line 3: malformed");
	check_bad(HDR ENT "\\" HELLO_HEX "  /a\\tb\n", "manifest: line 3: malformed");
	check_bad(HDR "# entry size=5 mtime=2026-02-30T23:00:00Z crc32=3610a686 "
	              "first_seen=2026-02-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n",
	          "manifest: line 2: malformed");
	check_bad(HDR "# entry size=5 mtime=2026-02-28T23:00:00Z crc32=3610a686 "
	              "first_seen=2026-02-01T00:00:00.5Z last_verified=2026-03-01T00:00:00Z\n",
	          "manifest: line 2: malformed");
	check_bad(HDR "# entry size=-5 mtime=2026-02-28T23:00:00Z crc32=3610a686 "
	              "first_seen=2026-02-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n",
	          "manifest: line 2: malformed");
	check_bad(HDR "# entry size=5 mtime=2026-02-28T23:00:00Z crc32=3610a6 "
	              "first_seen=2026-02-01T00:00:00Z last_verified=2026-03-01T00:00:00Z\n",
	          "manifest: line 2: malformed");
	check_bad(HDR "# entry size=5 mtime=2026-02-28T23:00:00Z crc32=3610a686 "
	              "first_seen=2026-02-01T00:00:00Z\n",
	          "manifest: line 2: malformed");
	check_bad(HDR ENT HELLO_HEX "  /x\n" ENT HELLO_HEX "  /x\n",
	          "manifest: /x is recorded twice");
	manifest_init(&m);
	assert_int_equal(manifest_parse(HDR "\0", sizeof HDR, &m, &cause), -1);
	assert_string_equal(cause, "manifest: binary data (NUL byte)");
	free(cause);
	manifest_free(&m);
}

static void
test_path(void **state)
{
	char *p;

	(void)state;
	p = manifest_path("/var/lib/m", "redis-snapshots_1.x");
	assert_string_equal(p, "/var/lib/m/redis-snapshots_1.x.manifest");
	free(p);
	p = manifest_path("d", "../a b/é");
	assert_string_equal(p, "d/%2E.%2Fa%20b%2F%C3%A9.manifest");
	free(p);
}

static char *
temp_dir(void)
{
	char *dir = xstrdup("/tmp/cw-test-manifest.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
test_files(void **state)
{
	char *dir = temp_dir(), *sub = xasprintf("%s/a/b/c", dir), *path, *cause = NULL;
	struct buf in = BUF_INIT;
	struct stat st;

	(void)state;
	assert_int_equal(manifest_mkdir(sub, &cause), 0);
	assert_int_equal(manifest_mkdir(sub, &cause), 0); /* already there */
	path = manifest_path(sub, "s");
	assert_int_equal(manifest_read_file(path, &in, &cause), 1);
	assert_int_equal(manifest_write_file(path, "one\n", 4, &cause), 0);
	assert_int_equal(manifest_write_file(path, "two\n", 4, &cause), 0);
	assert_int_equal(manifest_read_file(path, &in, &cause), 0);
	assert_string_equal(in.data, "two\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* A directory in the way: the error names the temporary file. */
	free(path);
	path = xasprintf("%s/missing/s.manifest", dir);
	assert_int_equal(manifest_write_file(path, "x", 1, &cause), -1);
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	cause = NULL;
	assert_int_equal(manifest_read_file(sub, &in, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	buf_free(&in);
	free(path);
	remove_tree(dir);
	free(sub);
	free(dir);
}

static void
test_signature(void **state)
{
	char *sec = xasprintf("%s/minisign/test.key", TEST_DATA_DIR);
	char *pub = xasprintf("%s/minisign/test.pub", TEST_DATA_DIR);
	char *sig = NULL, *cause = NULL, *dir = temp_dir(), *key;
	struct minisign_pubkey pk;

	(void)state;
	/* The fixture's secret key is readable by all in the source tree: copy it 0600. */
	key = xasprintf("%s/test.key", dir);
	{
		struct buf k = BUF_INIT;
		assert_int_equal(manifest_read_file(sec, &k, &cause), 0);
		assert_int_equal(manifest_write_file(key, k.data, k.len, &cause), 0);
		assert_int_equal(chmod(key, 0600), 0);
		buf_free(&k);
	}
	assert_int_equal(minisign_pubkey_load(pub, &pk, &cause), 0);
	assert_int_equal(manifest_sign(key, "/m/s.manifest", "text\n", 5, &sig, &cause), 0);
	assert_non_null(strstr(sig, "\ntrusted comment: timestamp:"));
	assert_non_null(strstr(sig, "\tfile:s.manifest\thashed\n"));
	assert_int_equal(manifest_check_signature(&pk, "text\n", 5, sig, strlen(sig), &cause), 0);
	assert_int_equal(manifest_check_signature(&pk, "text!", 5, sig, strlen(sig), &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(manifest_check_signature(&pk, "text\n", 5, "junk", 4, &cause), -1);
	free(cause);
	free(sig);
	remove_tree(dir);
	free(dir);
	free(key);
	free(sec);
	free(pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_golden),  cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_tolerant), cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_path),           cmocka_unit_test(test_files),
		cmocka_unit_test(test_signature),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
