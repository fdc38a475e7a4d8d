/*
 * libFuzzer target: the AOF and AOF-manifest checkers (aof.h) on arbitrary
 * bytes, fed whole and in 7-byte chunks: the verdict and its text must not
 * depend on the chunking, and nothing may crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
fuzz_aof_run(int manifest, const uint8_t *data, size_t len, size_t chunk, struct aof_result *res)
{
	struct aof_check *a = aof_check_init(manifest);
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		aof_check_update(a, data + off, n);
	}
	aof_check_final(a, res);
	aof_check_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct aof_result whole, chunked;
	int manifest;

	(void)aof_looks_resp(data, len);
	(void)aof_looks_manifest(data, len);
	for (manifest = 0; manifest <= 1; manifest++) {
		fuzz_aof_run(manifest, data, len, len ? len : 1, &whole);
		fuzz_aof_run(manifest, data, len, 7, &chunked);
		if (whole.status != chunked.status || strcmp(whole.detail, chunked.detail) != 0)
			abort();
		free(whole.detail);
		free(chunked.detail);
	}
	return 0;
}
