/*
 * warm: plan -> workers -> verify -> report, for each dataset in turn.
 *
 * A worker keeps up to WARM_INFLIGHT batches sent and not yet acknowledged:
 * it sends batch N before it reads the replies of older ones, so Redis has
 * work queued while the worker reads and encodes N+1 from MySQL. A saver
 * thread writes the checkpoint off the workers' path, at most WARM_SAVE_LAG
 * acknowledged batches per worker behind. After a crash, --resume re-reads
 * at most WARM_INFLIGHT + WARM_SAVE_LAG batches per worker.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bucket.h"
#include "checkpoint.h"
#include "clocks.h"
#include "crypto.h"
#include "encode.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "mysqlsrc.h"
#include "redisconn.h"
#include "restore.h"
#include "restorepath.h"
#include "warm.h"
#include "warmcheck.h"
#include "warmplan.h"
#include "xmalloc.h"

#define WARM_RANGES_PER_WORKER 16
#define WARM_MAX_ATTEMPTS      8 /* reconnects in a row before a worker gives up */
#define WARM_BACKOFF_BASE_MS   100
#define WARM_BACKOFF_MAX_MS    4000 /* with doubling from 100 ms: about 15 s in all */
#define WARM_KEEP_ERRORS       5
#define WARM_KEEP_SAMPLES      3
#define WARM_INFLIGHT          3 /* batches sent and not yet acknowledged, per worker */
/*
 * batch_rows = 0 (the default) sizes each batch from the last one's rows:
 * about WARM_AUTO_BYTES of them, so that a round trip to either server is
 * paid once per half MiB rather than once per thousand rows (over TCP, 1,000-row
 * batches left Redis idle between them).
 */
#define WARM_AUTO_BYTES      (512 * 1024)
#define WARM_AUTO_FIRST_ROWS 1000
#define WARM_AUTO_MIN_ROWS   16
#define WARM_AUTO_MAX_ROWS   50000
#define WARM_SAVE_LAG        4 /* batches acknowledged and not yet saved, per worker */

struct warm_sample {
	char *key;
	char *value; /* the encoded value (JSON for json datasets, fields for hash) */
};

/* One dataset's run: shared by its workers, guarded by lock where it changes. */
struct warm_job {
	const struct conf *conf;
	const struct conf_dataset *ds;
	const struct warm_opts *opts;
	const char *run_id;
	struct encoder *enc;
	struct warmplan plan;
	struct mysqlsrc_scan *scan;
	struct mysqlsrc_shape shape;
	struct bucket bucket;
	char *ckpt_path;
	char *fingerprint;
	size_t batch_rows, max_bytes;
	const struct restorepath *rp; /* RESTORE payloads; NULL: commands */

	pthread_mutex_t lock;
	pthread_cond_t finished;
	struct checkpoint ck;
	unsigned long long ck_seq;   /* changes made to ck */
	pthread_cond_t ck_changed;   /* ck_seq moved, or saver_exit was set */
	unsigned long long ck_saved; /* ck_seq of the last state on disk */
	int saver_exit;              /* the workers are done: save a last time and return */
	int saver_dead;              /* a save failed: nobody waits for the saver any more */
	pthread_cond_t ck_saved_moved;
	unsigned long long save_lag; /* acknowledgements allowed ahead of the file */
	size_t next_range;
	int workers_left;
	char *failure; /* first fatal cause; set once */
	char *errmsgs[WARM_KEEP_ERRORS];
	size_t nerrmsgs;
	struct warm_sample samples[WARM_KEEP_SAMPLES];
	size_t nsamples;

	atomic_llong rows_read, keys_written, keys_deleted, errors, reconnects;
	atomic_int stop;               /* a failure: every worker stops */
	atomic_int interrupted;        /* opts->stop was seen */
	pthread_mutex_t progress_lock; /* one on_progress call at a time */
	double progress_last;          /* monotonic time of the last on_progress call */
	double started;                /* monotonic */
	double finished_at;            /* wall clock */
	double elapsed;                /* seconds the workers ran */

	struct warmcheck_result check; /* of the read-back */
};

struct warm_worker {
	struct warm_job *job;
	pthread_t thread;
	int index;
	uint64_t rng;
	struct mysqlsrc *src;
	struct redisconn *rc;
	struct encode_out out;
	struct buf payload, ttlms; /* the RESTORE of the current row */
	size_t row_bytes;          /* bytes per row in the last batch: sizes the next LIMIT */
	int logged_page;           /* the first page after a key was logged (debug) */
};

/* Where a worker is inside a range: after the last key read (a packed tuple). */
struct warm_cursor {
	struct checkpoint_range *range;
	char *after; /* NULL at the start of the range */
	size_t afterlen;
};

/* Keeps the first few messages of a dataset's errors for the report. */
static void
warm_note_error(struct warm_job *job, const char *msg)
{
	atomic_fetch_add(&job->errors, 1);
	pthread_mutex_lock(&job->lock);
	if (job->nerrmsgs < WARM_KEEP_ERRORS)
		job->errmsgs[job->nerrmsgs++] = xstrdup(msg);
	pthread_mutex_unlock(&job->lock);
}

/* Whether workers should stop: a failure, or the caller's stop flag (then noted). */
static int
warm_stopping(struct warm_job *job)
{
	if (atomic_load(&job->stop))
		return 1;
	if (job->opts->stop != NULL && atomic_load(job->opts->stop)) {
		atomic_store(&job->interrupted, 1);
		return 1;
	}
	return 0;
}

/* Sleeps up to secs, in short naps, returning early (-1) when the workers must stop. */
static int
warm_sleep(struct warm_job *job, double secs)
{
	double nap;

	while (secs > 0) {
		if (warm_stopping(job))
			return -1;
		nap = secs < 0.1 ? secs : 0.1;
		clocks_sleep(nap);
		secs -= nap;
	}
	return warm_stopping(job) ? -1 : 0;
}

/*
 * Takes want rows from the rate cap in slices of about 0.2 s of the rate,
 * so that a stop request is seen within the 2 s promised even at a low cap;
 * -1 (slices taken are given back) when the workers must stop.
 */
static int
warm_take(struct warm_job *job, size_t want)
{
	double slice = job->bucket.rate > 0 ? job->bucket.rate / 5 : (double)want, taken = 0, n;

	if (slice < 1)
		slice = 1;
	while (taken < (double)want) {
		if (warm_stopping(job)) {
			bucket_refund(&job->bucket, taken);
			return -1;
		}
		n = (double)want - taken < slice ? (double)want - taken : slice;
		bucket_take(&job->bucket, n);
		taken += n;
	}
	return 0;
}

