/*
 * daemon: the loop, its timers and signals, and the decisions it makes on
 * the jobs' results. Everything here runs on the loop's thread; the only
 * state other threads touch lives in jobs.c, under its lock.
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "admin.h"
#include "checkpoint.h"
#include "clocks.h"
#include "crypto.h"
#include "daemon.h"
#include "exitcode.h"
#include "fileio.h"
#include "http.h"
#include "jobs.h"
#include "json.h"
#include "jval.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "restore.h"
#include "sched.h"
#include "sdnotify.h"
#include "xmalloc.h"

/* Delivery: soon after a job spooled a report, then on this period while reports wait. */
#define DAEMON_FLUSH_IDLE_S 60.0
#define DAEMON_FLUSH_SOON_S 1.0
/* A restore-triggered warm that did not end ok is retried after this, doubling to the cap. */
#define DAEMON_RETRY_BASE_MS 30000
#define DAEMON_RETRY_CAP_MS  3600000
/* The verify timer re-reads the wall clock at least this often (clock steps, suspend). */
#define DAEMON_SCHED_STEP_S 60.0

/* What the daemon knows of one dataset: its figures, and any restore it is acting on. */
struct daemon_dataset {
	char *name;
	struct metrics_dataset m;
	int pending; /* a loss or rollback seen and not yet resolved */
	enum restore_event event;
	unsigned attempts;  /* restore warms started that did not resolve it */
	int led_reported;   /* "skipped: led by" said for this event */
	double detected_at; /* wall clock, when the event was first seen */
	double next_try;    /* monotonic: no restore warm before */
	char *lease_holder; /* from the last watch */
};

struct daemon_set {
	char *name;
	struct metrics_exports m;
};

struct daemon_waiter {
	struct admin_req *req;
	struct daemon_waiter *next;
};

struct daemon {
	struct event_base *base;
	const char *conf_path;
	struct jobs_conf *jc;
	struct jobs *jobs;
	struct admin *admin;
	struct sdnotify *notify;
	struct sched_zone *zone;
	uint64_t splay_seed;
	struct event *ev_sig[3], *ev_watch, *ev_health, *ev_flush, *ev_verify, *ev_watchdog,
	        *ev_stop;
	double start_time;
	/* restore detection */
	struct restore_state restore;
	int redis_loading; /* the last watch saw Redis loading (or unreachable as LOADING) */
	int redis_down;    /* the last watch could not reach Redis (logged once) */
	struct daemon_dataset *ds;
	size_t nds;
	struct daemon_set *sets;
	size_t nsets;
	/* figures for /metrics and /health */
	struct redis_info info;
	int info_ok;
	struct health_result health;
	int health_known;
	unsigned spool[3];
	int spool_ok;
	long long restores_lost, restores_rollback;
	unsigned flush_failures;
	/* reports waiting for the next delivery job (JSON documents) */
	char **outgoing;
	size_t noutgoing;
	char *last_warm, *last_verify; /* the last reports, JSON */
	time_t next_verify;            /* wall clock; 0 = none */
	struct daemon_waiter *health_waiters;
	/* stopping */
	int stopping;
	double stop_deadline; /* monotonic */
	int final_flush;      /* 0 not yet, 1 started, 2 done */
	int exit_code;
};

static void daemon_schedule_verify(struct daemon *d);
static void daemon_start(struct daemon *d, const struct jobs_request *req, const char *why);

static const struct conf *
daemon_conf(const struct daemon *d)
{
	return d->jc->conf;
}

static void
daemon_timer(struct event *ev, double secs)
{
	struct timeval tv;

	if (secs < 0)
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(ev, &tv);
}

static struct event *
daemon_new_timer(struct daemon *d, event_callback_fn fn)
{
	struct event *ev = evtimer_new(d->base, fn, d);

	if (ev == NULL)
		fatal("daemon: cannot create a timer");
	return ev;
}

/* ---- per dataset and per set figures, kept across reloads by name ------------ */

static struct daemon_dataset *
daemon_dataset(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nds; i++)
		if (strcmp(d->ds[i].name, name) == 0)
			return &d->ds[i];
	return NULL;
}

static struct daemon_set *
daemon_set(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nsets; i++)
		if (strcmp(d->sets[i].name, name) == 0)
			return &d->sets[i];
	return NULL;
}

/* Rebuilds the dataset and set tables from the config, keeping what is known by name. */
static void
daemon_tables(struct daemon *d)
{
	const struct conf *conf = daemon_conf(d);
	struct daemon_dataset *ds = xcalloc(conf->ndatasets + 1, sizeof *ds), *old;
	struct daemon_set *sets = xcalloc(conf->nexports + conf->nsnapshots + 1, sizeof *sets);
	struct daemon_set *olds;
	size_t i, nsets = 0;

	for (i = 0; i < conf->ndatasets; i++) {
		if ((old = daemon_dataset(d, conf->datasets[i].name)) != NULL) {
			ds[i] = *old;
			old->name = NULL;
			old->lease_holder = NULL;
		} else {
			ds[i].name = xstrdup(conf->datasets[i].name);
			ds[i].m.last_duration_s = -1;
		}
		ds[i].m.name = ds[i].name;
	}
	/* Export sets, then snapshot sets; a snapshot set named like an export set is verify's
	 * second choice for that name, so it has no series of its own. */
	for (i = 0; i < conf->nexports + conf->nsnapshots; i++) {
		const char *name = i < conf->nexports ? conf->exports[i].name
		                                      : conf->snapshots[i - conf->nexports].name;

		if (i >= conf->nexports && conf_find_exports(conf, name) != NULL)
			continue;
		if ((olds = daemon_set(d, name)) != NULL) {
			sets[nsets] = *olds;
			olds->name = NULL;
		} else {
			sets[nsets].name = xstrdup(name);
			sets[nsets].m.problems = -1;
		}
		sets[nsets].m.name = sets[nsets].name;
		nsets++;
	}
	for (i = 0; i < d->nds; i++) {
		free(d->ds[i].name);
		free(d->ds[i].lease_holder);
	}
	for (i = 0; i < d->nsets; i++)
		free(d->sets[i].name);
	free(d->ds);
	free(d->sets);
	d->ds = ds;
	d->nds = conf->ndatasets;
	d->sets = sets;
	d->nsets = nsets;
}

