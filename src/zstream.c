/*
 * zstream: streaming CRC32 and gzip checking over zlib.
 *
 * The CRC32s of whole files and of inflated output are crc.c's, which folds
 * with PCLMULQDQ and runs several times faster than zlib 1.2's crc32(); the
 * value is the same. Only the small gzip header CRC stays with zlib.
 *
 * The gzip checker parses the member framing of RFC 1952 itself and lets
 * zlib inflate only the raw deflate data: that way every header, trailer and
 * member boundary has an exact offset for the error text, and multi-member
 * files (cat a.gz b.gz) and the bytes after the last member are under our
 * control rather than zlib's.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "crc.h"
#include "xmalloc.h"
#include "zstream.h"

/* zlib counts in uInt: larger chunks are fed in pieces of at most this size. */
#define ZSTREAM_PIECE (1u << 30)
/* Inflate writes here; the CRC32 and the output callback read from here. */
#define ZSTREAM_SCRATCH (64 * 1024)

/* Header flags, RFC 1952 section 2.3.1. */
#define GZ_FHCRC     0x02
#define GZ_FEXTRA    0x04
#define GZ_FNAME     0x08
#define GZ_FCOMMENT  0x10
#define GZ_FRESERVED 0xe0

/* In stream order: the header parts are tried in this order by gz_header_next. */
enum gz_state {
	GZ_BOUNDARY, /* before a member: at the start, or after a trailer */
	GZ_FIXED,    /* the ten fixed header bytes */
	GZ_XLEN,
	GZ_EXTRA,
	GZ_NAME,
	GZ_COMMENT,
	GZ_HCRC,
	GZ_DATA,
	GZ_TRAILER,
	GZ_PADDING, /* zero bytes after the last member */
	GZ_FAILED,
};

struct zstream_gzip {
	z_stream zs;
	int flags;
	zstream_gzip_output_fn *fn;
	void *arg;
	enum gz_state state;
	uint8_t field[10]; /* a fixed-size header or trailer field being gathered */
	size_t field_len;
	uint64_t field_off; /* where that field starts */
	uint8_t flg;
	uint32_t skip;  /* FEXTRA bytes left to skip */
	uLong hcrc;     /* CRC32 of the member's header so far, for FHCRC */
	uLong crc;      /* CRC32 of the member's output */
	uint32_t isize; /* the member's output size, mod 2^32 as in the trailer */
	uint64_t off;   /* offset of the next input byte */
	uint64_t fed;   /* all input, also what is ignored after an error */
	unsigned long members;
	uint64_t out_bytes;
	uint64_t padding_off;
	uint64_t error_offset;
	char *error;
	uint8_t scratch[ZSTREAM_SCRATCH];
};

void
zstream_crc32_init(struct zstream_crc32 *c)
{
	c->crc = 0;
}

void
zstream_crc32_update(struct zstream_crc32 *c, const void *data, size_t len)
{
	c->crc = crc_32(c->crc, data, len);
}

void
zstream_crc32_final(const struct zstream_crc32 *c, uint32_t *crc)
{
	*crc = c->crc;
}

/* zlib allocates through our wrappers, so running out of memory ends the
 * process as everywhere else instead of posing as a corrupt file. */
static voidpf
zs_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return xreallocarray(NULL, items, size);
}

static void
zs_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	free(p);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void __attribute__((format(printf, 3, 4)))
gz_fail(struct zstream_gzip *z, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	z->error = xasprintf("gzip: %s at offset %" PRIu64, msg, off);
	free(msg);
	z->error_offset = off;
	z->state = GZ_FAILED;
}

struct zstream_gzip *
zstream_gzip_init(int flags, zstream_gzip_output_fn *fn, void *arg)
{
	struct zstream_gzip *z = xcalloc(1, sizeof *z);

	z->zs.zalloc = zs_alloc;
	z->zs.zfree = zs_free;
	/* Raw deflate: the gzip framing is parsed here. Failure means a zlib
	 * that does not match its header, not a bad file. */
	if (inflateInit2(&z->zs, -MAX_WBITS) != Z_OK)
		abort();
	z->flags = flags;
	z->fn = fn;
	z->arg = arg;
	z->state = GZ_BOUNDARY;
	return z;
}

void
zstream_gzip_free(struct zstream_gzip *z)
{
	if (z == NULL)
		return;
	inflateEnd(&z->zs);
	free(z->error);
	free(z);
}

/* Moves to the first optional header part after `done` that FLG announces. */
static void
gz_header_next(struct zstream_gzip *z, enum gz_state done)
{
	z->field_len = 0;
	if (done < GZ_XLEN && (z->flg & GZ_FEXTRA))
		z->state = GZ_XLEN;
	else if (done < GZ_NAME && (z->flg & GZ_FNAME))
		z->state = GZ_NAME;
	else if (done < GZ_COMMENT && (z->flg & GZ_FCOMMENT))
		z->state = GZ_COMMENT;
	else if (done < GZ_HCRC && (z->flg & GZ_FHCRC))
		z->state = GZ_HCRC;
	else {
		z->state = GZ_DATA;
		z->crc = crc32_z(0, Z_NULL, 0);
		z->isize = 0;
	}
}

