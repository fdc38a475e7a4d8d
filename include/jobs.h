/*
 * jobs: the daemon's long work, each kind on a thread of its own so the
 * event loop never blocks: warm (under the fleet lease), verify, delivery of
 * the outbox, health checks and the restore watch. At most one job of each
 * kind runs at a time. A job keeps the config snapshot it started with, so a
 * reload never changes a job under way.
 *
 * A finished job wakes the loop (jobs_new's done callback, called on the
 * loop's thread with the job's result); the loop owns the result then.
 * Progress and the running jobs' descriptions are read under the jobs lock
 * with jobs_status.
 */
#ifndef CW_JOBS_H
#define CW_JOBS_H

#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "health.h"
#include "json.h"
#include "redisconn.h"
#include "report.h"
#include "restore.h"

struct event_base;

enum jobs_kind { JOBS_WARM, JOBS_VERIFY, JOBS_FLUSH, JOBS_HEALTH, JOBS_WATCH, JOBS_NKINDS };

#define JOBS_RUN_ID_LEN 16

/* A config snapshot shared by the daemon and the jobs it started. */
struct jobs_conf {
	struct conf *conf;
	atomic_int refs;
};

struct jobs_conf *jobs_conf_new(struct conf *conf); /* takes conf; one reference */
struct jobs_conf *jobs_conf_hold(struct jobs_conf *jc);
void jobs_conf_release(struct jobs_conf *jc); /* frees the conf with the last reference */

struct jobs_request {
	enum jobs_kind kind;
	char **names; /* datasets (warm) or sets (verify); none = all */
	size_t nnames;
	int resume; /* warm: continue from checkpoints */
	/*
	 * warm, with the lease: adopt progress a leader published at or after
	 * this wall-clock time (0: any; < 0: none, start over). A rollback must
	 * not resume from progress that came back with the old snapshot.
	 */
	double progress_since;
	char **reports; /* flush: JSON reports to spool first (copied) */
	size_t nreports;
	const char *reason; /* "admin", "restore", "schedule", "startup" (static) */
};

/* What the restore watch saw, for the loop to judge. */
struct jobs_watch_dataset {
	char *name;
	int read_ok;                  /* marker and lease were read */
	struct restore_marker marker; /* as Redis has it now */
	char *lease_holder;           /* host, or NULL when nobody holds it */
};

struct jobs_result {
	enum jobs_kind kind;
	char run_id[JOBS_RUN_ID_LEN + 1];
	const char *reason;
	double started, finished; /* wall clock */
	int exit_code;
	struct buf report; /* warm and verify: the cachewarden.report/1 document */
	int lease_lost;    /* warm: stopped because a lease was lost (Redis flushed mid-warm) */
	/* warm: datasets another agent leads (names[i] led by holders[i]) */
	char **skipped, **holders;
	size_t nskipped;
	/* flush */
	struct report_flush_result flush;
	unsigned spool[3]; /* pending, dead, quarantined; spool_ok says whether known */
	int spool_ok;
	/* health */
	struct health_result health;
	/* watch */
	int redis_ok, redis_loading;
	char *redis_cause;
	struct redis_info info;
	struct jobs_watch_dataset *datasets;
	size_t ndatasets;
};

void jobs_result_free(struct jobs_result *r);

struct jobs;

typedef void jobs_done_fn(void *arg, struct jobs_result *result);

struct jobs *jobs_new(struct event_base *base, jobs_done_fn *done, void *arg);
/* Waits for every job to end (after jobs_stop), then frees. */
void jobs_free(struct jobs *j);

/*
 * Starts a job on its own thread with a hold on jc. 0 and its run id; 1
 * when a job of that kind runs already (run_id is then the running one's);
 * -1 and a cause when the thread cannot start.
 */
int jobs_start(struct jobs *j, struct jobs_conf *jc, const struct jobs_request *req,
               char run_id[JOBS_RUN_ID_LEN + 1], char **cause);
int jobs_running(struct jobs *j, enum jobs_kind kind);
/* Whether a warm runs that covers dataset (all datasets, or this one named). */
int jobs_warming(struct jobs *j, const char *dataset);
/* Asks the warm to stop at its next batch boundary (checkpointed, status interrupted). */
void jobs_stop(struct jobs *j);

/* The running jobs as JSON members ("warm": {...} or null, "verify": ...). */
void jobs_status(struct jobs *j, struct json *out);

const char *jobs_kind_name(enum jobs_kind kind);

/*
 * The report of datasets another agent leads (kind warm, status skipped,
 * each with led_by), appended to out: for a warm whose lease was taken and
 * for the restore watch that finds one held.
 */
void jobs_skipped_doc(const struct conf *conf, char *const *names, char *const *holders, size_t n,
                      const char *run_id, struct buf *out);

#endif