/* ---- systemd status ------------------------------------------------------------ */

static void
daemon_status_line(struct daemon *d)
{
	char when[CLOCKS_RFC3339_LEN];

	if (d->stopping)
		return;
	clocks_rfc3339((int64_t)d->next_verify, when);
	sdnotify_send(d->notify, "STATUS=%s%s%snext verify %s",
	              jobs_running(d->jobs, JOBS_WARM) ? "warm running; " : "",
	              jobs_running(d->jobs, JOBS_VERIFY) ? "verify running; " : "",
	              d->redis_loading ? "Redis loading; " : "",
	              d->next_verify > 0 ? when : "none");
}

/* ---- reports from the loop: spooled by the next delivery job -------------------- */

static void
daemon_flush_soon(struct daemon *d)
{
	if (!d->stopping)
		daemon_timer(d->ev_flush, DAEMON_FLUSH_SOON_S);
}

static void
daemon_queue_report(struct daemon *d, struct buf *doc)
{
	d->outgoing = xreallocarray(d->outgoing, d->noutgoing + 1, sizeof *d->outgoing);
	d->outgoing[d->noutgoing++] = buf_detach(doc);
	daemon_flush_soon(d);
}

static void
daemon_marker_json(struct json *j, const char *key, const struct restore_marker *m)
{
	if (!m->present) {
		json_null(j, key);
		return;
	}
	json_object_begin(j, key);
	json_string(j, "finished_at", m->finished_at);
	json_int(j, "rows", m->rows);
	json_string(j, "host", m->host);
	json_string(j, "run_id", m->run_id);
	json_object_end(j);
}

/* kind "restore": what was seen, and what the agent does about it. */
static void
daemon_restore_report(struct daemon *d, const char *dataset, enum restore_event ev,
                      const struct restore_marker *seen, const struct restore_marker *now,
                      const char *action)
{
	const struct conf *conf = daemon_conf(d);
	char when[CLOCKS_RFC3339_LEN];
	struct buf out = BUF_INIT;
	struct json j;

	clocks_rfc3339((int64_t)clocks_wall(), when);
	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.report/1");
	json_string(&j, "kind", "restore");
	json_string(&j, "status", "detected");
	json_string(&j, "host", conf->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	json_string(&j, "detected_at", when);
	json_string(&j, "dataset", dataset);
	json_string(&j, "event", restore_event_name(ev));
	json_string(&j, "meaning",
	            ev == RESTORE_LOST ? "no generation marker: the cache was lost or flushed"
	                               : "an older generation marker: Redis came back from an "
	                                 "older snapshot");
	daemon_marker_json(&j, "marker_seen", seen);
	daemon_marker_json(&j, "marker_now", now);
	json_string(&j, "redis_run_id", d->info.run_id);
	json_string(&j, "action", action);
	json_object_end(&j);
	buf_addc(&out, '\n');
	daemon_queue_report(d, &out);
}

/* ---- restore detection -------------------------------------------------------- */

static void
daemon_save_restore(struct daemon *d)
{
	char *cause = NULL;

	if (restore_state_save(daemon_conf(d)->agent.state_dir, &d->restore, &cause) != 0) {
		log_warn("restore: %s", cause);
		free(cause);
	}
}

/* Another agent rebuilds what this one saw lost: say so once, as a warm that was skipped. */
static void
daemon_led_report(struct daemon *d, const char *dataset, const char *holder)
{
	char run_id[JOBS_RUN_ID_LEN + 1], *names[1], *holders[1];
	uint8_t rnd[JOBS_RUN_ID_LEN / 2];
	struct buf out = BUF_INIT;

	log_info("warm %s: skipped: led by %s", dataset, holder);
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, run_id);
	names[0] = (char *)dataset;
	holders[0] = (char *)holder;
	jobs_skipped_doc(daemon_conf(d), names, holders, 1, run_id, &out);
	daemon_queue_report(d, &out);
}

/*
 * A lost or rolled-back dataset: report it once; 1 when it should be warmed
 * now (nobody else leads, no backoff pending).
 */
static int
daemon_restore_act(struct daemon *d, struct daemon_dataset *dd, enum restore_event ev,
                   const struct restore_marker *seen, const struct jobs_watch_dataset *w)
{
	const struct conf *conf = daemon_conf(d);
	int rebuild = conf->warm.on_restore == CONF_ON_RESTORE_REBUILD;

	if (!dd->pending) {
		dd->pending = 1;
		dd->event = ev;
		dd->attempts = 0;
		dd->next_try = 0;
		dd->led_reported = 0;
		dd->detected_at = clocks_wall();
		if (ev == RESTORE_LOST)
			d->restores_lost++;
		else
			d->restores_rollback++;
		log_warn("restore: dataset %s: %s (%s)", dd->name,
		         ev == RESTORE_LOST ? "no generation marker: the cache was lost or flushed"
		                            : "an older generation marker: Redis came back from an "
		                              "older snapshot",
		         rebuild ? "rebuilding" : "reporting only");
		daemon_restore_report(d, dd->name, ev, seen, &w->marker,
		                      rebuild ? "rebuild" : "report");
	}
	if (rebuild && w->lease_holder != NULL && !dd->led_reported &&
	    !jobs_warming(d->jobs, dd->name)) {
		daemon_led_report(d, dd->name, w->lease_holder);
		dd->led_reported = 1;
	}
	/* Wanted: the caller starts one warm for every dataset that wants one. */
	return rebuild && w->lease_holder == NULL && !jobs_warming(d->jobs, dd->name) &&
	       clocks_mono() >= dd->next_try && !d->stopping;
}

