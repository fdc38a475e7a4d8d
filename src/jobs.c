/*
 * jobs: one thread per running job, at most one per kind. A finished thread
 * activates its slot's event; the loop's callback joins it and hands the
 * result to the daemon.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "checkpoint.h"
#include "clocks.h"
#include "crypto.h"
#include "exitcode.h"
#include "fileio.h"
#include "jobs.h"
#include "json.h"
#include "lease.h"
#include "log.h"
#include "verify.h"
#include "warm.h"
#include "xmalloc.h"

/* Reports from the daemon's jobs are spooled with one delivery pass; the flush job does the rest.
 */
#define JOBS_REPORT_WAIT_MS 0
/* One delivery job may spend this long. */
#define JOBS_FLUSH_WAIT_MS 10000
/* A checkpoint larger than this is not published as progress. */
#define JOBS_CHECKPOINT_MAX (4 * 1024 * 1024)

struct jobs_slot {
	struct jobs *owner;
	enum jobs_kind kind;
	int running; /* under owner->lock */
	pthread_t thread;
	struct event *done_ev;
	struct jobs_conf *jc;
	struct jobs_request req; /* names copied */
	char run_id[JOBS_RUN_ID_LEN + 1];
	double started;
	struct jobs_result *result;
	/* warm progress, under owner->lock */
	char *dataset;
	long long rows_done, rows_total;
	double first_at, first_rows; /* the first progress of this dataset, for the rate */
	double last_at;
};

struct jobs {
	struct event_base *base;
	pthread_mutex_t lock;
	jobs_done_fn *done;
	void *arg;
	struct jobs_slot slots[JOBS_NKINDS];
	atomic_int stop;
	struct redisconn *watch_rc; /* used by the watch thread only, kept between polls */
};

static const char *const jobs_names[JOBS_NKINDS] = { "warm", "verify", "flush", "health", "watch" };

const char *
jobs_kind_name(enum jobs_kind kind)
{
	return jobs_names[kind];
}

struct jobs_conf *
jobs_conf_new(struct conf *conf)
{
	struct jobs_conf *jc = xcalloc(1, sizeof *jc);

	jc->conf = conf;
	atomic_init(&jc->refs, 1);
	return jc;
}

struct jobs_conf *
jobs_conf_hold(struct jobs_conf *jc)
{
	atomic_fetch_add(&jc->refs, 1);
	return jc;
}

void
jobs_conf_release(struct jobs_conf *jc)
{
	if (jc != NULL && atomic_fetch_sub(&jc->refs, 1) == 1) {
		conf_free(jc->conf);
		free(jc);
	}
}

void
jobs_result_free(struct jobs_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	buf_free(&r->report);
	for (i = 0; i < r->nskipped; i++) {
		free(r->skipped[i]);
		free(r->holders[i]);
	}
	free(r->skipped);
	free(r->holders);
	health_result_free(&r->health);
	free(r->redis_cause);
	for (i = 0; i < r->ndatasets; i++) {
		free(r->datasets[i].name);
		free(r->datasets[i].lease_holder);
	}
	free(r->datasets);
	free(r);
}

/* ---- warm ------------------------------------------------------------------ */

/*
 * Before a leader writes: its local checkpoint of dataset becomes what Redis
 * says. Progress published at or after since is adopted (written as the
 * checkpoint); otherwise the local checkpoint is dropped, because the keys it
 * counts as written may be gone (a flush) or stale (a rollback).
 */
