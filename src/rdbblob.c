/*
 * rdbblob: consistency checks of Redis's compact containers (see rdbblob.h).
 *
 * Every container is first walked entry by entry with each entry's header
 * decoded and bounded by the buffer, into a list of entries (an integer or
 * a run of bytes); the kind-specific rules (pairs, duplicates, the stream
 * layout) then work on that list.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdbblob.h"
#include "xmalloc.h"

#define ZL_HEADER         10 /* zlbytes, zltail, zllen */
#define ZL_END            0xff
#define ZL_BIG_PREV       0xfe
#define LP_HEADER         6 /* total bytes, number of elements */
#define LP_EOF            0xff
#define LP_NUM_UNKNOWN    65535
#define ZL_NUM_UNKNOWN    65535
#define ZM_BIGLEN         254
#define ZM_END            0xff
#define STREAM_SAMEFIELDS 2
#define HFE_MAX           ((1ull << 48) - 1) /* Redis's EB_EXPIRE_TIME_MAX */

/* One entry: an integer, or bytes inside the container. */
struct rdbblob_entry {
	const uint8_t *s; /* NULL for an integer */
	uint32_t len;
	int64_t v;
};

struct rdbblob_list {
	struct rdbblob_entry *v;
	size_t n, cap;
};

static inline void __attribute__((always_inline))
rdbblob_push(struct rdbblob_list *l, const uint8_t *s, uint32_t len, int64_t v)
{
	if (__builtin_expect(l->n == l->cap, 0)) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n].s = s;
	l->v[l->n].len = len;
	l->v[l->n].v = v;
	l->n++;
}

static uint32_t
rdbblob_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
rdbblob_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Little-endian signed integer of n bytes. */
static int64_t
rdbblob_sle(const uint8_t *p, int n)
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < n; i++)
		u |= (uint64_t)p[i] << (8 * i);
	if (n < 8 && (u >> (8 * n - 1)) & 1)
		u |= ~0ull << (8 * n);
	return (int64_t)u;
}

/* Redis's string2ll: the canonical decimal form of an int64 only. */
static int
rdbblob_strtoll(const uint8_t *s, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (len == 0 || len > 20)
		return 0;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 1;
	}
	if (s[0] == '-') {
		neg = 1;
		i = 1;
		if (len == 1)
			return 0;
	}
	if (s[i] < '1' || s[i] > '9')
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

/* The entry's value as an integer, as lpGetIntegerIfValid takes it. */
static int
rdbblob_int(const struct rdbblob_entry *e, int64_t *out)
{
	if (e->s == NULL) {
		*out = e->v;
		return 1;
	}
	return rdbblob_strtoll(e->s, e->len, out);
}

/* ---- ziplist ---- */

/* Decodes the entry at zl[off] into *e and its size; 0 when out of bounds or badly encoded. */
static size_t
rdbblob_zl_entry(const uint8_t *zl, size_t size, size_t off, size_t *prevlen,
                 struct rdbblob_entry *e)
{
	size_t last = size - 1, prevsize, hdr, len = 0;
	const uint8_t *p;
	uint8_t enc;

	prevsize = zl[off] < ZL_BIG_PREV ? 1 : 5;
	if (off + prevsize > last)
		return 0;
	*prevlen = prevsize == 1 ? zl[off] : rdbblob_le32(zl + off + 1);
	p = zl + off + prevsize;
	enc = p[0];
	e->s = NULL;
	e->v = 0;
	if (enc < 0xc0) {
		hdr = enc >> 6 == 0 ? 1 : enc >> 6 == 1 ? 2 : enc == 0x80 ? 5 : 0;
		if (hdr == 0 || off + prevsize + hdr > last)
			return 0;
		len = hdr == 1   ? (size_t)(enc & 0x3f)
		      : hdr == 2 ? (size_t)((enc & 0x3f) << 8 | p[1])
		                 : (size_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
		                            (uint32_t)p[3] << 8 | p[4]);
		e->s = p + hdr;
		e->len = (uint32_t)len;
	} else {
		hdr = 1;
		switch (enc) {
		case 0xc0:
			len = 2;
			break;
		case 0xd0:
			len = 4;
			break;
		case 0xe0:
			len = 8;
			break;
		case 0xf0:
			len = 3;
			break;
		case 0xfe:
			len = 1;
			break;
		default:
			if (enc < 0xf1 || enc > 0xfd)
				return 0;
			e->v = (enc & 0x0f) - 1;
		}
	}
	if (off + prevsize + hdr + len > last)
		return 0;
	if (enc >= 0xc0 && len > 0)
		e->v = rdbblob_sle(p + 1, (int)len);
	return prevsize + hdr + len;
}

