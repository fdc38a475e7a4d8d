/*
 * warm: rebuilds the Redis cache from MySQL. For each dataset it checks the
 * dataset against the table's catalogue and plans key ranges (warmplan),
 * runs worker threads that each own one MySQL and one Redis connection
 * (workers), checkpoints acknowledged batches, reads a sample back
 * (warmcheck) and writes the run report (report). The report is handed
 * back to the caller, which prints it and sends it on.
 */
#ifndef CW_WARM_H
#define CW_WARM_H

#include <stdatomic.h>

#include "buf.h"
#include "conf.h"

/* warm_run's return when opts->stop ended the run; the caller exits 128 + the signal. */
#define WARM_INTERRUPTED 130

struct warm_opts {
	char **datasets; /* names from the command line; none = every dataset */
	size_t ndatasets;
	int dry_run;
	int resume;
	long long workers; /* 0 = [warm] workers */
	int progress;      /* 1 = a progress bar on stderr (a TTY), 0 = log lines */
	/*
	 * May be NULL. When *stop becomes nonzero the workers stop reading,
	 * acknowledge or checkpoint the batches in flight, datasets not yet
	 * started are not started, and the run ends with status "interrupted"
	 * (report written, warm_run returns WARM_INTERRUPTED). Owned by the caller,
	 * which may set it from a signal handler.
	 */
	const atomic_int *stop;
	/*
	 * May be NULL. Called from any worker thread (never two at once), at most
	 * about every 200 ms per dataset and once at each dataset's end.
	 * rows_total_estimate comes from table statistics, never below rows_done.
	 */
	void (*on_progress)(void *arg, const char *dataset, long long rows_done,
	                    long long rows_total_estimate);
	void *progress_arg;
};

/*
 * Runs the warm and appends the cachewarden.report/1 JSON document to
 * report (also when MySQL or Redis is unreachable at start: every dataset
 * then fails with that cause). Returns the process exit code: 0 ok, 1 failed
 * or mismatches, 2 unknown dataset, 69 MySQL or Redis unavailable at start,
 * WARM_INTERRUPTED when opts->stop ended the run (the report says
 * "interrupted"; checkpoints are kept for --resume).
 */
int warm_run(const struct conf *conf, const struct warm_opts *opts, struct buf *report);

/* The Redis key of a dataset's generation marker; the caller frees it. */
char *warm_generation_key(const char *dataset);

#endif
