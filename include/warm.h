/*
 * warm: rebuilds the Redis cache from MySQL. For each dataset it plans key
 * ranges (plan), runs worker threads that each own one MySQL and one Redis
 * connection (workers), checkpoints acknowledged batches, reads a sample
 * back (verify) and writes the run report (report). The report is handed
 * back to the caller, which prints it and sends it on.
 */
#ifndef CW_WARM_H
#define CW_WARM_H

#include "buf.h"
#include "conf.h"

struct warm_opts {
	char **datasets; /* names from the command line; none = every dataset */
	size_t ndatasets;
	int dry_run;
	int resume;
	long long workers; /* 0 = [warm] workers */
	int progress;      /* 1 = a progress bar on stderr (a TTY), 0 = log lines */
};

/*
 * Runs the warm and appends the cachewarden.report/1 JSON document to
 * report (also when MySQL or Redis is unreachable at start: every dataset
 * then fails with that cause). Returns the process exit code: 0 ok, 1 failed
 * or mismatches, 2 unknown dataset, 69 MySQL or Redis unavailable at start.
 */
int warm_run(const struct conf *conf, const struct warm_opts *opts, struct buf *report);

/* The Redis key of a dataset's generation marker; the caller frees it. */
char *warm_generation_key(const char *dataset);

#endif
