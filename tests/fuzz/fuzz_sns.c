/* libFuzzer target: SNS answers (XML and JSON error bodies) and their classification. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const long statuses[] = { 200, 400, 403, 404, 413, 429, 500, 503 };
	struct sns_reply r;

	sns_parse_reply((const char *)data, len, &r);
	/* Whatever was parsed is a C string the classifier can read. */
	if (r.code != NULL || r.message != NULL)
		(void)sns_classify(statuses[len % (sizeof statuses / sizeof statuses[0])], r.code,
		                   r.message);
	if (r.message_id != NULL && strlen(r.message_id) == 0)
		abort(); /* an empty MessageId is reported as none */
	sns_reply_free(&r);
	return 0;
}
