/*
 * rdbenc: RESTORE payloads. The byte layouts follow Redis's rdb.c (length
 * and string encodings), listpack.c (Redis 7) and ziplist.c (Redis 6), so
 * that the server holds after RESTORE what HSET or SET would have left.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "crc.h"
#include "rdbenc.h"

/*
 * Whether s is the canonical decimal form of an int64 ("0", "-12", never
 * "012", "+1", "-0" or " 1"): the strings Redis stores as integers, in
 * listpacks (lpStringToInt64), ziplists (string2ll) and RDB strings (string2ll
 * and back). Anything else stays a string in all three.
 */
static int
rdbenc_int(const char *s, size_t len, int64_t *v)
{
	uint64_t acc = 0;
	size_t i = 0;
	int neg = 0;

	if (len == 0 || len > 20)
		return 0;
	if (len == 1 && s[0] == '0') {
		*v = 0;
		return 1;
	}
	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	/* At most 19 digits, whose value fits a uint64 without checks on the way. */
	if (i >= len || len - i > 19 || s[i] < '1' || s[i] > '9')
		return 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	if (acc > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
		return 0;
	/* Two's complement without signed overflow: -(2^63) maps to INT64_MIN. */
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 1;
}

/* Appends the low n bytes of v, least significant first. */
static void
rdbenc_le(struct buf *out, uint64_t v, int n)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	buf_add(out, b, (size_t)n);
}

static void
rdbenc_byte(struct buf *out, unsigned v)
{
	buf_addc(out, (char)(unsigned char)v);
}

/* The RDB length encoding: 6, 14, 32 or 64 bits, big-endian. */
static void
rdbenc_len(struct buf *out, uint64_t len)
{
	int i;

	if (len < (1 << 6)) {
		rdbenc_byte(out, (unsigned)len);
	} else if (len < (1 << 14)) {
		rdbenc_byte(out, 0x40 | (unsigned)(len >> 8));
		rdbenc_byte(out, (unsigned)(len & 0xff));
	} else if (len <= UINT32_MAX) {
		rdbenc_byte(out, 0x80);
		for (i = 3; i >= 0; i--)
			rdbenc_byte(out, (unsigned)(len >> (8 * i)) & 0xff);
	} else {
		rdbenc_byte(out, 0x81);
		for (i = 7; i >= 0; i--)
			rdbenc_byte(out, (unsigned)(len >> (8 * i)) & 0xff);
	}
}

/*
 * An RDB string: a short canonical integer that fits 32 bits as Redis's
 * rdbTryIntegerEncoding writes it (0xC0 int8, 0xC1 int16, 0xC2 int32, little
 * endian), anything else as length and bytes.
 */
static void
rdbenc_rdbstring(struct buf *out, const char *s, size_t len)
{
	int64_t v;

	if (len <= 11 && rdbenc_int(s, len, &v) && v >= INT32_MIN && v <= INT32_MAX) {
		if (v >= INT8_MIN && v <= INT8_MAX) {
			rdbenc_byte(out, 0xC0);
			rdbenc_le(out, (uint64_t)v, 1);
		} else if (v >= INT16_MIN && v <= INT16_MAX) {
			rdbenc_byte(out, 0xC1);
			rdbenc_le(out, (uint64_t)v, 2);
		} else {
			rdbenc_byte(out, 0xC2);
			rdbenc_le(out, (uint64_t)v, 4);
		}
		return;
	}
	rdbenc_len(out, len);
	buf_add(out, s, len);
}

/* The RDB version (2 bytes) and the CRC-64 of the whole payload. */
static void
rdbenc_finish(struct buf *out, size_t start, const struct rdbenc_server *srv)
{
	uint64_t crc;

	rdbenc_le(out, srv->rdb_version, 2);
	crc = crc_64(0, out->data + start, out->len - start);
	rdbenc_le(out, crc, 8);
}

void
rdbenc_string(struct buf *out, const struct rdbenc_server *srv, const char *s, size_t len)
{
	size_t start = out->len;

	rdbenc_byte(out, RDBENC_TYPE_STRING);
	rdbenc_rdbstring(out, s, len);
	rdbenc_finish(out, start, srv);
}

/* ---- listpack (Redis 7) ---------------------------------------------------- */

