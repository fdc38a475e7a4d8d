/*
 * pqpages: the page walk and its reconciliation with the footer, through
 * formats (as verify runs it) and fed whole, a byte, 7 and 4096 bytes at a
 * time with the same verdict and detail. Files built here page by page
 * (one INT32 column, a row group per chunk), damaged in each way the check
 * looks for, and real files from parquet-testing with a byte flipped.
 */
#include "config.h"

#include <inttypes.h>
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
#include "pqpages.h"
#include "tcompact.h"
#include "xmalloc.h"
#include "zstream.h"

static const size_t chunkings[] = { 0, 1, 7, 4096 };

/* ---- a Thrift compact writer ---- */

struct tw {
	struct buf *b;
	int last[16];
	int depth;
};

static void
tw_varint(struct tw *t, uint64_t v)
{
	while (v >= 0x80) {
		buf_addc(t->b, (char)(v | 0x80));
		v >>= 7;
	}
	buf_addc(t->b, (char)v);
}

static void
tw_zigzag(struct tw *t, int64_t v)
{
	tw_varint(t, (uint64_t)v << 1 ^ (uint64_t)(v >> 63));
}

static void
tw_field(struct tw *t, int id, int type)
{
	int delta = id - t->last[t->depth];

	if (delta > 0 && delta <= 15) {
		buf_addc(t->b, (char)(delta << 4 | type));
	} else {
		buf_addc(t->b, (char)type);
		tw_zigzag(t, id);
	}
	t->last[t->depth] = id;
}

static void
tw_int(struct tw *t, int id, int type, int64_t v)
{
	tw_field(t, id, type);
	tw_zigzag(t, v);
}

static void
tw_bin(struct tw *t, int id, const char *s, size_t len)
{
	tw_field(t, id, TCOMPACT_BINARY);
	tw_varint(t, len);
	buf_add(t->b, s, len);
}

/* A struct field (id > 0) or a list element (id 0). */
static void
tw_begin(struct tw *t, int id)
{
	if (id > 0)
		tw_field(t, id, TCOMPACT_STRUCT);
	t->last[++t->depth] = 0;
}

static void
tw_end(struct tw *t)
{
	buf_addc(t->b, 0);
	t->depth--;
}

static void
tw_list(struct tw *t, int id, int etype, size_t n)
{
	tw_field(t, id, TCOMPACT_LIST);
	if (n < 15) {
		buf_addc(t->b, (char)(n << 4 | (size_t)etype));
	} else {
		buf_addc(t->b, (char)(0xf0 | etype));
		tw_varint(t, n);
	}
}

/* ---- files built page by page ---- */

enum { DATA_PAGE = 0, DICT_PAGE = 2, DATA_PAGE_V2 = 3 };
enum { NO_CRC, GOOD_CRC, BAD_CRC };

struct page {
	int type;
	int32_t values, rows; /* rows: DATA_PAGE_V2 */
	size_t len;           /* bytes of data */
	int crc;
	int32_t claim; /* compressed_page_size when not 0, else len */
	size_t stats;  /* a statistics max of this many bytes in the header */
};

struct chunk {
	const struct page *pages;
	size_t npages;
	int64_t values_delta; /* added to the pages' values in the footer */
	int64_t rows_delta;   /* added to the v2 pages' rows (or values) for the row group */
	int64_t total_delta;  /* added to the bytes written, for total_compressed_size */
	int64_t data_delta;   /* added to the first data page's offset */
	int encrypted;
	const char *after; /* bytes written after the chunk */
	size_t after_len;
	/* filled by build */
	int64_t start, data_off, dict_off, total, values, rows;
};