static void
jobs_adopt_progress(struct redisconn *rc, const struct conf *conf, const char *dataset,
                    double since)
{
	char *path = checkpoint_path(conf->agent.state_dir, dataset), *text = NULL, *nl;
	char *cause = NULL;
	size_t len = 0;
	int rv;

	rv = since < 0 ? 0 : lease_progress_get(rc, dataset, &text, &len, &cause);
	if (rv < 0) {
		log_warn("lease: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (rv == 1 && (nl = memchr(text, '\n', len)) != NULL && strtod(text, NULL) >= since &&
	    fileio_replace(path, nl + 1, len - (size_t)(nl + 1 - text), 0600, &cause) == 0) {
		log_info("warm %s: resuming from the progress a leader left in Redis", dataset);
	} else if (rv >= 0 && access(path, F_OK) == 0 && checkpoint_remove(path, &cause) == 0) {
		log_info("warm %s: starting over: Redis holds no progress to resume from", dataset);
	}
	if (cause != NULL) {
		log_warn("warm %s: %s", dataset, cause);
		free(cause);
	}
	free(text);
	free(path);
}

static void
jobs_progress(void *arg, const char *dataset, long long rows_done, long long rows_total)
{
	struct jobs_slot *s = arg;
	double now = clocks_mono();

	pthread_mutex_lock(&s->owner->lock);
	if (s->dataset == NULL || strcmp(s->dataset, dataset) != 0) {
		free(s->dataset);
		s->dataset = xstrdup(dataset);
		s->first_at = now;
		s->first_rows = (double)rows_done;
	}
	s->rows_done = rows_done;
	s->rows_total = rows_total;
	s->last_at = now;
	pthread_mutex_unlock(&s->owner->lock);
}

/*
 * The leader's checkpoint as the dataset's progress in Redis ("<unix time>\n"
 * then the file's text); a dataset that has none is whole, or not started.
 * 1 published (or nothing to publish), 0 the lease is not ours, -1.
 */
static int
jobs_publish_progress(struct redisconn *rc, const struct conf *conf, const struct lease *l,
                      const char *dataset, char **cause)
{
	char *path = checkpoint_path(conf->agent.state_dir, dataset), *why = NULL;
	struct buf text = BUF_INIT;
	int rv = 1;

	buf_printf(&text, "%lld\n", (long long)clocks_wall());
	/* No checkpoint (whole, or not started): nothing to publish; an unreadable one waits. */
	if (fileio_read(path, JOBS_CHECKPOINT_MAX, &text, &why) == 0)
		rv = lease_progress_put(rc, l, text.data, text.len, cause);
	free(why);
	buf_free(&text);
	free(path);
	return rv;
}

/* Renews the leases while the warm runs; a lost lease stops the warm. */
struct jobs_renewer {
	struct jobs *owner;
	const struct conf *conf;
	struct lease *leases;
	char **names; /* the dataset of each lease */
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	int lost;
};

static void *
jobs_renew_main(void *arg)
{
	struct jobs_renewer *rn = arg;
	struct redisconn *rc = NULL;
	struct timespec until;
	double period = (double)rn->conf->warm.lease_ttl / 3;
	char *cause = NULL;
	size_t i;

	pthread_mutex_lock(&rn->lock);
	while (!rn->done) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)period;
		until.tv_nsec += (long)((period - (double)(time_t)period) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&rn->cond, &rn->lock, &until);
		if (rn->done)
			break;
		pthread_mutex_unlock(&rn->lock);
		if (rc == NULL && (rc = redisconn_open(rn->conf, &cause)) == NULL) {
			log_warn("lease: cannot renew: %s", cause);
			free(cause);
			cause = NULL;
		}
		for (i = 0; rc != NULL && i < rn->n; i++) {
			int rv = lease_renew(rc, &rn->leases[i], &cause);

			if (rv > 0)
				rv = jobs_publish_progress(rc, rn->conf, &rn->leases[i],
				                           rn->names[i], &cause);

			if (rv < 0) {
				log_warn("lease: cannot renew %s: %s", rn->leases[i].key, cause);
				free(cause);
				cause = NULL;
				redisconn_close(rc);
				rc = NULL;
			} else if (rv == 0) {
				/* Flushed or taken over: writing on would race the new leader. */
				log_warn("lease: %s lost (Redis flushed or another agent leads); "
				         "stopping the warm",
				         rn->leases[i].key);
				pthread_mutex_lock(&rn->lock);
				rn->lost = 1;
				pthread_mutex_unlock(&rn->lock);
				atomic_store(&rn->owner->stop, 1);
			}
		}
		pthread_mutex_lock(&rn->lock);
	}
	pthread_mutex_unlock(&rn->lock);
	redisconn_close(rc);
	return NULL;
}

/*
 * Takes the lease of each name; fills the taken leases (and their names) and
 * the skipped names with holders, and brings each taken dataset's checkpoint
 * in line with the progress in Redis.
 */