static size_t
gz_boundary(struct zstream_gzip *z, const uint8_t *p)
{
	if (p[0] == 0x1f) {
		z->state = GZ_FIXED;
		z->field_len = 0;
		z->hcrc = crc32_z(0, Z_NULL, 0);
	} else if (z->members == 0) {
		gz_fail(z, z->off, "not a gzip file (bad magic 0x%02x)", p[0]);
	} else if (p[0] == 0) {
		z->state = GZ_PADDING;
		z->padding_off = z->off;
	} else {
		gz_fail(z, z->off, "trailing garbage after member %lu", z->members);
	}
	return 0; /* the byte is consumed by the state chosen here */
}

static void
gz_fixed_done(struct zstream_gzip *z)
{
	const uint8_t *f = z->field;
	unsigned long m = z->members + 1;

	if (f[0] != 0x1f || f[1] != 0x8b)
		gz_fail(z, z->field_off, "member %lu: bad magic 0x%02x 0x%02x", m, f[0], f[1]);
	else if (f[2] != Z_DEFLATED)
		gz_fail(z, z->field_off + 2, "member %lu: unknown compression method %u", m, f[2]);
	else if (f[3] & GZ_FRESERVED)
		gz_fail(z, z->field_off + 3, "member %lu: reserved header flags 0x%02x set", m,
		        f[3]);
	else {
		z->flg = f[3];
		gz_header_next(z, GZ_FIXED);
	}
}

static void
gz_trailer_done(struct zstream_gzip *z)
{
	uint32_t crc = le32(z->field), isize = le32(z->field + 4);
	unsigned long m = z->members + 1;

	if (crc != (uint32_t)z->crc) {
		gz_fail(z, z->field_off,
		        "member %lu: crc32 mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32
		        ")",
		        m, crc, (uint32_t)z->crc);
	} else if (isize != z->isize) {
		gz_fail(z, z->field_off + 4,
		        "member %lu: length mismatch (stored %" PRIu32 ", inflated %" PRIu32
		        " mod 2^32)",
		        m, isize, z->isize);
	} else {
		z->members++;
		z->state = GZ_BOUNDARY;
		inflateReset(&z->zs);
	}
}

/* Gathers a fixed-size field (fixed header, XLEN, header CRC16, trailer). */
static size_t
gz_field(struct zstream_gzip *z, const uint8_t *p, size_t n)
{
	size_t need, take;

	switch (z->state) {
	case GZ_FIXED:
		need = 10;
		break;
	case GZ_TRAILER:
		need = 8;
		break;
	default: /* GZ_XLEN, GZ_HCRC */
		need = 2;
		break;
	}
	if (z->field_len == 0)
		z->field_off = z->off;
	take = need - z->field_len < n ? need - z->field_len : n;
	memcpy(z->field + z->field_len, p, take);
	z->field_len += take;
	if (z->field_len < need)
		return take;
	if (z->state == GZ_FIXED) {
		gz_fixed_done(z);
	} else if (z->state == GZ_XLEN) {
		z->skip = (uint32_t)z->field[0] | (uint32_t)z->field[1] << 8;
		if (z->skip > 0)
			z->state = GZ_EXTRA;
		else
			gz_header_next(z, GZ_EXTRA);
	} else if (z->state == GZ_HCRC) {
		if ((z->hcrc & 0xffff) != ((uLong)z->field[0] | (uLong)z->field[1] << 8))
			gz_fail(z, z->field_off, "member %lu: header crc16 mismatch",
			        z->members + 1);
		else
			gz_header_next(z, GZ_HCRC);
	} else {
		gz_trailer_done(z);
	}
	return take;
}

/* Skips FEXTRA payload, or a NUL-terminated FNAME or FCOMMENT. */
static size_t
gz_skip(struct zstream_gzip *z, const uint8_t *p, size_t n)
{
	const uint8_t *nul;
	size_t take;

	if (z->state == GZ_EXTRA) {
		take = z->skip < n ? z->skip : n;
		z->skip -= (uint32_t)take;
		if (z->skip == 0)
			gz_header_next(z, GZ_EXTRA);
		return take;
	}
	nul = memchr(p, 0, n);
	if (nul == NULL)
		return n;
	gz_header_next(z, z->state);
	return (size_t)(nul - p) + 1;
}

static void
gz_output(struct zstream_gzip *z, size_t len)
{
	if (len == 0)
		return;
	z->crc = crc_32((uint32_t)z->crc, z->scratch, len);
	z->isize += (uint32_t)len;
	z->out_bytes += len;
	if (z->fn != NULL)
		z->fn(z->scratch, len, z->arg);
}