static void
put_page(struct buf *b, const struct page *p)
{
	struct tw t = { b, { 0 }, 0 };
	struct zstream_crc32 z;
	uint32_t crc;
	char *data = xmalloc(p->len + 1);
	size_t i;
	char *stat;

	for (i = 0; i < p->len; i++)
		data[i] = (char)(i * 7 + 1);
	zstream_crc32_init(&z);
	zstream_crc32_update(&z, data, p->len);
	zstream_crc32_final(&z, &crc);
	tw_int(&t, 1, TCOMPACT_I32, p->type);
	tw_int(&t, 2, TCOMPACT_I32, (int64_t)p->len);
	tw_int(&t, 3, TCOMPACT_I32, p->claim ? p->claim : (int64_t)p->len);
	if (p->crc != NO_CRC)
		tw_int(&t, 4, TCOMPACT_I32, (int32_t)(crc ^ (p->crc == BAD_CRC)));
	tw_begin(&t, p->type == DATA_PAGE ? 5 : p->type == DICT_PAGE ? 7 : 8);
	tw_int(&t, 1, TCOMPACT_I32, p->values);
	if (p->type == DICT_PAGE) {
		tw_int(&t, 2, TCOMPACT_I32, 0);
	} else if (p->type == DATA_PAGE) {
		tw_int(&t, 2, TCOMPACT_I32, 0);
		tw_int(&t, 3, TCOMPACT_I32, 3);
		tw_int(&t, 4, TCOMPACT_I32, 3);
		if (p->stats > 0) {
			stat = xcalloc(1, p->stats);
			tw_begin(&t, 5);
			tw_bin(&t, 5, stat, p->stats); /* Statistics.max_value */
			tw_end(&t);
			free(stat);
		}
	} else {
		tw_int(&t, 2, TCOMPACT_I32, 0);
		tw_int(&t, 3, TCOMPACT_I32, p->rows);
		tw_int(&t, 4, TCOMPACT_I32, 0);
		tw_int(&t, 5, TCOMPACT_I32, 0);
		tw_int(&t, 6, TCOMPACT_I32, 0);
	}
	tw_end(&t);
	buf_addc(b, 0);
	buf_add(b, data, p->len);
	free(data);
}

static void
put_chunk_meta(struct tw *t, const struct chunk *k)
{
	tw_begin(t, 0); /* ColumnChunk */
	tw_int(t, 2, TCOMPACT_I64, k->start + k->total);
	tw_begin(t, 3); /* ColumnMetaData */
	tw_int(t, 1, TCOMPACT_I32, 1);
	tw_list(t, 2, TCOMPACT_I32, 1);
	tw_zigzag(t, 0);
	tw_list(t, 3, TCOMPACT_BINARY, 1);
	tw_varint(t, 1);
	buf_addc(t->b, 'c');
	tw_int(t, 4, TCOMPACT_I32, 0);
	tw_int(t, 5, TCOMPACT_I64, k->values);
	tw_int(t, 6, TCOMPACT_I64, k->total);
	tw_int(t, 7, TCOMPACT_I64, k->total);
	tw_int(t, 9, TCOMPACT_I64, k->data_off);
	if (k->dict_off > 0)
		tw_int(t, 11, TCOMPACT_I64, k->dict_off);
	tw_end(t);
	if (k->encrypted) {
		tw_begin(t, 8); /* crypto_metadata: ENCRYPTION_WITH_FOOTER_KEY */
		tw_begin(t, 1);
		tw_end(t);
		tw_end(t);
	}
	tw_end(t);
}

static void
put_footer(struct buf *b, const struct chunk *ks, size_t n)
{
	struct tw t = { b, { 0 }, 0 };
	int64_t rows = 0;
	size_t i, start = b->len;
	uint32_t len;

	for (i = 0; i < n; i++)
		rows += ks[i].rows;
	tw_int(&t, 1, TCOMPACT_I32, 1);
	tw_list(&t, 2, TCOMPACT_STRUCT, 2);
	tw_begin(&t, 0);
	tw_bin(&t, 4, "root", 4);
	tw_int(&t, 5, TCOMPACT_I32, 1);
	tw_end(&t);
	tw_begin(&t, 0);
	tw_int(&t, 1, TCOMPACT_I32, 1); /* INT32 */
	tw_int(&t, 3, TCOMPACT_I32, 0); /* REQUIRED */
	tw_bin(&t, 4, "c", 1);
	tw_end(&t);
	tw_int(&t, 3, TCOMPACT_I64, rows);
	tw_list(&t, 4, TCOMPACT_STRUCT, n);
	for (i = 0; i < n; i++) {
		tw_begin(&t, 0); /* RowGroup */
		tw_list(&t, 1, TCOMPACT_STRUCT, 1);
		put_chunk_meta(&t, &ks[i]);
		tw_int(&t, 2, TCOMPACT_I64, ks[i].total);
		tw_int(&t, 3, TCOMPACT_I64, ks[i].rows);
		tw_end(&t);
	}
	buf_addc(b, 0);
	len = (uint32_t)(b->len - start);
	buf_add(b, &len, 4); /* little-endian hosts only, as the tests run */
	buf_adds(b, "PAR1");
}