/* One warm for the datasets the watch found lost or rolled back, each backed off if it fails. */
static void
daemon_restore_warm(struct daemon *d, char **names, size_t n)
{
	struct jobs_request req;
	struct daemon_dataset *dd;
	uint32_t backoff;
	size_t i;

	if (n == 0 || jobs_running(d->jobs, JOBS_WARM))
		return; /* a warm under way: the next poll asks again */
	memset(&req, 0, sizeof req);
	req.kind = JOBS_WARM;
	req.names = names;
	req.nnames = n;
	req.reason = "restore";
	/*
	 * Progress a leader published since the event, never what came back with
	 * a snapshot. The event happened at most one poll before this agent saw
	 * it, and another agent may have seen it (and published) that much
	 * sooner: progress from that window counts.
	 */
	req.progress_since = clocks_wall();
	for (i = 0; i < n; i++)
		if ((dd = daemon_dataset(d, names[i])) != NULL &&
		    dd->detected_at < req.progress_since)
			req.progress_since = dd->detected_at;
	req.progress_since -= (double)daemon_conf(d)->warm.restore_poll + 1;
	daemon_start(d, &req, "restore");
	if (!jobs_running(d->jobs, JOBS_WARM))
		return;
	for (i = 0; i < n; i++) {
		if ((dd = daemon_dataset(d, names[i])) == NULL)
			continue;
		backoff = clocks_backoff_cap_ms(dd->attempts++, DAEMON_RETRY_BASE_MS,
		                                DAEMON_RETRY_CAP_MS);
		dd->next_try = clocks_mono() + (double)backoff / 1000;
	}
}

/* Judges one dataset's marker; 1 when it is to be warmed. */
static int
daemon_judge_dataset(struct daemon *d, const struct jobs_watch_dataset *w, int restarted)
{
	struct daemon_dataset *dd = daemon_dataset(d, w->name);
	struct restore_marker *seen, before;
	enum restore_event ev;

	if (dd == NULL || !w->read_ok)
		return 0;
	free(dd->lease_holder);
	dd->lease_holder = w->lease_holder != NULL ? xstrdup(w->lease_holder) : NULL;
	seen = restore_state_seen(&d->restore, w->name);
	before = *seen;
	ev = restore_judge(seen, &w->marker);
	switch (ev) {
	case RESTORE_SAME:
		if (restarted)
			log_info("restore: dataset %s: marker intact after a Redis restart or "
			         "failover: the data was kept, nothing to do",
			         w->name);
		dd->pending = 0;
		break;
	case RESTORE_FIRST:
	case RESTORE_NEWER:
		*seen = w->marker;
		daemon_save_restore(d);
		if (dd->pending)
			log_info("restore: dataset %s is whole again (generation %s by %s)",
			         w->name, w->marker.finished_at, w->marker.host);
		dd->pending = 0;
		break;
	case RESTORE_LOST:
	case RESTORE_ROLLBACK:
		return daemon_restore_act(d, dd, ev, &before, w);
	}
	return 0;
}

static void
daemon_on_watch(struct daemon *d, struct jobs_result *r)
{
	const struct conf *conf = daemon_conf(d);
	int restarted = 0;
	char **names;
	size_t i, n = 0;

	if (!r->redis_ok && !r->redis_loading) {
		if (!d->redis_down)
			log_warn("restore: cannot watch Redis: %s", r->redis_cause);
		d->redis_down = 1;
		d->info_ok = 0;
		return;
	}
	if (d->redis_down)
		log_info("restore: Redis is reachable again");
	d->redis_down = 0;
	if (r->redis_ok) {
		d->info = r->info;
		d->info_ok = 1;
	}
	if (r->redis_loading) {
		/* Nothing triggers while Redis loads: its keys are not all there yet. */
		if (!d->redis_loading)
			log_info("restore: Redis is loading its dataset; waiting");
		d->redis_loading = 1;
		return;
	}
	if (d->redis_loading)
		log_info("restore: Redis finished loading");
	d->redis_loading = 0;
	if (d->restore.redis_run_id[0] != '\0' &&
	    strcmp(d->restore.redis_run_id, r->info.run_id) != 0) {
		restarted = 1;
		log_info("restore: Redis run_id changed (%s -> %s): a restart, a restore or a "
		         "failover",
		         d->restore.redis_run_id, r->info.run_id);
	}
	if (strcmp(d->restore.redis_run_id, r->info.run_id) != 0) {
		snprintf(d->restore.redis_run_id, sizeof d->restore.redis_run_id, "%s",
		         r->info.run_id);
		daemon_save_restore(d);
	}
	if (conf->warm.on_restore == CONF_ON_RESTORE_OFF)
		return;
	names = xcalloc(r->ndatasets + 1, sizeof *names);
	for (i = 0; i < r->ndatasets; i++)
		if (daemon_judge_dataset(d, &r->datasets[i], restarted))
			names[n++] = r->datasets[i].name;
	daemon_restore_warm(d, names, n);
	free(names);
}

/* ---- job results ------------------------------------------------------------------ */

static void
daemon_on_warm(struct daemon *d, struct jobs_result *r)
{
	struct jval *doc, *list, *it;
	const char *status;
	size_t i;

	/* A flush mid-warm took the lease with the keys: start over at the next poll. */
	for (i = 0; r->lease_lost && i < d->nds; i++) {
		d->ds[i].next_try = 0;
		d->ds[i].attempts = 0;
	}
	for (i = 0; i < r->nskipped; i++) {
		struct daemon_dataset *dd = daemon_dataset(d, r->skipped[i]);

		/* Led by another agent: no backoff, the lease says when it is done. */
		if (dd != NULL) {
			dd->next_try = 0;
			if (dd->attempts > 0)
				dd->attempts--;
		}
	}
	if (r->report.len == 0)
		return;
	free(d->last_warm);
	d->last_warm = xstrdup(r->report.data);
	if ((doc = jval_parse(r->report.data, r->report.len, NULL)) == NULL)
		return;
	list = jval_get(doc, "datasets");
	for (i = 0; list != NULL && list->type == JVAL_ARRAY && i < list->n; i++) {
		struct daemon_dataset *dd;
		const struct jval *v;

		it = list->items[i];
		if ((status = jval_get_string(it, "status")) == NULL ||
		    jval_get_string(it, "name") == NULL ||
		    (dd = daemon_dataset(d, jval_get_string(it, "name"))) == NULL)
			continue;
		if ((v = jval_get(it, "rows_read")) != NULL && v->type == JVAL_NUMBER)
			dd->m.rows_total += strtoll(v->str, NULL, 10);
		if ((v = jval_get(it, "keys_written")) != NULL && v->type == JVAL_NUMBER)
			dd->m.keys_total += strtoll(v->str, NULL, 10);
		if ((v = jval_get(it, "seconds")) != NULL && v->type == JVAL_NUMBER)
			dd->m.last_duration_s = strtod(v->str, NULL);
		if (strcmp(status, "ok") == 0) {
			dd->m.runs_ok++;
			dd->m.last_success = r->finished;
			/* Whole again: a loss seen after this is a new event, with no backoff. */
			dd->pending = 0;
			dd->attempts = 0;
			dd->next_try = 0;
		} else
			dd->m.runs_failed++;
	}
	jval_free(doc);
	log_info("warm %s (%s): exit %d", r->run_id, r->reason, r->exit_code);
}