/* The caller's progress callback: rate-limited to about 5 calls a second, and a final one. */
static void
warm_report_progress(struct warm_job *job, int final)
{
	long long done, total;
	double now;

	if (job->opts->on_progress == NULL)
		return;
	if (final)
		pthread_mutex_lock(&job->progress_lock);
	else if (pthread_mutex_trylock(&job->progress_lock) != 0)
		return; /* another worker is reporting right now */
	now = clocks_mono();
	if (final || now - job->progress_last >= 0.2) {
		job->progress_last = now;
		done = atomic_load(&job->rows_read);
		total = final || job->shape.estimate < done ? done : job->shape.estimate;
		job->opts->on_progress(job->opts->progress_arg, job->ds->name, done, total);
	}
	pthread_mutex_unlock(&job->progress_lock);
}

static void
warm_fail(struct warm_job *job, char *cause)
{
	pthread_mutex_lock(&job->lock);
	if (job->failure == NULL) {
		job->failure = cause;
		cause = NULL;
	}
	pthread_mutex_unlock(&job->lock);
	atomic_store(&job->stop, 1);
	free(cause);
}

/*
 * After a failed connection or pass: logs the cause (then freed), counts a
 * reconnect and sleeps the capped backoff of this attempt (0 the first).
 * -1 when the job stops meanwhile.
 */
static int
warm_backoff(struct warm_worker *w, unsigned attempt, const char *doing, char **cause)
{
	uint32_t delay = clocks_backoff_cap_ms(attempt, WARM_BACKOFF_BASE_MS, WARM_BACKOFF_MAX_MS);

	log_warn("warm %s: worker %d: %s; %s in %" PRIu32 " ms", w->job->ds->name, w->index, *cause,
	         doing, delay);
	free(*cause);
	*cause = NULL;
	atomic_fetch_add(&w->job->reconnects, 1);
	return warm_sleep(w->job, (double)delay / 1000);
}

/* Reconnects whichever side is missing, with capped exponential backoff. */
static int
warm_connect(struct warm_worker *w, char **cause)
{
	const struct conf *conf = w->job->conf;
	int attempt;

	for (attempt = 1;; attempt++) {
		if (w->src == NULL)
			w->src = mysqlsrc_connect(conf, cause);
		if (w->src != NULL && w->rc == NULL && !w->job->opts->dry_run)
			w->rc = redisconn_open(conf, cause);
		if (w->src != NULL && (w->rc != NULL || w->job->opts->dry_run))
			return 0;
		if (attempt >= WARM_MAX_ATTEMPTS || warm_stopping(w->job))
			return -1;
		if (warm_backoff(w, (unsigned)attempt - 1, "retrying", cause) != 0)
			return -1;
	}
}

/* batch_rows = 0: about WARM_AUTO_BYTES of rows as wide as the last batch's. */
static size_t
warm_auto_rows(const struct warm_worker *w)
{
	long long rate = w->job->conf->warm.max_rows_per_sec;
	size_t rows = WARM_AUTO_FIRST_ROWS;

	if (w->row_bytes > 0) {
		rows = WARM_AUTO_BYTES / w->row_bytes;
		rows = rows < WARM_AUTO_MIN_ROWS ? WARM_AUTO_MIN_ROWS : rows;
		rows = rows > WARM_AUTO_MAX_ROWS ? WARM_AUTO_MAX_ROWS : rows;
	}
	/* Under a rate cap, a batch is at most a tenth of a second's worth: no bursts. */
	if (rate > 0 && (size_t)(rate / 10) < rows)
		rows = rate / 10 > 0 ? (size_t)(rate / 10) : 1;
	return rows;
}

/*
 * Rows to ask for: batch_rows (or the auto size), or fewer when the last
 * rows were wide, so that a page ends by its LIMIT near max_batch_bytes
 * rather than by a cut (after a cut the server still sends the rest of the
 * page).
 */
static size_t
warm_limit(const struct warm_worker *w, const struct warm_cursor *cur)
{
	const struct warm_job *job = w->job;
	size_t limit = job->batch_rows > 0 ? job->batch_rows : warm_auto_rows(w), fit;
	unsigned long long left;
	long long from;

	if (w->row_bytes > 0 && (fit = job->max_bytes / w->row_bytes + 1) < limit)
		limit = fit;
	/*
	 * A single integer key holds at most one row per value: near the end of
	 * a range, ask for (and reserve from the rate cap) only what can be left.
	 */
	if (job->ck.ranged && job->plan.nkey == 1) {
		from = cur->range->lo;
		if (cur->after != NULL) {
			from = strtoll(strchr(cur->after, ':') + 1, NULL, 10);
			if (from >= cur->range->hi)
				return 1;
			from++;
		}
		left = (unsigned long long)cur->range->hi - (unsigned long long)from + 1;
		if (left < limit)
			limit = (size_t)left;
	}
	return limit;
}

static int
warm_fetch(struct warm_worker *w, const struct warm_cursor *cur, size_t limit,
           struct mysqlsrc_batch *b, char **cause)
{
	struct warm_job *job = w->job;
	struct mysqlsrc_page page;
	const char **after = NULL;
	size_t *afterlen = NULL;
	int rv;

	memset(&page, 0, sizeof page);
	page.bounded = job->ck.ranged;
	page.lo = cur->range->lo;
	page.hi = cur->range->hi;
	page.limit = limit;
	page.max_bytes = job->max_bytes;
	if (cur->after != NULL) {
		after = xcalloc(job->plan.nkey, sizeof *after);
		afterlen = xcalloc(job->plan.nkey, sizeof *afterlen);
		if (warmplan_tuple_unpack(cur->after, cur->afterlen, job->plan.nkey, after,
		                          afterlen) != 0)
			fatal("warm: a key tuple of our own does not unpack");
		page.after = after;
		page.afterlen = afterlen;
		/* One page query per worker in the debug log, for EXPLAIN. */
		if (!w->logged_page && log_enabled(LOG_LEVEL_DEBUG)) {
			char *sql = mysqlsrc_page_sql(w->src, job->scan, &page);

			log_debug("warm %s: worker %d: page query: %s", job->ds->name, w->index,
			          sql);
			free(sql);
			w->logged_page = 1;
		}
	}
	rv = mysqlsrc_fetch(w->src, job->scan, &page, b, cause);
	free(after);
	free(afterlen);
	if (rv == 0 && b->nrows > 0)
		w->row_bytes = b->bytes / b->nrows + 1;
	return rv;
}