/* A file of the chunks, their offsets and counts filled in (and deltas applied). */
static void
build(struct buf *b, struct chunk *ks, size_t n)
{
	const struct page *p;
	size_t i, j;

	buf_reset(b);
	buf_adds(b, "PAR1");
	for (i = 0; i < n; i++) {
		ks[i].start = (int64_t)b->len;
		ks[i].dict_off = 0;
		ks[i].data_off = -1;
		ks[i].values = ks[i].values_delta;
		ks[i].rows = ks[i].rows_delta;
		for (j = 0; j < ks[i].npages; j++) {
			p = &ks[i].pages[j];
			if (p->type == DICT_PAGE && ks[i].dict_off == 0)
				ks[i].dict_off = (int64_t)b->len;
			if (p->type != DICT_PAGE && ks[i].data_off < 0)
				ks[i].data_off = (int64_t)b->len + ks[i].data_delta;
			if (p->type != DICT_PAGE) {
				ks[i].values += p->values;
				ks[i].rows += p->type == DATA_PAGE_V2 ? p->rows : p->values;
			}
			put_page(b, p);
		}
		ks[i].total = (int64_t)b->len - ks[i].start + ks[i].total_delta;
		buf_add(b, ks[i].after, ks[i].after_len);
	}
	put_footer(b, ks, n);
}

/* ---- verdicts ---- */

static enum formats_status
check(const void *data, size_t len, size_t chunk, char **detail)
{
	struct formats_check *c = formats_check_init(FORMATS_PARQUET);
	struct formats_result r;
	const uint8_t *p = data;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		formats_check_update(c, p + off, n);
	}
	formats_check_final(c, &r);
	formats_check_free(c);
	*detail = r.detail;
	return r.status;
}

/* The verdict `want` with `needle` in its detail, the same in every chunking. */
static void
expect_in(const struct buf *b, const size_t *sizes, size_t nsizes, enum formats_status want,
          const char *needle)
{
	char *d0, *d;
	enum formats_status st0, st;
	size_t i;

	st0 = check(b->data, b->len, 0, &d0);
	if (st0 != want || strstr(d0, needle) == NULL)
		fail_msg("want %s with \"%s\", got %s: \"%s\"", formats_status_name(want), needle,
		         formats_status_name(st0), d0);
	for (i = 0; i < nsizes; i++) {
		st = check(b->data, b->len, sizes[i], &d);
		if (st != st0 || strcmp(d, d0) != 0)
			fail_msg("in chunks of %zu: \"%s\", whole: \"%s\"", sizes[i], d, d0);
		free(d);
	}
	free(d0);
}

static void
expect(const struct buf *b, enum formats_status want, const char *needle)
{
	expect_in(b, chunkings + 1, sizeof chunkings / sizeof chunkings[0] - 1, want, needle);
}

static const struct page dict_v1[] = {
	{ DICT_PAGE, 3, 0, 12, GOOD_CRC, 0, 0 },
	{ DATA_PAGE, 10, 0, 20, GOOD_CRC, 0, 0 },
	{ DATA_PAGE, 5, 0, 9, GOOD_CRC, 0, 0 },
};

static void
test_sound(void **state)
{
	static const struct page v2[] = {
		{ DATA_PAGE_V2, 8, 4, 16, GOOD_CRC, 0, 0 },
		{ DATA_PAGE_V2, 6, 3, 0, GOOD_CRC, 0, 0 }, /* no data: the CRC of nothing */
	};
	struct chunk ks[2] = { { dict_v1, 3, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 },
		               { v2, 2, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 } };
	struct buf b = BUF_INIT;

	(void)state;
	build(&b, ks, 2);
	expect(&b, FORMATS_OK,
	       "; pages: 5 in 2 column chunks decode and tile them, num_values agree, 5 page "
	       "CRC-32s match");
	buf_free(&b);
}