static size_t
gz_data(struct zstream_gzip *z, const uint8_t *p, size_t n)
{
	int ret;

	if (n > ZSTREAM_PIECE)
		n = ZSTREAM_PIECE;
	z->zs.next_in = p;
	z->zs.avail_in = (uInt)n;
	for (;;) {
		z->zs.next_out = z->scratch;
		z->zs.avail_out = sizeof z->scratch;
		ret = inflate(&z->zs, Z_NO_FLUSH);
		gz_output(z, sizeof z->scratch - z->zs.avail_out);
		if (ret == Z_STREAM_END) {
			z->state = GZ_TRAILER;
			z->field_len = 0;
			break;
		}
		/* Z_BUF_ERROR with input left and an empty scratch cannot happen;
		 * treating it as damage keeps the caller's loop finite regardless. */
		if ((ret != Z_OK && ret != Z_BUF_ERROR) ||
		    (ret == Z_BUF_ERROR && z->zs.avail_in > 0)) {
			gz_fail(z, z->off + (n - z->zs.avail_in),
			        "member %lu: corrupt deflate data (%s)", z->members + 1,
			        z->zs.msg != NULL ? z->zs.msg : "no progress");
			return n;
		}
		if (z->zs.avail_in == 0 && z->zs.avail_out != 0)
			break;
	}
	return n - z->zs.avail_in;
}

static size_t
gz_padding(struct zstream_gzip *z, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] != 0) {
			gz_fail(z, z->padding_off,
			        "trailing garbage after member %lu (first non-zero byte at offset "
			        "%" PRIu64 ")",
			        z->members, z->off + i);
			break;
		}
	}
	return n;
}

static size_t
gz_step(struct zstream_gzip *z, const uint8_t *p, size_t n)
{
	enum gz_state was = z->state;
	size_t used;

	switch (z->state) {
	case GZ_BOUNDARY:
		return gz_boundary(z, p);
	case GZ_FIXED:
	case GZ_XLEN:
	case GZ_HCRC:
	case GZ_TRAILER:
		used = gz_field(z, p, n);
		break;
	case GZ_EXTRA:
	case GZ_NAME:
	case GZ_COMMENT:
		used = gz_skip(z, p, n);
		break;
	case GZ_DATA:
		return gz_data(z, p, n);
	case GZ_PADDING:
		return gz_padding(z, p, n);
	default: /* GZ_FAILED */
		return n;
	}
	/* FHCRC covers every header byte before it. */
	if (was >= GZ_FIXED && was <= GZ_COMMENT)
		z->hcrc = crc32_z(z->hcrc, p, used);
	return used;
}

void
zstream_gzip_update(struct zstream_gzip *z, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t used;

	z->fed += len;
	while (len > 0 && z->state != GZ_FAILED) {
		used = gz_step(z, p, len);
		p += used;
		len -= used;
		z->off += used;
	}
}

static const char *
gz_part(enum gz_state state)
{
	switch (state) {
	case GZ_DATA:
		return "deflate data";
	case GZ_TRAILER:
		return "trailer";
	default:
		return "header";
	}
}

void
zstream_gzip_final(struct zstream_gzip *z, struct zstream_gzip_result *res)
{
	memset(res, 0, sizeof *res);
	if (z->state == GZ_BOUNDARY && z->members == 0)
		gz_fail(z, 0, "empty input");
	else if (z->state == GZ_PADDING && !(z->flags & ZSTREAM_GZIP_ALLOW_ZERO_PADDING))
		gz_fail(z, z->padding_off, "%" PRIu64 " bytes of zero padding after member %lu",
		        z->off - z->padding_off, z->members);
	else if (z->state != GZ_BOUNDARY && z->state != GZ_PADDING && z->state != GZ_FAILED)
		gz_fail(z, z->off, "member %lu: truncated in %s", z->members + 1,
		        gz_part(z->state));
	res->ok = z->state != GZ_FAILED;
	res->members = z->members;
	res->in_bytes = z->fed;
	res->out_bytes = z->out_bytes;
	res->padding = z->state == GZ_PADDING ? z->off - z->padding_off : 0;
	res->error_offset = z->error_offset;
	res->error = z->error;
	z->error = NULL;
}

size_t
zstream_gunzip_head(const void *in, size_t inlen, void *out, size_t outcap)
{
	const uint8_t *p = in;
	z_stream zs;
	size_t n;

	if (inlen < 2 || p[0] != 0x1f || p[1] != 0x8b)
		return 0;
	memset(&zs, 0, sizeof zs);
	zs.zalloc = zs_alloc;
	zs.zfree = zs_free;
	if (inflateInit2(&zs, MAX_WBITS + 16) != Z_OK) /* + 16: gzip framing by zlib */
		abort();
	zs.next_in = in;
	zs.avail_in = (uInt)(inlen < ZSTREAM_PIECE ? inlen : ZSTREAM_PIECE);
	zs.next_out = out;
	zs.avail_out = (uInt)(outcap < ZSTREAM_PIECE ? outcap : ZSTREAM_PIECE);
	n = zs.avail_out;
	/* Whatever came out before an error or the end of the input is usable
	 * for detection, so the return code does not matter. */
	(void)inflate(&zs, Z_SYNC_FLUSH);
	n -= zs.avail_out;
	inflateEnd(&zs);
	return n;
}