static void
daemon_on_verify(struct daemon *d, struct jobs_result *r)
{
	struct jval *doc, *list, *it, *probs;
	size_t i;

	if (r->report.len == 0)
		return;
	free(d->last_verify);
	d->last_verify = xstrdup(r->report.data);
	if ((doc = jval_parse(r->report.data, r->report.len, NULL)) == NULL)
		return;
	list = jval_get(doc, "sets");
	for (i = 0; list != NULL && list->type == JVAL_ARRAY && i < list->n; i++) {
		struct daemon_set *s;
		const struct jval *omitted;

		it = list->items[i];
		if (jval_get_string(it, "name") == NULL ||
		    (s = daemon_set(d, jval_get_string(it, "name"))) == NULL)
			continue;
		probs = jval_get(it, "problems");
		s->m.problems =
		        probs != NULL && probs->type == JVAL_ARRAY ? (long long)probs->n : 0;
		if ((omitted = jval_get(it, "problems_omitted")) != NULL &&
		    omitted->type == JVAL_NUMBER)
			s->m.problems += strtoll(omitted->str, NULL, 10);
		if (s->m.problems == 0)
			s->m.last_success = r->finished;
	}
	jval_free(doc);
	log_info("verify %s (%s): exit %d", r->run_id, r->reason, r->exit_code);
}

static void
daemon_answer_health(struct daemon *d)
{
	struct daemon_waiter *w, *next;
	struct buf out = BUF_INIT;
	struct json j;

	if (d->health_waiters == NULL)
		return;
	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "status", d->health.ok ? "ok" : "failed");
	json_string(&j, "host", daemon_conf(d)->agent.name);
	health_json_checks(&j, &d->health);
	json_object_begin(&j, "outbox");
	if (d->spool_ok) {
		json_int(&j, "pending", d->spool[0]);
		json_int(&j, "dead", d->spool[1]);
		json_int(&j, "quarantined", d->spool[2]);
	}
	json_object_end(&j);
	json_object_end(&j);
	buf_addc(&out, '\n');
	for (w = d->health_waiters; w != NULL; w = next) {
		next = w->next;
		admin_reply(w->req, d->health.ok ? 200 : 503, NULL, out.data, out.len);
		free(w);
	}
	d->health_waiters = NULL;
	buf_free(&out);
}

static void
daemon_on_flush(struct daemon *d, struct jobs_result *r)
{
	double next = DAEMON_FLUSH_IDLE_S;

	if (r->spool_ok) {
		memcpy(d->spool, r->spool, sizeof d->spool);
		d->spool_ok = 1;
	}
	if (r->flush.failed > 0 && r->flush.pending > 0)
		next = (double)report_retry_delay_ms(d->flush_failures++) / 1000;
	else if (r->flush.pending == 0)
		d->flush_failures = 0;
	if (d->stopping) {
		d->final_flush = 2;
		return;
	}
	daemon_timer(d->ev_flush, d->noutgoing > 0 ? DAEMON_FLUSH_SOON_S : next);
}

static void
daemon_done(void *arg, struct jobs_result *r)
{
	struct daemon *d = arg;
	enum jobs_kind kind = r->kind;

	switch (kind) {
	case JOBS_WARM:
		daemon_on_warm(d, r);
		break;
	case JOBS_VERIFY:
		daemon_on_verify(d, r);
		break;
	case JOBS_FLUSH:
		daemon_on_flush(d, r);
		break;
	case JOBS_HEALTH:
		health_result_free(&d->health);
		d->health = r->health;
		memset(&r->health, 0, sizeof r->health);
		d->health_known = 1;
		daemon_answer_health(d);
		break;
	case JOBS_WATCH:
		daemon_on_watch(d, r);
		break;
	case JOBS_NKINDS:
		break;
	}
	if (kind == JOBS_WARM || kind == JOBS_VERIFY)
		daemon_flush_soon(d);
	jobs_result_free(r);
	/*
	 * A warm's batches and a verify's buffers were freed into the job
	 * threads' malloc arenas: hand the pages back, so an agent that has
	 * worked idles as small as one that has not.
	 */
	if (kind == JOBS_WARM || kind == JOBS_VERIFY)
		malloc_trim(0);
	daemon_status_line(d);
}

/* Starts a job; the reason is logged. Returns nothing: a busy slot is the caller's to check. */
static void
daemon_start(struct daemon *d, const struct jobs_request *req, const char *why)
{
	char run_id[JOBS_RUN_ID_LEN + 1], *cause = NULL;
	int rv = jobs_start(d->jobs, d->jc, req, run_id, &cause);

	if (rv < 0) {
		log_error("%s", cause);
		free(cause);
	} else if (rv == 0 && (req->kind == JOBS_WARM || req->kind == JOBS_VERIFY)) {
		log_info("%s %s started (%s)", jobs_kind_name(req->kind), run_id, why);
		daemon_status_line(d);
	}
}

/* ---- timers ---------------------------------------------------------------------- */

static void
daemon_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct jobs_request req = { .kind = JOBS_WATCH, .reason = "poll" };

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	daemon_start(d, &req, "poll");
	daemon_timer(d->ev_watch, (double)daemon_conf(d)->warm.restore_poll);
}

