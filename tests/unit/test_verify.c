/*
 * Unit tests for verify: names made printable, the manifest comparison on
 * synthetic scans (CHANGED, MISSING, what is recorded), and whole runs over
 * a temp dir: the JSON verdict, manifests kept across runs, signatures.
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
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "manifest.h"
#include "scan.h"
#include "verify.h"
#include "xmalloc.h"

#define DAY 86400LL
/* 2026-03-01T00:00:00Z */
#define NOW 1772323200LL

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = xstrdup("/tmp/cw-test-verify.XXXXXX");
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
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

static void
check_printable(const char *in, const char *want)
{
	char *out = verify_printable(in);

	assert_string_equal(out, want);
	free(out);
}

static void
test_printable(void **state)
{
	(void)state;
	check_printable("", "");
	check_printable("/b/a file.rdb", "/b/a file.rdb");
	check_printable("new\nline", "new\\nline");
	check_printable("tab\tcr\r", "tab\\tcr\\r");
	check_printable("back\\slash", "back\\\\slash");
	check_printable("\x1b[31mred\x7f", "\\x1b[31mred\\x7f");
	check_printable("caf\xc3\xa9", "caf\xc3\xa9");
}

/* ---- verify_compare ---- */

static void
scanned(struct scan_file *f, const char *path, uint8_t tag, int64_t mtime)
{
	memset(f, 0, sizeof *f);
	f->path = path;
	f->regular = 1;
	f->size = 100;
	f->mtime_s = mtime;
	f->crc32 = tag;
	memset(f->blake2b, tag, sizeof f->blake2b);
	f->check.status = FORMATS_OK;
}

static void
recorded(struct manifest *m, const char *path, uint8_t tag, int64_t mtime)
{
	struct manifest_entry e;

	memset(&e, 0, sizeof e);
	e.path = (char *)path;
	e.size = 100;
	e.mtime_s = mtime;
	e.crc32 = tag;
	memset(e.blake2b, tag, sizeof e.blake2b);
	e.first_seen = NOW - 10 * DAY;
	e.last_verified = NOW - DAY;
	manifest_add(m, &e);
}

static const struct verify_problem *
problem_for(const struct verify_problems *p, const char *file)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].file != NULL && strcmp(p->v[i].file, file) == 0)
			return &p->v[i];
	return NULL;
}

static void
test_compare(void **state)
{
	struct manifest old, next;
	struct verify_problems p = { NULL, 0 };
	struct scan_file f[6];
	const struct manifest_entry *e;

	(void)state;
	manifest_init(&old);
	manifest_init(&next);
	recorded(&old, "/same", 1, NOW - 2 * DAY);
	recorded(&old, "/rot", 2, NOW - 2 * DAY);
	recorded(&old, "/rewritten", 3, NOW - 2 * DAY);
	recorded(&old, "/unreadable", 4, NOW - 2 * DAY);
	recorded(&old, "/gone-recent", 5, NOW - 179 * DAY);
	recorded(&old, "/gone-old", 6, NOW - 180 * DAY);
	manifest_sort(&old);
	scanned(&f[0], "/same", 1, NOW - DAY); /* touched, same content */
	scanned(&f[1], "/rot", 9, NOW - 2 * DAY);
	scanned(&f[2], "/rewritten", 8, NOW - DAY);
	f[2].size = 120;
	scanned(&f[3], "/unreadable", 0, NOW - 2 * DAY);
	f[3].error = "open: Permission denied";
	scanned(&f[4], "/new-good", 7, NOW);
	f[4].check.status = FORMATS_UNCHECKED;
	scanned(&f[5], "/new-corrupt", 7, NOW);
	f[5].check.status = FORMATS_CORRUPT;

	verify_compare(&old, f, 6, NOW, 180 * DAY, &next, &p);

	assert_int_equal(p.n, 3);
	assert_string_equal(problem_for(&p, "/rot")->problem, "CHANGED");
	assert_string_equal(problem_for(&p, "/rot")->detail,
	                    "content changed with size and mtime unchanged (bit rot or tampering): "
	                    "blake2b 0909090909090909..., recorded 0202020202020202... (first "
	                    "seen 2026-02-19T00:00:00Z)");
	assert_string_equal(problem_for(&p, "/rewritten")->detail,
	                    "rewritten since first seen 2026-02-19T00:00:00Z: size 100 -> 120, "
	                    "mtime 2026-02-27T00:00:00Z -> 2026-02-28T00:00:00Z, blake2b "
	                    "0808080808080808..., recorded 0303030303030303...");
	assert_string_equal(problem_for(&p, "/gone-recent")->problem, "MISSING");
	assert_string_equal(problem_for(&p, "/gone-recent")->detail,
	                    "recorded file is gone (mtime 2025-09-03T00:00:00Z, last verified "
	                    "2026-02-28T00:00:00Z); it should be kept until 2026-03-02T00:00:00Z");

	/* What is recorded from now on, sorted. */
	assert_int_equal(next.n, 6);
	assert_string_equal(next.entries[0].path, "/gone-recent");
	assert_null(manifest_find(&next, "/gone-old"));
	assert_null(manifest_find(&next, "/new-corrupt"));
	e = manifest_find(&next, "/same");
	assert_int_equal(e->mtime_s, NOW - DAY);
	assert_int_equal(e->first_seen, NOW - 10 * DAY);
	assert_int_equal(e->last_verified, NOW);
	e = manifest_find(&next, "/rot");
	assert_int_equal(e->blake2b[0], 2); /* the evidence stays */
	assert_int_equal(e->last_verified, NOW - DAY);
	e = manifest_find(&next, "/rewritten");
	assert_int_equal(e->size, 100);
	e = manifest_find(&next, "/unreadable");
	assert_int_equal(e->last_verified, NOW - DAY);
	e = manifest_find(&next, "/new-good");
	assert_int_equal(e->first_seen, NOW);
	assert_int_equal(e->blake2b[0], 7);

	verify_problems_free(&p);
	manifest_free(&old);
	manifest_free(&next);
}

