/* libFuzzer target: the JSON reader, and writing back what it read. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "jval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf out = BUF_INIT;
	char *cause = NULL;
	struct jval *v = jval_parse((const char *)data, len, &cause);

	if (v == NULL) {
		free(cause);
		return 0;
	}
	jval_write(&out, v);
	(void)jval_size(v);
	jval_cap_arrays(v, 2);
	jval_free(v);
	buf_free(&out);
	return 0;
}
