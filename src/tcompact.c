/*
 * tcompact: the Thrift compact protocol read from a byte range (see
 * tcompact.h). Moved here from pqfooter when pqpages came to need it too.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "tcompact.h"
#include "xmalloc.h"

static int __attribute__((format(printf, 3, 0)))
tcompact_vfail(struct tcompact *c, int short_input, const char *fmt, va_list ap)
{
	char *what;

	if (c->err != NULL)
		return -1;
	what = xvasprintf(fmt, ap);
	c->err = xasprintf("%s (%s byte %td)", what, c->what, c->p - c->start);
	c->short_input = short_input;
	free(what);
	return -1;
}

int
tcompact_fail(struct tcompact *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tcompact_vfail(c, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* Running out of bytes, which more input might mend. */
static int __attribute__((format(printf, 2, 3)))
tcompact_short(struct tcompact *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tcompact_vfail(c, 1, fmt, ap);
	va_end(ap);
	return -1;
}

void
tcompact_init(struct tcompact *c, const uint8_t *p, size_t len, const char *what)
{
	c->p = c->start = p;
	c->end = p + len;
	c->what = what;
	c->err = NULL;
	c->short_input = 0;
}

static int
tcompact_varint(struct tcompact *c, uint64_t *v)
{
	uint64_t x = 0;
	int shift = 0;

	while (c->p < c->end && shift < 64) {
		x |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
	}
	if (shift >= 64)
		return tcompact_fail(c, "Thrift varint longer than 64 bits");
	return tcompact_short(c, "Thrift varint past the end of the %s", c->what);
}

static int
tcompact_zigzag(struct tcompact *c, int64_t *v)
{
	uint64_t u;

	if (tcompact_varint(c, &u) != 0)
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int
tcompact_is_int(int type)
{
	return type == TCOMPACT_BYTE || type == TCOMPACT_I16 || type == TCOMPACT_I32 ||
	       type == TCOMPACT_I64;
}

int
tcompact_int(struct tcompact *c, int type, int64_t *v)
{
	if (type == TCOMPACT_BYTE) {
		if (c->p >= c->end)
			return tcompact_short(c, "Thrift byte past the end of the %s", c->what);
		*v = (int8_t)*c->p++;
		return 0;
	}
	if (type == TCOMPACT_I16 || type == TCOMPACT_I32 || type == TCOMPACT_I64)
		return tcompact_zigzag(c, v);
	return tcompact_fail(c, "Thrift field of type %d where an integer belongs", type);
}

int
tcompact_binary(struct tcompact *c, const uint8_t **s, uint64_t *len)
{
	if (tcompact_varint(c, len) != 0)
		return -1;
	if (*len > (uint64_t)(c->end - c->p))
		return tcompact_short(c,
		                      "Thrift string of %" PRIu64 " bytes past the end of the %s",
		                      *len, c->what);
	*s = c->p;
	c->p += *len;
	return 0;
}

int
tcompact_list(struct tcompact *c, int *etype, uint64_t *n)
{
	uint8_t b;

	if (c->p >= c->end)
		return tcompact_short(c, "Thrift list header past the end of the %s", c->what);
	b = *c->p++;
	*etype = b & 0x0f;
	*n = b >> 4;
	if (*n == 15 && tcompact_varint(c, n) != 0)
		return -1;
	/* Every element takes a byte at least (a bool in a list is one byte). */
	if (*n > (uint64_t)(c->end - c->p))
		return tcompact_short(c,
		                      "Thrift list of %" PRIu64 " elements past the end of the %s",
		                      *n, c->what);
	return 0;
}

int
tcompact_field(struct tcompact *c, int16_t *last, int16_t *id, int *type)
{
	uint8_t b;
	int64_t v;

	if (c->p >= c->end)
		return tcompact_short(c, "Thrift struct not ended before the end of the %s",
		                      c->what);
	b = *c->p++;
	*type = b & 0x0f;
	if (*type == TCOMPACT_STOP)
		return 0;
	if (*type > TCOMPACT_STRUCT)
		return tcompact_fail(c, "unknown Thrift type %d", *type);
	if (b >> 4) {
		*id = (int16_t)(*last + (b >> 4));
	} else {
		if (tcompact_zigzag(c, &v) != 0)
			return -1;
		*id = (int16_t)v;
	}
	*last = *id;
	return 1;
}

int
tcompact_skip_struct(struct tcompact *c, int depth)
{
	int16_t last = 0, id;
	int type, r;

	while ((r = tcompact_field(c, &last, &id, &type)) == 1)
		if (tcompact_skip(c, type, depth + 1) != 0)
			return -1;
	return r;
}

static int
tcompact_skip_list(struct tcompact *c, int depth)
{
	uint64_t n, i;
	int et;

	if (tcompact_list(c, &et, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* A bool in a list is one byte. */
		if (et == TCOMPACT_TRUE || et == TCOMPACT_FALSE) {
			if (c->p >= c->end)
				return tcompact_short(c, "Thrift bool past the end of the %s",
				                      c->what);
			c->p++;
		} else if (tcompact_skip(c, et, depth + 1) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
tcompact_skip_map(struct tcompact *c, int depth)
{
	uint64_t n, i;
	int kt, vt;

	if (tcompact_varint(c, &n) != 0)
		return -1;
	if (n == 0)
		return 0;
	if (c->p >= c->end || n > (uint64_t)(c->end - c->p))
		return tcompact_short(c, "Thrift map past the end of the %s", c->what);
	kt = *c->p >> 4;
	vt = *c->p++ & 0x0f;
	for (i = 0; i < n; i++)
		if (tcompact_skip(c, kt, depth + 1) != 0 || tcompact_skip(c, vt, depth + 1) != 0)
			return -1;
	return 0;
}

int
tcompact_skip(struct tcompact *c, int type, int depth)
{
	const uint8_t *s;
	uint64_t len;
	int64_t v;

	if (depth > TCOMPACT_DEPTH_MAX)
		return tcompact_fail(c, "Thrift nesting deeper than %d", TCOMPACT_DEPTH_MAX);
	switch (type) {
	case TCOMPACT_TRUE:
	case TCOMPACT_FALSE:
		return 0;
	case TCOMPACT_BYTE:
	case TCOMPACT_I16:
	case TCOMPACT_I32:
	case TCOMPACT_I64:
		return tcompact_int(c, type, &v);
	case TCOMPACT_DOUBLE:
		if (c->end - c->p < 8)
			return tcompact_short(c, "Thrift double past the end of the %s", c->what);
		c->p += 8;
		return 0;
	case TCOMPACT_BINARY:
		return tcompact_binary(c, &s, &len);
	case TCOMPACT_LIST:
	case TCOMPACT_SET:
		return tcompact_skip_list(c, depth);
	case TCOMPACT_MAP:
		return tcompact_skip_map(c, depth);
	case TCOMPACT_STRUCT:
		return tcompact_skip_struct(c, depth) < 0 ? -1 : 0;
	default:
		return tcompact_fail(c, "unknown Thrift type %d", type);
	}
}