static const char *
rdbblob_ziplist(const uint8_t *zl, size_t size, struct rdbblob_list *l)
{
	size_t off = ZL_HEADER, prev_size = 0, prev_off = 0, n, prevlen;
	unsigned count = 0, header_count;
	struct rdbblob_entry e;

	if (size < ZL_HEADER + 1)
		return "shorter than a ziplist header";
	if (rdbblob_le32(zl) != size)
		return "ziplist zlbytes differs from its length";
	if (zl[size - 1] != ZL_END)
		return "ziplist does not end in 0xff";
	if (rdbblob_le32(zl + 4) > size - 1)
		return "ziplist zltail points past the end";
	header_count = rdbblob_le16(zl + 8);
	while (zl[off] != ZL_END) {
		n = rdbblob_zl_entry(zl, size, off, &prevlen, &e);
		if (n == 0)
			return "ziplist entry badly encoded or past the end";
		if (prevlen != prev_size)
			return "ziplist entry's prevlen differs from the previous entry's size";
		rdbblob_push(l, e.s, e.len, e.v);
		prev_size = n;
		prev_off = off;
		off += n;
		count++;
	}
	if (off != size - 1)
		return "ziplist terminator before the end";
	if (count > 0 && prev_off != rdbblob_le32(zl + 4))
		return "ziplist zltail does not point at the last entry";
	if (header_count != ZL_NUM_UNKNOWN && count != header_count)
		return "ziplist zllen differs from its entries";
	return NULL;
}

/* ---- listpack ---- */

static size_t
rdbblob_backlen_size(size_t l)
{
	return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/*
 * The back-length at the end of an entry of total bytes at p, read
 * backwards as lpDecodeBacklen does (up to 5 bytes, 7 bits each, while the
 * high bit is set), equals enclen. Usually it is one byte below 128.
 */
static inline int __attribute__((always_inline))
rdbblob_lp_backlen_ok(const uint8_t *p, size_t total, size_t enclen)
{
	uint64_t back = 0;
	size_t i;
	uint8_t b;

	if (p[total - 1] < 128)
		return p[total - 1] == enclen;
	for (i = 0; i < 5; i++) {
		if (i >= total)
			return 0; /* the back-length would start before the entry */
		b = p[total - 1 - i];
		back |= (uint64_t)(b & 127) << (7 * i);
		if (!(b & 128))
			return back == enclen;
	}
	return 0;
}

/*
 * Size of the entry at lp[off] (encoding, data, back-length), its value in
 * *e (every field set); 0 when invalid.
 */
static inline size_t __attribute__((always_inline))
rdbblob_lp_entry(const uint8_t *lp, size_t size, size_t off, struct rdbblob_entry *e)
{
	size_t room = size - 1 - off, hdr = 1, len = 0, enclen, total;
	const uint8_t *p = lp + off;
	uint8_t b = p[0];
	int intlen = 0;

	if ((b & 0x80) == 0)
		intlen = -2; /* 7-bit unsigned in the encoding byte */
	else if ((b & 0xc0) == 0x80)
		len = b & 0x3f;
	else if ((b & 0xe0) == 0xc0)
		intlen = -1;
	else if ((b & 0xf0) == 0xe0)
		hdr = 2;
	else if (b == 0xf0)
		hdr = 5;
	else if (b >= 0xf1 && b <= 0xf4)
		intlen = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
	else
		return 0;
	if (hdr > room)
		return 0;
	if (hdr == 2)
		len = (size_t)(b & 0x0f) << 8 | p[1];
	else if (hdr == 5)
		len = rdbblob_le32(p + 1);
	if (intlen == -1)
		len = 1;
	else if (intlen > 0)
		len = (size_t)intlen;
	enclen = hdr + len;
	total = enclen + rdbblob_backlen_size(enclen);
	if (total > room || !rdbblob_lp_backlen_ok(p, total, enclen))
		return 0;
	e->s = NULL;
	e->len = 0;
	if (intlen == -2) {
		e->v = b;
	} else if (intlen == -1) {
		e->v = (int64_t)((b & 0x1f) << 8 | p[1]);
		if (e->v >= 1 << 12)
			e->v -= 1 << 13;
	} else if (intlen > 0) {
		e->v = rdbblob_sle(p + 1, intlen);
	} else {
		e->s = p + hdr;
		e->len = (uint32_t)len;
		e->v = 0;
	}
	return total;
}

static const char *
rdbblob_listpack(const uint8_t *lp, size_t size, struct rdbblob_list *l)
{
	size_t off = LP_HEADER, k, n = l->n, cap = l->cap;
	struct rdbblob_entry *v = l->v;
	const char *err = NULL;
	unsigned numele;

	if (size < LP_HEADER + 1)
		return "shorter than a listpack header";
	if (rdbblob_le32(lp) != size)
		return "listpack total bytes differ from its length";
	if (lp[size - 1] != LP_EOF)
		return "listpack does not end in 0xff";
	numele = rdbblob_le16(lp + 4);
	/* The list in locals: stores into its entries cannot then be taken to change n. */
	while (lp[off] != LP_EOF) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if ((k = rdbblob_lp_entry(lp, size, off, &v[n])) == 0) {
			err = "listpack entry badly encoded, past the end, or with a wrong "
			      "back-length";
			break;
		}
		n++;
		off += k;
	}
	l->v = v;
	l->n = n;
	l->cap = cap;
	if (err != NULL)
		return err;
	if (off != size - 1)
		return "listpack terminator before the end";
	if (numele != LP_NUM_UNKNOWN && numele != l->n)
		return "listpack element count differs from its entries";
	return NULL;
}