static void
daemon_health_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct jobs_request req = { .kind = JOBS_HEALTH, .reason = "interval" };

	(void)fd;
	(void)what;
	if (d->stopping)
		return;
	daemon_start(d, &req, "interval");
	daemon_timer(d->ev_health, (double)daemon_conf(d)->agent.health_interval);
}

static void
daemon_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct jobs_request req = { .kind = JOBS_FLUSH, .reason = "outbox" };
	char run_id[JOBS_RUN_ID_LEN + 1], *cause = NULL;
	int rv;

	(void)fd;
	(void)what;
	req.reports = d->outgoing;
	req.nreports = d->noutgoing;
	rv = jobs_start(d->jobs, d->jc, &req, run_id, &cause);
	if (rv == 0) {
		size_t i;

		for (i = 0; i < d->noutgoing; i++)
			free(d->outgoing[i]);
		free(d->outgoing);
		d->outgoing = NULL;
		d->noutgoing = 0;
		if (d->stopping)
			d->final_flush = 1;
	} else if (rv < 0) {
		log_error("%s", cause);
		free(cause);
	}
	/* Busy: its result re-arms the timer. */
	if (rv != 0 && !d->stopping)
		daemon_timer(d->ev_flush, DAEMON_FLUSH_IDLE_S);
}

static void
daemon_schedule_verify(struct daemon *d)
{
	const struct conf *conf = daemon_conf(d);
	time_t now = time(NULL), next, nominal;
	char *cause = NULL, when[CLOCKS_RFC3339_LEN];

	/* The splay is taken off "after" so a host late in its window still runs once a period. */
	if (sched_next(&conf->verify.when, d->zone, now - (time_t)conf->verify.splay, &next,
	               &cause) != 0) {
		log_error("schedule: %s", cause);
		free(cause);
		d->next_verify = 0;
		return;
	}
	nominal = next;
	next = sched_splay(nominal, conf->verify.splay, d->splay_seed);
	if (next <= now) {
		/* This period's point has passed: the next period, from its nominal time. */
		if (sched_next(&conf->verify.when, d->zone, nominal, &next, &cause) != 0) {
			log_error("schedule: %s", cause);
			free(cause);
			d->next_verify = 0;
			return;
		}
		next = sched_splay(next, conf->verify.splay, d->splay_seed);
	}
	d->next_verify = next;
	clocks_rfc3339((int64_t)next, when);
	log_info("schedule: next verify at %s (%s, %s)", when, conf->verify.schedule,
	         sched_zone_name(d->zone));
	daemon_timer(d->ev_verify, (double)(next - now) < DAEMON_SCHED_STEP_S
	                                   ? (double)(next - now)
	                                   : DAEMON_SCHED_STEP_S);
}

/*
 * The wall clock went back by more than a period (an RTC reset, a bad NTP
 * source): the next verify lies beyond any time the schedule would now
 * give, and waiting for it would skip every run in between. A smaller step
 * back keeps next_verify, so the period that ran is not run twice.
 */
static int
daemon_clock_went_back(struct daemon *d, time_t now)
{
	const struct conf *conf = daemon_conf(d);
	time_t a, b;
	char *cause = NULL;

	if (sched_next(&conf->verify.when, d->zone, now, &a, &cause) != 0 ||
	    sched_next(&conf->verify.when, d->zone, a, &b, &cause) != 0) {
		free(cause);
		return 0;
	}
	return d->next_verify > b && d->next_verify - b > (time_t)conf->verify.splay;
}

static void
daemon_verify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct jobs_request req = { .kind = JOBS_VERIFY, .reason = "schedule" };
	time_t now = time(NULL);

	(void)fd;
	(void)what;
	if (d->stopping || d->next_verify == 0)
		return;
	if (now < d->next_verify && daemon_clock_went_back(d, now)) {
		log_warn("schedule: the clock went back more than a period; the schedule starts "
		         "again from now");
		daemon_schedule_verify(d);
		return;
	}
	if (now < d->next_verify) {
		double left = (double)(d->next_verify - now);

		daemon_timer(d->ev_verify, left < DAEMON_SCHED_STEP_S ? left : DAEMON_SCHED_STEP_S);
		return;
	}
	if (jobs_running(d->jobs, JOBS_VERIFY))
		log_warn("schedule: a verify is still running; this period's run is skipped");
	else
		daemon_start(d, &req, "schedule");
	daemon_schedule_verify(d);
}

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	sdnotify_send(d->notify, "WATCHDOG=1");
}

/* ---- admin handlers ------------------------------------------------------------ */

static void
daemon_admin_health(void *arg, struct admin_req *req)
{
	struct daemon *d = arg;
	struct daemon_waiter *w = xcalloc(1, sizeof *w);
	struct jobs_request jr = { .kind = JOBS_HEALTH, .reason = "admin" };

	/* A fresh check: joins the one under way, if any. */
	w->req = req;
	w->next = d->health_waiters;
	d->health_waiters = w;
	daemon_start(d, &jr, "admin");
}

