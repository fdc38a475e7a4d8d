/* outbox: the durable spool of undelivered reports (see outbox.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clocks.h"
#include "crypto.h"
#include "fileio.h"
#include "log.h"
#include "outbox.h"
#include "xmalloc.h"
#include "zstream.h"

/*
 * Record layout, little-endian:
 *    0  "CWOB"
 *    4  u8  version (1)
 *    5  u8  reserved, 0
 *    6  u16 length of the metadata
 *    8  u32 length of the body
 *   12  u32 CRC32 of bytes 0-11 and of everything from byte 16 to the end
 *   16  u64 creation time, ms since the epoch
 *   24  metadata: id, kind, status, host, subject, each a u16 length and bytes
 *       body
 */
#define OUTBOX_MAGIC   "CWOB"
#define OUTBOX_VERSION 1
#define OUTBOX_HEADER  24
#define OUTBOX_NMETA   5
#define OUTBOX_SUFFIX  ".rec"
#define OUTBOX_DROPPED "dropped.count"
/* The first two transient failures in a row say the receiver is down. */
#define OUTBOX_FAILS_STOP 2

struct outbox {
	char *dir;
	uint64_t max_bytes;
};

struct outbox_file {
	char *name;
	uint64_t size;
};

static const char *const outbox_subdirs[] = { "dead", "quarantine" };

/* ---- the record format -------------------------------------------------- */

static void
outbox_put(struct buf *b, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		buf_addc(b, (char)(v >> (8 * i) & 0xff));
}

