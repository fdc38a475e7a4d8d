/*
 * pqpages: the page walk of a Parquet file and its reconciliation with the
 * footer's column chunks (see pqpages.h).
 *
 * The walk is a state machine fed with the file's chunks. In PQP_HEADER it
 * decodes whatever starts at `at` straight from the caller's chunk when it
 * is whole there; otherwise it copies the bytes and tries again each time
 * the copy doubles, so a header fed a byte at a time costs a few decodes,
 * not one per byte. A decode that succeeds on some bytes succeeds the same
 * on more, and one that fails for another reason than running out fails
 * the same too: the verdict does not depend on how the file is chunked.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pqpages.h"
#include "tcompact.h"
#include "xmalloc.h"
#include "zstream.h"

#define PQP_MAGIC_LEN    4
#define PQP_BUF_MIN      256 /* the first copy of a straddling header: most are far smaller */
#define PQP_BAD_CRCS_MAX 16  /* mismatches kept with their values (all are flagged) */

/* PageType, and what the walk files types after DATA_PAGE_V2 under. */
enum {
	PQP_DATA_PAGE = 0,
	PQP_INDEX_PAGE = 1, /* never written; readers pass over it: it holds no values */
	PQP_DICTIONARY_PAGE = 2,
	PQP_DATA_PAGE_V2 = 3,
	PQP_NEWER_PAGE = 255, /* may hold values this check cannot count */
};

enum pqp_state {
	PQP_MAGIC,   /* the leading "PAR1" */
	PQP_HEADER,  /* a page header, or what else may lie between chunks, at `at` */
	PQP_DATA,    /* a page's data */
	PQP_SKIP,    /* a bloom filter's bitset */
	PQP_ZEROS,   /* zero padding */
	PQP_STOPPED, /* something it does not know: the rest is not walked */
};

/* What the bytes at `at` turned out to be, as far as they go. */
enum { PQP_NEED, PQP_DONE, PQP_STOP };

#define PQP_CRC     0x1 /* the header carries a CRC-32 */
#define PQP_CRC_BAD 0x2 /* which the page's data does not match */

struct pqp_page {
	uint64_t off;
	uint32_t len;    /* header and data */
	uint32_t values; /* num_values of a data page, else 0 */
	uint32_t aux;    /* DATA_PAGE_V2: num_rows; DICTIONARY_PAGE: its header's length */
	uint8_t type;    /* PageType, or PQP_NEWER_PAGE */
	uint8_t flags;
};

/* A place where a page header did not decode. */
struct pqp_break {
	uint64_t off;
	uint64_t avail;  /* the bytes there were, when it ran out of them */
	int short_input; /* it ran out: a longer header, or one cut at the end of the file */
	char *why;
};

struct pqp_bad_crc {
	uint64_t off;
	uint32_t len; /* the page's data, which the CRC-32 covers */
	uint32_t stored, computed;
};

/* A PageHeader's fields: f[1..4] type, sizes and crc; s[5], s[7], s[8] the
 * integers 1..6 of its data, dictionary and v2 headers; `has` bits by id. */
struct pqp_header {
	int64_t f[5];
	int64_t s[9][7];
	uint32_t has, has_s[9];
	size_t len;
};

struct pqpages {
	enum pqp_state state;
	uint64_t at; /* the file offset of the first byte not consumed yet */
	uint8_t magic[PQP_MAGIC_LEN];
	/* A structure straddling chunks: [at, at + hdr_len); the spare holds
	 * what follows a structure decoded from the copy, fed again. */
	uint8_t *hdr, *spare;
	size_t hdr_len, hdr_cap, hdr_want, spare_cap;
	/* The page, or bitset, being passed over. */
	uint64_t left;
	uint64_t page_off;
	uint32_t page_data; /* the page's compressed_page_size */
	size_t cur;         /* its index in pages, or SIZE_MAX */
	int crc_on;
	uint32_t crc_stored;
	struct zstream_crc32 crc;
	/* What the walk saw. */
	struct pqp_page *pages;
	size_t npages, pages_cap;
	uint64_t unrecorded; /* the first page past PQPAGES_PAGES_MAX, UINT64_MAX while none */
	struct pqp_break *breaks;
	size_t nbreaks, breaks_cap;
	struct pqp_bad_crc bad[PQP_BAD_CRCS_MAX];
	size_t nbad;
	uint64_t stopped_at;
	char *stop_why;
	/* The reconciliation. */
	struct pqpages_result res;
	char *unwalked_why, *damage;
};

