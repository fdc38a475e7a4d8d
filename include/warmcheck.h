/*
 * warmcheck: warm's read-back. After a dataset's workers finish, it reads
 * [warm] verify_sample rows from MySQL (spread over the key span, or the
 * first ones for a key without ranges), encodes them as the workers did
 * and compares each with what Redis holds (value, or absence for a deleted
 * key, and the TTL within the jitter window). Batches keep to
 * max_batch_bytes like the workers' pages.
 */
#ifndef CW_WARMCHECK_H
#define CW_WARMCHECK_H

#include <stddef.h>

#include "conf.h"
#include "encode.h"
#include "mysqlsrc.h"

#define WARMCHECK_KEEP 10 /* mismatched keys kept for the report */

/* What the read-back needs from the run; borrowed, not owned. */
struct warmcheck_input {
	const struct conf *conf;
	const struct conf_dataset *ds;
	const struct encoder *enc;
	const struct mysqlsrc_scan *scan;
	int ranged;         /* the first key column is split into ranges */
	long long min, max; /* its span, when ranged */
	size_t max_batch_bytes;
	double started; /* monotonic time the first key was written (for TTL windows) */
};

/* What it found; owns its strings (warmcheck_result_free). */
struct warmcheck_result {
	long long sampled, mismatches;
	char *mismatched[WARMCHECK_KEEP]; /* "key: why" */
	size_t nmismatched;
};

/* Adds to res; 0, or -1 and a cause when MySQL or Redis fails. */
int warmcheck_run(const struct warmcheck_input *in, struct warmcheck_result *res, char **cause);
void warmcheck_result_free(struct warmcheck_result *res);

#endif
