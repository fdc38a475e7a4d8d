/*
 * libFuzzer target: the RDB walk on arbitrary bytes, with a valid header
 * prepended half of the time so that the walk gets past the magic, fed whole,
 * in 7-byte and in 1-byte chunks: the verdict and its text must not depend on
 * the chunking, and nothing may crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
fuzz_rdb_run(const uint8_t *data, size_t len, size_t chunk, struct rdb_result *res)
{
	struct rdb_check *r = rdb_check_init();
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rdb_check_update(r, data + off, n);
	}
	rdb_check_final(r, res);
	rdb_check_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const size_t chunks[] = { 7, 1 };
	struct rdb_result whole, other;
	uint8_t *buf;
	size_t n = len, i;

	if (len == 0)
		return 0;
	buf = malloc(len + 9);
	if (buf == NULL)
		return 0;
	/* The first byte picks a header: none, or REDIS00NN for versions 1..12. */
	if (data[0] % 2 == 0) {
		memcpy(buf, data + 1, len - 1);
		n = len - 1;
	} else {
		memcpy(buf, "REDIS0000", 9);
		buf[7] = (uint8_t)('0' + (data[0] / 2 % 12 + 1) / 10);
		buf[8] = (uint8_t)('0' + (data[0] / 2 % 12 + 1) % 10);
		memcpy(buf + 9, data + 1, len - 1);
		n = len + 8;
	}
	fuzz_rdb_run(buf, n, n ? n : 1, &whole);
	/* One-byte chunks cost a call per byte: only for the shorter inputs. */
	for (i = 0; i < sizeof chunks / sizeof chunks[0] && (chunks[i] > 1 || n <= 4096); i++) {
		fuzz_rdb_run(buf, n, chunks[i], &other);
		if (other.status != whole.status || strcmp(other.detail, whole.detail) != 0)
			abort();
		free(other.detail);
	}
	free(whole.detail);
	free(buf);
	return 0;
}
