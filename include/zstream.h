/*
 * zstream: zlib behind interfaces of our own; this is the only module that
 * includes zlib.h. It offers a streaming CRC32 and a streaming gzip checker
 * for the nightly verification of backup exports.
 *
 * Both are incremental state machines fed with the chunks of a file that is
 * read once: init, update with every chunk in order, final. Memory stays
 * bounded whatever the input size: the gzip checker inflates into a fixed
 * scratch buffer and keeps nothing but zlib's 32 KiB window and a few header
 * and trailer bytes. A context may move between threads but is used by one
 * thread at a time.
 *
 * Offsets in error texts are byte offsets in the compressed input. For a
 * damaged deflate stream it is where inflate noticed the damage, which can be
 * after the damaged byte (a flipped literal is only caught by the member's
 * CRC32 at its trailer).
 */
#ifndef CW_ZSTREAM_H
#define CW_ZSTREAM_H

#include <stddef.h>
#include <stdint.h>

/* CRC32 as zlib's crc32() of the whole input; a plain value, no allocation. */
struct zstream_crc32 {
	uint32_t crc;
};

void zstream_crc32_init(struct zstream_crc32 *c);
void zstream_crc32_update(struct zstream_crc32 *c, const void *data, size_t len);
void zstream_crc32_final(const struct zstream_crc32 *c, uint32_t *crc);

/*
 * Flags for zstream_gzip_init.
 *
 * By default bytes after the last member are an error, zero bytes included:
 * the agent's exports are never padded, and a zero-filled tail is what a
 * crash or a preallocated file leaves, possibly where a member was lost.
 * gzip -t accepts trailing zeros silently; ZSTREAM_GZIP_ALLOW_ZERO_PADDING
 * does the same for files from elsewhere (tape-style padding) and counts them.
 */
#define ZSTREAM_GZIP_ALLOW_ZERO_PADDING 0x1

/* Receives every run of decompressed bytes in order; data is valid during the call only. */
typedef void zstream_gzip_output_fn(const void *data, size_t len, void *arg);

struct zstream_gzip_result {
	int ok;                /* 1 when every member inflated and its CRC32 and ISIZE matched */
	unsigned long members; /* complete members */
	uint64_t in_bytes;     /* compressed bytes fed */
	uint64_t out_bytes;    /* decompressed bytes produced */
	uint64_t padding;      /* zero bytes accepted after the last member */
	uint64_t error_offset; /* where the error was detected; 0 when ok */
	char *error;           /* NULL when ok, else "gzip: ..."; the caller frees it */
};

struct zstream_gzip;

/*
 * Starts a checker; fn (may be NULL) sees the decompressed bytes. The caller
 * owns the context and releases it with zstream_gzip_free, after final or
 * instead of it. Once an error is found, further updates are ignored.
 */
struct zstream_gzip *zstream_gzip_init(int flags, zstream_gzip_output_fn *fn, void *arg);
void zstream_gzip_update(struct zstream_gzip *z, const void *data, size_t len);
/* Ends the input (a member still open is truncated) and fills *res. */
void zstream_gzip_final(struct zstream_gzip *z, struct zstream_gzip_result *res);
void zstream_gzip_free(struct zstream_gzip *z);

/*
 * Inflates the start of the first gzip member in in[0, inlen) into out, at
 * most outcap bytes, for format detection. Returns the number of bytes
 * written; 0 when in does not start like a gzip stream.
 */
size_t zstream_gunzip_head(const void *in, size_t inlen, void *out, size_t outcap);

#endif
