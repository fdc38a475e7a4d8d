/*
 * zst: zstd frames checked with libzstd; the only module that includes
 * zstd.h. Built without libzstd (./configure --without-zstd, or no
 * libzstd-dev), the checker only says so and the caller reports UNCHECKED.
 *
 * A checker is fed the chunks of a file read once (init, update, final),
 * decompresses every frame into a fixed scratch buffer (libzstd keeps the
 * window, at most 8 MiB for frames libzstd accepts by default) and so finds
 * a frame cut short, damaged data, a content checksum that does not match
 * (zstd writes one by default) and bytes after the last frame that are not
 * a frame. Used by one thread at a time.
 */
#ifndef CW_ZST_H
#define CW_ZST_H

#include <stddef.h>
#include <stdint.h>

/* The libzstd version the checks use ("1.5.4"), or NULL when built without it. */
const char *zst_version(void);

/* Receives every run of decompressed bytes in order; data is valid during the call only. */
typedef void zst_output_fn(const void *data, size_t len, void *arg);

enum zst_status {
	ZST_OK,
	ZST_UNAVAILABLE, /* built without libzstd */
	ZST_CORRUPT,
};

struct zst_result {
	enum zst_status status;
	unsigned long frames; /* complete frames, skippable ones included */
	uint64_t out_bytes;
	char *detail; /* "zstd: ..."; the caller frees it */
};

struct zst_check;

/* fn (may be NULL) sees the decompressed bytes. The caller frees the checker. */
struct zst_check *zst_check_init(zst_output_fn *fn, void *arg);
void zst_check_update(struct zst_check *z, const void *data, size_t len);
void zst_check_final(struct zst_check *z, struct zst_result *res);
void zst_check_free(struct zst_check *z);

#endif