static uint64_t
outbox_get(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
outbox_crc(const unsigned char *rec, size_t len)
{
	struct zstream_crc32 z;
	uint32_t crc;

	zstream_crc32_init(&z);
	zstream_crc32_update(&z, rec, 12);
	zstream_crc32_update(&z, rec + 16, len - 16);
	zstream_crc32_final(&z, &crc);
	return crc;
}

void
outbox_encode(const struct outbox_record *r, struct buf *out)
{
	const char *meta[OUTBOX_NMETA] = { r->id, r->kind, r->status, r->host, r->subject };
	struct buf m = BUF_INIT;
	size_t start = out->len, i, len;
	uint32_t crc;

	for (i = 0; i < OUTBOX_NMETA; i++) {
		len = meta[i] != NULL ? strnlen(meta[i], 1024) : 0;
		outbox_put(&m, len, 2);
		buf_add(&m, meta[i] != NULL ? meta[i] : "", len);
	}
	buf_add(out, OUTBOX_MAGIC, 4);
	outbox_put(out, OUTBOX_VERSION, 1);
	outbox_put(out, 0, 1);
	outbox_put(out, m.len, 2);
	outbox_put(out, r->body_len, 4);
	outbox_put(out, 0, 4); /* the CRC, once the rest is there */
	outbox_put(out, (uint64_t)r->created_ms, 8);
	buf_add(out, m.data, m.len);
	buf_add(out, r->body, r->body_len);
	crc = outbox_crc((unsigned char *)out->data + start, out->len - start);
	for (i = 0; i < 4; i++)
		out->data[start + 12 + i] = (char)(crc >> (8 * i) & 0xff);
	buf_free(&m);
}

static int
outbox_decode_meta(const unsigned char *p, size_t len, struct outbox_record *r)
{
	char **fields[OUTBOX_NMETA] = { &r->id, &r->kind, &r->status, &r->host, &r->subject };
	size_t i, n, off = 0;

	for (i = 0; i < OUTBOX_NMETA; i++) {
		if (len - off < 2 || (n = outbox_get(p + off, 2)) > len - off - 2 ||
		    memchr(p + off + 2, '\0', n) != NULL)
			return -1;
		*fields[i] = xstrndup((const char *)p + off + 2, n);
		off += 2 + n;
	}
	return off == len && *r->id != '\0' ? 0 : -1;
}

int
outbox_decode(const void *data, size_t len, struct outbox_record *r, char **cause)
{
	const unsigned char *p = data;
	uint64_t mlen, blen;

	memset(r, 0, sizeof *r);
	if (len < OUTBOX_HEADER || memcmp(p, OUTBOX_MAGIC, 4) != 0) {
		*cause = xasprintf("not a spool record (%zu bytes, no CWOB header)", len);
		return -1;
	}
	if (p[4] != OUTBOX_VERSION) {
		*cause = xasprintf("record version %u, this agent reads %d", p[4], OUTBOX_VERSION);
		return -1;
	}
	mlen = outbox_get(p + 6, 2);
	blen = outbox_get(p + 8, 4);
	if (OUTBOX_HEADER + mlen + blen != len) {
		*cause = xasprintf("%s: %zu bytes where the header says %llu",
		                   len < OUTBOX_HEADER + mlen + blen ? "truncated"
		                                                     : "trailing bytes",
		                   len, (unsigned long long)(OUTBOX_HEADER + mlen + blen));
		return -1;
	}
	if (outbox_crc(p, len) != (uint32_t)outbox_get(p + 12, 4)) {
		*cause = xstrdup("CRC32 mismatch: the record was damaged");
		return -1;
	}
	if (outbox_decode_meta(p + OUTBOX_HEADER, mlen, r) != 0) {
		outbox_record_free(r);
		*cause = xstrdup("bad metadata fields");
		return -1;
	}
	r->created_ms = (int64_t)outbox_get(p + 16, 8);
	if (memchr(p + OUTBOX_HEADER + mlen, '\0', blen) != NULL) {
		outbox_record_free(r);
		*cause = xstrdup("NUL byte in the body");
		return -1;
	}
	r->body = xstrndup((const char *)p + OUTBOX_HEADER + mlen, blen);
	r->body_len = blen;
	return 0;
}

void
outbox_record_free(struct outbox_record *r)
{
	free(r->id);
	free(r->kind);
	free(r->status);
	free(r->host);
	free(r->subject);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* ---- ids, time, backoff ------------------------------------------------- */

/* RFC 9562 UUIDv7; the 12 "rand_a" bits hold the sub-millisecond time, so ids sort in time. */
void
outbox_new_id(char id[OUTBOX_ID_LEN + 1])
{
	unsigned char u[16];
	struct timespec ts;
	uint64_t ms;
	unsigned sub;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	sub = (unsigned)((uint64_t)(ts.tv_nsec % 1000000) * 4096 / 1000000);
	crypto_random(u + 8, 8);
	u[0] = (unsigned char)(ms >> 40);
	u[1] = (unsigned char)(ms >> 32);
	u[2] = (unsigned char)(ms >> 24);
	u[3] = (unsigned char)(ms >> 16);
	u[4] = (unsigned char)(ms >> 8);
	u[5] = (unsigned char)ms;
	u[6] = (unsigned char)(0x70 | sub >> 8);
	u[7] = (unsigned char)(sub & 0xff);
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f));
	snprintf(id, OUTBOX_ID_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	         u[15]);
}

int64_t
outbox_now_ms(void)
{
	return (int64_t)(clocks_mono() * 1000);
}

/* ---- files -------------------------------------------------------------- */

/* dir/name, whole or not at all (fileio_replace). */
static int
outbox_write_file(const char *dir, const char *name, const void *data, size_t len, char **cause)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rv = fileio_replace(path, data, len, 0600, cause);

	free(path);
	return rv;
}

/* 0 and the contents (at most max + 1 bytes), 1 when the file is gone, -1 and a cause. */
static int
outbox_read_file(const char *path, size_t max, struct buf *b, char **cause)
{
	char chunk[8192];
	ssize_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (b->len <= max &&
	       ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			buf_add(b, chunk, (size_t)n);
	if (n < 0)
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

static int
outbox_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct outbox_file *)a)->name, ((const struct outbox_file *)b)->name);
}