static void
jobs_take_leases(const struct conf *conf, char **names, size_t n, double since,
                 struct lease *leases, char **lease_names, size_t *nleases, char **taken,
                 size_t *ntaken, struct jobs_result *r)
{
	struct redisconn *rc;
	char *cause = NULL, *holder = NULL;
	size_t i;

	*nleases = *ntaken = 0;
	if ((rc = redisconn_open(conf, &cause)) == NULL) {
		/* The warm itself fails on Redis and reports why. */
		log_warn("lease: %s", cause);
		free(cause);
		for (i = 0; i < n; i++)
			taken[(*ntaken)++] = names[i];
		return;
	}
	for (i = 0; i < n; i++) {
		switch (lease_acquire(rc, names[i], conf->agent.name, conf->warm.lease_ttl * 1000,
		                      &leases[*nleases], &holder, &cause)) {
		case 1:
			lease_names[(*nleases)++] = names[i];
			taken[(*ntaken)++] = names[i];
			jobs_adopt_progress(rc, conf, names[i], since);
			break;
		case 0:
			log_info("warm %s: skipped: led by %s", names[i], holder);
			r->skipped = xreallocarray(r->skipped, r->nskipped + 1, sizeof *r->skipped);
			r->holders = xreallocarray(r->holders, r->nskipped + 1, sizeof *r->holders);
			r->skipped[r->nskipped] = xstrdup(names[i]);
			r->holders[r->nskipped++] = holder;
			holder = NULL;
			break;
		default:
			log_warn("lease: %s", cause);
			free(cause);
			cause = NULL;
			taken[(*ntaken)++] = names[i];
		}
	}
	redisconn_close(rc);
}

static void
jobs_release_leases(const struct conf *conf, struct lease *leases, char **names, size_t n)
{
	struct redisconn *rc;
	char *cause = NULL;
	size_t i;

	if (n == 0)
		return;
	if ((rc = redisconn_open(conf, &cause)) == NULL) {
		log_warn("lease: cannot release (it expires by itself): %s", cause);
		free(cause);
	}
	for (i = 0; i < n; i++) {
		char *path = checkpoint_path(conf->agent.state_dir, names[i]);
		int whole = access(path, F_OK) != 0; /* a finished warm removes its checkpoint */

		free(path);
		if (rc != NULL &&
		    (whole ? lease_progress_drop(rc, &leases[i], &cause)
		           : jobs_publish_progress(rc, conf, &leases[i], names[i], &cause)) < 0) {
			log_warn("lease: %s", cause);
			free(cause);
			cause = NULL;
		}
		if (rc != NULL && lease_release(rc, &leases[i], &cause) != 0) {
			log_warn("lease: %s", cause);
			free(cause);
			cause = NULL;
		}
		lease_free(&leases[i]);
	}
	redisconn_close(rc);
}