static void
test_compare_empty(void **state)
{
	struct manifest old, next;
	struct verify_problems p = { NULL, 0 };

	(void)state;
	manifest_init(&old);
	manifest_init(&next);
	recorded(&old, "/a", 1, NOW);
	verify_compare(&old, NULL, 0, NOW, DAY, &next, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].problem, "MISSING");
	verify_problems_free(&p);
	manifest_free(&old);
	manifest_free(&next);
}

/* ---- whole runs ---- */

static char *
put(const char *rel, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static struct conf *
config(const char *extra)
{
	struct conf_errors errors;
	struct conf *c;
	char *text = xasprintf("[verify]\nmanifest_dir = %s/manifests\nworkers = 3\n%s\n"
	                       "[exports one]\npath = %s/one/*\nmax_age = 1h\n"
	                       "[exports two]\npath = %s/two/*.rdb\nretention = 2\n",
	                       dir, extra, dir, dir);

	c = conf_load_string("test.conf", text, 0, &errors);
	if (c == NULL)
		fail_msg("config: %s", errors.count ? errors.lines[0] : "?");
	free(text);
	return c;
}

static int
run(const struct conf *c, char **names, size_t n, struct buf *report)
{
	buf_reset(report);
	return verify_run(c, names, n, report);
}

static void
make_sets(void)
{
	char *p, *d1 = xasprintf("%s/one", dir), *d2 = xasprintf("%s/two", dir);

	assert_int_equal(mkdir(d1, 0700), 0);
	assert_int_equal(mkdir(d2, 0700), 0);
	free(put("one/a file", "hello", 5));
	free(put("one/new\nline", "x", 1));
	p = put("two/random.rdb", "not an rdb", 10);
	free(p);
	free(d1);
	free(d2);
}

static void
test_run(void **state)
{
	struct conf *c = config("");
	struct buf report = BUF_INIT;
	char *names[] = { "one", "nope" }, *p;

	(void)state;
	make_sets();
	assert_int_equal(run(c, names + 1, 1, &report), 2);
	assert_int_equal(report.len, 0);

	assert_int_equal(run(c, names, 1, &report), 0);
	assert_non_null(strstr(report.data,
	                       "{\"schema\":\"cachewarden.report/1\",\"kind\":\"verify\","
	                       "\"status\":\"ok\""));
	assert_non_null(strstr(report.data, "\"name\":\"one\",\"tier\":\"standard\""));
	assert_non_null(strstr(report.data, "\"files\":2,\"bytes\":6,\"newest_age_s\":"));
	assert_non_null(strstr(report.data, "\"problems\":[],\"warnings\":[]"));

	/* Both sets: two fails (CORRUPT, and RETENTION: one file of two). */
	assert_int_equal(run(c, NULL, 0, &report), 1);
	assert_non_null(strstr(report.data, "\"status\":\"failed\""));
	assert_non_null(strstr(report.data,
	                       "random.rdb\",\"problem\":\"CORRUPT\",\"detail\":"
	                       "\"rdb: bad magic at offset 0 (not a Redis RDB file)\""));
	assert_non_null(strstr(report.data, "{\"file\":null,\"problem\":\"RETENTION\""));

	/* Recorded in the first run; now rewritten: CHANGED. */
	p = put("one/a file", "HELLO", 5);
	assert_int_equal(run(c, names, 1, &report), 1);
	assert_non_null(strstr(report.data, "a file\",\"problem\":\"CHANGED\""));
	free(p);
	p = put("one/a file", "hello", 5);
	assert_int_equal(run(c, names, 1, &report), 0);
	free(p);
	buf_free(&report);
	conf_free(c);
}

static void
copy_key(const char *from, const char *to)
{
	char *cmd = xasprintf("cp '%s' '%s' && chmod 600 '%s'", from, to, to);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
test_signed(void **state)
{
	char *key = xasprintf("%s/test.key", dir),
	     *pub = xasprintf("%s/minisign/test.pub", TEST_DATA_DIR);
	char *src = xasprintf("%s/minisign/test.key", TEST_DATA_DIR), *extra, *sig, *cmd;
	struct buf report = BUF_INIT;
	char *names[] = { "one" };
	struct conf *trust_only, *both;

	(void)state;
	copy_key(src, key);
	extra = xasprintf("trusted_key = %s", pub);
	trust_only = config(extra);
	free(extra);
	extra = xasprintf("trusted_key = %s\nsigning_key = %s", pub, key);
	both = config(extra);
	free(extra);
	sig = xasprintf("%s/manifests/one.manifest.minisig", dir);

	/* The unsigned manifest of test_run: UNSIGNED, and not rewritten. */
	assert_int_equal(run(trust_only, names, 1, &report), 1);
	assert_non_null(strstr(report.data, "\"problem\":\"UNSIGNED\""));
	assert_int_equal(run(both, names, 1, &report), 1); /* not laundered by re-signing */
	assert_int_equal(access(sig, F_OK), -1);

	/* An operator signs it after review; from then on runs re-sign it. */
	cmd = xasprintf("%s/manifests/one.manifest", dir);
	{
		char *argv[] = { "manifest", "sign", "-s", key, cmd, NULL };
		assert_int_equal(manifest_cmd(NULL, 5, argv), 0);
	}
	assert_int_equal(run(both, names, 1, &report), 0);
	assert_int_equal(run(trust_only, names, 1, &report), 0);
	assert_int_equal(access(sig, F_OK), 0);
	{
		char *argv[] = { "manifest", "verify", "-p", pub, cmd, NULL };
		assert_int_equal(manifest_cmd(NULL, 5, argv), 0);
	}
	/* Tampering with the manifest: BADSIG. */
	free(cmd);
	cmd = xasprintf("sed -i 's/^# set: one/# set: One/' '%s/manifests/one.manifest'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run(both, names, 1, &report), 1);
	assert_non_null(strstr(report.data, "\"problem\":\"BADSIG\",\"detail\":\"signature "
	                                    "verification failed"));
	{
		char *argv[] = { "manifest", "bogus", NULL };
		assert_int_equal(manifest_cmd(NULL, 2, argv), 2);
	}
	/* Empty files, neither NULL nor a crash: a signature of nothing, a manifest of nothing. */
	free(cmd);
	cmd = xasprintf(": >'%s' && : >'%s/manifests/one.manifest'", sig, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run(both, names, 1, &report), 1);
	assert_non_null(strstr(report.data, "\"problem\":\"BADSIG\",\"detail\":\"signature: "
	                                    "empty file\""));
	assert_non_null(strstr(report.data, "\"problem\":\"UNREADABLE\",\"detail\":\"manifest: "
	                                    "empty file\""));
	free(cmd);
	free(sig);
	free(key);
	free(pub);
	free(src);
	buf_free(&report);
	conf_free(trust_only);
	conf_free(both);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable),     cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_empty), cmocka_unit_test(test_run),
		cmocka_unit_test(test_signed),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