/* ---- duplicates ---- */

/* Entries compare as Redis compares them: integers by their decimal form. */
struct rdbblob_key {
	const uint8_t *s;
	size_t len;
	char num[24];
};

static int
rdbblob_key_cmp(const void *a, const void *b)
{
	const struct rdbblob_key *x = a, *y = b;
	const uint8_t *xs = x->s ? x->s : (const uint8_t *)x->num;
	const uint8_t *ys = y->s ? y->s : (const uint8_t *)y->num;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = x->len ? memcmp(xs, ys, x->len) : 0;
	return c;
}

/* Whether two entries are the same member: integers by their decimal form. */
static int
rdbblob_same(const struct rdbblob_entry *a, const struct rdbblob_entry *b)
{
	char num[24];
	const struct rdbblob_entry *i, *t;
	int n;

	if (a->s == NULL && b->s == NULL)
		return a->v == b->v;
	/* The first and last bytes before memcmp: members of one length mostly
	 * differ there (field names, numbered members). */
	if (a->s != NULL && b->s != NULL)
		return a->len == b->len && (a->len == 0 || (a->s[0] == b->s[0] &&
		                                            a->s[a->len - 1] == b->s[a->len - 1] &&
		                                            memcmp(a->s, b->s, a->len) == 0));
	i = a->s == NULL ? a : b;
	t = a->s == NULL ? b : a;
	n = snprintf(num, sizeof num, "%" PRId64, i->v);
	return (size_t)n == t->len && memcmp(num, t->s, t->len) == 0;
}

/* 1 when the first members of the tuples of l are all different. */
static int
rdbblob_unique(const struct rdbblob_list *l, size_t tuple)
{
	size_t n = l->n / tuple, i, j;
	struct rdbblob_key *k;
	int ok = 1;

	if (n < 2)
		return 1;
	/* Small containers, the common case: compare pairwise, no allocation. */
	if (n <= 16) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (rdbblob_same(&l->v[i * tuple], &l->v[j * tuple]))
					return 0;
		return 1;
	}
	k = xreallocarray(NULL, n, sizeof *k);
	for (i = 0; i < n; i++) {
		const struct rdbblob_entry *e = &l->v[i * tuple];

		if (e->s != NULL) {
			k[i].s = e->s;
			k[i].len = e->len;
		} else {
			k[i].s = NULL;
			k[i].len = (size_t)snprintf(k[i].num, sizeof k[i].num, "%" PRId64, e->v);
		}
	}
	qsort(k, n, sizeof *k, rdbblob_key_cmp);
	for (i = 1; i < n && ok; i++)
		ok = rdbblob_key_cmp(&k[i - 1], &k[i]) != 0;
	free(k);
	return ok;
}

