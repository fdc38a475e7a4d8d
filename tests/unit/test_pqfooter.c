/*
 * pqfooter: Parquet footers decoded and checked. First the files of
 * apache/parquet-testing (tests/data/parquet-testing: every data/ file is
 * ok but those whose page CRC-32s are wrong on purpose, the bad_data/ files
 * damaged in their footer or in their pages' headers and counts are
 * CORRUPT; EXPECTED and README there), through formats (footer and page
 * walk) in every chunking; then FileMetaData built here byte by byte,
 * damaged in each way the check looks for.
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
#include "fixture.h"
#include "formats.h"
#include "pqfooter.h"
#include "xmalloc.h"

static const size_t chunkings[] = { 0, 1, 7, 4096 };

static enum formats_status
check(const struct buf *b, size_t chunk, char **detail)
{
	struct formats_check *c = formats_check_init(FORMATS_PARQUET);
	struct formats_result r;
	size_t off, n;

	for (off = 0; off < b->len; off += n) {
		n = chunk == 0 || b->len - off < chunk ? b->len - off : chunk;
		formats_check_update(c, b->data + off, n);
	}
	formats_check_final(c, &r);
	formats_check_free(c);
	*detail = r.detail;
	return r.status;
}

static void
test_parquet_testing(void **state)
{
	char line[512], name[256], want[16], *path, *d0, *d;
	struct buf b = BUF_INIT;
	enum formats_status st, st0;
	size_t files = 0, data_files = 0, i;
	FILE *f = fopen(TEST_DATA_DIR "/parquet-testing/EXPECTED", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%255s %15s", name, want) != 2)
			continue;
		path = xasprintf("%s/parquet-testing/%s", TEST_DATA_DIR, name);
		fixture_read(path, &b);
		free(path);
		st0 = check(&b, 0, &d0);
		if (strcmp(formats_status_name(st0), want) != 0)
			fail_msg("%s: want %s, got \"%s\"", name, want, d0);
		/* Readers accept every data/ file: never CORRUPT, but for those
		 * whose page CRC-32s are wrong on purpose, which a reader that
		 * checks them rejects. */
		if (strncmp(name, "data-", 5) == 0) {
			if (strstr(name, "corrupt-checksum") == NULL)
				assert_int_not_equal(st0, FORMATS_CORRUPT);
			data_files++;
		}
		for (i = 1; i < sizeof chunkings / sizeof chunkings[0]; i++) {
			st = check(&b, chunkings[i], &d);
			if (st != st0 || strcmp(d, d0) != 0)
				fail_msg("%s in chunks of %zu: \"%s\", whole: \"%s\"", name,
				         chunkings[i], d, d0);
			free(d);
		}
		free(d0);
		files++;
	}
	fclose(f);
	buf_free(&b);
	assert_int_equal(files, 59);
	assert_int_equal(data_files, 51);
}

/* ---- FileMetaData built here ---- */

static void
put_varint(struct buf *b, uint64_t v)
{
	while (v >= 0x80) {
		buf_addc(b, (char)(v | 0x80));
		v >>= 7;
	}
	buf_addc(b, (char)v);
}

/* A field header with a delta from the previous id, then a zigzag integer. */
static void
put_int(struct buf *b, int delta, int type, int64_t v)
{
	buf_addc(b, (char)(delta << 4 | type));
	put_varint(b, (uint64_t)(v << 1) ^ (uint64_t)(v >> 63));
}

static void
put_str(struct buf *b, int delta, const char *s)
{
	buf_addc(b, (char)(delta << 4 | 8));
	put_varint(b, strlen(s));
	buf_adds(b, s);
}

