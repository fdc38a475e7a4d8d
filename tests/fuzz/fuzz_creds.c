/* libFuzzer target: the shared credentials file and the instance metadata document. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct creds c;
	char *text, *cause = NULL;
	int rv;

	/* The INI reader takes a C string, as conf_read_secret gives it. */
	text = malloc(len + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	rv = creds_parse_ini(text, "default", &c, &cause);
	if (rv == 0 && (c.access_key == NULL || c.secret_key == NULL))
		abort(); /* success means a whole key pair */
	if (rv == 0)
		creds_clear(&c);
	else if (rv < 0)
		free(cause);
	cause = NULL;
	if (creds_parse_imds(text, len, &c, &cause) == 0)
		creds_clear(&c);
	else
		free(cause);
	free(text);
	return 0;
}