/* ---- the other containers ---- */

static const char *
rdbblob_intset(const uint8_t *p, size_t size, uint64_t *count)
{
	uint32_t enc, n, i;
	int64_t prev, cur;

	if (size < 8)
		return "shorter than an intset header";
	enc = rdbblob_le32(p);
	if (enc != 2 && enc != 4 && enc != 8)
		return "intset encoding is not 2, 4 or 8";
	n = rdbblob_le32(p + 4);
	if (8 + (uint64_t)n * enc != size)
		return "intset length differs from its count";
	if (n == 0)
		return "empty intset";
	prev = rdbblob_sle(p + 8, (int)enc);
	for (i = 1; i < n; i++) {
		cur = rdbblob_sle(p + 8 + (size_t)i * enc, (int)enc);
		if (cur <= prev)
			return "intset members not in strictly ascending order";
		prev = cur;
	}
	*count = n;
	return NULL;
}

static size_t
rdbblob_zm_len(const uint8_t *p, size_t *lensize)
{
	*lensize = p[0] < ZM_BIGLEN ? 1 : 5;
	return p[0] < ZM_BIGLEN ? p[0] : rdbblob_le32(p + 1);
}

static const char *
rdbblob_zipmap(const uint8_t *zm, size_t size, struct rdbblob_list *l)
{
	size_t off = 1, s, n;

	if (size < 2)
		return "shorter than a zipmap";
	if (zm[size - 1] != ZM_END)
		return "zipmap does not end in 0xff";
	while (zm[off] != ZM_END) {
		/* Field: length, bytes; value: length, free, bytes, free space. */
		if (off + (zm[off] < ZM_BIGLEN ? 1 : 5) > size - 1)
			return "zipmap field length past the end";
		n = rdbblob_zm_len(zm + off, &s);
		if (n > size || off + s + n > size - 1)
			return "zipmap field past the end";
		rdbblob_push(l, zm + off + s, (uint32_t)n, 0);
		off += s + n;
		if (off + (zm[off] < ZM_BIGLEN ? 1 : 5) > size - 1)
			return "zipmap value length past the end";
		n = rdbblob_zm_len(zm + off, &s);
		off += s;
		n += zm[off++];
		if (n > size || off + n > size - 1)
			return "zipmap value past the end";
		rdbblob_push(l, NULL, 0, 0);
		off += n;
	}
	if (l->n == 0)
		return "empty zipmap";
	if (zm[0] != ZM_BIGLEN && zm[0] != l->n / 2)
		return "zipmap count differs from its entries";
	return NULL;
}

/* The layout of a stream node's listpack (streamValidateListpackIntegrity). */
static const char *
rdbblob_stream(const struct rdbblob_list *l)
{
	const struct rdbblob_entry *v = l->v;
	size_t i = 0, n = l->n;
	int64_t entries, deleted, master, fields, flags, lpcount, x, j;

#define NEXT_INT(out)                                                                              \
	do {                                                                                       \
		if (i >= n || !rdbblob_int(&v[i++], &(out)))                                       \
			return "stream listpack: an integer expected";                             \
	} while (0)
	NEXT_INT(entries);
	NEXT_INT(deleted);
	NEXT_INT(master);
	if (master < 0 || (uint64_t)master > n - i)
		return "stream listpack: master field count past the end";
	i += (size_t)master;
	NEXT_INT(x);
	if (x != 0)
		return "stream listpack: master entry not terminated by 0";
	if (entries < 0 || deleted < 0)
		return "stream listpack: negative entry count";
	for (j = 0; j < entries + deleted; j++) {
		fields = master;
		NEXT_INT(flags);
		NEXT_INT(x);
		NEXT_INT(x);
		lpcount = 3;
		if (!(flags & STREAM_SAMEFIELDS)) {
			NEXT_INT(fields);
			if (fields < 0 || (uint64_t)fields > n - i)
				return "stream listpack: entry field count past the end";
			i += (size_t)fields;
			lpcount += fields + 1;
		}
		if (fields < 0 || (uint64_t)fields > n - i)
			return "stream listpack: entry values past the end";
		i += (size_t)fields;
		lpcount += fields;
		NEXT_INT(x);
		if (x != lpcount)
			return "stream listpack: an entry's lp-count is wrong";
	}
#undef NEXT_INT
	if (i != n)
		return "stream listpack: entries after the last counted one";
	return NULL;
}

