/* libFuzzer target: the outbox record decoder on arbitrary bytes. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "outbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct outbox_record r;
	char *cause = NULL;

	if (outbox_decode(data, len, &r, &cause) == 0)
		outbox_record_free(&r);
	else
		free(cause);
	return 0;
}