static void
outbox_files_free(struct outbox_file *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].name);
	free(f);
}

/* The regular files of dir, by name; only *.rec when recs_only; never hidden ones. */
static int
outbox_scan(const char *dir, int recs_only, struct outbox_file **files, size_t *n, char **cause)
{
	size_t len, sl = strlen(OUTBOX_SUFFIX);
	struct dirent *de;
	struct stat st;
	DIR *d;

	*files = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		*cause = xasprintf("cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' ||
		    (recs_only && (len <= sl || strcmp(de->d_name + len - sl, OUTBOX_SUFFIX) != 0)))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		*files = xreallocarray(*files, *n + 1, sizeof **files);
		(*files)[*n].name = xstrdup(de->d_name);
		(*files)[(*n)++].size = (uint64_t)st.st_size;
	}
	closedir(d);
	if (*n > 1)
		qsort(*files, *n, sizeof **files, outbox_name_cmp);
	return 0;
}

/* An flock on dir/name: the fd, or -1 (busy when nonblock and EWOULDBLOCK). */
static int
outbox_lock(const struct outbox *ob, const char *name, int nonblock)
{
	char *path = xasprintf("%s/%s", ob->dir, name);
	int fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) != 0) {
		if (errno != EINTR) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* ---- opening ------------------------------------------------------------ */

static int
outbox_mkdir(const char *path, char **cause)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s is not a directory", path);
		return -1;
	}
	/* Reports name hosts and failures: nobody else reads them. */
	if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) != 0) {
		*cause = xasprintf("cannot chmod 0700 %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Removes the temporary files of durable writes that a writer which died left behind. */
static void
outbox_clean_tmp(const char *dir)
{
	int n = fileio_temps(dir, 1, NULL);

	if (n > 0)
		log_info("spool: removed %d temporary file%s left by an interrupted write in %s", n,
		         n == 1 ? "" : "s", dir);
}

struct outbox *
outbox_open(const char *dir, uint64_t max_bytes, char **cause)
{
	struct outbox *ob;
	char *sub;
	size_t i;
	int rv;

	if (outbox_mkdir(dir, cause) != 0)
		return NULL;
	for (i = 0; i < sizeof outbox_subdirs / sizeof outbox_subdirs[0]; i++) {
		sub = xasprintf("%s/%s", dir, outbox_subdirs[i]);
		rv = outbox_mkdir(sub, cause);
		if (rv == 0)
			outbox_clean_tmp(sub);
		free(sub);
		if (rv != 0)
			return NULL;
	}
	outbox_clean_tmp(dir);
	ob = xcalloc(1, sizeof *ob);
	ob->dir = xstrdup(dir);
	ob->max_bytes = max_bytes;
	return ob;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	free(ob->dir);
	free(ob);
}

const char *
outbox_dir(const struct outbox *ob)
{
	return ob->dir;
}

/* ---- the bound ---------------------------------------------------------- */

uint64_t
outbox_dropped(struct outbox *ob)
{
	char *path = xasprintf("%s/%s", ob->dir, OUTBOX_DROPPED), *cause = NULL;
	struct buf b = BUF_INIT;
	uint64_t n = 0;

	if (outbox_read_file(path, 64, &b, &cause) == 0 && b.data != NULL)
		n = strtoull(b.data, NULL, 10);
	free(cause);
	free(path);
	buf_free(&b);
	return n;
}

static void
outbox_count_dropped(struct outbox *ob, uint64_t more)
{
	uint64_t total = outbox_dropped(ob) + more;
	char text[32], *cause = NULL;

	snprintf(text, sizeof text, "%llu\n", (unsigned long long)total);
	if (outbox_write_file(ob->dir, OUTBOX_DROPPED, text, strlen(text), &cause) != 0) {
		log_warn("spool: cannot count dropped reports: %s", cause);
		free(cause);
	}
	log_warn("spool %s is over its bound of %.1f MiB: dropped the %llu oldest undelivered "
	         "report%s (%llu dropped in all)",
	         ob->dir, (double)ob->max_bytes / (1024 * 1024), (unsigned long long)more,
	         more == 1 ? "" : "s", (unsigned long long)total);
}

/* Unlinks dir/name and its .cause; returns the bytes freed. */
static uint64_t
outbox_remove(const char *dir, const char *name)
{
	const char *suffix[] = { "", ".cause" };
	uint64_t freed = 0;
	struct stat st;
	char *path;
	size_t i;

	for (i = 0; i < 2; i++) {
		path = xasprintf("%s/%s%s", dir, name, suffix[i]);
		if (lstat(path, &st) == 0 && unlink(path) == 0)
			freed += (uint64_t)st.st_size;
		free(path);
	}
	return freed;
}

/* Frees space oldest first until used <= max; returns the pending records dropped. */
static uint64_t
outbox_trim(struct outbox *ob, struct outbox_file *f[3], size_t n[3], uint64_t used,
            const char *keep)
{
	static const int order[] = { 1, 2, 0 }; /* dead, quarantine, then pending */
	uint64_t dropped = 0;
	size_t k, i;
	char *dir;

	for (k = 0; k < 3 && used > ob->max_bytes; k++) {
		dir = order[k] == 0 ? xstrdup(ob->dir)
		                    : xasprintf("%s/%s", ob->dir, outbox_subdirs[order[k] - 1]);
		for (i = 0; i < n[order[k]] && used > ob->max_bytes; i++) {
			const char *name = f[order[k]][i].name;
			uint64_t freed;

			if (strcmp(name, keep) == 0 ||
			    (order[k] != 0 && strlen(name) > 6 &&
			     strcmp(name + strlen(name) - 6, ".cause") == 0))
				continue;
			freed = outbox_remove(dir, name);
			used = freed < used ? used - freed : 0;
			dropped += order[k] == 0 && freed > 0;
		}
		free(dir);
	}
	return dropped;
}

static void
outbox_enforce_bound(struct outbox *ob, const char *keep)
{
	struct outbox_file *f[3] = { NULL, NULL, NULL };
	size_t n[3] = { 0, 0, 0 }, k, i;
	uint64_t used = 0, dropped, tmp_bytes;
	char *dir, *cause = NULL;
	int fd, rv = 0;

	if ((fd = outbox_lock(ob, ".spool.lock", 0)) < 0) {
		log_warn("spool %s: cannot lock it to enforce its bound: %s", ob->dir,
		         strerror(errno));
		return;
	}
	for (k = 0; k < 3 && rv == 0; k++) {
		dir = k == 0 ? xstrdup(ob->dir)
		             : xasprintf("%s/%s", ob->dir, outbox_subdirs[k - 1]);
		rv = outbox_scan(dir, k == 0, &f[k], &n[k], &cause);
		/* Orphans of interrupted writes take space too until the next start removes them.
		 */
		if (rv == 0 && fileio_temps(dir, 0, &tmp_bytes) >= 0)
			used += tmp_bytes;
		free(dir);
		for (i = 0; i < n[k]; i++)
			used += f[k][i].size;
	}
	if (rv != 0) {
		log_warn("spool: cannot enforce its bound: %s", cause);
		free(cause);
	} else if (used > ob->max_bytes && (dropped = outbox_trim(ob, f, n, used, keep)) > 0)
		outbox_count_dropped(ob, dropped);
	for (k = 0; k < 3; k++)
		outbox_files_free(f[k], n[k]);
	close(fd);
}

/* ---- writing ------------------------------------------------------------ */

static int
outbox_valid_id(const char *id)
{
	size_t len = strlen(id);

	return len > 0 && len <= 64 &&
	       strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") ==
	               len;
}

int
outbox_push(struct outbox *ob, const struct outbox_record *r, char **cause)
{
	struct buf b = BUF_INIT;
	char *name;
	int rv;

	if (r->id == NULL || !outbox_valid_id(r->id)) {
		*cause = xasprintf("report id \"%s\" cannot name a spool file", r->id ? r->id : "");
		return -1;
	}
	/* Records hold text; a NUL would make the record unreadable later. */
	if (r->body_len == 0 || memchr(r->body, '\0', r->body_len) != NULL) {
		*cause = xasprintf("report %s has an empty body or a NUL byte in it", r->id);
		return -1;
	}
	outbox_encode(r, &b);
	if (b.len > OUTBOX_MAX_RECORD) {
		*cause = xasprintf("report %s is %zu bytes, over the spool's record limit", r->id,
		                   b.len);
		buf_free(&b);
		return -1;
	}
	name = xasprintf("%s%s", r->id, OUTBOX_SUFFIX);
	rv = outbox_write_file(ob->dir, name, b.data, b.len, cause);
	buf_free(&b);
	if (rv == 0)
		outbox_enforce_bound(ob, name);
	free(name);
	return rv;
}

/* ---- delivering --------------------------------------------------------- */

/* Moves dir/name into dir/sub/ with name.cause beside it. */
static int
outbox_bury(struct outbox *ob, const char *sub, const char *name, const char *why, char **cause)
{
	char *subdir = xasprintf("%s/%s", ob->dir, sub), *cname = xasprintf("%s.cause", name);
	char *from = xasprintf("%s/%s", ob->dir, name), *to = xasprintf("%s/%s", subdir, name);
	char stamp[CLOCKS_RFC3339_LEN], *text;
	int rv;

	clocks_rfc3339((int64_t)time(NULL), stamp);
	text = xasprintf("%s %s\n", stamp, why);
	rv = outbox_write_file(subdir, cname, text, strlen(text), cause);
	if (rv == 0 && rename(from, to) != 0) {
		*cause = xasprintf("cannot move %s to %s: %s", from, subdir, strerror(errno));
		rv = -1;
	}
	if (rv == 0 && (fileio_sync_dir(subdir) != 0 || fileio_sync_dir(ob->dir) != 0))
		log_warn("spool: fsync after moving %s to %s: %s", name, sub, strerror(errno));
	free(text);
	free(subdir);
	free(cname);
	free(from);
	free(to);
	return rv;
}

static void
outbox_set_aside(struct outbox *ob, const char *sub, const char *name, const char *what,
                 const char *why)
{
	char *cause = NULL;

	if (outbox_bury(ob, sub, name, why, &cause) == 0) {
		if (strcmp(sub, "dead") == 0)
			log_error("report %s: %s; moved to %s/%s/", what, why, ob->dir, sub);
		else
			log_warn("spool record %s: %s; moved to %s/%s/", what, why, ob->dir, sub);
	} else {
		log_error("report %s: %s; and it stays pending: %s", what, why, cause);
		free(cause);
	}
}

static void
outbox_delivered(struct outbox *ob, const char *name)
{
	char *path = xasprintf("%s/%s", ob->dir, name);

	/* Gone already is fine: the bound may have dropped it meanwhile. */
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("spool: delivered but cannot remove %s: %s", path, strerror(errno));
	else if (fileio_sync_dir(ob->dir) != 0)
		log_warn("spool: fsync %s: %s", ob->dir, strerror(errno));
	free(path);
}

/* One record; returns 1 after a transient failure or a hold, else 0. */
static int
outbox_deliver_one(struct outbox *ob, const char *name, outbox_deliver_fn *fn, void *arg,
                   struct outbox_flush_stats *st)
{
	char *path = xasprintf("%s/%s", ob->dir, name), *why = NULL;
	struct outbox_record r;
	struct buf b = BUF_INIT;
	int rv;

	rv = outbox_read_file(path, OUTBOX_MAX_RECORD, &b, &why);
	free(path);
	if (rv != 0) { /* gone meanwhile (1), or an I/O error: skipped, not quarantined */
		if (rv < 0) {
			log_warn("spool: %s; skipped", why);
			st->pending++;
		}
		free(why);
		buf_free(&b);
		return 0;
	}
	if (outbox_decode(b.data != NULL ? b.data : "", b.len, &r, &why) != 0) {
		outbox_set_aside(ob, "quarantine", name, name, why);
		st->quarantined++;
		free(why);
		buf_free(&b);
		return 0;
	}
	buf_free(&b);
	switch (fn(arg, &r, &why)) {
	case OUTBOX_DELIVERED:
		outbox_delivered(ob, name);
		st->delivered++;
		break;
	case OUTBOX_DEAD:
		outbox_set_aside(ob, "dead", name, r.id, why != NULL ? why : "refused");
		st->dead++;
		break;
	case OUTBOX_RETRY:
		st->failed++;
		st->pending++;
		free(st->last_error);
		st->last_error = why;
		why = NULL;
		rv = 1;
		break;
	case OUTBOX_HOLD:
		st->held++;
		st->pending++;
		free(st->last_hold);
		st->last_hold = why;
		why = NULL;
		rv = 1;
		break;
	}
	free(why);
	outbox_record_free(&r);
	return rv;
}

int
outbox_flush(struct outbox *ob, outbox_deliver_fn *fn, void *arg, int64_t deadline_ms,
             struct outbox_flush_stats *st, char **cause)
{
	struct outbox_file *files;
	size_t n, i;
	int fd, fails = 0;

	memset(st, 0, sizeof *st);
	if ((fd = outbox_lock(ob, ".deliver.lock", 1)) < 0) {
		if (errno == EWOULDBLOCK) {
			st->busy = 1;
			return 0;
		}
		*cause = xasprintf("cannot lock spool %s: %s", ob->dir, strerror(errno));
		return -1;
	}
	if (outbox_scan(ob->dir, 1, &files, &n, cause) != 0) {
		close(fd);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (fails >= OUTBOX_FAILS_STOP ||
		    (deadline_ms != 0 && outbox_now_ms() >= deadline_ms)) {
			st->pending += (unsigned)(n - i);
			break;
		}
		if (outbox_deliver_one(ob, files[i].name, fn, arg, st))
			fails++;
		else
			fails = 0;
	}
	outbox_files_free(files, n);
	close(fd);
	return 0;
}

/* ---- listing ------------------------------------------------------------ */

static void
outbox_describe(const char *dir, const struct outbox_file *f, struct outbox_entry *e)
{
	char *path = xasprintf("%s/%s", dir, f->name), *why = NULL;
	struct buf b = BUF_INIT;

	e->name = xstrdup(f->name);
	e->size = f->size;
	if (outbox_read_file(path, OUTBOX_MAX_RECORD, &b, &why) != 0)
		e->why = why != NULL ? why : xstrdup("removed while listing");
	else if (outbox_decode(b.data != NULL ? b.data : "", b.len, &e->rec, &why) == 0)
		e->valid = 1;
	else
		e->why = why;
	buf_free(&b);
	free(path);
	if (e->state == OUTBOX_IS_PENDING)
		return;
	/* A dead or quarantined record says why it is there. */
	path = xasprintf("%s/%s.cause", dir, f->name);
	why = NULL;
	if (outbox_read_file(path, 4096, &b, &why) == 0 && b.len > 0) {
		while (b.len > 0 && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		free(e->why);
		e->why = buf_detach(&b);
	}
	free(why);
	buf_free(&b);
	free(path);
}

int
outbox_list(struct outbox *ob, struct outbox_entry **entries, size_t *n, char **cause)
{
	struct outbox_file *files;
	size_t nf, i, k;
	char *dir;
	int rv = 0;

	*entries = NULL;
	*n = 0;
	for (k = 0; k < 3 && rv == 0; k++) {
		dir = k == 0 ? xstrdup(ob->dir)
		             : xasprintf("%s/%s", ob->dir, outbox_subdirs[k - 1]);
		if ((rv = outbox_scan(dir, 1, &files, &nf, cause)) == 0) {
			*entries = xreallocarray(*entries, *n + nf + 1, sizeof **entries);
			for (i = 0; i < nf; i++) {
				memset(&(*entries)[*n], 0, sizeof **entries);
				(*entries)[*n].state = (enum outbox_state)k;
				outbox_describe(dir, &files[i], &(*entries)[(*n)++]);
			}
			outbox_files_free(files, nf);
		}
		free(dir);
	}
	if (rv != 0) {
		outbox_entries_free(*entries, *n);
		*entries = NULL;
		*n = 0;
	}
	return rv;
}

void
outbox_entries_free(struct outbox_entry *entries, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(entries[i].name);
		free(entries[i].why);
		outbox_record_free(&entries[i].rec);
	}
	free(entries);
}

/* ---- requeueing --------------------------------------------------------- */

/* Moves dead/name back to the pending records and removes its .cause; 0, 1 when absent, -1. */
static int
outbox_requeue_one(struct outbox *ob, const char *name, char **cause)
{
	char *from = xasprintf("%s/dead/%s", ob->dir, name),
	     *to = xasprintf("%s/%s", ob->dir, name);
	char *why = xasprintf("%s.cause", from);
	int rv = 0;

	if (rename(from, to) != 0) {
		rv = errno == ENOENT ? 1 : -1;
		if (rv < 0)
			*cause = xasprintf("cannot move %s back: %s", from, strerror(errno));
	} else if (unlink(why) != 0 && errno != ENOENT)
		log_warn("spool: cannot remove %s: %s", why, strerror(errno));
	free(from);
	free(to);
	free(why);
	return rv;
}

int
outbox_requeue(struct outbox *ob, char *const *ids, size_t nids, unsigned *moved, char **cause)
{
	struct outbox_file *files = NULL;
	size_t nf = 0, i, len, sl = strlen(OUTBOX_SUFFIX);
	char *dead = xasprintf("%s/dead", ob->dir), *name;
	int rv = 0, one;

	*moved = 0;
	if (ids == NULL && (rv = outbox_scan(dead, 1, &files, &nf, cause)) != 0) {
		free(dead);
		return -1;
	}
	for (i = 0; rv == 0 && i < (ids != NULL ? nids : nf); i++) {
		if (ids == NULL)
			name = xstrdup(files[i].name);
		else {
			len = strlen(ids[i]);
			/* An id, or the file name that `spool list` shows. */
			if (len > sl && strcmp(ids[i] + len - sl, OUTBOX_SUFFIX) == 0)
				len -= sl;
			name = xstrndup(ids[i], len);
			if (!outbox_valid_id(name)) {
				*cause = xasprintf("\"%s\" is not a report id", ids[i]);
				free(name);
				rv = -1;
				break;
			}
			free(name);
			name = xasprintf("%.*s%s", (int)len, ids[i], OUTBOX_SUFFIX);
		}
		if ((one = outbox_requeue_one(ob, name, cause)) == 0)
			(*moved)++;
		else if (one > 0 && ids != NULL) {
			*cause = xasprintf("no dead report %s in %s", ids[i], dead);
			rv = -1;
		} else if (one < 0)
			rv = -1;
		free(name);
	}
	if (*moved > 0 && (fileio_sync_dir(dead) != 0 || fileio_sync_dir(ob->dir) != 0))
		log_warn("spool: fsync after requeueing: %s", strerror(errno));
	outbox_files_free(files, nf);
	free(dead);
	return rv;
}