static void
daemon_admin_status(void *arg, struct admin_req *req)
{
	struct daemon *d = arg;
	char when[CLOCKS_RFC3339_LEN];
	struct buf out = BUF_INIT;
	struct json j;
	size_t i;

	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "host", daemon_conf(d)->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	clocks_rfc3339((int64_t)d->start_time, when);
	json_string(&j, "started_at", when);
	json_object_begin(&j, "running");
	jobs_status(d->jobs, &j);
	json_object_end(&j);
	if (d->last_warm != NULL)
		json_raw(&j, "last_warm", d->last_warm, strlen(d->last_warm) - 1);
	else
		json_null(&j, "last_warm");
	if (d->last_verify != NULL)
		json_raw(&j, "last_verify", d->last_verify, strlen(d->last_verify) - 1);
	else
		json_null(&j, "last_verify");
	clocks_rfc3339((int64_t)d->next_verify, when);
	json_string(&j, "next_verify", d->next_verify > 0 ? when : NULL);
	json_object_begin(&j, "redis");
	json_bool(&j, "reachable", !d->redis_down && d->info_ok);
	json_bool(&j, "loading", d->redis_loading);
	json_string(&j, "run_id", d->info_ok ? d->info.run_id : NULL);
	json_object_end(&j);
	json_array_begin(&j, "datasets");
	for (i = 0; i < d->nds; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", d->ds[i].name);
		json_string(&j, "lease_holder", d->ds[i].lease_holder);
		json_string(&j, "restore",
		            d->ds[i].pending ? restore_event_name(d->ds[i].event) : NULL);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	buf_addc(&out, '\n');
	admin_reply(req, 200, NULL, out.data, out.len);
	buf_free(&out);
}

static void
daemon_admin_metrics(void *arg, struct admin_req *req)
{
	struct daemon *d = arg;
	struct metrics_snapshot s;
	struct metrics_dataset *ds = xcalloc(d->nds + 1, sizeof *ds);
	struct metrics_exports *sets = xcalloc(d->nsets + 1, sizeof *sets);
	unsigned long long delivered, failed;
	struct buf out = BUF_INIT;
	size_t i;

	memset(&s, 0, sizeof s);
	s.version = PACKAGE_VERSION;
	s.start_time = d->start_time;
	for (i = 0; i < d->nds; i++)
		ds[i] = d->ds[i].m;
	for (i = 0; i < d->nsets; i++)
		sets[i] = d->sets[i].m;
	s.datasets = ds;
	s.ndatasets = d->nds;
	s.exports = sets;
	s.nexports = d->nsets;
	s.warm_running = jobs_running(d->jobs, JOBS_WARM);
	s.verify_running = jobs_running(d->jobs, JOBS_VERIFY);
	s.outbox_pending = d->spool_ok ? (long long)d->spool[0] : -1;
	s.outbox_dead = d->spool[1];
	s.outbox_quarantined = d->spool[2];
	report_totals(&delivered, &failed);
	s.sns_publish_failures = (long long)failed;
	s.sns_delivered = (long long)delivered;
	s.restores_lost = d->restores_lost;
	s.restores_rollback = d->restores_rollback;
	s.mysql_up = s.redis_up = -1;
	if (d->health_known) {
		s.mysql_up = d->health.checks[0].ok;
		s.redis_up = d->health.checks[1].ok;
		s.mysql_latency_s = d->health.checks[0].latency_ms / 1000;
		s.redis_latency_s = d->health.checks[1].latency_ms / 1000;
	}
	s.redis_info_ok = d->info_ok;
	s.keyspace_hits = d->info.keyspace_hits;
	s.keyspace_misses = d->info.keyspace_misses;
	s.evicted_keys = d->info.evicted_keys;
	s.used_memory = d->info.used_memory;
	s.maxmemory = d->info.maxmemory;
	s.connected_clients = d->info.connected_clients;
	metrics_format(&s, &out);
	admin_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
	buf_free(&out);
	free(ds);
	free(sets);
}

/* Splits "a,b" into names checked against the config; NULL and a message for an unknown one. */
static char **
daemon_names(const char *list, int datasets, const struct conf *conf, size_t *n, char **why)
{
	char **names = NULL, *copy, *p, *tok;
	int known;

	*n = 0;
	if (list == NULL || *list == '\0')
		return xcalloc(1, sizeof *names);
	copy = xstrdup(list);
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		known = datasets ? conf_find_dataset(conf, tok) != NULL
		                 : conf_find_exports(conf, tok) != NULL ||
		                           conf_find_snapshots(conf, tok) != NULL;
		if (!known) {
			*why = xasprintf("no %s named '%s'", datasets ? "dataset" : "export set",
			                 tok);
			while (*n > 0)
				free(names[--*n]);
			free(names);
			free(copy);
			return NULL;
		}
		names = xreallocarray(names, *n + 2, sizeof *names);
		names[(*n)++] = xstrdup(tok);
		names[*n] = NULL;
	}
	free(copy);
	return names != NULL ? names : xcalloc(1, sizeof *names);
}

static void
daemon_admin_start(struct daemon *d, struct admin_req *req, const char *list, enum jobs_kind kind)
{
	char run_id[JOBS_RUN_ID_LEN + 1], *why = NULL, *cause = NULL;
	/* An operator's rebuild starts over: no one's progress is adopted. */
	struct jobs_request jr = { .kind = kind, .reason = "admin", .progress_since = -1 };
	struct buf out = BUF_INIT;
	struct json j;
	size_t n, i;
	int rv, code;

	json_init(&j, &out);
	json_object_begin(&j, NULL);
	if ((jr.names = daemon_names(list, kind == JOBS_WARM, daemon_conf(d), &n, &why)) == NULL) {
		json_string(&j, "error", why);
		code = 404;
		free(why);
	} else if (d->stopping) {
		json_string(&j, "error", "the agent is stopping");
		code = 503;
	} else {
		jr.nnames = n;
		rv = jobs_start(d->jobs, d->jc, &jr, run_id, &cause);
		if (rv == 0) {
			log_info("%s %s started (admin)", jobs_kind_name(kind), run_id);
			json_string(&j, "status", "started");
			code = 202;
		} else if (rv == 1) {
			json_string(&j, "status", "running");
			json_string(&j, "error", "a run is already under way");
			code = 409;
		} else {
			json_string(&j, "error", cause);
			free(cause);
			code = 503;
		}
		if (rv >= 0) {
			json_string(&j, "kind", jobs_kind_name(kind));
			json_string(&j, "run_id", run_id);
		}
	}
	for (i = 0; jr.names != NULL && jr.names[i] != NULL; i++)
		free(jr.names[i]);
	free(jr.names);
	json_object_end(&j);
	buf_addc(&out, '\n');
	admin_reply(req, code, NULL, out.data, out.len);
	buf_free(&out);
	daemon_status_line(d);
}

static void
daemon_admin_rebuild(void *arg, struct admin_req *req, const char *list)
{
	daemon_admin_start(arg, req, list, JOBS_WARM);
}

static void
daemon_admin_verify(void *arg, struct admin_req *req, const char *list)
{
	daemon_admin_start(arg, req, list, JOBS_VERIFY);
}

/* ---- signals, reload, stop ------------------------------------------------------- */