/* The TTLs of a hash with field expiry: integers in range, ascending where set. */
static const char *
rdbblob_ttls(const struct rdbblob_list *l)
{
	int64_t t, last = -1;
	size_t i;

	for (i = 2; i < l->n; i += 3) {
		if (!rdbblob_int(&l->v[i], &t) || t < 0 || (uint64_t)t > HFE_MAX)
			return "hash listpack: a field TTL is not a valid time";
		if (t != 0 && (last == 0 || t < last))
			return "hash listpack: field TTLs out of order";
		last = t;
	}
	return NULL;
}

static const char *
rdbblob_tuples(const struct rdbblob_list *l, size_t tuple, uint64_t *count)
{
	if (l->n % tuple != 0)
		return tuple == 2 ? "odd number of entries in a container of pairs"
		                  : "entries not a multiple of the tuple size";
	if (!rdbblob_unique(l, tuple))
		return "duplicate members in a container";
	*count = l->n / tuple;
	return NULL;
}

const char *
rdbblob_check(enum rdbblob_kind kind, const uint8_t *p, size_t len, uint64_t *count,
              struct rdbblob_scratch *scratch)
{
	struct rdbblob_list l = { scratch->v, 0, scratch->cap };
	const char *err = NULL;

	*count = 0;
	switch (kind) {
	case RDBBLOB_INTSET:
		return rdbblob_intset(p, len, count);
	case RDBBLOB_ZIPMAP:
		err = rdbblob_zipmap(p, len, &l);
		if (err == NULL)
			err = rdbblob_tuples(&l, 2, count);
		break;
	case RDBBLOB_ZIPLIST:
	case RDBBLOB_ZIPLIST_PAIRS:
		err = rdbblob_ziplist(p, len, &l);
		if (err == NULL && kind == RDBBLOB_ZIPLIST_PAIRS)
			err = rdbblob_tuples(&l, 2, count);
		else if (err == NULL)
			*count = l.n;
		break;
	default:
		err = rdbblob_listpack(p, len, &l);
		if (err != NULL)
			break;
		if (kind == RDBBLOB_LISTPACK || kind == RDBBLOB_STREAM)
			*count = l.n;
		if (kind == RDBBLOB_STREAM && l.n > 0)
			err = rdbblob_stream(&l);
		else if (kind == RDBBLOB_LISTPACK_SET)
			err = rdbblob_tuples(&l, 1, count);
		else if (kind == RDBBLOB_LISTPACK_PAIRS)
			err = rdbblob_tuples(&l, 2, count);
		else if (kind == RDBBLOB_LISTPACK_TRIPLES) {
			err = rdbblob_tuples(&l, 3, count);
			if (err == NULL)
				err = rdbblob_ttls(&l);
		}
		break;
	}
	scratch->v = l.v; /* kept for the next container */
	scratch->cap = l.cap;
	return err;
}

void
rdbblob_scratch_free(struct rdbblob_scratch *scratch)
{
	free(scratch->v);
	scratch->v = NULL;
	scratch->cap = 0;
}

const char *
rdbblob_kind_name(enum rdbblob_kind kind)
{
	switch (kind) {
	case RDBBLOB_ZIPLIST:
	case RDBBLOB_ZIPLIST_PAIRS:
		return "ziplist";
	case RDBBLOB_INTSET:
		return "intset";
	case RDBBLOB_ZIPMAP:
		return "zipmap";
	case RDBBLOB_STREAM:
		return "stream listpack";
	default:
		return "listpack";
	}
}