void
jobs_skipped_doc(const struct conf *conf, char *const *names, char *const *holders, size_t n,
                 const char *run_id, struct buf *out)
{
	char when[CLOCKS_RFC3339_LEN];
	struct json j;
	size_t i;

	clocks_rfc3339((int64_t)clocks_wall(), when);
	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.report/1");
	json_string(&j, "kind", "warm");
	json_string(&j, "status", "skipped");
	json_string(&j, "host", conf->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	json_string(&j, "run_id", run_id);
	json_string(&j, "finished_at", when);
	json_array_begin(&j, "datasets");
	for (i = 0; i < n; i++) {
		struct buf why = BUF_INIT;

		buf_printf(&why, "led by %s", holders[i]);
		json_object_begin(&j, NULL);
		json_string(&j, "name", names[i]);
		json_string(&j, "status", "skipped");
		json_string(&j, "reason", why.data);
		json_string(&j, "led_by", holders[i]);
		json_object_end(&j);
		buf_free(&why);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_addc(out, '\n');
}

static void
jobs_skipped_report(const struct conf *conf, const struct jobs_result *r, const char *run_id)
{
	struct buf out = BUF_INIT;
	char *cause = NULL;

	jobs_skipped_doc(conf, r->skipped, r->holders, r->nskipped, run_id, &out);
	if (report_submit(conf, "warm", "skipped", NULL, out.data, out.len, JOBS_REPORT_WAIT_MS,
	                  &cause) != 0) {
		log_error("report: %s", cause);
		free(cause);
	}
	buf_free(&out);
}

static void
jobs_run_warm(struct jobs_slot *s, const struct conf *conf, struct jobs_result *r)
{
	size_t n = s->req.nnames > 0 ? s->req.nnames : conf->ndatasets, nleases = 0, ntaken = 0, i;
	char **names = xcalloc(n + 1, sizeof *names), **taken = xcalloc(n + 1, sizeof *taken);
	char **lease_names = xcalloc(n + 1, sizeof *lease_names);
	struct lease *leases = xcalloc(n + 1, sizeof *leases);
	struct jobs_renewer rn;
	struct warm_opts opts;
	pthread_t renewer;
	char *cause = NULL;
	int renewing = 0;

	for (i = 0; i < n; i++)
		names[i] = s->req.nnames > 0 ? s->req.names[i] : conf->datasets[i].name;
	if (conf->warm.lease)
		jobs_take_leases(conf, names, n, s->req.progress_since, leases, lease_names,
		                 &nleases, taken, &ntaken, r);
	else
		for (i = 0; i < n; i++)
			taken[ntaken++] = names[i];
	r->exit_code = CW_EXIT_OK;
	if (ntaken > 0) {
		memset(&rn, 0, sizeof rn);
		rn.owner = s->owner;
		rn.conf = conf;
		rn.leases = leases;
		rn.names = lease_names;
		rn.n = nleases;
		pthread_mutex_init(&rn.lock, NULL);
		pthread_cond_init(&rn.cond, NULL);
		if (nleases > 0)
			renewing = pthread_create(&renewer, NULL, jobs_renew_main, &rn) == 0;
		memset(&opts, 0, sizeof opts);
		opts.datasets = taken;
		opts.ndatasets = ntaken;
		/* With the lease, the checkpoints now say what Redis holds: resume what is there.
		 */
		opts.resume = s->req.resume || nleases > 0;
		opts.stop = &s->owner->stop;
		opts.on_progress = jobs_progress;
		opts.progress_arg = s;
		opts.run_id = s->run_id;
		r->exit_code = warm_run(conf, &opts, &r->report);
		if (renewing) {
			pthread_mutex_lock(&rn.lock);
			rn.done = 1;
			pthread_cond_signal(&rn.cond);
			pthread_mutex_unlock(&rn.lock);
			pthread_join(renewer, NULL);
			r->lease_lost = rn.lost;
		}
		pthread_mutex_destroy(&rn.lock);
		pthread_cond_destroy(&rn.cond);
		/* After the warm wrote its markers: an agent that sees no lease sees the marker. */
		jobs_release_leases(conf, leases, lease_names, nleases);
		if (r->report.len > 0 &&
		    report_submit(conf, NULL, NULL, NULL, r->report.data, r->report.len,
		                  JOBS_REPORT_WAIT_MS, &cause) != 0) {
			log_error("report: %s", cause);
			free(cause);
		}
	}
	if (r->nskipped > 0)
		jobs_skipped_report(conf, r, s->run_id);
	free(leases);
	free(lease_names);
	free(taken);
	free(names);
}

/* ---- the other jobs ---------------------------------------------------------- */

static void
jobs_run_verify(struct jobs_slot *s, const struct conf *conf, struct jobs_result *r)
{
	char *cause = NULL;

	r->exit_code = verify_run(conf, s->req.names, s->req.nnames, &r->report);
	if (r->report.len > 0 && report_submit(conf, NULL, NULL, NULL, r->report.data,
	                                       r->report.len, JOBS_REPORT_WAIT_MS, &cause) != 0) {
		log_error("report: %s", cause);
		free(cause);
	}
}

static void
jobs_run_flush(struct jobs_slot *s, const struct conf *conf, struct jobs_result *r)
{
	char *cause = NULL;
	size_t i;

	/* The loop's own reports (restore events): spooled here, off the loop. */
	for (i = 0; i < s->req.nreports; i++)
		if (report_submit(conf, NULL, NULL, NULL, s->req.reports[i],
		                  strlen(s->req.reports[i]), JOBS_REPORT_WAIT_MS, &cause) != 0) {
			log_error("report: %s", cause);
			free(cause);
			cause = NULL;
		}

	if (conf->sns.topic_arn != NULL &&
	    report_flush(conf, JOBS_FLUSH_WAIT_MS, &r->flush, &cause) != 0) {
		log_warn("outbox: %s", cause);
		free(cause);
		cause = NULL;
		r->exit_code = CW_EXIT_FAILED;
	}
	if (report_spool_counts(conf, r->spool, &cause) == 0)
		r->spool_ok = 1;
	else {
		log_debug("outbox: %s", cause);
		free(cause);
	}
}

static void
jobs_run_health(const struct conf *conf, struct jobs_result *r)
{
	health_run(conf, &r->health);
	r->exit_code = r->health.ok ? CW_EXIT_OK : CW_EXIT_UNAVAILABLE;
	health_report(conf, &r->health, JOBS_REPORT_WAIT_MS);
}

/* INFO, then each dataset's marker and lease holder, on a connection kept between polls. */
static void
jobs_run_watch(struct jobs *j, const struct conf *conf, struct jobs_result *r)
{
	char *cause = NULL;
	size_t i;

	if (j->watch_rc == NULL && (j->watch_rc = redisconn_open(conf, &cause)) == NULL) {
		r->redis_loading = redisconn_is_loading(cause);
		r->redis_cause = cause;
		return;
	}
	if (redisconn_info(j->watch_rc, &r->info, &cause) != 0) {
		r->redis_cause = cause;
		redisconn_close(j->watch_rc);
		j->watch_rc = NULL;
		return;
	}
	r->redis_ok = 1;
	r->redis_loading = r->info.loading;
	if (r->redis_loading)
		return;
	r->datasets = xcalloc(conf->ndatasets + 1, sizeof *r->datasets);
	r->ndatasets = conf->ndatasets;
	for (i = 0; i < conf->ndatasets; i++) {
		struct jobs_watch_dataset *d = &r->datasets[i];

		d->name = xstrdup(conf->datasets[i].name);
		if (restore_marker_read(j->watch_rc, d->name, &d->marker, &cause) != 0 ||
		    lease_holder(j->watch_rc, d->name, &d->lease_holder, &cause) < 0) {
			log_warn("restore: %s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		d->read_ok = 1;
	}
}

static void *
jobs_main(void *arg)
{
	struct jobs_slot *s = arg;
	const struct conf *conf = s->jc->conf;
	struct jobs_result *r = xcalloc(1, sizeof *r);

	r->kind = s->kind;
	memcpy(r->run_id, s->run_id, sizeof r->run_id);
	r->reason = s->req.reason;
	r->started = clocks_wall();
	switch (s->kind) {
	case JOBS_WARM:
		jobs_run_warm(s, conf, r);
		break;
	case JOBS_VERIFY:
		jobs_run_verify(s, conf, r);
		break;
	case JOBS_FLUSH:
		jobs_run_flush(s, conf, r);
		break;
	case JOBS_HEALTH:
		jobs_run_health(conf, r);
		break;
	case JOBS_WATCH:
		jobs_run_watch(s->owner, conf, r);
		break;
	case JOBS_NKINDS:
		break;
	}
	r->finished = clocks_wall();
	pthread_mutex_lock(&s->owner->lock);
	s->result = r;
	pthread_mutex_unlock(&s->owner->lock);
	event_active(s->done_ev, EV_READ, 1);
	return NULL;
}

/* Frees what a slot holds for its job: the names and the config hold. */
static void
jobs_slot_clear(struct jobs_slot *s)
{
	size_t i;

	for (i = 0; i < s->req.nnames; i++)
		free(s->req.names[i]);
	free(s->req.names);
	for (i = 0; i < s->req.nreports; i++)
		free(s->req.reports[i]);
	free(s->req.reports);
	memset(&s->req, 0, sizeof s->req);
	jobs_conf_release(s->jc);
	s->jc = NULL;
	free(s->dataset);
	s->dataset = NULL;
	s->rows_done = s->rows_total = 0;
}

/* On the loop's thread: the job's thread has ended. */
static void
jobs_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct jobs_slot *s = arg;
	struct jobs *j = s->owner;
	struct jobs_result *r;

	(void)fd;
	(void)what;
	pthread_join(s->thread, NULL);
	pthread_mutex_lock(&j->lock);
	r = s->result;
	s->result = NULL;
	s->running = 0;
	jobs_slot_clear(s);
	pthread_mutex_unlock(&j->lock);
	if (s->kind == JOBS_WARM)
		atomic_store(&j->stop, 0);
	j->done(j->arg, r);
}

struct jobs *
jobs_new(struct event_base *base, jobs_done_fn *done, void *arg)
{
	struct jobs *j = xcalloc(1, sizeof *j);
	int k;

	j->base = base;
	j->done = done;
	j->arg = arg;
	pthread_mutex_init(&j->lock, NULL);
	atomic_init(&j->stop, 0);
	for (k = 0; k < JOBS_NKINDS; k++) {
		j->slots[k].owner = j;
		j->slots[k].kind = (enum jobs_kind)k;
		if ((j->slots[k].done_ev = event_new(base, -1, 0, jobs_done_cb, &j->slots[k])) ==
		    NULL)
			fatal("jobs: cannot create an event");
	}
	return j;
}

void
jobs_free(struct jobs *j)
{
	int k;

	if (j == NULL)
		return;
	for (k = 0; k < JOBS_NKINDS; k++) {
		struct jobs_slot *s = &j->slots[k];

		if (s->running) {
			pthread_join(s->thread, NULL);
			jobs_result_free(s->result);
			jobs_slot_clear(s);
		}
		event_free(s->done_ev);
	}
	redisconn_close(j->watch_rc);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

int
jobs_start(struct jobs *j, struct jobs_conf *jc, const struct jobs_request *req,
           char run_id[JOBS_RUN_ID_LEN + 1], char **cause)
{
	struct jobs_slot *s = &j->slots[req->kind];
	sigset_t all, old;
	uint8_t rnd[JOBS_RUN_ID_LEN / 2];
	size_t i;
	int err;

	pthread_mutex_lock(&j->lock);
	if (s->running) {
		memcpy(run_id, s->run_id, JOBS_RUN_ID_LEN + 1);
		pthread_mutex_unlock(&j->lock);
		return 1;
	}
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, s->run_id);
	memcpy(run_id, s->run_id, JOBS_RUN_ID_LEN + 1);
	s->req = *req;
	s->req.names = xcalloc(req->nnames + 1, sizeof *s->req.names);
	for (i = 0; i < req->nnames; i++)
		s->req.names[i] = xstrdup(req->names[i]);
	s->req.reports = xcalloc(req->nreports + 1, sizeof *s->req.reports);
	for (i = 0; i < req->nreports; i++)
		s->req.reports[i] = xstrdup(req->reports[i]);
	s->jc = jobs_conf_hold(jc);
	s->started = clocks_wall();
	s->running = 1;
	/* Signals belong to the loop: the job's threads (and theirs) block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, jobs_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		s->running = 0;
		jobs_slot_clear(s);
		pthread_mutex_unlock(&j->lock);
		*cause = xasprintf("cannot start a %s job: %s", jobs_names[req->kind],
		                   strerror(err));
		return -1;
	}
	pthread_mutex_unlock(&j->lock);
	return 0;
}

int
jobs_running(struct jobs *j, enum jobs_kind kind)
{
	int rv;

	pthread_mutex_lock(&j->lock);
	rv = j->slots[kind].running;
	pthread_mutex_unlock(&j->lock);
	return rv;
}

int
jobs_warming(struct jobs *j, const char *dataset)
{
	struct jobs_slot *s = &j->slots[JOBS_WARM];
	size_t i;
	int rv = 0;

	pthread_mutex_lock(&j->lock);
	if (s->running) {
		rv = s->req.nnames == 0;
		for (i = 0; i < s->req.nnames && !rv; i++)
			rv = strcmp(s->req.names[i], dataset) == 0;
	}
	pthread_mutex_unlock(&j->lock);
	return rv;
}

void
jobs_stop(struct jobs *j)
{
	atomic_store(&j->stop, 1);
}

static void
jobs_status_slot(struct jobs_slot *s, struct json *out, double now_mono)
{
	char when[CLOCKS_RFC3339_LEN];
	double rate = 0;
	size_t i;

	json_object_begin(out, jobs_names[s->kind]);
	json_string(out, "run_id", s->run_id);
	json_string(out, "reason", s->req.reason);
	clocks_rfc3339((int64_t)s->started, when);
	json_string(out, "started_at", when);
	json_array_begin(out, s->kind == JOBS_WARM ? "datasets" : "sets");
	for (i = 0; i < s->req.nnames; i++)
		json_string(out, NULL, s->req.names[i]);
	json_array_end(out);
	if (s->kind == JOBS_WARM && s->dataset != NULL) {
		json_object_begin(out, "progress");
		json_string(out, "dataset", s->dataset);
		json_int(out, "rows_done", s->rows_done);
		json_int(out, "rows_total_estimate", s->rows_total);
		if (s->last_at > s->first_at)
			rate = ((double)s->rows_done - s->first_rows) / (s->last_at - s->first_at);
		json_double(out, "rows_per_sec", (double)(long long)rate);
		if (rate > 0 && s->rows_total > s->rows_done)
			json_double(
			        out, "eta_s",
			        (double)(long long)((double)(s->rows_total - s->rows_done) / rate));
		else
			json_null(out, "eta_s");
		json_double(out, "updated_s_ago", (double)(long long)(now_mono - s->last_at));
		json_object_end(out);
	}
	json_object_end(out);
}

void
jobs_status(struct jobs *j, struct json *out)
{
	double now = clocks_mono();
	int k;

	pthread_mutex_lock(&j->lock);
	for (k = JOBS_WARM; k <= JOBS_VERIFY; k++) {
		if (j->slots[k].running)
			jobs_status_slot(&j->slots[k], out, now);
		else
			json_null(out, jobs_names[k]);
	}
	pthread_mutex_unlock(&j->lock);
}