/* One element's encoding and data; returns its length. */
static size_t
rdbenc_lp_entry(unsigned char *hdr, size_t *hdrlen, const char *s, size_t len, int *is_int)
{
	int64_t v;
	uint64_t u;
	int i, n;

	*is_int = rdbenc_int(s, len, &v);
	if (!*is_int) {
		if (len < 64) {
			hdr[0] = (unsigned char)(0x80 | len);
			*hdrlen = 1;
		} else if (len < 4096) {
			hdr[0] = (unsigned char)(0xE0 | (len >> 8));
			hdr[1] = (unsigned char)(len & 0xff);
			*hdrlen = 2;
		} else {
			hdr[0] = 0xF0;
			for (i = 0; i < 4; i++)
				hdr[1 + i] = (unsigned char)(len >> (8 * i));
			*hdrlen = 5;
		}
		return *hdrlen + len;
	}
	u = (uint64_t)v; /* two's complement: the low bytes are the narrow encoding */
	if (v >= 0 && v <= 127) {
		hdr[0] = (unsigned char)v;
		*hdrlen = 1;
		return 1;
	}
	if (v >= -4096 && v <= 4095) {
		u &= 0x1fff;
		hdr[0] = (unsigned char)(0xC0 | (u >> 8));
		hdr[1] = (unsigned char)(u & 0xff);
		*hdrlen = 2;
		return 2;
	}
	if (v >= INT16_MIN && v <= INT16_MAX)
		hdr[0] = 0xF1, n = 2;
	else if (v >= -8388608 && v <= 8388607)
		hdr[0] = 0xF2, n = 3;
	else if (v >= INT32_MIN && v <= INT32_MAX)
		hdr[0] = 0xF3, n = 4;
	else
		hdr[0] = 0xF4, n = 8;
	for (i = 0; i < n; i++)
		hdr[1 + i] = (unsigned char)(u >> (8 * i));
	*hdrlen = (size_t)n + 1;
	return *hdrlen;
}

/* Bytes of the back length of an entry of l bytes. */
static size_t
rdbenc_lp_backlen_size(size_t l)
{
	if (l <= 127)
		return 1;
	if (l < 16383)
		return 2;
	if (l < 2097151)
		return 3;
	return l < 268435455 ? 4 : 5;
}

/* The back length: the entry's length, 7 bits a byte, most significant first. */
static unsigned char *
rdbenc_lp_backlen(unsigned char *p, size_t l)
{
	size_t n = rdbenc_lp_backlen_size(l), i;

	for (i = 0; i < n; i++)
		*p++ = (unsigned char)(((l >> (7 * (n - 1 - i))) & 127) | (i > 0 ? 128 : 0));
	return p;
}

/* The listpack's size in bytes: header, entries with back lengths, end mark. */
static size_t
rdbenc_lp_size(size_t nelems, const char *const *elems, const size_t *lens)
{
	size_t total = 7, hdrlen, l, i;
	unsigned char hdr[9];
	int is_int;

	for (i = 0; i < nelems; i++) {
		l = rdbenc_lp_entry(hdr, &hdrlen, elems[i], lens[i], &is_int);
		total += l + rdbenc_lp_backlen_size(l);
	}
	return total;
}

/*
 * Writes the listpack of total bytes at p. Sized first and written through a
 * pointer: this runs for every row, and appending piece by piece cost more
 * than the encoding itself.
 */
static unsigned char *
rdbenc_lp_put(unsigned char *p, size_t total, size_t nelems, const char *const *elems,
              const size_t *lens)
{
	size_t hdrlen, l, i;
	int is_int;

	for (i = 0; i < 4; i++)
		*p++ = (unsigned char)(total >> (8 * i));
	*p++ = (unsigned char)((nelems < 65535 ? nelems : 65535) & 0xff);
	*p++ = (unsigned char)((nelems < 65535 ? nelems : 65535) >> 8);
	for (i = 0; i < nelems; i++) {
		l = rdbenc_lp_entry(p, &hdrlen, elems[i], lens[i], &is_int);
		p += hdrlen;
		if (!is_int) {
			memcpy(p, elems[i], lens[i]);
			p += lens[i];
		}
		p = rdbenc_lp_backlen(p, l);
	}
	*p++ = 0xFF;
	return p;
}

void
rdbenc_listpack(struct buf *out, size_t nelems, const char *const *elems, const size_t *lens)
{
	size_t total = rdbenc_lp_size(nelems, elems, lens);

	buf_reserve(out, total);
	rdbenc_lp_put((unsigned char *)out->data + out->len, total, nelems, elems, lens);
	out->len += total;
	out->data[out->len] = '\0';
}

/* ---- ziplist (Redis 6) ----------------------------------------------------- */

