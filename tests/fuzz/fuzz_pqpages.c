/*
 * libFuzzer target: the page walk (pqpages.h) on arbitrary files, then
 * reconciled with three column chunks taken from the input; fed whole and
 * again in chunks of 1 to 16 bytes (the first byte says), the tally must be
 * the same, and nothing may crash, leak or read outside the input (ASan).
 *
 * Input: byte 0 the chunk size, then three chunks of 6 bytes (start, size
 * and num_values, 16 bits each, big-endian), then the file.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pqfooter.h"
#include "pqpages.h"

#define HEAD_LEN 19

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct pqpages *
walk(const uint8_t *file, size_t len, size_t chunk, const struct pqfooter_chunk *ks, size_t nks)
{
	struct pqpages *w = pqpages_init();
	size_t off, n, i;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		pqpages_update(w, file + off, n);
	}
	pqpages_end(w);
	for (i = 0; i < nks; i++)
		pqpages_chunk(w, &ks[i]);
	return w;
}

static int
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pqfooter_chunk ks[3];
	const struct pqpages_result *a, *b;
	struct pqpages *whole, *cut;
	const uint8_t *d;
	size_t i;

	if (len < HEAD_LEN)
		return 0;
	memset(ks, 0, sizeof ks);
	for (i = 0; i < 3; i++) {
		d = data + 1 + 6 * i;
		ks[i].row_group = i;
		ks[i].start = ks[i].data_off = (int64_t)(d[0] << 8 | d[1]);
		ks[i].total = (int64_t)(d[2] << 8 | d[3]);
		ks[i].num_values = (int64_t)(d[4] << 8 | d[5]);
		ks[i].rows = -1;
	}
	whole = walk(data + HEAD_LEN, len - HEAD_LEN, len, ks, 3);
	cut = walk(data + HEAD_LEN, len - HEAD_LEN, (size_t)(data[0] % 16) + 1, ks, 3);
	a = pqpages_result(whole);
	b = pqpages_result(cut);
	if (a->chunks != b->chunks || a->pages != b->pages || a->crcs != b->crcs ||
	    a->legacy_sizes != b->legacy_sizes || a->unwalked != b->unwalked ||
	    !same_text(a->unwalked_why, b->unwalked_why) || !same_text(a->damage, b->damage))
		abort();
	pqpages_free(whole);
	pqpages_free(cut);
	return 0;
}