static char *
daemon_read_token(const struct conf *conf, int *ok)
{
	char *token = NULL, *cause = NULL;

	*ok = 1;
	if (conf->admin.token_file == NULL)
		return NULL;
	if (conf_read_secret(conf->admin.token_file, &token, &cause) != 0) {
		log_error("admin: %s", cause);
		free(cause);
		*ok = 0;
		return NULL;
	}
	return token;
}

static void
daemon_reload(struct daemon *d)
{
	struct conf_errors errors;
	struct sched_zone *zone;
	struct conf *conf;
	char *token, *cause = NULL;
	size_t i;
	int ok;

	sdnotify_send(d->notify, "RELOADING=1");
	log_info("reload: reading %s", d->conf_path);
	if ((conf = conf_load(d->conf_path, 1, &errors)) == NULL) {
		for (i = 0; i < errors.count; i++)
			log_error("%s", errors.lines[i]);
		log_error("reload: %zu error%s in %s; the old configuration stays", errors.count,
		          errors.count == 1 ? "" : "s", d->conf_path);
		conf_errors_free(&errors);
		sdnotify_send(d->notify, "READY=1");
		return;
	}
	if ((zone = sched_zone_load(conf->verify.timezone, &cause)) == NULL) {
		log_error("reload: %s; the old configuration stays", cause);
		free(cause);
		conf_free(conf);
		sdnotify_send(d->notify, "READY=1");
		return;
	}
	if (strcmp(conf->admin.listen, daemon_conf(d)->admin.listen) != 0)
		log_warn("reload: [admin] listen changed to %s; it takes effect on restart",
		         conf->admin.listen);
	if (strcmp(conf->agent.state_dir, daemon_conf(d)->agent.state_dir) != 0)
		log_warn("reload: [agent] state_dir changed; restore memory stays in %s until "
		         "restart",
		         daemon_conf(d)->agent.state_dir);
	token = daemon_read_token(conf, &ok);
	if (ok)
		admin_set_token(d->admin, token);
	if (token != NULL) {
		crypto_wipe(token, strlen(token));
		free(token);
	}
	log_set_level((enum log_level)conf->agent.log_level);
	/* Jobs under way keep the snapshot they hold. */
	jobs_conf_release(d->jc);
	d->jc = jobs_conf_new(conf);
	sched_zone_free(d->zone);
	d->zone = zone;
	daemon_tables(d);
	event_del(d->ev_verify);
	daemon_schedule_verify(d);
	log_info("reload: %s in force (%zu dataset%s, %zu export set%s)", d->conf_path,
	         conf->ndatasets, conf->ndatasets == 1 ? "" : "s", conf->nexports,
	         conf->nexports == 1 ? "" : "s");
	sdnotify_send(d->notify, "READY=1");
	daemon_status_line(d);
}

/* While stopping: the warm checkpoints, then the outbox gets one attempt, then the loop ends. */
static void
daemon_stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (clocks_mono() >= d->stop_deadline) {
		if (jobs_running(d->jobs, JOBS_WARM))
			log_warn("stop: the warm did not stop in time; its checkpoint stays");
		event_base_loopbreak(d->base);
		return;
	}
	if (!jobs_running(d->jobs, JOBS_WARM) && d->final_flush == 0 &&
	    daemon_conf(d)->sns.topic_arn != NULL) {
		if (jobs_running(d->jobs, JOBS_FLUSH))
			d->final_flush = 1; /* the pass under way is the attempt */
		else
			daemon_flush_cb(-1, 0, d);
	}
	if (!jobs_running(d->jobs, JOBS_WARM) &&
	    (d->final_flush == 2 || daemon_conf(d)->sns.topic_arn == NULL ||
	     (d->final_flush == 1 && !jobs_running(d->jobs, JOBS_FLUSH)))) {
		event_base_loopbreak(d->base);
		return;
	}
	daemon_timer(d->ev_stop, 0.05);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct daemon_waiter *w, *next;

	(void)what;
	if (sig == SIGHUP) {
		if (!d->stopping)
			daemon_reload(d);
		return;
	}
	if (d->stopping) {
		log_warn("stop: second signal; exiting now");
		event_base_loopbreak(d->base);
		return;
	}
	log_info("stop: %s; finishing", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sdnotify_send(d->notify, "STOPPING=1");
	d->stopping = 1;
	/* Leave a margin under DAEMON_STOP_S for freeing and exit. */
	d->stop_deadline = clocks_mono() + DAEMON_STOP_S - 0.5;
	jobs_stop(d->jobs);
	event_del(d->ev_watch);
	event_del(d->ev_health);
	event_del(d->ev_verify);
	event_del(d->ev_flush);
	for (w = d->health_waiters; w != NULL; w = next) {
		next = w->next;
		admin_reply(w->req, 503, NULL, "{\"status\":\"stopping\"}\n", 22);
		free(w);
	}
	d->health_waiters = NULL;
	daemon_timer(d->ev_stop, 0);
}

/* ---- start and end ----------------------------------------------------------------- */

/* Datasets with a checkpoint in state_dir: an interrupted warm to resume. */
static void
daemon_resume_interrupted(struct daemon *d)
{
	const struct conf *conf = daemon_conf(d);
	struct jobs_request req = { .kind = JOBS_WARM, .resume = 1, .reason = "startup" };
	char **names = xcalloc(conf->ndatasets + 1, sizeof *names), *path;
	struct stat st;
	size_t i, n = 0;

	for (i = 0; i < conf->ndatasets; i++) {
		path = checkpoint_path(conf->agent.state_dir, conf->datasets[i].name);
		if (stat(path, &st) == 0)
			names[n++] = conf->datasets[i].name;
		free(path);
	}
	if (n > 0) {
		log_info("startup: resuming an interrupted warm of %zu dataset%s", n,
		         n == 1 ? "" : "s");
		req.names = names;
		req.nnames = n;
		daemon_start(d, &req, "startup: resume");
	}
	free(names);
}

