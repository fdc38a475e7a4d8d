/*
 * libFuzzer target: the XML reader, and everything that reads AWS answers
 * with it (RDS and ElastiCache pages, error answers) or beside it (AWS
 * Backup's JSON pages).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "awsapi.h"
#include "snapshots.h"
#include "xmlq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *text = (const char *)data;
	struct snapshots_list l = { NULL, 0 };
	char *cause = NULL, *next = NULL, *code = NULL, *message = NULL;
	struct xmlq_node *x = xmlq_parse(text, len, &cause);

	if (x != NULL) {
		(void)xmlq_text(x, "DescribeDBSnapshotsResult/Marker");
		(void)xmlq_path(x, "a/b/c");
		xmlq_free(x);
	}
	free(cause);
	cause = NULL;
	if (snapshots_parse_rds(text, len, (int)(len & 1), &l, &next, &cause) != 0)
		free(cause);
	free(next);
	cause = next = NULL;
	if (snapshots_parse_elasticache(text, len, &l, &next, &cause) != 0)
		free(cause);
	free(next);
	cause = next = NULL;
	if (snapshots_parse_backup(text, len, (int)(len & 1), &l, &next, &cause) != 0)
		free(cause);
	free(next);
	snapshots_list_free(&l);
	awsapi_parse_error(text, len, &code, &message);
	free(code);
	free(message);
	free(awsapi_snippet(text, len));
	return 0;
}
