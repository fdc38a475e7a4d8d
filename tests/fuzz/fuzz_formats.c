/*
 * libFuzzer target: a format checker on arbitrary bytes, fed whole and again
 * in odd-sized chunks: the verdict must not depend on the chunking. The
 * first byte picks the checker (scripts/fuzz.sh seeds each sample file once
 * per checker).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check(enum formats_kind kind, const uint8_t *data, size_t len, size_t chunk,
      struct formats_result *res)
{
	struct formats_check *c = formats_check_init(kind);
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		formats_check_update(c, data + off, n);
	}
	formats_check_final(c, res);
	formats_check_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum formats_kind kinds[] = {
		FORMATS_RDB,     FORMATS_GZIP, FORMATS_MYSQLDUMP, FORMATS_MYSQLDUMP_GZ,
		FORMATS_PARQUET, FORMATS_RAW,  FORMATS_AOF,       FORMATS_AOF_MANIFEST,
		FORMATS_ZSTD
	};
	struct formats_result whole, chunked;
	enum formats_kind kind;

	if (len == 0)
		return 0;
	/* The first byte picks the checker: one kind per run keeps runs short. */
	kind = kinds[data[0] % (sizeof kinds / sizeof kinds[0])];
	data++;
	len--;
	(void)formats_detect(data, len, "fuzz.bin");
	check(kind, data, len, len ? len : 1, &whole);
	check(kind, data, len, 7, &chunked);
	if (whole.status != chunked.status)
		abort();
	free(whole.detail);
	free(chunked.detail);
	return 0;
}