static int
daemon_setup(struct daemon *d)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	const struct conf *conf = daemon_conf(d);
	struct admin_ops ops = { d,
		                 daemon_admin_health,
		                 daemon_admin_status,
		                 daemon_admin_metrics,
		                 daemon_admin_rebuild,
		                 daemon_admin_verify };
	char *cause = NULL, *token;
	uint64_t wd;
	int i, ok;

	if (fileio_mkdirs(conf->agent.state_dir, 0700, &cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return CW_EXIT_CANTCREAT;
	}
	if ((d->zone = sched_zone_load(conf->verify.timezone, &cause)) == NULL) {
		log_error("%s", cause);
		free(cause);
		return CW_EXIT_CONFIG;
	}
	if (restore_state_load(conf->agent.state_dir, &d->restore, &cause) != 0) {
		/* Unreadable memory is forgotten, not fatal: the next markers are the baseline. */
		log_warn("restore: %s; starting without it", cause);
		free(cause);
		cause = NULL;
	}
	token = daemon_read_token(conf, &ok);
	if (!ok)
		return CW_EXIT_CONFIG;
	d->admin = admin_new(d->base, conf->admin.listen, token, &ops, &cause);
	if (token != NULL) {
		crypto_wipe(token, strlen(token));
		free(token);
	}
	if (d->admin == NULL) {
		log_error("%s", cause);
		free(cause);
		return CW_EXIT_UNAVAILABLE;
	}
	for (i = 0; i < 3; i++)
		if ((d->ev_sig[i] = evsignal_new(d->base, sigs[i], daemon_signal_cb, d)) == NULL ||
		    evsignal_add(d->ev_sig[i], NULL) != 0)
			fatal("daemon: cannot watch signals");
	d->ev_watch = daemon_new_timer(d, daemon_watch_cb);
	d->ev_health = daemon_new_timer(d, daemon_health_cb);
	d->ev_flush = daemon_new_timer(d, daemon_flush_cb);
	d->ev_verify = daemon_new_timer(d, daemon_verify_cb);
	d->ev_stop = daemon_new_timer(d, daemon_stop_cb);
	d->jobs = jobs_new(d->base, daemon_done, d);
	daemon_tables(d);
	d->notify = sdnotify_open();
	if ((wd = sdnotify_watchdog_usec()) > 0) {
		struct timeval tv = { (time_t)(wd / 2000000), (suseconds_t)(wd / 2 % 1000000) };

		if ((d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, daemon_watchdog_cb, d)) ==
		    NULL)
			fatal("daemon: cannot create the watchdog timer");
		evtimer_add(d->ev_watchdog, &tv);
	}
	return CW_EXIT_OK;
}

static void
daemon_teardown(struct daemon *d)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (d->ev_sig[i] != NULL)
			event_free(d->ev_sig[i]);
	if (d->jobs != NULL)
		jobs_free(d->jobs);
	admin_free(d->admin);
	if (d->ev_watch != NULL) {
		event_free(d->ev_watch);
		event_free(d->ev_health);
		event_free(d->ev_flush);
		event_free(d->ev_verify);
		event_free(d->ev_stop);
	}
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	for (i = 0; i < d->noutgoing; i++)
		free(d->outgoing[i]);
	free(d->outgoing);
	for (i = 0; i < d->nds; i++) {
		free(d->ds[i].name);
		free(d->ds[i].lease_holder);
	}
	free(d->ds);
	for (i = 0; i < d->nsets; i++)
		free(d->sets[i].name);
	free(d->sets);
	free(d->last_warm);
	free(d->last_verify);
	health_result_free(&d->health);
	restore_state_free(&d->restore);
	sched_zone_free(d->zone);
	sdnotify_close(d->notify);
	jobs_conf_release(d->jc);
	event_base_free(d->base);
}

/* Whether any job thread is still at work (the stop deadline passed). */
static int
daemon_busy(struct daemon *d)
{
	int k;

	for (k = 0; k < JOBS_NKINDS; k++)
		if (jobs_running(d->jobs, (enum jobs_kind)k))
			return 1;
	return 0;
}

int
daemon_run(const char *conf_path, struct conf *conf)
{
	struct daemon d;
	uint8_t seed[CRYPTO_SHA256_LEN];
	int rv;

	memset(&d, 0, sizeof d);
	/*
	 * glibc gives each thread that allocates its own arena, and an arena
	 * keeps pages after its thread ends: a warm's workers would leave half a
	 * MiB behind. Two arenas cost the workers nothing measurable (they wait on
	 * the network, not on malloc). MALLOC_ARENA_MAX in the environment wins.
	 */
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		mallopt(M_ARENA_MAX, 2);
	if (evthread_use_pthreads() != 0 || (d.base = event_base_new()) == NULL)
		fatal("daemon: cannot create the event loop");
	d.conf_path = conf_path;
	/* Requests to SNS and instance metadata run in a child: libcurl stays out of the agent. */
	http_use_helper("/proc/self/exe");
	d.jc = jobs_conf_new(conf);
	d.start_time = clocks_wall();
	/* The splay point of this host: the same across restarts, different across hosts. */
	crypto_sha256(conf->agent.name, strlen(conf->agent.name), seed);
	memcpy(&d.splay_seed, seed, sizeof d.splay_seed);
	if ((rv = daemon_setup(&d)) != CW_EXIT_OK) {
		daemon_teardown(&d);
		return rv;
	}
	log_info("cachewarden %s: listening on %s (%zu dataset%s, %zu export set%s)",
	         PACKAGE_VERSION, conf->admin.listen, conf->ndatasets,
	         conf->ndatasets == 1 ? "" : "s", conf->nexports, conf->nexports == 1 ? "" : "s");
	daemon_resume_interrupted(&d);
	daemon_schedule_verify(&d);
	daemon_timer(d.ev_watch, 0);
	daemon_timer(d.ev_health, 0);
	daemon_timer(d.ev_flush, DAEMON_FLUSH_SOON_S);
	sdnotify_send(d.notify, "READY=1");
	daemon_status_line(&d);
	event_base_dispatch(d.base);
	if (daemon_busy(&d)) {
		/*
		 * A verify or a delivery past the deadline: the process ends under
		 * them, without freeing what they still use.
		 */
		log_warn("stop: exiting with a job still running (its work is redone next time)");
		fflush(NULL);
		_exit(d.exit_code);
	}
	log_info("stop: done");
	daemon_teardown(&d);
	return d.exit_code;
}