static void
test_crc_mismatch(void **state)
{
	static const struct page bad[] = {
		{ DICT_PAGE, 3, 0, 12, GOOD_CRC, 0, 0 },
		{ DATA_PAGE, 10, 0, 20, BAD_CRC, 0, 0 },
	};
	struct chunk k = { bad, 2, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;
	char *want;

	(void)state;
	build(&b, &k, 1);
	want = xasprintf("parquet: row group 0 column 0: page at offset %" PRId64 ": CRC-32 ",
	                 k.data_off);
	expect(&b, FORMATS_CORRUPT, want);
	free(want);
	/* A byte of a sound file's page data flipped. */
	k.pages = dict_v1;
	k.npages = 3;
	build(&b, &k, 1);
	b.data[k.data_off + 30] ^= 0x10;
	expect(&b, FORMATS_CORRUPT, " computed over its 20 bytes of data");
	buf_free(&b);
}

static void
test_page_past_chunk(void **state)
{
	/* The last page says 4 bytes more than there are: it runs into the footer. */
	static const struct page cut[] = {
		{ DATA_PAGE, 10, 0, 20, NO_CRC, 0, 0 },
		{ DATA_PAGE, 5, 0, 9, NO_CRC, 13, 0 },
	};
	struct chunk k = { cut, 2, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;

	(void)state;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "row group 0 column 0: its pages run 4 bytes past its end");
	/* The footer's size 6 bytes short: the same, seen from the other side. */
	k.pages = dict_v1;
	k.npages = 3;
	k.total_delta = -6;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "its pages run 6 bytes past its end");
	/* Short by the dictionary page's header: parquet-mr before 1.2.9, accepted. */
	k.total_delta = 0;
	build(&b, &k, 1);
	k.total_delta = -(int64_t)(k.data_off - k.dict_off - 12);
	build(&b, &k, 1);
	expect(&b, FORMATS_OK, "1 chunks' total_compressed_size leaves out the dictionary page");
	/* A size 5 bytes over the pages: the walk finds no page header where one should be. */
	k.total_delta = 5;
	k.after = "\x1d\x1d\x1d\x1d\x1d";
	k.after_len = 5;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "does not decode");
	buf_free(&b);
}

static void
test_header_does_not_decode(void **state)
{
	static const struct page plain[] = {
		{ DICT_PAGE, 3, 0, 12, NO_CRC, 0, 0 },
		{ DATA_PAGE, 10, 0, 20, NO_CRC, 0, 0 },
	};
	struct chunk k = { dict_v1, 3, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;
	char *want;

	(void)state;
	build(&b, &k, 1);
	b.data[k.data_off] = 0x1d; /* field 1 of wire type 13 */
	want = xasprintf("parquet: row group 0 column 0: page header at offset %" PRId64
	                 " does not decode: unknown Thrift type 13 (page header byte 1)",
	                 k.data_off);
	expect(&b, FORMATS_CORRUPT, want);
	free(want);
	/* The first page's type turned into a dictionary page without its header. */
	build(&b, &k, 1);
	b.data[k.data_off + 1] = 4; /* zigzag 2 */
	expect(&b, FORMATS_CORRUPT, "dictionary page without its dictionary page header");
	/* A negative num_values (ARROW-RS-GH-6229-DICTHEADER's, in the page):
	 * type, both sizes, field 7 opened, then num_values at byte 8. */
	k.pages = plain;
	k.npages = 2;
	build(&b, &k, 1);
	expect(&b, FORMATS_OK, "2 in 1 column chunks");
	assert_int_equal(b.data[k.start + 7], 0x15);
	b.data[k.start + 8] = 5; /* zigzag -3 */
	expect(&b, FORMATS_CORRUPT, "dictionary page header field 1 is -3");
	buf_free(&b);
}

static void
test_values_and_rows(void **state)
{
	static const struct page v2[] = { { DATA_PAGE_V2, 8, 4, 16, NO_CRC, 0, 0 } };
	static const struct page other[] = {
		{ DATA_PAGE, 10, 0, 20, NO_CRC, 0, 0 },
		{ 1, 0, 0, 4, NO_CRC, 0, 0 }, /* an INDEX_PAGE: readers pass over it */
	};
	static const struct page newer[] = {
		{ DATA_PAGE, 10, 0, 20, NO_CRC, 0, 0 },
		{ 9, 0, 0, 4, NO_CRC, 0, 0 }, /* a type from a newer format */
	};
	struct chunk k = { dict_v1, 3, 1, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;

	(void)state;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT,
	       "row group 0 column 0: its data pages hold 15 values, its metadata says 16");
	k.pages = v2;
	k.npages = 1;
	k.values_delta = 0;
	k.rows_delta = 1;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "its v2 data pages hold 4 rows, its row group 5");
	/* An INDEX_PAGE holds no values, and is passed over: ARROW-GH-41317's
	 * data page turned into one leaves its chunk short of values. */
	k.pages = other;
	k.npages = 2;
	k.rows_delta = 0;
	build(&b, &k, 1);
	expect(&b, FORMATS_OK, "2 in 1 column chunks");
	k.values_delta = 3;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "its data pages hold 10 values, its metadata says 13");
	/* A newer type may hold values: they are not compared, and it says so. */
	k.pages = newer;
	build(&b, &k, 1);
	expect(&b, FORMATS_OK,
	       "2 in 1 column chunks decode and tile them, num_values agree, no page CRC-32s "
	       "stored (num_values of 1 chunks not compared: pages of a type after DATA_PAGE_V2)");
	buf_free(&b);
}