static void
warm_keep_sample(struct warm_job *job, const struct encode_out *out)
{
	struct buf v = BUF_INIT;
	int i, full;

	pthread_mutex_lock(&job->lock);
	full = job->nsamples >= WARM_KEEP_SAMPLES;
	pthread_mutex_unlock(&job->lock);
	if (full)
		return;
	if (out->value != NULL)
		buf_add(&v, out->value, out->valuelen);
	else
		for (i = 2; i + 1 < out->argc[0]; i += 2)
			buf_printf(&v, "%s%.*s=%.*s", i > 2 ? " " : "", (int)out->argvlen[0][i],
			           out->argv[0][i], (int)out->argvlen[0][i + 1],
			           out->argv[0][i + 1]);
	pthread_mutex_lock(&job->lock);
	if (job->nsamples < WARM_KEEP_SAMPLES) {
		job->samples[job->nsamples].key = xstrndup(out->key, out->keylen);
		job->samples[job->nsamples++].value = buf_detach(&v);
	}
	pthread_mutex_unlock(&job->lock);
	buf_free(&v);
}

/* Queues the current row as one RESTORE; 0 when it is to go out as commands. */
static int
warm_append_restore(struct warm_worker *w)
{
	const char *argv[5];
	size_t argvlen[5];

	if (!restorepath_row(w->job->rp, w->job->ds->type, &w->out, &w->payload, &w->ttlms, argv,
	                     argvlen))
		return 0;
	redisconn_append(w->rc, 5, argv, argvlen);
	return 1;
}

/* Encodes a batch into the Redis output buffer; returns the commands queued. */
static size_t
warm_encode_batch(struct warm_worker *w, const struct mysqlsrc_batch *b, size_t *keys,
                  size_t *deleted)
{
	struct warm_job *job = w->job;
	struct encode_row row;
	size_t r, ncmds = 0;
	char *cause = NULL, *msg;
	int c;

	*keys = *deleted = 0;
	for (r = 0; r < b->nrows; r++) {
		row.values = b->values + r * b->ncols;
		row.lengths = b->lengths + r * b->ncols;
		if (encode_row(job->enc, &row, encode_rand(&w->rng), &w->out, &cause) != 0) {
			msg = xasprintf("row %zu of a batch: %s", r, cause);
			warm_note_error(job, msg);
			free(msg);
			free(cause);
			cause = NULL;
			continue;
		}
		if (w->out.deleted)
			(*deleted)++;
		else
			(*keys)++;
		if (job->opts->dry_run) {
			if (!w->out.deleted)
				warm_keep_sample(job, &w->out);
			continue;
		}
		/* A DEL (the row's value is gone) stays a command. */
		if (job->rp != NULL && !w->out.deleted && warm_append_restore(w)) {
			ncmds++;
			continue;
		}
		for (c = 0; c < w->out.ncmds; c++)
			redisconn_append(w->rc, w->out.argc[c], w->out.argv[c], w->out.argvlen[c]);
		ncmds += (size_t)w->out.ncmds;
	}
	return ncmds;
}

/*
 * Moves the cursor past the batch just read: to its last row's key. -1 if
 * that is where the cursor was: the server compares the key differently
 * from its text, and the next page would be this one again.
 */
static int
warm_advance(struct warm_job *job, struct warm_cursor *cur, const struct mysqlsrc_batch *b)
{
	const char *const *last = b->values + (b->nrows - 1) * b->ncols;
	const size_t *lastlen = b->lengths + (b->nrows - 1) * b->ncols;
	const char **vals = xcalloc(job->plan.nkey, sizeof *vals);
	size_t *lens = xcalloc(job->plan.nkey, sizeof *lens), i;
	struct buf t = BUF_INIT;

	for (i = 0; i < job->plan.nkey; i++) {
		vals[i] = last[job->plan.key[i]];
		lens[i] = lastlen[job->plan.key[i]];
	}
	warmplan_tuple_pack(&t, vals, lens, job->plan.nkey);
	free(vals);
	free(lens);
	if (cur->after != NULL && cur->afterlen == t.len &&
	    memcmp(cur->after, t.data, t.len) == 0) {
		buf_free(&t);
		return -1;
	}
	free(cur->after);
	cur->afterlen = t.len;
	cur->after = buf_detach(&t);
	return 0;
}

/* What a batch adds to the run's totals once acknowledged. */
struct warm_counts {
	size_t rows, keys, deleted;
};

/*
 * Records that every key before cur is in Redis. The checkpoint file is
 * written by the job's saver thread (warm_saver_main), so a worker never
 * waits for an fsync: a crash can lose the acknowledgements since the last
 * save, which --resume then re-reads (and re-writes: writes are idempotent).
 */
static void
warm_ack(struct warm_job *job, const struct warm_cursor *cur, int done, const struct warm_counts *n)
{
	pthread_mutex_lock(&job->lock);
	checkpoint_range_set(cur->range, cur->after, cur->afterlen);
	cur->range->done = done;
	/* Totals move with the cursor, so a resumed leg adds to exactly what was acknowledged. */
	if (n != NULL) {
		job->ck.rows_read += (long long)n->rows;
		job->ck.keys_written += (long long)n->keys;
		job->ck.keys_deleted += (long long)n->deleted;
	}
	job->ck_seq++;
	pthread_cond_signal(&job->ck_changed);
	/* Bound what a crash can lose: wait when too far ahead of the file. */
	while (!job->opts->dry_run && !job->saver_dead &&
	       job->ck_seq - job->ck_saved > job->save_lag)
		pthread_cond_wait(&job->ck_saved_moved, &job->lock);
	pthread_mutex_unlock(&job->lock);
}

/*
 * The saver: writes the checkpoint whenever it changed, one save after
 * another (each a group commit of every acknowledgement since the last), and
 * once more when told to finish. A failed write stops the job.
 */