/* One entry's encoding header after prevlen; returns the header length. */
static size_t
rdbenc_zl_encoding(unsigned char *hdr, const char *s, size_t len, int *is_int)
{
	int64_t v;
	uint64_t u;
	int i, n;

	*is_int = rdbenc_int(s, len, &v);
	if (!*is_int) {
		if (len <= 0x3f) {
			hdr[0] = (unsigned char)len;
			return 1;
		}
		if (len <= 0x3fff) {
			hdr[0] = (unsigned char)(0x40 | (len >> 8));
			hdr[1] = (unsigned char)(len & 0xff);
			return 2;
		}
		hdr[0] = 0x80;
		for (i = 0; i < 4; i++)
			hdr[1 + i] = (unsigned char)(len >> (8 * (3 - i)));
		return 5;
	}
	u = (uint64_t)v;
	if (v >= 0 && v <= 12) {
		hdr[0] = (unsigned char)(0xF1 + v);
		return 1;
	}
	if (v >= INT8_MIN && v <= INT8_MAX)
		hdr[0] = 0xFE, n = 1;
	else if (v >= INT16_MIN && v <= INT16_MAX)
		hdr[0] = 0xC0, n = 2;
	else if (v >= -8388608 && v <= 8388607)
		hdr[0] = 0xF0, n = 3;
	else if (v >= INT32_MIN && v <= INT32_MAX)
		hdr[0] = 0xD0, n = 4;
	else
		hdr[0] = 0xE0, n = 8;
	for (i = 0; i < n; i++)
		hdr[1 + i] = (unsigned char)(u >> (8 * i));
	return (size_t)n + 1;
}

void
rdbenc_ziplist(struct buf *out, size_t nelems, const char *const *elems, const size_t *lens)
{
	size_t start = out->len, prev = 0, tail = 10, here, hdrlen, i;
	unsigned char hdr[9];
	int is_int;

	buf_add(out, "\0\0\0\0\0\0\0\0", 8); /* bytes and tail offset, filled in below */
	rdbenc_le(out, nelems < 65535 ? nelems : 65535, 2);
	for (i = 0; i < nelems; i++) {
		here = out->len;
		tail = here - start;
		if (prev < 254) {
			rdbenc_byte(out, (unsigned)prev);
		} else {
			rdbenc_byte(out, 0xFE);
			rdbenc_le(out, prev, 4);
		}
		hdrlen = rdbenc_zl_encoding(hdr, elems[i], lens[i], &is_int);
		buf_add(out, hdr, hdrlen);
		if (!is_int)
			buf_add(out, elems[i], lens[i]);
		prev = out->len - here;
	}
	rdbenc_byte(out, 0xFF);
	for (i = 0; i < 4; i++) {
		out->data[start + i] = (char)(unsigned char)((out->len - start) >> (8 * i));
		out->data[start + 4 + i] = (char)(unsigned char)(tail >> (8 * i));
	}
}

/* ---- hashes ---------------------------------------------------------------- */

int
rdbenc_hash_is_small(const struct rdbenc_server *srv, size_t n, const size_t *lens)
{
	size_t i;

	if (n > srv->max_entries)
		return 0;
	for (i = 0; i < 2 * n; i++)
		if (lens[i] > srv->max_value)
			return 0;
	return 1;
}

void
rdbenc_hash(struct buf *out, const struct rdbenc_server *srv, size_t n, const char *const *elems,
            const size_t *lens)
{
	size_t start = out->len, i, blob;

	if (!rdbenc_hash_is_small(srv, n, lens)) {
		rdbenc_byte(out, RDBENC_TYPE_HASH);
		rdbenc_len(out, n);
		for (i = 0; i < 2 * n; i++)
			rdbenc_rdbstring(out, elems[i], lens[i]);
		rdbenc_finish(out, start, srv);
		return;
	}
	/* The compact encoding is one RDB string holding the blob. */
	rdbenc_byte(out, (unsigned)srv->small_hash_type);
	if (srv->small_hash_type == RDBENC_TYPE_HASH_ZIPLIST) {
		struct buf zl = BUF_INIT;

		rdbenc_ziplist(&zl, 2 * n, elems, lens);
		rdbenc_len(out, zl.len);
		buf_add(out, zl.data, zl.len);
		buf_free(&zl);
	} else {
		blob = rdbenc_lp_size(2 * n, elems, lens);
		rdbenc_len(out, blob);
		buf_reserve(out, blob);
		rdbenc_lp_put((unsigned char *)out->data + out->len, blob, 2 * n, elems, lens);
		out->len += blob;
		out->data[out->len] = '\0';
	}
	rdbenc_finish(out, start, srv);
}

int
rdbenc_trailer(const char *payload, size_t len, unsigned *version)
{
	const unsigned char *p = (const unsigned char *)payload;
	uint64_t want = 0;
	int i;

	if (len < 10)
		return -1;
	for (i = 0; i < 8; i++)
		want |= (uint64_t)p[len - 8 + (size_t)i] << (8 * i);
	if (crc_64(0, payload, len - 8) != want)
		return -1;
	*version = (unsigned)p[len - 10] | ((unsigned)p[len - 9] << 8);
	return 0;
}