/* ---- decoding ---- */

/* The integer fields 1..6 of a page's data, dictionary or v2 header, by
 * their exact wire type as Thrift's readers take them; the rest skipped. */
static int
pqp_sub_header(struct tcompact *c, int64_t v[7], uint32_t *has)
{
	int16_t last = 0, id;
	int type, r;

	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id >= 1 && id <= 6 && type == TCOMPACT_I32) {
			if (tcompact_int(c, type, &v[id]) != 0)
				return -1;
			*has |= 1u << id;
		} else if (tcompact_skip(c, type, 2) != 0) {
			return -1;
		}
	}
	return r;
}

static int
pqp_read_header(struct tcompact *c, struct pqp_header *h)
{
	int16_t last = 0, id;
	int type, r;

	memset(h, 0, sizeof *h);
	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id >= 1 && id <= 4 && type == TCOMPACT_I32) {
			if (tcompact_int(c, type, &h->f[id]) != 0)
				return -1;
			h->has |= 1u << id;
		} else if ((id == 5 || id == 7 || id == 8) && type == TCOMPACT_STRUCT) {
			h->has_s[id] = 0;
			if (pqp_sub_header(c, h->s[id], &h->has_s[id]) < 0)
				return -1;
			h->has |= 1u << id;
		} else if (tcompact_skip(c, type, 1) != 0) {
			return -1;
		}
	}
	h->len = (size_t)(c->p - c->start);
	return r;
}

/* The type's own header with its required fields (bits 1..6 of want). */
static int
pqp_check_sub(struct tcompact *c, const struct pqp_header *h, int id, uint32_t want,
              const char *name)
{
	const int64_t *v = h->s[id];
	int i;

	if (!(h->has & (1u << id)))
		return tcompact_fail(c, "%s without its %s header", name, name);
	if ((h->has_s[id] & want) != want)
		return tcompact_fail(c, "%s header without its required fields", name);
	for (i = 1; i <= 6; i++)
		if ((want & (1u << i)) && (v[i] < 0 || v[i] > INT32_MAX))
			return tcompact_fail(c, "%s header field %d is %" PRId64, name, i, v[i]);
	return 0;
}

/* What readers require of a PageHeader before they read the page. */
static int
pqp_check_header(struct tcompact *c, const struct pqp_header *h)
{
	const int64_t *v2 = h->s[8];

	if ((h->has & 0xe) != 0xe)
		return tcompact_fail(c, "no page type and sizes: not a page header");
	if (h->f[1] < 0 || h->f[1] > INT32_MAX)
		return tcompact_fail(c, "page type %" PRId64, h->f[1]);
	if (h->f[2] < 0 || h->f[2] > INT32_MAX || h->f[3] < 0 || h->f[3] > INT32_MAX)
		return tcompact_fail(c, "page sizes %" PRId64 " and %" PRId64, h->f[2], h->f[3]);
	switch (h->f[1]) {
	case PQP_DATA_PAGE:
		return pqp_check_sub(c, h, 5, 0x1e, "data page");
	case PQP_DICTIONARY_PAGE:
		return pqp_check_sub(c, h, 7, 0x06, "dictionary page");
	case PQP_DATA_PAGE_V2:
		if (pqp_check_sub(c, h, 8, 0x7e, "v2 data page") != 0)
			return -1;
		if (v2[5] + v2[6] > h->f[3])
			return tcompact_fail(
			        c, "v2 data page levels of %" PRId64 " bytes in a page of %" PRId64,
			        v2[5] + v2[6], h->f[3]);
		if (v2[2] > v2[1] || v2[3] > v2[1])
			return tcompact_fail(c,
			                     "v2 data page of %" PRId64 " values with %" PRId64
			                     " nulls and %" PRId64 " rows",
			                     v2[1], v2[2], v2[3]);
		return 0;
	default: /* INDEX_PAGE (never written), or a newer type: passed over */
		return 0;
	}
}