static void
test_offsets(void **state)
{
	struct chunk k = { dict_v1, 3, 0, 0, 0, 4, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;

	(void)state;
	build(&b, &k, 1);
	expect(&b, FORMATS_CORRUPT, "data page offset ");
	expect(&b, FORMATS_CORRUPT, " is not where one of its pages starts");
	buf_free(&b);
}

/* Padding, a bloom filter and a ColumnChunk copy between chunks are passed
 * over; anything else stops the walk, and the chunks after it are not walked. */
static void
test_between_chunks(void **state)
{
	static const char zeros[40] = { 0 };
	static const char bloom[] = { 0x15, 0x10, 0x1c, 0x1c, 0x00, 0x00, 0x1c, 0x1c,
		                      0x00, 0x00, 0x1c, 0x1c, 0x00, 0x00, 0x00, 1,
		                      2,    3,    4,    5,    6,    7,    8 };
	static const char junk[] = "junk between chunks";
	struct chunk ks[3] = { { dict_v1, 3, 0, 0, 0, 0, 0, zeros, sizeof zeros, 0, 0, 0, 0, 0, 0 },
		               { dict_v1, 3, 0, 0, 0, 0, 0, bloom, sizeof bloom, 0, 0, 0, 0, 0, 0 },
		               { dict_v1, 3, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 } };
	struct buf b = BUF_INIT, copy = BUF_INIT;
	struct tw t = { &copy, { 0 }, 0 };

	(void)state;
	build(&b, ks, 3);
	expect(&b, FORMATS_OK, "; pages: 9 in 3 column chunks decode and tile them");
	/* The ColumnChunk copy older parquet-cpp writes after each chunk. */
	put_chunk_meta(&t, &ks[0]);
	ks[0].after = copy.data;
	ks[0].after_len = copy.len;
	build(&b, ks, 3);
	expect(&b, FORMATS_OK, "; pages: 9 in 3 column chunks decode and tile them");
	ks[1].after = junk;
	ks[1].after_len = sizeof junk - 1;
	build(&b, ks, 3);
	expect(&b, FORMATS_OK,
	       "; pages: 6 in 2 column chunks decode and tile them, num_values agree, 6 page "
	       "CRC-32s match; pages of 1 chunks not walked (first: row group 2 column 0: the "
	       "page walk stopped at offset ");
	/* An encrypted chunk's pages are not read. */
	ks[1].after = NULL;
	ks[1].after_len = 0;
	ks[1].encrypted = 1;
	build(&b, ks, 3);
	expect(&b, FORMATS_OK, "; pages of 1 encrypted chunks not read");
	buf_free(&b);
	buf_free(&copy);
}

/* A header over PQPAGES_HEADER_MAX is not read; one that would run past
 * its chunk is damage. */
static void
test_big_header(void **state)
{
	static const struct page big[] = {
		{ DATA_PAGE, 10, 0, 20, NO_CRC, 0, PQPAGES_HEADER_MAX + 100 },
	};
	static const struct page small[] = { { DATA_PAGE, 10, 0, 20, NO_CRC, 0, 200 } };
	static const size_t sizes[] = { 4096, 65536 };
	struct chunk k = { big, 1, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;
	char *max;

	(void)state;
	build(&b, &k, 1);
	expect_in(&b, sizes, 2, FORMATS_OK,
	          "pages of 1 chunks not walked (first: row group 0 column 0: the page header at "
	          "offset 4 is over 1024 KiB: not read)");
	/* Statistics.max_value of 200 bytes said to be of 16383. */
	k.pages = small;
	build(&b, &k, 1);
	max = memmem(b.data, b.len, "\x58\xc8\x01", 3);
	assert_non_null(max);
	max[1] = (char)0xff;
	max[2] = 0x7f;
	expect(&b, FORMATS_CORRUPT,
	       "page header at offset 4 does not decode: Thrift string of 16383 bytes past the "
	       "end of the page header");
	buf_free(&b);
}

/* Past PQPAGES_PAGES_MAX pages, the chunk is not walked. */
static void
test_many_pages(void **state)
{
	static const size_t sizes[] = { 65536 };
	struct page *many = xreallocarray(NULL, PQPAGES_PAGES_MAX + 1, sizeof *many);
	struct chunk k = { many, PQPAGES_PAGES_MAX + 1, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0 };
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i <= PQPAGES_PAGES_MAX; i++)
		many[i] = (struct page){ DATA_PAGE, 1, 0, 1, NO_CRC, 0, 0 };
	build(&b, &k, 1);
	expect_in(&b, sizes, 1, FORMATS_OK,
	          "not walked (first: row group 0 column 0: pages past offset ");
	k.npages = PQPAGES_PAGES_MAX;
	build(&b, &k, 1);
	expect_in(&b, sizes, 1, FORMATS_OK, "pages: 131072 in 1 column chunks decode");
	free(many);
	buf_free(&b);
}

/* ---- parquet-testing's files ---- */

static void
read_fixture(const char *name, struct buf *out)
{
	char *path = xasprintf("%s/parquet-testing/%s", TEST_DATA_DIR, name);

	fixture_read(path, out);
	free(path);
}

static void
test_real_files(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* Four v1 data pages with CRC-32s, Snappy: the first one's header is 26 bytes. */
	read_fixture("data-datapage_v1-snappy-compressed-checksum.parquet", &b);
	expect(&b, FORMATS_OK, "4 page CRC-32s match");
	b.data[4 + 26 + 100] ^= 1;
	expect(&b, FORMATS_CORRUPT, "parquet: row group 0 column 0: page at offset 4: CRC-32 ");
	read_fixture("data-rle-dict-uncompressed-corrupt-checksum.parquet", &b);
	expect(&b, FORMATS_CORRUPT,
	       "parquet: row group 0 column 0: page at offset 4: CRC-32 6522df6a stored, 6522df69 "
	       "computed over its 8 bytes of data");
	read_fixture("data-nation.dict-malformed.parquet", &b);
	expect(&b, FORMATS_OK, "(2 chunks' total_compressed_size leaves out the dictionary page");
	read_fixture("bad-ARROW-RS-GH-6229-LEVELS.parquet", &b);
	expect(&b, FORMATS_CORRUPT,
	       "parquet: row group 0 column 0: its data pages hold 21 values, its metadata says 1");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound),
		cmocka_unit_test(test_crc_mismatch),
		cmocka_unit_test(test_page_past_chunk),
		cmocka_unit_test(test_header_does_not_decode),
		cmocka_unit_test(test_values_and_rows),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_between_chunks),
		cmocka_unit_test(test_big_header),
		cmocka_unit_test(test_many_pages),
		cmocka_unit_test(test_real_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