static void *
warm_saver_main(void *arg)
{
	struct warm_job *job = arg;
	unsigned long long snap;
	char *text, *cause = NULL;

	pthread_mutex_lock(&job->lock);
	for (;;) {
		while (job->ck_saved == job->ck_seq && !job->saver_exit)
			pthread_cond_wait(&job->ck_changed, &job->lock);
		if (job->ck_saved == job->ck_seq)
			break;
		text = checkpoint_format(&job->ck);
		snap = job->ck_seq;
		pthread_mutex_unlock(&job->lock);
		if (checkpoint_write(job->ckpt_path, text, &cause) != 0) {
			free(text);
			warm_fail(job, xasprintf("checkpoint: %s", cause));
			free(cause);
			pthread_mutex_lock(&job->lock);
			job->saver_dead = 1;
			pthread_cond_broadcast(&job->ck_saved_moved);
			pthread_mutex_unlock(&job->lock);
			return NULL;
		}
		free(text);
		pthread_mutex_lock(&job->lock);
		job->ck_saved = snap;
		pthread_cond_broadcast(&job->ck_saved_moved);
	}
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

/* What is sent but not yet acknowledged. */
struct warm_inflight {
	int active;
	size_t ncmds;
	struct warm_counts n;
	struct warm_cursor end;
};

static void
warm_cursor_copy(struct warm_cursor *dst, const struct warm_cursor *src)
{
	free(dst->after);
	*dst = *src;
	if (src->after != NULL) {
		dst->after = xmalloc(src->afterlen + 1);
		memcpy(dst->after, src->after, src->afterlen + 1);
	}
}

/* Reads the replies of the batch in flight, then acknowledges it. */
static int
warm_settle(struct warm_worker *w, struct warm_inflight *f, int last, char **cause)
{
	struct warm_job *job = w->job;
	char *first = NULL, *msg;
	size_t errors = 0;

	if (!f->active)
		return 0;
	if (!job->opts->dry_run && redisconn_drain(w->rc, f->ncmds, &errors, &first, cause) != 0)
		return -1;
	if (errors > 0) {
		msg = xasprintf("redis refused %zu command%s: %s", errors, errors == 1 ? "" : "s",
		                first);
		warm_note_error(job, msg);
		atomic_fetch_add(&job->errors, (long long)errors - 1);
		free(msg);
		free(first);
	}
	/* A refused command leaves its key unwritten (or without its expiry). */
	f->n.keys -= errors < f->n.keys ? errors : f->n.keys;
	if (!job->opts->dry_run) {
		atomic_fetch_add(&job->keys_written, (long long)f->n.keys);
		atomic_fetch_add(&job->keys_deleted, (long long)f->n.deleted);
	}
	f->active = 0;
	warm_ack(job, &f->end, last, &f->n);
	return 0;
}

/* The last acknowledged position, from the checkpoint. */
static void
warm_cursor_from_checkpoint(struct warm_job *job, struct checkpoint_range *range,
                            struct warm_cursor *cur)
{
	pthread_mutex_lock(&job->lock);
	cur->range = range;
	cur->after = NULL;
	cur->afterlen = range->afterlen;
	if (range->after != NULL) {
		cur->after = xmalloc(range->afterlen + 1);
		memcpy(cur->after, range->after, range->afterlen + 1);
	}
	pthread_mutex_unlock(&job->lock);
}

/*
 * The batches a worker has sent and not yet acknowledged, oldest first. A
 * batch is sent before the replies of older ones are read, so Redis always
 * has a batch of this worker queued while the worker reads the next one from
 * MySQL: a round trip to Redis no longer leaves it idle.
 */
struct warm_pipe {
	struct warm_inflight q[WARM_INFLIGHT];
	size_t head, n;
};

static void
warm_pipe_push(struct warm_pipe *p, size_t ncmds, const struct warm_counts *n,
               const struct warm_cursor *end)
{
	struct warm_inflight *f = &p->q[(p->head + p->n++) % WARM_INFLIGHT];

	f->active = 1;
	f->ncmds = ncmds;
	f->n = *n;
	warm_cursor_copy(&f->end, end);
}

/* Settles the oldest batch; last: it ends the range. */
static int
warm_pipe_settle(struct warm_worker *w, struct warm_pipe *p, int last, char **cause)
{
	struct warm_inflight *f = &p->q[p->head];

	p->head = (p->head + 1) % WARM_INFLIGHT;
	p->n--;
	return warm_settle(w, f, last, cause);
}

/* Settles every batch in flight; the newest carries last. */
static int
warm_pipe_drain(struct warm_worker *w, struct warm_pipe *p, int last, char **cause)
{
	while (p->n > 0)
		if (warm_pipe_settle(w, p, last && p->n == 1, cause) != 0)
			return -1;
	return 0;
}

static void
warm_pipe_free(struct warm_pipe *p)
{
	size_t i;

	for (i = 0; i < WARM_INFLIGHT; i++)
		free(p->q[i].end.after);
}

/* A broken Redis connection: what it held is re-sent by the next pass. */
static int
warm_redis_broke(struct warm_worker *w, struct warm_pipe *p)
{
	redisconn_close(w->rc);
	w->rc = NULL;
	p->n = 0;
	return 1;
}

/*
 * One pass over a range (or the single cursor of a non-integer key) from its
 * last acknowledged position. Returns 0 when the rows are all acknowledged
 * (or the job stops), 1 when a connection broke: the broken side is closed
 * and the caller reconnects and calls again.
 */
static int
warm_pass(struct warm_worker *w, struct checkpoint_range *range, char **cause)
{
	struct warm_job *job = w->job;
	struct warm_pipe p;
	struct warm_counts n;
	struct warm_cursor pos;
	struct mysqlsrc_batch b;
	size_t ncmds, rows, want;
	char *why = NULL;
	int rv = 0, more;

	memset(&p, 0, sizeof p);
	warm_cursor_from_checkpoint(job, range, &pos);
	while (!warm_stopping(job)) {
		want = warm_limit(w, &pos);
		if (warm_take(job, want) != 0)
			break; /* stopping: what is in flight is settled below */
		if (warm_fetch(w, &pos, want, &b, cause) != 0) {
			mysqlsrc_close(w->src);
			w->src = NULL;
			/* Settle what Redis holds, or its replies would meet the next pass. */
			if (warm_pipe_drain(w, &p, 0, &why) != 0)
				warm_redis_broke(w, &p);
			free(why);
			rv = 1;
			break;
		}
		rows = b.nrows;
		/* The cap is on rows read: a short page pays only for what it read. */
		bucket_refund(&job->bucket, (double)(want - (rows < want ? rows : want)));
		atomic_fetch_add(&job->rows_read, (long long)rows);
		n.rows = rows;
		ncmds = warm_encode_batch(w, &b, &n.keys, &n.deleted);
		more = b.more;
		if (rows > 0 && warm_advance(job, &pos, &b) != 0) {
			mysqlsrc_batch_free(&b);
			warm_fail(job,
			          xasprintf("the key %s does not advance past %.*s: its values do "
			                    "not compare as their text (a FLOAT key?)",
			                    job->plan.key_name, (int)pos.afterlen, pos.after));
			break;
		}
		mysqlsrc_batch_free(&b);
		if (rows == 0) {
			/* The newest batch in flight carries "done"; with none, an empty (rest of
			 * a) range. */
			if (p.n == 0)
				warm_ack(job, &pos, 1, NULL);
			else if (warm_pipe_drain(w, &p, 1, cause) != 0)
				rv = warm_redis_broke(w, &p);
			break;
		}
		/* Send before reading older replies: Redis works while we read MySQL. */
		if (ncmds > 0 && redisconn_flush(w->rc, cause) != 0) {
			rv = warm_redis_broke(w, &p);
			break;
		}
		warm_pipe_push(&p, ncmds, &n, &pos);
		warm_report_progress(job, 0);
		if (!more) {
			/* A page short of its LIMIT is the last one: no need to ask again. */
			if (warm_pipe_drain(w, &p, 1, cause) != 0)
				rv = warm_redis_broke(w, &p);
			break;
		}
		if (p.n == WARM_INFLIGHT && warm_pipe_settle(w, &p, 0, cause) != 0) {
			rv = warm_redis_broke(w, &p);
			break;
		}
	}
	/* Stopped by the caller: what Redis holds is acknowledged, so --resume skips it. */
	if (rv == 0 && p.n > 0 && atomic_load(&job->interrupted) &&
	    warm_pipe_drain(w, &p, 0, cause) != 0)
		rv = warm_redis_broke(w, &p);
	warm_pipe_free(&p);
	free(pos.after);
	return rv;
}

/* Hands out the ranges not done yet, one at a time. */
static struct checkpoint_range *
warm_take_range(struct warm_job *job)
{
	struct checkpoint_range *r = NULL;

	pthread_mutex_lock(&job->lock);
	while (job->next_range < job->ck.nranges && r == NULL) {
		if (!job->ck.ranges[job->next_range].done)
			r = &job->ck.ranges[job->next_range];
		job->next_range++;
	}
	pthread_mutex_unlock(&job->lock);
	return r;
}

/* Runs passes over one range until it is done, reconnecting in between. */
static int
warm_range(struct warm_worker *w, struct checkpoint_range *range, char **cause)
{
	long long progress = -1, now;
	int failures = 0;

	for (;;) {
		if (warm_connect(w, cause) != 0)
			return -1;
		if (warm_pass(w, range, cause) == 0)
			return 0;
		if (warm_stopping(w->job))
			return -1;
		/* Give up on a connection that breaks again and again with no progress. */
		now = atomic_load(&w->job->keys_written);
		if (now != progress)
			failures = 0;
		progress = now;
		if (++failures >= WARM_MAX_ATTEMPTS)
			return -1;
		if (warm_backoff(w, (unsigned)failures - 1, "reconnecting", cause) != 0)
			return -1;
	}
}

static void *
warm_worker_main(void *arg)
{
	struct warm_worker *w = arg;
	struct warm_job *job = w->job;
	struct checkpoint_range *range;
	char *cause = NULL;

	while (!warm_stopping(job) && (range = warm_take_range(job)) != NULL)
		if (warm_range(w, range, &cause) != 0)
			break;
	/* A connection lost while stopping on request does not make the run failed. */
	if (cause != NULL && atomic_load(&job->interrupted))
		log_warn("warm %s: worker %d: %s", job->ds->name, w->index, cause);
	else if (cause != NULL)
		warm_fail(job, xasprintf("worker %d: %s", w->index, cause));
	free(cause);
	mysqlsrc_close(w->src);
	redisconn_close(w->rc);
	w->src = NULL;
	w->rc = NULL;
	pthread_mutex_lock(&job->lock);
	job->workers_left--;
	pthread_cond_signal(&job->finished);
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

/*
 * A fresh checkpoint: [min, max] of an integer first key column split into
 * more ranges than workers, so a slow range does not idle the rest; one
 * unbounded range otherwise.
 */
static void
warm_plan(struct warm_job *job, long long workers)
{
	struct checkpoint *ck = &job->ck;

	ck->dataset = xstrdup(job->ds->name);
	ck->run_id = xstrdup(job->run_id);
	ck->fingerprint = xstrdup(job->fingerprint);
	ck->created = (long long)clocks_wall();
	ck->ranged = job->shape.ranged && !job->shape.empty;
	if (ck->ranged)
		warmplan_split(ck, job->shape.min, job->shape.max,
		               (unsigned long long)workers * WARM_RANGES_PER_WORKER);
	else {
		ck->ranges = xcalloc(1, sizeof *ck->ranges);
		ck->nranges = 1;
	}
}

/* Rows added outside the old span since the interruption get ranges of their own. */
static void
warm_resume_span(struct warm_job *job)
{
	struct checkpoint *ck = &job->ck;
	struct checkpoint_range *r;

	if (!ck->ranged || job->shape.empty)
		return;
	if (job->shape.min < ck->ranges[0].lo) {
		ck->ranges = xreallocarray(ck->ranges, ck->nranges + 1, sizeof *ck->ranges);
		memmove(ck->ranges + 1, ck->ranges, ck->nranges++ * sizeof *ck->ranges);
		memset(&ck->ranges[0], 0, sizeof ck->ranges[0]);
		ck->ranges[0].lo = job->shape.min;
		ck->ranges[0].hi = ck->ranges[1].lo - 1;
	}
	if (job->shape.max > ck->ranges[ck->nranges - 1].hi) {
		ck->ranges = xreallocarray(ck->ranges, ck->nranges + 1, sizeof *ck->ranges);
		r = &ck->ranges[ck->nranges++];
		memset(r, 0, sizeof *r);
		r->lo = ck->ranges[ck->nranges - 2].hi + 1;
		r->hi = job->shape.max;
	}
}

/*
 * Loads the checkpoint of an interrupted run; 1 when there is none to
 * resume, or when it was written for another definition of the dataset
 * (then the run starts over, and says why: never a mix of two).
 */
static int
warm_resume(struct warm_job *job, char **cause)
{
	struct checkpoint *ck = &job->ck;
	const char *why = NULL;
	int rv;

	if ((rv = checkpoint_load(job->ckpt_path, ck, cause)) < 0) {
		/* Unreadable (or from an older version): starting over is safe, a guess is not. */
		log_warn("warm %s: %s; starting over", job->ds->name, *cause);
		free(*cause);
		*cause = NULL;
		return 1;
	}
	if (rv == 1)
		return 1;
	if (strcmp(ck->dataset, job->ds->name) != 0)
		why = "it belongs to another dataset";
	else if (strcmp(ck->fingerprint, job->fingerprint) != 0)
		why = "the dataset's table, where, columns, key, type, value_column or ttl changed "
		      "since it was written";
	else if (ck->ranged != (job->shape.ranged && !job->shape.empty) &&
	         !(ck->ranged && job->shape.empty))
		why = "the key's type changed since it was written";
	if (why != NULL) {
		log_warn("warm %s: checkpoint %s (run %s): %s; starting over", job->ds->name,
		         job->ckpt_path, ck->run_id, why);
		checkpoint_free(ck);
		return 1;
	}
	warm_resume_span(job);
	log_info("warm %s: resuming run %s from a checkpoint %.0f minutes old (%lld keys written "
	         "before)",
	         job->ds->name, ck->run_id, (clocks_wall() - (double)ck->created) / 60,
	         ck->keys_written);
	return 0;
}

static void
warm_progress(struct warm_job *job, int tty, int final)
{
	long long done = atomic_load(&job->rows_read), total = job->shape.estimate;
	double elapsed = clocks_mono() - job->started, rate = elapsed > 0 ? done / elapsed : 0;
	int width = 30, filled;
	double eta;

	/* The estimate comes from table statistics: never show more done than total. */
	if (final || done > total)
		total = done;
	eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
	filled = total > 0 ? (int)(width * done / total) : 0;
	if (!tty) {
		log_info("warm %s: %lld of ~%lld rows, %.0f rows/s, eta %.0f s", job->ds->name,
		         done, total, rate, eta);
		return;
	}
	fprintf(stderr, "\r%-12.12s [%.*s%*s] %lld/%lld rows %8.0f rows/s eta %4.0fs%s",
	        job->ds->name, filled, "##############################", width - filled, "", done,
	        total, rate, eta, final ? "\n" : "");
	fflush(stderr);
}

/* Starts the workers and waits for them, reporting progress meanwhile. */
static void
warm_workers(struct warm_job *job, long long nworkers)
{
	struct warm_worker *w = xcalloc((size_t)nworkers, sizeof *w);
	double next = clocks_mono() + (job->opts->progress ? 0.2 : 5.0), now;
	struct timespec until;
	pthread_t saver;
	long long i;

	if (!job->opts->dry_run && pthread_create(&saver, NULL, warm_saver_main, job) != 0)
		fatal("pthread_create: %s", strerror(errno));
	job->workers_left = (int)nworkers;
	job->save_lag = (unsigned long long)nworkers * WARM_SAVE_LAG;
	for (i = 0; i < nworkers; i++) {
		w[i].job = job;
		w[i].index = (int)i;
		crypto_random(&w[i].rng, sizeof w[i].rng);
		encode_out_init(&w[i].out);
		if (pthread_create(&w[i].thread, NULL, warm_worker_main, &w[i]) != 0)
			fatal("pthread_create: %s", strerror(errno));
	}
	pthread_mutex_lock(&job->lock);
	while (job->workers_left > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L)
			until.tv_sec++, until.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&job->finished, &job->lock, &until);
		if ((now = clocks_mono()) >= next && job->workers_left > 0) {
			pthread_mutex_unlock(&job->lock);
			warm_progress(job, job->opts->progress, 0);
			pthread_mutex_lock(&job->lock);
			next = now + (job->opts->progress ? 0.2 : 5.0);
		}
	}
	pthread_mutex_unlock(&job->lock);
	for (i = 0; i < nworkers; i++) {
		pthread_join(w[i].thread, NULL);
		encode_out_free(&w[i].out);
		buf_free(&w[i].payload);
		buf_free(&w[i].ttlms);
	}
	free(w);
	if (!job->opts->dry_run) {
		pthread_mutex_lock(&job->lock);
		job->saver_exit = 1;
		pthread_cond_signal(&job->ck_changed);
		pthread_mutex_unlock(&job->lock);
		pthread_join(saver, NULL);
	}
	if (job->opts->progress)
		warm_progress(job, 1, 1);
}

