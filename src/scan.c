/*
 * scan: one read pass per file computing CRC32, BLAKE2b-256 and the format
 * check, files spread over worker threads and large files pipelined (see
 * scan.h).
 *
 * A worker reads; its two helpers consume. The ring is a sequence of
 * published slots: the worker may refill a slot once both helpers have
 * passed it, and it drains the ring (waits for both) at the end of each
 * file, so every slot in flight belongs to the same file and the results
 * can be finalised on the worker after the drain.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bucket.h"
#include "buf.h"
#include "crypto.h"
#include "formats.h"
#include "log.h"
#include "scan.h"
#include "xmalloc.h"
#include "zstream.h"

enum { HELPER_HASH, HELPER_CHECK, NHELPERS };

/* The running checks of the file being read. */
struct scan_job {
	struct scan_file *f;
	struct crypto_blake2b *hash;
	struct zstream_crc32 crc;
	struct formats_check *check;
	/* The file's pages resident before the read (mincore, bit 0), for
	 * SCAN_RESIDENT_MAX pages at most; NULL when unknown. */
	uint8_t *resident;
	size_t npages;
};

/* Pages whose residency is looked up before a read: 64 GiB of file. */
#define SCAN_RESIDENT_MAX (1u << 24)
/* Verify threads yield: nice +10 and the idle I/O class. */
#define SCAN_NICE           10
#define SCAN_IOPRIO_IDLE    (3 << 13) /* IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) */
#define SCAN_IOPRIO_WHO_PID 1

/* A thread's nice value and I/O priority, as they were before scan_yield. */
struct scan_prio {
	int nice, ioprio, ok;
};

static void scan_yield(struct scan_prio *saved);

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t ready; /* a slot was published, or quit was set */
	pthread_cond_t freed; /* a helper finished a slot */
	uint8_t *slot[SCAN_RING_SLOTS];
	size_t len[SCAN_RING_SLOTS];
	uint64_t published;          /* slots published so far */
	uint64_t consumed[NHELPERS]; /* slots each helper has finished */
	struct scan_job *job;        /* the file of the slots in flight */
	int quit;
};

struct scan_pool;

struct helper {
	struct scan_worker *w;
	int which;
	pthread_t thread;
};

struct scan_worker {
	struct scan_pool *pool;
	pthread_t thread;
	size_t slot_size;
	struct ring ring;
	struct helper helpers[NHELPERS];
	int helpers_state; /* 0 not started, 1 running, -1 could not start: read inline */
	int piped;         /* the current file goes through the helpers */
};

struct scan_pool {
	struct bucket *limit; /* max_read_mb_per_sec across all workers, in bytes */
	struct scan_file *files;
	size_t *order; /* indexes of the regular files, largest first */
	size_t norder;
	atomic_size_t next;
};

static void
consume(struct scan_job *j, int which, const uint8_t *p, size_t n)
{
	if (which == HELPER_HASH) {
		crypto_blake2b_update(j->hash, p, n);
	} else {
		zstream_crc32_update(&j->crc, p, n);
		formats_check_update(j->check, p, n);
	}
}

static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct ring *r = &h->w->ring;
	struct scan_job *job;
	struct scan_prio prio;
	const uint8_t *p;
	size_t n;
	uint64_t seq;

	scan_yield(&prio); /* a thread of its own: nothing to restore */

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->consumed[h->which] == r->published && !r->quit)
			pthread_cond_wait(&r->ready, &r->mu);
		if (r->consumed[h->which] == r->published)
			break; /* quit, and nothing left */
		seq = r->consumed[h->which];
		job = r->job;
		p = r->slot[seq % SCAN_RING_SLOTS];
		n = r->len[seq % SCAN_RING_SLOTS];
		pthread_mutex_unlock(&r->mu);
		consume(job, h->which, p, n);
		pthread_mutex_lock(&r->mu);
		r->consumed[h->which]++;
		pthread_cond_signal(&r->freed);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void
helpers_stop(struct scan_worker *w, int started)
{
	int i;

	pthread_mutex_lock(&w->ring.mu);
	w->ring.quit = 1;
	pthread_cond_broadcast(&w->ring.ready);
	pthread_mutex_unlock(&w->ring.mu);
	for (i = 0; i < started; i++)
		pthread_join(w->helpers[i].thread, NULL);
}

