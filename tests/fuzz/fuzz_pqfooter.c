/*
 * libFuzzer target: the Thrift compact decoder and FileMetaData checks
 * (pqfooter.h) on arbitrary footers, with the footer offset taken from the
 * first bytes; nothing may crash, leak or read outside the input (ASan).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pqfooter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pqfooter_info info;
	uint64_t footer_off;
	char *err;

	if (len < 2)
		return 0;
	footer_off = (uint64_t)data[0] << 8 | data[1];
	err = pqfooter_check(data + 2, len - 2, footer_off, &info, NULL, NULL);
	free(err);
	return 0;
}