/* Reads verify_sample rows back from Redis (warmcheck). */
static int
warm_readback(struct warm_job *job, char **cause)
{
	struct warmcheck_input in;

	memset(&in, 0, sizeof in);
	in.conf = job->conf;
	in.ds = job->ds;
	in.enc = job->enc;
	in.scan = job->scan;
	in.ranged = job->ck.ranged;
	in.min = job->shape.min;
	in.max = job->shape.max;
	in.max_batch_bytes = job->max_bytes;
	in.started = job->started;
	return warmcheck_run(&in, &job->check, cause);
}

/*
 * cachewarden:generation:<dataset>, read by restore detection; written only
 * when the dataset ends ok. The one writer of the marker (to move whole to
 * the restore module).
 */
static int
warm_mark_generation(struct warm_job *job, char **cause)
{
	struct restore_marker m;
	struct redisconn *rc;
	int rv;

	memset(&m, 0, sizeof m);
	m.present = 1;
	clocks_rfc3339((int64_t)(job->finished_at), m.finished_at);
	m.rows = job->ck.keys_written; /* every leg of the run, resumed ones too */
	snprintf(m.host, sizeof m.host, "%s", job->conf->agent.name);
	snprintf(m.run_id, sizeof m.run_id, "%s", job->run_id);
	if ((rc = redisconn_open(job->conf, cause)) == NULL)
		return -1;
	rv = restore_marker_write(rc, job->ds->name, &m, cause);
	redisconn_close(rc);
	return rv;
}