/* 0 and *h for a page header at p[0, n), else -1 with c's error. */
static int
pqp_decode_page(const uint8_t *p, size_t n, struct tcompact *c, struct pqp_header *h)
{
	tcompact_init(c, p, n, "page header");
	if (pqp_read_header(c, h) != 0)
		return -1;
	return pqp_check_header(c, h);
}

/* Reads a struct, noting in *seen the ids 1..15 that came with the wire
 * type want[id] (0: any other is passed over), and the integer of num_id. */
static int
pqp_shape(struct tcompact *c, const uint8_t want[16], uint32_t *seen, int num_id, int64_t *num)
{
	int16_t last = 0, id;
	int type, r;

	*seen = 0;
	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id > 0 && id < 16 && want[id] != 0 && want[id] == type)
			*seen |= 1u << id;
		if (id == num_id && want[id] == type) {
			if (tcompact_int(c, type, num) != 0)
				return -1;
		} else if (tcompact_skip(c, type, 2) != 0) {
			return -1;
		}
	}
	return r;
}

/* A ColumnChunk: file_offset and a ColumnMetaData with its required fields. */
static int
pqp_column_chunk(struct tcompact *c)
{
	static const uint8_t meta[16] = {
		[1] = TCOMPACT_I32, [2] = TCOMPACT_LIST, [3] = TCOMPACT_LIST, [4] = TCOMPACT_I32,
		[5] = TCOMPACT_I64, [6] = TCOMPACT_I64,  [7] = TCOMPACT_I64,  [9] = TCOMPACT_I64,
	};
	int16_t last = 0, id;
	int type, r, offset = 0, columns = 0;
	uint32_t seen;

	while ((r = tcompact_field(c, &last, &id, &type)) == 1) {
		if (id == 3 && type == TCOMPACT_STRUCT) {
			if (pqp_shape(c, meta, &seen, 0, NULL) != 0)
				return -1;
			columns = (seen & 0x2fe) == 0x2fe;
			continue;
		}
		if (id == 2 && type == TCOMPACT_I64)
			offset = 1;
		if (tcompact_skip(c, type, 1) != 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (!offset || !columns)
		return tcompact_fail(c, "not a column chunk");
	return 0;
}

/*
 * What else a writer may put where a page was looked for: a
 * BloomFilterHeader (numBytes, algorithm, hash, compression: *bitset gets
 * numBytes) or a ColumnChunk (*bitset -1). Writers put fields in id order:
 * asking for the first one first ends the walk at a page index's or the
 * footer's first byte instead of after buffering all of it.
 */
static int
pqp_decode_between(const uint8_t *p, size_t n, struct tcompact *c, int64_t *bitset)
{
	static const uint8_t bloom[16] = {
		[1] = TCOMPACT_I32,
		[2] = TCOMPACT_STRUCT,
		[3] = TCOMPACT_STRUCT,
		[4] = TCOMPACT_STRUCT,
	};
	uint32_t seen;

	tcompact_init(c, p, n, "structure");
	*bitset = -1;
	if (p[0] == (1 << 4 | TCOMPACT_I32)) {
		if (pqp_shape(c, bloom, &seen, 1, bitset) != 0)
			return -1;
		if (seen != 0x1e || *bitset < 0 || *bitset > INT32_MAX)
			return tcompact_fail(c, "not a bloom filter header");
		return 0;
	}
	if (p[0] == (1 << 4 | TCOMPACT_BINARY) || p[0] == (2 << 4 | TCOMPACT_I64))
		return pqp_column_chunk(c);
	return tcompact_fail(c, "neither a page header, a bloom filter nor a column chunk");
}

/* ---- the walk ---- */

static void
pqp_stop(struct pqpages *w, char *why)
{
	w->state = PQP_STOPPED;
	w->stopped_at = w->at;
	w->stop_why = why;
	w->hdr_len = 0;
}

/* Keeps why no page header decoded at `at`: once, a structure being
 * tried again as more bytes come. -1 when too many are kept. */
static int
pqp_break(struct pqpages *w, struct tcompact *c, size_t avail)
{
	struct pqp_break *b;

	if (w->nbreaks > 0 && w->breaks[w->nbreaks - 1].off == w->at) {
		free(c->err);
		return 0;
	}
	if (w->nbreaks == PQPAGES_BREAKS_MAX) {
		free(c->err);
		return -1;
	}
	if (w->nbreaks == w->breaks_cap) {
		w->breaks_cap = w->breaks_cap ? 2 * w->breaks_cap : 16;
		w->breaks = xreallocarray(w->breaks, w->breaks_cap, sizeof *w->breaks);
	}
	b = &w->breaks[w->nbreaks++];
	b->off = w->at;
	b->avail = avail;
	b->short_input = c->short_input;
	b->why = c->err;
	return 0;
}

static void
pqp_page_end(struct pqpages *w)
{
	uint32_t crc;

	w->state = PQP_HEADER;
	if (!w->crc_on)
		return;
	zstream_crc32_final(&w->crc, &crc);
	if (crc == w->crc_stored)
		return;
	if (w->cur != SIZE_MAX)
		w->pages[w->cur].flags |= PQP_CRC_BAD;
	if (w->nbad < PQP_BAD_CRCS_MAX) {
		w->bad[w->nbad].off = w->page_off;
		w->bad[w->nbad].len = w->page_data;
		w->bad[w->nbad].stored = w->crc_stored;
		w->bad[w->nbad].computed = crc;
		w->nbad++;
	}
}

/* Keeps a page decoded at `at`, unless PQPAGES_PAGES_MAX are kept already. */
static void
pqp_record(struct pqpages *w, const struct pqp_header *h)
{
	struct pqp_page *pg;

	w->cur = SIZE_MAX;
	if (w->npages == PQPAGES_PAGES_MAX) {
		if (w->unrecorded == UINT64_MAX)
			w->unrecorded = w->at;
		return;
	}
	if (w->npages == w->pages_cap) {
		w->pages_cap = w->pages_cap ? 2 * w->pages_cap : 64;
		w->pages = xreallocarray(w->pages, w->pages_cap, sizeof *w->pages);
	}
	w->cur = w->npages++;
	pg = &w->pages[w->cur];
	memset(pg, 0, sizeof *pg);
	pg->off = w->at;
	pg->len = (uint32_t)(h->len + (uint64_t)h->f[3]);
	pg->flags = (h->has & (1u << 4)) ? PQP_CRC : 0;
	switch (h->f[1]) {
	case PQP_DATA_PAGE:
		pg->type = PQP_DATA_PAGE;
		pg->values = (uint32_t)h->s[5][1];
		break;
	case PQP_DICTIONARY_PAGE:
		pg->type = PQP_DICTIONARY_PAGE;
		pg->aux = (uint32_t)h->len;
		break;
	case PQP_DATA_PAGE_V2:
		pg->type = PQP_DATA_PAGE_V2;
		pg->values = (uint32_t)h->s[8][1];
		pg->aux = (uint32_t)h->s[8][3];
		break;
	case PQP_INDEX_PAGE:
		pg->type = PQP_INDEX_PAGE;
		break;
	default:
		pg->type = PQP_NEWER_PAGE;
		break;
	}
}

/* A page header decoded at `at`: on to its data. */
static void
pqp_page(struct pqpages *w, const struct pqp_header *h)
{
	pqp_record(w, h);
	w->page_off = w->at;
	w->at += h->len;
	w->left = (uint64_t)h->f[3];
	w->page_data = (uint32_t)h->f[3];
	w->crc_on = (h->has & (1u << 4)) != 0;
	w->crc_stored = (uint32_t)h->f[4];
	zstream_crc32_init(&w->crc);
	w->state = PQP_DATA;
	if (w->left == 0)
		pqp_page_end(w);
}

/* Not a page at `at` (page_why says why): padding, a bloom filter or a
 * ColumnChunk copy, or the end of the walk. */
static int
pqp_between(struct pqpages *w, const uint8_t *p, size_t n, int final, const char *page_why,
            size_t *used)
{
	struct tcompact c;
	int64_t bitset;

	if (p[0] == 0) {
		w->state = PQP_ZEROS;
		*used = 0;
		return PQP_DONE;
	}
	if (pqp_decode_between(p, n, &c, &bitset) == 0) {
		*used = (size_t)(c.p - c.start);
		w->at += *used;
		w->left = bitset > 0 ? (uint64_t)bitset : 0;
		w->state = w->left > 0 ? PQP_SKIP : PQP_HEADER;
		return PQP_DONE;
	}
	if (c.short_input && !final) {
		free(c.err);
		return PQP_NEED;
	}
	free(c.err);
	pqp_stop(w, xasprintf("the page walk stopped at offset %" PRIu64 ": %s", w->at, page_why));
	return PQP_STOP;
}

/* Whatever starts at `at`, in p[0, n); final: no more bytes will come for it. */
static int
pqp_structure(struct pqpages *w, const uint8_t *p, size_t n, int final, size_t *used)
{
	struct tcompact c;
	struct pqp_header h;

	if (pqp_decode_page(p, n, &c, &h) == 0) {
		*used = h.len;
		pqp_page(w, &h);
		return PQP_DONE;
	}
	if (c.short_input && !final) {
		free(c.err);
		return PQP_NEED;
	}
	if (pqp_break(w, &c, n) != 0) {
		pqp_stop(w, xasprintf("the page walk stopped at offset %" PRIu64
		                      ": over %d places without a page header",
		                      w->at, PQPAGES_BREAKS_MAX));
		return PQP_STOP;
	}
	return pqp_between(w, p, n, final, w->breaks[w->nbreaks - 1].why, used);
}

static void
pqp_keep(struct pqpages *w, const uint8_t *p, size_t n)
{
	if (w->hdr_len + n > w->hdr_cap) {
		w->hdr_cap = w->hdr_len + n < PQP_BUF_MIN ? PQP_BUF_MIN : 2 * (w->hdr_len + n);
		if (w->hdr_cap > PQPAGES_HEADER_MAX)
			w->hdr_cap = PQPAGES_HEADER_MAX;
		w->hdr = xreallocarray(w->hdr, w->hdr_cap, 1);
	}
	memcpy(w->hdr + w->hdr_len, p, n);
	w->hdr_len += n;
}

/* Decodes the copy again; what follows a structure found there is fed again. */
static void
pqp_retry(struct pqpages *w, int final)
{
	uint8_t *t;
	size_t used, len, cap;
	int r;

	r = pqp_structure(w, w->hdr, w->hdr_len, final || w->hdr_len >= PQPAGES_HEADER_MAX, &used);
	if (r == PQP_NEED) {
		w->hdr_want =
		        2 * w->hdr_len < PQPAGES_HEADER_MAX ? 2 * w->hdr_len : PQPAGES_HEADER_MAX;
		return;
	}
	if (r == PQP_STOP)
		return;
	/* Swap the buffers: the rest is fed from the spare, while a header
	 * that it holds the start of is copied into the other. */
	t = w->spare, w->spare = w->hdr, w->hdr = t;
	cap = w->spare_cap, w->spare_cap = w->hdr_cap, w->hdr_cap = cap;
	len = w->hdr_len;
	w->hdr_len = 0;
	pqpages_update(w, w->spare + used, len - used);
}

static size_t
pqp_feed_header(struct pqpages *w, const uint8_t *p, size_t n)
{
	size_t take, used;
	int r;

	if (w->hdr_len == 0) {
		take = n < PQPAGES_HEADER_MAX ? n : PQPAGES_HEADER_MAX;
		r = pqp_structure(w, p, take, take == PQPAGES_HEADER_MAX, &used);
		if (r == PQP_DONE)
			return used;
		if (r == PQP_STOP)
			return n;
		pqp_keep(w, p, take);
		w->hdr_want = 2 * take < PQP_BUF_MIN ? PQP_BUF_MIN : 2 * take;
		if (w->hdr_want > PQPAGES_HEADER_MAX)
			w->hdr_want = PQPAGES_HEADER_MAX;
		return take;
	}
	take = w->hdr_want - w->hdr_len < n ? w->hdr_want - w->hdr_len : n;
	pqp_keep(w, p, take);
	if (w->hdr_len == w->hdr_want)
		pqp_retry(w, 0);
	return take;
}

/* Page data (its CRC-32 when the header has one) or a bloom filter's bitset. */
static size_t
pqp_feed_data(struct pqpages *w, const uint8_t *p, size_t n)
{
	size_t take = w->left < n ? (size_t)w->left : n;

	if (w->state == PQP_DATA && w->crc_on)
		zstream_crc32_update(&w->crc, p, take);
	w->left -= take;
	w->at += take;
	if (w->left > 0)
		return take;
	if (w->state == PQP_DATA)
		pqp_page_end(w);
	else
		w->state = PQP_HEADER;
	return take;
}

static size_t
pqp_feed_zeros(struct pqpages *w, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == 0)
		i++;
	w->at += i;
	if (i < n)
		w->state = PQP_HEADER;
	return i;
}

static size_t
pqp_feed_magic(struct pqpages *w, const uint8_t *p, size_t n)
{
	size_t take = PQP_MAGIC_LEN - w->at < n ? PQP_MAGIC_LEN - (size_t)w->at : n;

	memcpy(w->magic + w->at, p, take);
	w->at += take;
	if (w->at < PQP_MAGIC_LEN)
		return take;
	w->state = PQP_HEADER;
	if (memcmp(w->magic, "PAR1", PQP_MAGIC_LEN) != 0)
		pqp_stop(w, xstrdup("no PAR1 at offset 0: pages not walked"));
	return take;
}

struct pqpages *
pqpages_init(void)
{
	struct pqpages *w = xcalloc(1, sizeof *w);

	w->state = PQP_MAGIC;
	w->cur = SIZE_MAX;
	w->unrecorded = UINT64_MAX;
	return w;
}

void
pqpages_update(struct pqpages *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t k;

	while (len > 0) {
		switch (w->state) {
		case PQP_MAGIC:
			k = pqp_feed_magic(w, p, len);
			break;
		case PQP_HEADER:
			k = pqp_feed_header(w, p, len);
			break;
		case PQP_DATA:
		case PQP_SKIP:
			k = pqp_feed_data(w, p, len);
			break;
		case PQP_ZEROS:
			k = pqp_feed_zeros(w, p, len);
			break;
		default:
			return;
		}
		p += k;
		len -= k;
	}
}

void
pqpages_end(struct pqpages *w)
{
	/* Each round passes over a structure at least, or stops. */
	while (w->state == PQP_HEADER && w->hdr_len > 0)
		pqp_retry(w, 1);
}

/* ---- reconciliation ---- */

/*
 * The index of the first of n records at or after off: records of size
 * bytes each, sorted by the uint64_t offset they start with.
 */
static size_t
pqp_first_at(const void *records, size_t n, size_t size, uint64_t off)
{
	const unsigned char *p = records;
	size_t lo = 0, hi = n, mid;
	uint64_t at;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		memcpy(&at, p + mid * size, sizeof at);
		if (at < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

_Static_assert(offsetof(struct pqp_page, off) == 0, "pqp_first_at reads off first");
_Static_assert(offsetof(struct pqp_break, off) == 0, "pqp_first_at reads off first");

static size_t
pqp_page_at(const struct pqpages *w, uint64_t off)
{
	return pqp_first_at(w->pages, w->npages, sizeof *w->pages, off);
}

static const struct pqp_break *
pqp_break_at(const struct pqpages *w, uint64_t off)
{
	size_t i = pqp_first_at(w->breaks, w->nbreaks, sizeof *w->breaks, off);

	return i < w->nbreaks && w->breaks[i].off == off ? &w->breaks[i] : NULL;
}

/*
 * No page recorded at x, where the chunk [.., end) needs one: damage when
 * a page header there does not decode or x falls inside a page; else the
 * walk did not get there. 1 (not walked) or -1 (damage), with why.
 */
static int
pqp_no_page(const struct pqpages *w, uint64_t x, uint64_t end, char **why)
{
	const struct pqp_break *b = pqp_break_at(w, x);
	size_t i = pqp_page_at(w, x);
	const struct pqp_page *pg = i > 0 ? &w->pages[i - 1] : NULL;

	if (b != NULL && b->short_input && b->avail < end - x) {
		*why = xasprintf("the page header at offset %" PRIu64 " is over %u KiB: not read",
		                 x, PQPAGES_HEADER_MAX >> 10);
		return 1;
	}
	if (b != NULL) {
		*why = xasprintf("page header at offset %" PRIu64 " does not decode: %s", x,
		                 b->why);
		return -1;
	}
	if (pg != NULL && x < pg->off + pg->len) {
		*why = xasprintf("offset %" PRIu64 " falls inside the page at offset %" PRIu64
		                 " (%" PRIu32 " bytes)",
		                 x, pg->off, pg->len);
		return -1;
	}
	if (w->unrecorded <= x)
		*why = xasprintf("pages past offset %" PRIu64 " not recorded (over %u)",
		                 w->unrecorded, PQPAGES_PAGES_MAX);
	else if (w->state == PQP_STOPPED && w->stopped_at <= x)
		*why = xstrdup(w->stop_why);
	else
		*why = xasprintf("offset %" PRIu64 " not reached by the page walk", x);
	return 1;
}

static const struct pqp_bad_crc *
pqp_bad_crc(const struct pqpages *w, uint64_t from, uint64_t to)
{
	size_t i;

	for (i = 0; i < w->nbad; i++)
		if (w->bad[i].off >= from && w->bad[i].off < to)
			return &w->bad[i];
	return NULL;
}

/* What the pages of one chunk add up to. */
struct pqp_sum {
	uint64_t end; /* where its last page ends */
	int64_t values, rows;
	size_t pages, crcs, v1, v2, newer;
	int data_seen, dict_seen;
	const struct pqp_page *first, *bad;
};

/* Walks the chunk's pages from its first; 0, or as pqp_no_page. */
static int
pqp_sum(const struct pqpages *w, const struct pqfooter_chunk *k, struct pqp_sum *s, char **why)
{
	uint64_t end = (uint64_t)k->start + (uint64_t)k->total;
	size_t i = pqp_page_at(w, (uint64_t)k->start);
	const struct pqp_page *pg;

	memset(s, 0, sizeof *s);
	s->end = (uint64_t)k->start;
	s->dict_seen = k->dict_off == 0;
	while (s->end < end) {
		if (i == w->npages || w->pages[i].off != s->end)
			return pqp_no_page(w, s->end, end, why);
		pg = &w->pages[i++];
		if (s->first == NULL)
			s->first = pg;
		if ((pg->flags & PQP_CRC_BAD) && s->bad == NULL)
			s->bad = pg;
		s->data_seen |= pg->off == (uint64_t)k->data_off;
		s->dict_seen |= pg->off == (uint64_t)k->dict_off;
		s->crcs += (pg->flags & PQP_CRC) != 0;
		s->values += pg->values;
		if (pg->type == PQP_DATA_PAGE)
			s->v1++;
		if (pg->type == PQP_NEWER_PAGE)
			s->newer++;
		if (pg->type == PQP_DATA_PAGE_V2) {
			s->v2++;
			s->rows += pg->aux;
		}
		s->pages++;
		s->end += pg->len;
	}
	return 0;
}

/* What a sound chunk's detail mentions. */
#define PQP_NOTE_LEGACY 0x1 /* total_compressed_size short by the dictionary page's header */
#define PQP_NOTE_NEWER  0x2 /* a page of a newer type: values not compared */

static void
pqp_crc_why(const struct pqpages *w, const struct pqp_page *pg, char **why)
{
	const struct pqp_bad_crc *b = pqp_bad_crc(w, pg->off, pg->off + 1);

	if (b != NULL)
		*why = xasprintf("page at offset %" PRIu64 ": CRC-32 %08" PRIx32
		                 " stored, %08" PRIx32 " computed over its %" PRIu32
		                 " bytes of data",
		                 b->off, b->stored, b->computed, b->len);
	else
		*why = xasprintf("page at offset %" PRIu64 ": CRC-32 mismatch", pg->off);
}

/* Judges a chunk whose pages were all walked: 0 (and *notes), or -1 with why. */
static int
pqp_judge(const struct pqpages *w, const struct pqfooter_chunk *k, const struct pqp_sum *s,
          int *notes, char **why)
{
	uint64_t end = (uint64_t)k->start + (uint64_t)k->total;

	*notes = 0;
	if (s->end > end) {
		/* parquet-mr before 1.2.9 left the dictionary page's header out (PARQUET-816). */
		if (s->first->type != PQP_DICTIONARY_PAGE || s->end - end != s->first->aux) {
			*why = xasprintf("its pages run %" PRIu64
			                 " bytes past its end at offset %" PRIu64,
			                 s->end - end, end);
			return -1;
		}
		*notes |= PQP_NOTE_LEGACY;
	}
	if (!s->data_seen || !s->dict_seen) {
		*why = xasprintf("%s page offset %" PRId64 " is not where one of its pages starts",
		                 s->data_seen ? "dictionary" : "data",
		                 s->data_seen ? k->dict_off : k->data_off);
		return -1;
	}
	if (s->bad != NULL) {
		pqp_crc_why(w, s->bad, why);
		return -1;
	}
	if (s->newer > 0) {
		*notes |= PQP_NOTE_NEWER;
		return 0;
	}
	if (s->values != k->num_values) {
		*why = xasprintf("its data pages hold %" PRId64
		                 " values, its metadata says %" PRId64,
		                 s->values, k->num_values);
		return -1;
	}
	if (s->v2 > 0 && s->v1 == 0 && k->rows >= 0 && s->rows != k->rows) {
		*why = xasprintf("its v2 data pages hold %" PRId64 " rows, its row group %" PRId64,
		                 s->rows, k->rows);
		return -1;
	}
	return 0;
}

/* A chunk the walk did not read: a CRC mismatch there is damage all the same. */
static int
pqp_unwalked(const struct pqpages *w, const struct pqfooter_chunk *k, char **why)
{
	const struct pqp_bad_crc *b =
	        pqp_bad_crc(w, (uint64_t)k->start, (uint64_t)k->start + (uint64_t)k->total);

	if (b == NULL)
		return 1;
	free(*why);
	*why = xasprintf("page at offset %" PRIu64 ": CRC-32 %08" PRIx32 " stored, %08" PRIx32
	                 " computed over its %" PRIu32 " bytes of data",
	                 b->off, b->stored, b->computed, b->len);
	return -1;
}

void
pqpages_chunk(struct pqpages *w, const struct pqfooter_chunk *k)
{
	struct pqp_sum s;
	char *why = NULL;
	int r, notes = 0;

	if (k->encrypted) {
		w->res.encrypted++;
		return;
	}
	r = pqp_sum(w, k, &s, &why);
	if (r == 0)
		r = pqp_judge(w, k, &s, &notes, &why);
	else if (r > 0)
		r = pqp_unwalked(w, k, &why);
	if (r == 0) {
		w->res.chunks++;
		w->res.pages += s.pages;
		w->res.crcs += s.crcs;
		w->res.legacy_sizes += (notes & PQP_NOTE_LEGACY) != 0;
		w->res.uncounted += (notes & PQP_NOTE_NEWER) != 0;
	} else if (r > 0) {
		w->res.unwalked++;
		if (w->unwalked_why == NULL)
			w->res.unwalked_why = w->unwalked_why = xasprintf(
			        "row group %zu column %zu: %s", k->row_group, k->column, why);
	} else if (w->damage == NULL) {
		w->res.damage = w->damage =
		        xasprintf("row group %zu column %zu: %s", k->row_group, k->column, why);
	}
	free(why);
}

const struct pqpages_result *
pqpages_result(const struct pqpages *w)
{
	return &w->res;
}

void
pqpages_free(struct pqpages *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nbreaks; i++)
		free(w->breaks[i].why);
	free(w->breaks);
	free(w->pages);
	free(w->hdr);
	free(w->spare);
	free(w->stop_why);
	free(w->unwalked_why);
	free(w->damage);
	free(w);
}
