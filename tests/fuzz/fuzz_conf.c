/* libFuzzer target: the agent.conf parser on arbitrary text. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_errors errors;
	char *text = xstrndup((const char *)data, len);
	struct conf *c = conf_load_string("fuzz.conf", text, 0, &errors);

	/* Either a snapshot or at least one error, never both, never neither. */
	if ((c == NULL) != (errors.count > 0))
		abort();
	conf_free(c);
	conf_errors_free(&errors);
	free(text);
	return 0;
}