static const char *
warm_job_status(const struct warm_job *job)
{
	if (job->failure != NULL)
		return "failed";
	if (atomic_load(&job->interrupted))
		return "interrupted";
	if (atomic_load(&job->errors) > 0 || job->check.mismatches > 0)
		return "partial";
	return "ok";
}

static void
warm_report_dataset(struct json *j, struct warm_job *job)
{
	double secs = job->elapsed;
	long long rows = atomic_load(&job->rows_read);
	size_t i;

	json_object_begin(j, NULL);
	json_string(j, "name", job->ds->name);
	json_string(j, "status", warm_job_status(job));
	json_int(j, "rows_read", rows);
	json_int(j, "keys_written", atomic_load(&job->keys_written));
	json_int(j, "keys_deleted", atomic_load(&job->keys_deleted));
	if (job->plan.key_name != NULL)
		json_string(j, "key", job->plan.key_name);
	json_int(j, "errors", atomic_load(&job->errors));
	json_double(j, "rows_per_sec", secs > 0 ? (double)(long long)(rows / secs) : 0);
	json_double(j, "seconds", (double)(long long)(secs * 1000) / 1000);
	json_int(j, "reconnects", atomic_load(&job->reconnects));
	json_string(j, "write", job->rp != NULL ? "restore" : "commands");
	if (job->failure != NULL)
		json_string(j, "failure", job->failure);
	if (job->nerrmsgs > 0) {
		json_array_begin(j, "first_errors");
		for (i = 0; i < job->nerrmsgs; i++)
			json_string(j, NULL, job->errmsgs[i]);
		json_array_end(j);
	}
	json_object_begin(j, "verify");
	json_int(j, "sampled", job->check.sampled);
	json_int(j, "mismatches", job->check.mismatches);
	json_array_begin(j, "mismatched");
	for (i = 0; i < job->check.nmismatched; i++)
		json_string(j, NULL, job->check.mismatched[i]);
	json_array_end(j);
	json_object_end(j);
	if (job->opts->dry_run) {
		json_array_begin(j, "samples");
		for (i = 0; i < job->nsamples; i++) {
			json_object_begin(j, NULL);
			json_string(j, "key", job->samples[i].key);
			json_string(j, "value", job->samples[i].value);
			json_object_end(j);
		}
		json_array_end(j);
	}
	json_object_end(j);
}

/*
 * Reads the catalogue and the table's shape, and checks the dataset against
 * them (refused before any write when it cannot be read completely or its
 * keys would collide); then prepares the encoder and the ranges.
 */