/* FileMetaData: version, schema (root with kids children, then leaves), num_rows, row groups. */
static void
build(struct buf *b, int kids, int leaves, int64_t rows, int64_t rg_rows, int64_t data_off,
      int64_t total)
{
	int i;

	buf_reset(b);
	put_int(b, 1, 5, 1);                         /* 1: version */
	buf_addc(b, (char)(1 << 4 | 9));             /* 2: schema list */
	buf_addc(b, (char)((1 + leaves) << 4 | 12)); /* of structs */
	put_str(b, 4, "root");
	put_int(b, 1, 5, kids); /* 5: num_children */
	buf_addc(b, 0);
	for (i = 0; i < leaves; i++) {
		put_int(b, 1, 5, 1); /* type INT64 */
		put_str(b, 3, "c");
		buf_addc(b, 0);
	}
	put_int(b, 1, 6, rows);          /* 3: num_rows */
	buf_addc(b, (char)(1 << 4 | 9)); /* 4: row groups */
	buf_addc(b, (char)(1 << 4 | 12));
	buf_addc(b, (char)(1 << 4 | 9)); /* RowGroup 1: columns */
	buf_addc(b, (char)(leaves << 4 | 12));
	for (i = 0; i < leaves; i++) {
		put_int(b, 2, 6, 4);              /* ColumnChunk 2: file_offset */
		buf_addc(b, (char)(1 << 4 | 12)); /* 3: meta_data */
		put_int(b, 1, 5, 2);              /* 1: type */
		put_int(b, 4, 6, 10);             /* 5: num_values */
		put_int(b, 2, 6, total);          /* 7: total_compressed_size */
		put_int(b, 2, 6, data_off);       /* 9: data_page_offset */
		buf_addc(b, 0);
		buf_addc(b, 0);
	}
	put_int(b, 2, 6, rg_rows); /* RowGroup 3: num_rows */
	buf_addc(b, 0);
	buf_addc(b, 0);
}

static void
expect(const struct buf *b, uint64_t footer_off, const char *needle)
{
	struct pqfooter_info info;
	char *err = pqfooter_check((const uint8_t *)b->data, b->len, footer_off, &info, NULL, NULL);

	if (needle == NULL && err != NULL)
		fail_msg("want ok, got \"%s\"", err);
	if (needle != NULL && (err == NULL || strstr(err, needle) == NULL))
		fail_msg("want \"%s\", got \"%s\"", needle, err ? err : "ok");
	free(err);
}

static void
test_built(void **state)
{
	struct buf b = BUF_INIT;
	struct pqfooter_info info;
	char *err;
	int i;

	(void)state;
	build(&b, 2, 2, 10, 10, 4, 100);
	err = pqfooter_check((const uint8_t *)b.data, b.len, 200, &info, NULL, NULL);
	assert_null(err);
	assert_int_equal(info.num_rows, 10);
	assert_int_equal(info.columns, 2);
	assert_int_equal(info.chunks, 2);
	expect(&b, 100, "row group 0 column 0: 100 bytes from offset 4 run past the footer at 100");
	build(&b, 2, 2, 10, 10, 300, 10);
	expect(&b, 200, "data page offset 300 outside the data (footer at 200)");
	build(&b, 2, 2, 11, 10, 4, 10);
	expect(&b, 200, "num_rows 11, but its row groups hold 10");
	build(&b, 3, 2, 10, 10, 4, 10);
	expect(&b, 200, "schema num_children do not make one tree of 3 elements");
	build(&b, 1, 2, 10, 10, 4, 10);
	expect(&b, 200, "schema num_children do not make one tree");
	build(&b, 2, 2, 10, 10, 4, 10);
	for (i = 1; i < (int)b.len; i++) { /* every cut is caught */
		struct buf cut = BUF_INIT;

		buf_add(&cut, b.data, (size_t)i);
		err = pqfooter_check((const uint8_t *)cut.data, cut.len, 200, &info, NULL, NULL);
		if (err == NULL)
			fail_msg("cut at %d accepted", i);
		free(err);
		buf_free(&cut);
	}
	/* A list nested past the bound, and one whose size exceeds the bytes left. */
	buf_reset(&b);
	buf_addc(&b, (char)(7 << 4 | 9));
	for (i = 0; i < 100; i++)
		buf_addc(&b, (char)(1 << 4 | 9));
	expect(&b, 200, "Thrift nesting deeper than 64");
	buf_reset(&b);
	buf_addc(&b, (char)(7 << 4 | 9));
	buf_addc(&b, (char)(15 << 4 | 5));
	put_varint(&b, 1u << 30);
	expect(&b, 200, "Thrift list of 1073741824 elements past the end of the footer");
	expect(&b, 200, "(footer byte ");
	/* Two schema fields (found by fuzz_pqfooter: the first one leaked): the last counts. */
	build(&b, 2, 2, 10, 10, 4, 10);
	{
		struct buf twice = BUF_INIT;
		size_t end = 2;

		while (end < b.len && (uint8_t)b.data[end] != 0x16) /* num_rows: field 3, i64 */
			end++;
		buf_add(&twice, b.data, end);         /* version, schema */
		buf_add(&twice, "\x09\x04", 2);       /* field 2 again, long form (zigzag 2) */
		buf_add(&twice, b.data + 3, end - 3); /* its list */
		buf_add(&twice, b.data + end, b.len - end);
		expect(&twice, 200, NULL);
		buf_free(&twice);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parquet_testing),
		cmocka_unit_test(test_built),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
