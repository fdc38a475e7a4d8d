/*
 * zst: zstd frame checks through libzstd's streaming decoder (see zst.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

#include "xmalloc.h"
#include "zst.h"

#define ZST_OUT_LEN (128u << 10)

struct zst_check {
	zst_output_fn *fn;
	void *arg;
	uint64_t in_bytes;
	uint64_t out_bytes;
	unsigned long frames;
	size_t pending; /* libzstd's hint: 0 between frames */
	char *error;
#ifdef HAVE_ZSTD
	ZSTD_DCtx *dctx;
	uint8_t *out;
#endif
};

#ifdef HAVE_ZSTD
static void __attribute__((format(printf, 2, 3)))
zst_fail(struct zst_check *z, const char *fmt, ...)
{
	va_list ap;

	if (z->error != NULL)
		return;
	va_start(ap, fmt);
	z->error = xvasprintf(fmt, ap);
	va_end(ap);
}
#endif

const char *
zst_version(void)
{
#ifdef HAVE_ZSTD
	return ZSTD_versionString();
#else
	return NULL;
#endif
}

struct zst_check *
zst_check_init(zst_output_fn *fn, void *arg)
{
	struct zst_check *z = xcalloc(1, sizeof *z);

	z->fn = fn;
	z->arg = arg;
#ifdef HAVE_ZSTD
	z->dctx = ZSTD_createDCtx();
	if (z->dctx == NULL) /* out of memory: as xmalloc, fatal is the rule */
		abort();
	z->out = xmalloc(ZST_OUT_LEN);
#endif
	return z;
}

void
zst_check_update(struct zst_check *z, const void *data, size_t len)
{
#ifdef HAVE_ZSTD
	ZSTD_inBuffer in = { data, len, 0 };
	ZSTD_outBuffer out;
	size_t ret;
	int flush = 0;

	/* Until the input is used up and libzstd has nothing more to flush. */
	while (z->error == NULL && (in.pos < in.size || flush)) {
		out.dst = z->out;
		out.size = ZST_OUT_LEN;
		out.pos = 0;
		ret = ZSTD_decompressStream(z->dctx, &out, &in);
		if (ZSTD_isError(ret)) {
			/* No offset: libzstd buffers input, so where it noticed
			 * depends on how the input was cut. */
			zst_fail(z, "zstd: frame %lu: %s", z->frames + 1, ZSTD_getErrorName(ret));
			break;
		}
		if (out.pos > 0 && z->fn != NULL)
			z->fn(z->out, out.pos, z->arg);
		z->out_bytes += out.pos;
		if (ret == 0) /* a frame decoded and flushed whole */
			z->frames++;
		z->pending = ret;
		flush = ret != 0 && out.pos == out.size;
	}
	z->in_bytes += len;
#else
	(void)data;
	z->in_bytes += len;
#endif
}

void
zst_check_final(struct zst_check *z, struct zst_result *res)
{
	memset(res, 0, sizeof *res);
#ifdef HAVE_ZSTD
	if (z->error == NULL && z->in_bytes == 0)
		zst_fail(z, "zstd: empty input");
	else if (z->error == NULL && z->pending != 0)
		zst_fail(z,
		         "zstd: truncated: frame %lu not complete at the end (offset %" PRIu64 ")",
		         z->frames + 1, z->in_bytes);
	res->frames = z->frames;
	res->out_bytes = z->out_bytes;
	if (z->error != NULL) {
		res->status = ZST_CORRUPT;
		res->detail = z->error;
		z->error = NULL;
	} else {
		res->status = ZST_OK;
		res->detail = xasprintf("zstd: %lu frame%s, %" PRIu64
		                        " bytes decompressed, content checksums ok where stored",
		                        z->frames, z->frames == 1 ? "" : "s", z->out_bytes);
	}
#else
	(void)z;
	res->status = ZST_UNAVAILABLE;
	res->detail = xstrdup("zstd: built without libzstd, frames not checked");
#endif
}

void
zst_check_free(struct zst_check *z)
{
	if (z == NULL)
		return;
#ifdef HAVE_ZSTD
	ZSTD_freeDCtx(z->dctx);
	free(z->out);
#endif
	free(z->error);
	free(z);
}