static int
warm_inspect(struct warm_job *job, char **cause)
{
	const struct conf_dataset *ds = job->ds;
	struct warmplan_table table;
	struct mysqlsrc *src;
	char *why = NULL;
	int rv;

	if ((src = mysqlsrc_connect(job->conf, cause)) == NULL)
		return -1;
	if ((rv = mysqlsrc_catalogue(src, ds->table, &table, cause)) == 0) {
		if ((rv = warmplan_make(ds, &table, &job->plan, &why)) != 0)
			*cause = xasprintf("refused before any write: %s", why);
		free(why);
		warmplan_table_free(&table);
	}
	if (rv == 0) {
		job->scan = mysqlsrc_scan_new(ds, &job->plan);
		rv = mysqlsrc_shape(src, job->scan, &job->shape, cause);
	}
	mysqlsrc_close(src);
	return rv;
}

static int
warm_prepare(struct warm_job *job, long long workers, char **cause)
{
	const struct conf_dataset *ds = job->ds;
	int rv;

	if (warm_inspect(job, cause) != 0 ||
	    (job->enc = encode_new(ds, (const char *const *)job->plan.select, job->plan.nselect,
	                           job->shape.kinds, job->conf->warm.ttl_jitter, cause)) == NULL)
		return -1;
	job->fingerprint = warmplan_fingerprint(ds, &job->plan);
	log_debug("warm %s: pages follow key %s of %s", ds->name, job->plan.key_name, ds->table);
	if (!job->shape.ranged)
		log_info("warm %s: the first column of key %s is not a signed integer: one worker "
		         "reads the table in key order",
		         ds->name, job->plan.key_name);
	job->ckpt_path = checkpoint_path(job->conf->agent.state_dir, ds->name);
	if (!job->opts->dry_run && fileio_mkdirs(job->conf->agent.state_dir, 0700, cause) != 0)
		return -1;
	rv = job->opts->resume ? warm_resume(job, cause) : 1;
	if (rv < 0)
		return -1;
	if (rv == 1) {
		if (job->opts->resume)
			log_info("warm %s: no run to resume; starting afresh", ds->name);
		warm_plan(job, workers);
	}
	if (!job->opts->dry_run && checkpoint_save(job->ckpt_path, &job->ck, cause) != 0)
		return -1;
	return 0;
}

static int
warm_all_done(const struct checkpoint *ck)
{
	size_t i;

	for (i = 0; i < ck->nranges; i++)
		if (!ck->ranges[i].done)
			return 0;
	return 1;
}

static void
warm_dataset(struct warm_job *job, long long workers)
{
	char *cause = NULL;

	double t = clocks_mono();

	if (warm_prepare(job, workers, &cause) != 0) {
		warm_fail(job, cause);
		return;
	}
	log_debug("warm %s: planning took %.3f s", job->ds->name, clocks_mono() - t);
	bucket_init(&job->bucket, (double)job->conf->warm.max_rows_per_sec,
	            (double)(job->batch_rows > 0 ? job->batch_rows : WARM_AUTO_FIRST_ROWS));
	job->started = clocks_mono();
	if (!job->shape.empty)
		warm_workers(job, job->ck.ranged ? workers : 1);
	else
		for (size_t i = 0; i < job->ck.nranges; i++)
			job->ck.ranges[i].done = 1;
	job->elapsed = clocks_mono() - job->started;
	job->finished_at = clocks_wall();
	bucket_destroy(&job->bucket);
	warm_report_progress(job, 1);
	if (job->failure != NULL || job->opts->dry_run)
		return;
	if (atomic_load(&job->interrupted)) {
		log_warn("warm %s: interrupted; the checkpoint %s keeps the progress for --resume",
		         job->ds->name, job->ckpt_path);
		return;
	}
	if (!warm_all_done(&job->ck)) {
		warm_fail(job, xstrdup("stopped before every range was done"));
		return;
	}
	t = clocks_mono();
	if (checkpoint_remove(job->ckpt_path, &cause) != 0 ||
	    (job->conf->warm.verify_sample > 0 && !job->shape.empty &&
	     warm_readback(job, &cause) != 0)) {
		warm_fail(job, cause);
		return;
	}
	/* A partial cache must not look complete to restore detection. */
	if (strcmp(warm_job_status(job), "ok") != 0)
		log_warn("warm %s: %s: the generation marker is left as it was", job->ds->name,
		         warm_job_status(job));
	else if (warm_mark_generation(job, &cause) != 0)
		warm_fail(job, cause);
	log_debug("warm %s: read-back and marker took %.3f s", job->ds->name, clocks_mono() - t);
}

static void
warm_job_init(struct warm_job *job, const struct conf *conf, const struct conf_dataset *ds,
              const struct warm_opts *opts, const char *run_id)
{
	memset(job, 0, sizeof *job);
	job->conf = conf;
	job->ds = ds;
	job->opts = opts;
	job->run_id = run_id;
	job->batch_rows = (size_t)conf->warm.batch_rows;
	job->max_bytes = (size_t)conf->warm.max_batch_bytes;
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->ck_changed, NULL);
	pthread_cond_init(&job->ck_saved_moved, NULL);
	pthread_mutex_init(&job->progress_lock, NULL);
	pthread_cond_init(&job->finished, NULL);
}

static void
warm_job_free(struct warm_job *job)
{
	size_t i;

	encode_free(job->enc);
	mysqlsrc_scan_free(job->scan);
	warmplan_free(&job->plan);
	free(job->fingerprint);
	free(job->shape.kinds);
	free(job->ckpt_path);
	checkpoint_free(&job->ck);
	free(job->failure);
	for (i = 0; i < job->nerrmsgs; i++)
		free(job->errmsgs[i]);
	for (i = 0; i < job->nsamples; i++) {
		free(job->samples[i].key);
		free(job->samples[i].value);
	}
	warmcheck_result_free(&job->check);
	pthread_mutex_destroy(&job->lock);
	pthread_cond_destroy(&job->ck_changed);
	pthread_cond_destroy(&job->ck_saved_moved);
	pthread_mutex_destroy(&job->progress_lock);
	pthread_cond_destroy(&job->finished);
}

/* Both servers answer before any work starts: otherwise exit 69 at once. */
static int
warm_preflight(const struct conf *conf, int dry_run, char **cause)
{
	static const char *const ping[] = { "PING" };
	struct redis_reply *r;
	struct redisconn *rc;
	struct mysqlsrc *src;
	int rv;

	if ((src = mysqlsrc_connect(conf, cause)) == NULL)
		return -1;
	rv = mysqlsrc_ping(src, cause);
	mysqlsrc_close(src);
	if (rv != 0 || dry_run)
		return rv;
	if ((rc = redisconn_open(conf, cause)) == NULL)
		return -1;
	r = redisconn_command(rc, cause, 1, ping);
	redisconn_close(rc);
	if (r == NULL)
		return -1;
	redis_reply_free(r);
	return 0;
}