/* Started on the first large file; without them the worker still works, inline. */
static void
helpers_start(struct scan_worker *w)
{
	int i, err = 0;

	for (i = 1; i < SCAN_RING_SLOTS; i++)
		w->ring.slot[i] = xmalloc(w->slot_size);
	for (i = 0; i < NHELPERS && err == 0; i++) {
		w->helpers[i].w = w;
		w->helpers[i].which = i;
		if ((err = pthread_create(&w->helpers[i].thread, NULL, helper_main,
		                          &w->helpers[i])) != 0)
			break;
	}
	if (err == 0) {
		w->helpers_state = 1;
		return;
	}
	log_warn("verify: cannot start a reader pipeline thread (%s): reading inline",
	         strerror(err));
	helpers_stop(w, i);
	w->ring.quit = 0;
	w->helpers_state = -1;
}

static uint8_t *
slot_acquire(struct scan_worker *w)
{
	struct ring *r = &w->ring;
	uint64_t low;

	if (!w->piped)
		return r->slot[0];
	pthread_mutex_lock(&r->mu);
	for (;;) {
		low = r->consumed[0] < r->consumed[1] ? r->consumed[0] : r->consumed[1];
		if (r->published - low < SCAN_RING_SLOTS)
			break;
		pthread_cond_wait(&r->freed, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return r->slot[r->published % SCAN_RING_SLOTS];
}

static void
slot_publish(struct scan_worker *w, struct scan_job *j, const uint8_t *p, size_t n)
{
	struct ring *r = &w->ring;

	if (!w->piped) {
		consume(j, HELPER_HASH, p, n);
		consume(j, HELPER_CHECK, p, n);
		return;
	}
	pthread_mutex_lock(&r->mu);
	r->len[r->published % SCAN_RING_SLOTS] = n;
	r->job = j;
	r->published++;
	pthread_cond_broadcast(&r->ready);
	pthread_mutex_unlock(&r->mu);
}

static void
ring_drain(struct scan_worker *w)
{
	struct ring *r = &w->ring;

	if (!w->piped)
		return;
	pthread_mutex_lock(&r->mu);
	while (r->consumed[0] < r->published || r->consumed[1] < r->published)
		pthread_cond_wait(&r->freed, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

/* ---- a polite guest: the page cache, the disk and the CPU ---- */

/* Which of the file's pages are in the page cache before we read them. */
static void
scan_resident(struct scan_job *j, int fd, uint64_t size)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len;
	void *m;

	j->resident = NULL;
	if (size == 0 || pg <= 0)
		return;
	j->npages = (size_t)((size + (uint64_t)pg - 1) / (uint64_t)pg);
	if (j->npages > SCAN_RESIDENT_MAX)
		j->npages = SCAN_RESIDENT_MAX;
	len = j->npages * (size_t)pg;
	if ((uint64_t)len > size)
		len = (size_t)size;
	/* Mapping reads nothing; mincore reports residency without faulting pages in. */
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return;
	j->resident = xmalloc(j->npages);
	if (mincore(m, len, j->resident) != 0) {
		free(j->resident);
		j->resident = NULL;
	}
	munmap(m, len);
}

/*
 * After reading [off, off + n): drop from the page cache the pages we
 * brought in, so verify does not push the application's files out; pages
 * that were resident before stay. Past SCAN_RESIDENT_MAX pages every page
 * is ours to drop; with no residency known (mincore failed), none is.
 */
static void
scan_drop(const struct scan_job *j, int fd, uint64_t off, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t p, first, last, run = UINT64_MAX;

	if (j->resident == NULL || pg <= 0 || n == 0)
		return;
	first = off / (uint64_t)pg;
	last = (off + n - 1) / (uint64_t)pg;
	for (p = first; p <= last + 1; p++) {
		int ours = p <= last && (p >= j->npages || !(j->resident[p] & 1));

		if (ours && run == UINT64_MAX)
			run = p;
		else if (!ours && run != UINT64_MAX) {
			(void)posix_fadvise(fd, (off_t)(run * (uint64_t)pg),
			                    (off_t)((p - run) * (uint64_t)pg), POSIX_FADV_DONTNEED);
			run = UINT64_MAX;
		}
	}
}

/* This thread only (Linux: nice and ioprio are per thread); saved to be restored. */
static void
scan_yield(struct scan_prio *saved)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	errno = 0;
	saved->nice = getpriority(PRIO_PROCESS, (id_t)tid);
	saved->ok = errno == 0;
	saved->ioprio = (int)syscall(SYS_ioprio_get, SCAN_IOPRIO_WHO_PID, tid);
	if (saved->ok && saved->nice < SCAN_NICE)
		(void)setpriority(PRIO_PROCESS, (id_t)tid, SCAN_NICE);
	(void)syscall(SYS_ioprio_set, SCAN_IOPRIO_WHO_PID, tid, SCAN_IOPRIO_IDLE);
}

static void
scan_unyield(const struct scan_prio *saved)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	/* Lowering nice again needs privilege; a thread that cannot keeps +10. */
	if (saved->ok)
		(void)setpriority(PRIO_PROCESS, (id_t)tid, saved->nice);
	if (saved->ioprio >= 0)
		(void)syscall(SYS_ioprio_set, SCAN_IOPRIO_WHO_PID, tid, saved->ioprio);
}

/* ---- one file ---- */

static enum formats_kind
choose_kind(enum scan_format want, const uint8_t *head, size_t n, const char *path)
{
	switch (want) {
	case SCAN_RDB:
		return FORMATS_RDB;
	case SCAN_GZIP:
		return FORMATS_GZIP;
	case SCAN_MYSQLDUMP:
		return n >= 2 && head[0] == 0x1f && head[1] == 0x8b ? FORMATS_MYSQLDUMP_GZ
		                                                    : FORMATS_MYSQLDUMP;
	case SCAN_PARQUET:
		return FORMATS_PARQUET;
	case SCAN_RAW:
		return FORMATS_RAW;
	default:
		return formats_detect(head, n < FORMATS_DETECT_BYTES ? n : FORMATS_DETECT_BYTES,
		                      path);
	}
}

/* Reads until cap bytes or the end of the file: a short count means the end. */
static ssize_t
read_full(int fd, uint8_t *p, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap) {
		if ((n = read(fd, p + got, cap - got)) == 0)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The one read pass. Returns the bytes read, or -1 and the read's errno in *err. */
static int64_t
scan_read(struct scan_worker *w, struct scan_job *j, int fd, uint64_t size, int *err)
{
	uint64_t total = 0;
	uint8_t *p;
	ssize_t n;

	for (;;) {
		p = slot_acquire(w);
		if ((n = read_full(fd, p, w->slot_size)) == -1) {
			*err = errno;
			break;
		}
		if (j->check == NULL) {
			j->f->kind = choose_kind(j->f->format, p, (size_t)n, j->f->path);
			j->check = formats_check_init(j->f->kind);
		}
		if (n > 0)
			slot_publish(w, j, p, (size_t)n);
		scan_drop(j, fd, total, (size_t)n);
		bucket_take(w->pool->limit, (double)n);
		total += (uint64_t)n;
		/* Past the size at open: it grew, and reading on could last forever. */
		if ((size_t)n < w->slot_size || total > size)
			break;
	}
	ring_drain(w);
	return n == -1 ? -1 : (int64_t)total;
}

static int
same_time(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The files a sound file names beside itself (an AOF manifest's base and
 * incrs) must be there: redis-check-aof fails on a missing one, and so
 * would a restore.
 */
static void
scan_companions(struct scan_file *f, const struct formats_check *check)
{
	const char *const *names;
	const char *slash = strrchr(f->path, '/');
	size_t n = formats_check_files(check, &names), i, missing = 0;
	struct buf list = BUF_INIT;
	struct stat st;
	char *path;

	if (n == 0 || f->check.status == FORMATS_CORRUPT)
		return;
	for (i = 0; i < n; i++) {
		path = xasprintf("%.*s%s", slash != NULL ? (int)(slash - f->path + 1) : 0, f->path,
		                 names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			buf_printf(&list, "%s%s", missing++ > 0 ? ", " : "", names[i]);
		}
		free(path);
	}
	if (missing == 0) {
		path = xasprintf("%s, all present", f->check.detail);
		free(f->check.detail);
		f->check.detail = path;
	} else {
		path = xasprintf("%s; missing beside it: %s", f->check.detail, list.data);
		free(f->check.detail);
		f->check.detail = path;
		f->check.status = FORMATS_CORRUPT;
	}
	buf_free(&list);
}

static void
scan_finish(struct scan_job *j)
{
	struct scan_file *f = j->f;

	if (f->error == NULL) {
		crypto_blake2b_final(j->hash, f->blake2b);
		zstream_crc32_final(&j->crc, &f->crc32);
		formats_check_final(j->check, &f->check);
		scan_companions(f, j->check);
		if (f->size == 0) {
			/* Every checker but RAW's says so too; an empty export never vouches. */
			free(f->check.detail);
			f->check.status = FORMATS_CORRUPT;
			f->check.detail = xstrdup("empty file (0 bytes)");
		}
	}
	crypto_blake2b_free(j->hash);
	formats_check_free(j->check);
}

static void
scan_one(struct scan_worker *w, struct scan_file *f)
{
	struct scan_job j = { f, NULL, { 0 }, NULL, NULL, 0 };
	struct stat before, after;
	int64_t got;
	int fd, err = 0;

	/* O_NONBLOCK: should a FIFO replace the file after scan_stat, open must not wait. */
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		f->error = xasprintf("open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
		f->error = xasprintf(
		        "replaced by something other than a regular file after it was listed");
		close(fd);
		return;
	}
	f->size = (uint64_t)before.st_size;
	f->mtime_s = before.st_mtim.tv_sec;
	f->mtime_ns = before.st_mtim.tv_nsec;
	scan_resident(&j, fd, f->size);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	j.hash = crypto_blake2b_init(SCAN_DIGEST_LEN);
	zstream_crc32_init(&j.crc);
	if (f->size > w->slot_size && w->helpers_state == 0)
		helpers_start(w);
	w->piped = f->size > w->slot_size && w->helpers_state == 1;
	got = scan_read(w, &j, fd, f->size, &err);
	if (got == -1)
		f->error = xasprintf("read: %s", strerror(err));
	else if (fstat(fd, &after) != 0)
		f->error = xasprintf("fstat: %s", strerror(errno));
	else if (after.st_size != before.st_size || !same_time(&before, &after) ||
	         (uint64_t)got != f->size)
		f->error = xasprintf("changed during read: size %lld -> %lld bytes, mtime %s, "
		                     "%s%lld bytes read",
		                     (long long)before.st_size, (long long)after.st_size,
		                     same_time(&before, &after) ? "unchanged" : "changed",
		                     (uint64_t)got > f->size ? "at least " : "", (long long)got);
	close(fd);
	free(j.resident);
	scan_finish(&j);
}

/* ---- the pool ---- */

static const char *
file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* On the calling thread, before the workers: the sizes order the work. */
static void
scan_stat(struct scan_file *f)
{
	struct stat st;

	if (stat(f->path, &st) != 0) {
		if (errno == ENOENT && lstat(f->path, &st) == 0 && S_ISLNK(st.st_mode))
			f->error = xstrdup("dangling symbolic link");
		else
			f->error = xasprintf("stat: %s", strerror(errno));
		return;
	}
	f->size = (uint64_t)st.st_size;
	f->mtime_s = st.st_mtim.tv_sec;
	f->mtime_ns = st.st_mtim.tv_nsec;
	if (!S_ISREG(st.st_mode)) {
		f->error = xasprintf("not a regular file: %s", file_type(st.st_mode));
		return;
	}
	f->regular = 1;
}

static void *
worker_main(void *arg)
{
	struct scan_worker *w = arg;
	struct scan_pool *pool = w->pool;
	struct scan_prio prio;
	size_t i;

	scan_yield(&prio);
	while ((i = atomic_fetch_add(&pool->next, 1)) < pool->norder)
		scan_one(w, &pool->files[pool->order[i]]);
	scan_unyield(&prio); /* worker 0 is the caller's thread */
	return NULL;
}

static void
worker_init(struct scan_worker *w, struct scan_pool *pool, size_t slot_size)
{
	memset(w, 0, sizeof *w);
	w->pool = pool;
	w->slot_size = slot_size;
	pthread_mutex_init(&w->ring.mu, NULL);
	pthread_cond_init(&w->ring.ready, NULL);
	pthread_cond_init(&w->ring.freed, NULL);
	w->ring.slot[0] = xmalloc(slot_size);
}

static void
worker_free(struct scan_worker *w)
{
	int i;

	if (w->helpers_state == 1)
		helpers_stop(w, NHELPERS);
	for (i = 0; i < SCAN_RING_SLOTS; i++)
		free(w->ring.slot[i]);
	pthread_mutex_destroy(&w->ring.mu);
	pthread_cond_destroy(&w->ring.ready);
	pthread_cond_destroy(&w->ring.freed);
}

struct by_size {
	uint64_t size;
	size_t index;
};

static int
cmp_size_desc(const void *a, const void *b)
{
	const struct by_size *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->index < y->index ? -1 : 1;
}

/* The regular files' indexes, largest first: the longest file starts at once. */
static void
pool_order(struct scan_pool *pool)
{
	struct by_size *v = xreallocarray(NULL, pool->norder + 1, sizeof *v);
	size_t i;

	for (i = 0; i < pool->norder; i++) {
		v[i].size = pool->files[pool->order[i]].size;
		v[i].index = pool->order[i];
	}
	qsort(v, pool->norder, sizeof *v, cmp_size_desc);
	for (i = 0; i < pool->norder; i++)
		pool->order[i] = v[i].index;
	free(v);
}

static size_t
slot_size_for(size_t workers)
{
	size_t s = SCAN_RING_BUDGET / (workers * SCAN_RING_SLOTS);

	s -= s % SCAN_SLOT_MIN;
	return s > SCAN_SLOT_MAX ? SCAN_SLOT_MAX : s < SCAN_SLOT_MIN ? SCAN_SLOT_MIN : s;
}

void
scan_run(struct scan_file *files, size_t n, long long workers)
{
	scan_run_limited(files, n, workers, 0);
}

void
scan_run_limited(struct scan_file *files, size_t n, long long workers, long long max_mb_per_sec)
{
	struct scan_pool pool = { NULL, files, NULL, 0, 0 };
	struct bucket limit;
	struct scan_worker *ws;
	size_t i, nw, started;
	int err;

	for (i = 0; i < n; i++)
		scan_stat(&files[i]);
	pool.order = xreallocarray(NULL, n + 1, sizeof *pool.order);
	for (i = 0; i < n; i++)
		if (files[i].regular)
			pool.order[pool.norder++] = i;
	pool_order(&pool);
	if (pool.norder == 0) {
		free(pool.order);
		return;
	}
	nw = workers < 1 ? 1 : (size_t)workers;
	if (nw > pool.norder)
		nw = pool.norder;
	/* A rate of 0 is no cap; no saving up beyond one read. */
	bucket_init(&limit, (double)max_mb_per_sec * 1e6, (double)slot_size_for(nw));
	pool.limit = &limit;
	ws = xcalloc(nw, sizeof *ws);
	for (i = 0; i < nw; i++)
		worker_init(&ws[i], &pool, slot_size_for(nw));
	/* The calling thread is worker 0. */
	for (started = 1; started < nw; started++) {
		err = pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]);
		if (err != 0) {
			log_warn("verify: %zu of %zu worker threads started: %s", started, nw,
			         strerror(err));
			break;
		}
	}
	worker_main(&ws[0]);
	for (i = 1; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	for (i = 0; i < nw; i++)
		worker_free(&ws[i]);
	free(ws);
	free(pool.order);
	bucket_destroy(&limit);
}

void
scan_file_clear(struct scan_file *f)
{
	free(f->error);
	f->error = NULL;
	free(f->check.detail);
	f->check.detail = NULL;
}