/*
 * Chooses how rows are written ([warm] write): probes the server unless
 * told to use commands. Returns the probe's outcome (use = 0: commands), or
 * NULL and a cause when the probe could not run, or write = restore and the
 * probe did not pass.
 */
static struct restorepath *
warm_write_mode(const struct conf *conf, char **cause)
{
	struct restorepath *rp = xcalloc(1, sizeof *rp);
	struct redisconn *rc;
	int rv;

	if (conf->warm.write == CONF_WARM_WRITE_COMMANDS)
		return rp;
	if ((rc = redisconn_open(conf, cause)) == NULL) {
		free(rp);
		return NULL;
	}
	rv = restorepath_probe(rc, rp, cause);
	redisconn_close(rc);
	if (rv == 0 && !rp->use && conf->warm.write == CONF_WARM_WRITE_RESTORE) {
		*cause = xasprintf("write = restore, but %s", rp->why);
		rv = -1;
	}
	if (rv != 0) {
		free(rp);
		return NULL;
	}
	if (rp->use)
		log_info("warm: writing with RESTORE (RDB version %u, compact hashes up to %zu "
		         "fields of %zu bytes%s)",
		         rp->srv.rdb_version, rp->srv.max_entries, rp->srv.max_value,
		         rp->plain_ok ? "" : "; larger hashes with commands");
	else
		log_info("warm: writing with commands: %s", rp->why);
	return rp;
}

static int
warm_select(const struct conf *conf, const struct warm_opts *opts, const struct conf_dataset ***out,
            size_t *n)
{
	size_t i;

	*n = opts->ndatasets ? opts->ndatasets : conf->ndatasets;
	*out = xcalloc(*n + 1, sizeof **out);
	for (i = 0; i < *n; i++) {
		(*out)[i] = opts->ndatasets ? conf_find_dataset(conf, opts->datasets[i])
		                            : &conf->datasets[i];
		if ((*out)[i] == NULL) {
			log_error("warm: no [dataset %s] in %s", opts->datasets[i], conf->file);
			free(*out);
			return -1;
		}
	}
	if (*n == 0) {
		log_error("warm: %s has no [dataset NAME] section: nothing to warm", conf->file);
		free(*out);
		return -1;
	}
	return 0;
}

static void
warm_summary(const struct warm_job *job)
{
	log_info("warm %s: %s: %lld rows read, %lld keys written, %lld deleted, %lld errors, "
	         "%.1f s, verify %lld/%lld mismatched%s%s",
	         job->ds->name, warm_job_status(job), (long long)atomic_load(&job->rows_read),
	         (long long)atomic_load(&job->keys_written),
	         (long long)atomic_load(&job->keys_deleted), (long long)atomic_load(&job->errors),
	         job->elapsed, job->check.mismatches, job->check.sampled, job->failure ? ": " : "",
	         job->failure ? job->failure : "");
}

static void
warm_report(struct buf *report, const struct conf *conf, const struct warm_opts *opts,
            const char *run_id, double started, struct warm_job *jobs, size_t n)
{
	char when[CLOCKS_RFC3339_LEN];
	size_t i, nok = 0, nfailed = 0, nint = 0;
	const char *status;
	struct json j;

	for (i = 0; i < n; i++) {
		nok += strcmp(warm_job_status(&jobs[i]), "ok") == 0;
		nfailed += strcmp(warm_job_status(&jobs[i]), "failed") == 0;
		nint += strcmp(warm_job_status(&jobs[i]), "interrupted") == 0;
	}
	status = nint > 0 ? "interrupted" : nok == n ? "ok" : nfailed == n ? "failed" : "partial";
	json_init(&j, report);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.report/1");
	json_string(&j, "kind", "warm");
	json_string(&j, "status", status);
	json_string(&j, "host", conf->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	json_string(&j, "run_id", run_id);
	json_bool(&j, "dry_run", opts->dry_run);
	clocks_rfc3339((int64_t)(started), when);
	json_string(&j, "started_at", when);
	clocks_rfc3339((int64_t)(clocks_wall()), when);
	json_string(&j, "finished_at", when);
	json_array_begin(&j, "datasets");
	for (i = 0; i < n; i++)
		warm_report_dataset(&j, &jobs[i]);
	json_array_end(&j);
	json_object_end(&j);
	buf_addc(report, '\n');
}

int
warm_run(const struct conf *conf, const struct warm_opts *opts, struct buf *report)
{
	long long workers = opts->workers > 0 ? opts->workers : conf->warm.workers;
	double started = clocks_wall();
	const struct conf_dataset **sel;
	struct warm_job *jobs;
	struct restorepath *rp = NULL;
	char *cause = NULL, run_id[17];
	uint8_t rnd[8];
	size_t n, i;
	int rv = 0;

	if (warm_select(conf, opts, &sel, &n) != 0)
		return 2;
	if (opts->run_id != NULL && strlen(opts->run_id) == sizeof run_id - 1) {
		memcpy(run_id, opts->run_id, sizeof run_id);
	} else {
		crypto_random(rnd, sizeof rnd);
		crypto_hex(rnd, sizeof rnd, run_id);
	}
	jobs = xcalloc(n, sizeof *jobs);
	/* Unreachable servers at start: every dataset fails with the cause, and says so. */
	if (warm_preflight(conf, opts->dry_run, &cause) != 0) {
		log_error("warm: %s", cause);
		rv = 69;
	} else if (!opts->dry_run && (rp = warm_write_mode(conf, &cause)) == NULL) {
		log_error("warm: %s", cause);
		rv = 69;
	}
	for (i = 0; i < n; i++) {
		warm_job_init(&jobs[i], conf, sel[i], opts, run_id);
		jobs[i].rp = rp != NULL && rp->use ? rp : NULL;
		if (cause != NULL)
			jobs[i].failure = xstrdup(cause);
		else if (warm_stopping(&jobs[i]))
			; /* interrupted before this dataset started: nothing of it ran */
		else
			warm_dataset(&jobs[i], workers);
		warm_summary(&jobs[i]);
		if (atomic_load(&jobs[i].interrupted))
			rv = WARM_INTERRUPTED;
		else if (rv == 0 && strcmp(warm_job_status(&jobs[i]), "ok") != 0)
			rv = 1;
	}
	free(cause);
	free(rp);
	warm_report(report, conf, opts, run_id, started, jobs, n);
	for (i = 0; i < n; i++)
		warm_job_free(&jobs[i]);
	free(jobs);
	free(sel);
	return rv;
}
