/*
 * verify: discovery, manifests, audit and the verdict of `cachewarden
 * verify` (see verify.h). The reading itself is scan's.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "crypto.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "minisign.h"
#include "scan.h"
#include "snapshots.h"
#include "verify.h"
#include "xmalloc.h"

#define SHORT_HEX 16 /* digest characters quoted in a CHANGED detail */

struct vset {
	const struct conf_exports *ex;
	char **paths; /* what the glob matched, sorted */
	size_t npaths;
	struct scan_file *files; /* this set's slice of the run's files */
	struct verify_problems problems;
	struct verify_problems warnings;
	size_t nregular;
	uint64_t bytes;
	int have_newest;
	int64_t newest;
	char *manifest_path;
};

/* A [snapshots NAME] set: listed and audited by snapshots.h. */
struct vsnap {
	const struct conf_snapshots *sn;
	struct snapshots_result r;
};

struct vrun {
	const struct conf *conf;
	int64_t now;
	struct vset *sets;
	size_t nsets;
	struct vsnap *snaps;
	size_t nsnaps;
	struct scan_file *files;
	size_t nfiles;
	struct minisign_pubkey trusted;
	char *trusted_error; /* trusted_key is set but unusable */
};

/* ---- problems ---- */

void
verify_problem_add(struct verify_problems *p, const char *file, const char *problem,
                   const char *fmt, ...)
{
	struct verify_problem *v;
	va_list ap;

	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	v = &p->v[p->n++];
	v->file = file != NULL ? xstrdup(file) : NULL;
	v->problem = problem;
	va_start(ap, fmt);
	v->detail = xvasprintf(fmt, ap);
	va_end(ap);
}

void
verify_problems_free(struct verify_problems *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].file);
		free(p->v[i].detail);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

char *
verify_printable(const char *name)
{
	struct buf b = BUF_INIT;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '\\')
			buf_adds(&b, "\\\\");
		else if (*p == '\n')
			buf_adds(&b, "\\n");
		else if (*p == '\t')
			buf_adds(&b, "\\t");
		else if (*p == '\r')
			buf_adds(&b, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(&b, "\\x%02x", *p);
		else
			buf_addc(&b, (char)*p);
	}
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

/* ---- manifest comparison ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
changed(const struct manifest_entry *e, const struct scan_file *f, struct verify_problems *p)
{
	char now_hex[2 * SCAN_DIGEST_LEN + 1], was_hex[2 * SCAN_DIGEST_LEN + 1];
	char first[AUDIT_TIME_LEN], was_m[AUDIT_TIME_LEN], now_m[AUDIT_TIME_LEN];

	crypto_hex(f->blake2b, SCAN_DIGEST_LEN, now_hex);
	crypto_hex(e->blake2b, SCAN_DIGEST_LEN, was_hex);
	now_hex[SHORT_HEX] = was_hex[SHORT_HEX] = '\0';
	clocks_rfc3339(e->first_seen, first);
	if (e->size == f->size && e->mtime_s == f->mtime_s && e->mtime_ns == f->mtime_ns) {
		verify_problem_add(p, f->path, "CHANGED",
		                   "content changed with size and mtime unchanged (bit rot or "
		                   "tampering): blake2b %s..., recorded %s... (first seen %s)",
		                   now_hex, was_hex, first);
		return;
	}
	clocks_rfc3339(e->mtime_s, was_m);
	clocks_rfc3339(f->mtime_s, now_m);
	verify_problem_add(p, f->path, "CHANGED",
	                   "rewritten since first seen %s: size %" PRIu64 " -> %" PRIu64
	                   ", mtime %s -> %s, blake2b %s..., recorded %s...",
	                   first, e->size, f->size, was_m, now_m, now_hex, was_hex);
}

/* One scanned file against its manifest entry (or none): what to record. */
static void
compare_file(const struct manifest_entry *e, const struct scan_file *f, int64_t now,
             struct manifest *next, struct verify_problems *p)
{
	struct manifest_entry rec;

	if (f->error != NULL) {
		if (e != NULL)
			manifest_add(next, e);
		return;
	}
	if (e != NULL && (memcmp(e->blake2b, f->blake2b, SCAN_DIGEST_LEN) != 0 ||
	                  e->crc32 != f->crc32 || e->size != f->size)) {
		changed(e, f, p);
		manifest_add(next, e);
		return;
	}
	if (e == NULL && f->check.status == FORMATS_CORRUPT)
		return; /* a record of good files: a partial write must not become the reference */
	memset(&rec, 0, sizeof rec);
	rec.path = (char *)f->path;
	rec.size = f->size;
	rec.mtime_s = f->mtime_s;
	rec.mtime_ns = f->mtime_ns;
	rec.crc32 = f->crc32;
	memcpy(rec.blake2b, f->blake2b, SCAN_DIGEST_LEN);
	rec.first_seen = e != NULL ? e->first_seen : now;
	rec.last_verified = now;
	manifest_add(next, &rec);
}

static void
missing(const struct manifest_entry *e, int64_t now, long long window_s, struct manifest *next,
        struct verify_problems *p)
{
	char mtime[AUDIT_TIME_LEN], until[AUDIT_TIME_LEN], verified[AUDIT_TIME_LEN];

	if (e->mtime_s + window_s <= now)
		return; /* rotated out of the window: forgotten */
	clocks_rfc3339(e->mtime_s, mtime);
	clocks_rfc3339(e->mtime_s + window_s, until);
	clocks_rfc3339(e->last_verified, verified);
	verify_problem_add(p, e->path, "MISSING",
	                   "recorded file is gone (mtime %s, last verified %s); it should be "
	                   "kept until %s",
	                   mtime, verified, until);
	manifest_add(next, e);
}

void
verify_compare(const struct manifest *old, const struct scan_file *files, size_t n, int64_t now,
               long long window_s, struct manifest *next, struct verify_problems *p)
{
	const char **seen = xreallocarray(NULL, n + 1, sizeof *seen);
	const char *key;
	size_t i;

	for (i = 0; i < n; i++) {
		compare_file(manifest_find(old, files[i].path), &files[i], now, next, p);
		seen[i] = files[i].path;
	}
	qsort(seen, n, sizeof *seen, cmp_str);
	for (i = 0; i < old->n; i++) {
		key = old->entries[i].path;
		if (n == 0 || bsearch(&key, seen, n, sizeof *seen, cmp_str) == NULL)
			missing(&old->entries[i], now, window_s, next, p);
	}
	free(seen);
	manifest_sort(next);
}

/* ---- discovery ---- */

/* glob's error callback has no argument: the set being globbed, on this thread. */
static _Thread_local struct vset *glob_target;

static int
glob_error(const char *path, int err)
{
	/* A directory that vanished or is a file is no match, not an error. */
	if (err != ENOENT && err != ENOTDIR && glob_target != NULL)
		verify_problem_add(&glob_target->problems, path, "UNREADABLE",
		                   "cannot list directory: %s", strerror(err));
	return 0;
}

static void
discover(struct vset *s)
{
	glob_t g;
	size_t i;
	int rc;

	memset(&g, 0, sizeof g);
	glob_target = s;
	rc = glob(s->ex->path, 0, glob_error, &g);
	glob_target = NULL;
	if (rc == GLOB_NOSPACE)
		fatal("verify: out of memory in glob");
	if (rc == 0) {
		s->paths = xreallocarray(NULL, g.gl_pathc, sizeof *s->paths);
		for (i = 0; i < g.gl_pathc; i++)
			s->paths[i] = xstrdup(g.gl_pathv[i]);
		s->npaths = g.gl_pathc;
	}
	globfree(&g);
}

static enum scan_format
scan_format_of(int conf_format)
{
	switch (conf_format) {
	case CONF_FORMAT_RDB:
		return SCAN_RDB;
	case CONF_FORMAT_GZIP:
		return SCAN_GZIP;
	case CONF_FORMAT_MYSQLDUMP:
		return SCAN_MYSQLDUMP;
	case CONF_FORMAT_PARQUET:
		return SCAN_PARQUET;
	case CONF_FORMAT_RAW:
		return SCAN_RAW;
	default:
		return SCAN_AUTO;
	}
}

/* Globs every set, then lays all their files out in one array for scan. */
static void
discover_all(struct vrun *run)
{
	size_t i, j, k = 0;

	for (i = 0; i < run->nsets; i++) {
		discover(&run->sets[i]);
		run->nfiles += run->sets[i].npaths;
	}
	run->files = xcalloc(run->nfiles + 1, sizeof *run->files);
	for (i = 0; i < run->nsets; i++) {
		run->sets[i].files = &run->files[k];
		for (j = 0; j < run->sets[i].npaths; j++, k++) {
			run->files[k].path = run->sets[i].paths[j];
			run->files[k].format = scan_format_of(run->sets[i].ex->format);
		}
	}
}

/* ---- per set ---- */

static void
set_files(struct vset *s)
{
	const struct scan_file *f;
	size_t i;

	for (i = 0; i < s->npaths; i++) {
		f = &s->files[i];
		if (f->regular) {
			s->nregular++;
			s->bytes += f->size;
			if (!s->have_newest || f->mtime_s > s->newest)
				s->newest = f->mtime_s;
			s->have_newest = 1;
		}
		if (f->error != NULL)
			verify_problem_add(&s->problems, f->path, "UNREADABLE", "%s", f->error);
		else if (f->check.status == FORMATS_CORRUPT)
			verify_problem_add(&s->problems, f->path, "CORRUPT", "%s", f->check.detail);
		else if (f->check.status == FORMATS_UNCHECKED)
			verify_problem_add(&s->warnings, f->path, "UNCHECKED", "%s",
			                   f->check.detail);
		else if (f->check.status == FORMATS_WARNING)
			verify_problem_add(&s->warnings, f->path, "WARNING", "%s", f->check.detail);
	}
}

static void
set_audit(const struct vrun *run, struct vset *s)
{
	struct audit_problem *ap = NULL;
	struct audit_input in;
	int64_t *mtimes = xreallocarray(NULL, s->npaths + 1, sizeof *mtimes);
	size_t i, nap = 0;

	memset(&in, 0, sizeof in);
	for (i = 0; i < s->npaths; i++)
		if (s->files[i].regular)
			mtimes[in.n++] = s->files[i].mtime_s;
	in.now = run->now;
	in.mtimes = mtimes;
	in.max_age = s->ex->max_age;
	in.retention = s->ex->retention;
	in.tier = s->ex->tier;
	audit_run(&in, &ap, &nap);
	for (i = 0; i < nap; i++)
		verify_problem_add(&s->problems, NULL, audit_kind_name(ap[i].kind), "%s",
		                   ap[i].detail);
	audit_problems_free(ap, nap);
	free(mtimes);
}

/* ---- manifests ---- */

/*
 * A signature write interrupted by a crash leaves the new manifest with its
 * signature still in SIG.pending (see manifest_store). When that signature,
 * and only a valid one, verifies the manifest, the write is completed now.
 * Called with the set's lock held. 0 when it verified.
 */
static int
manifest_pending(const struct vrun *run, struct vset *s, const struct buf *text,
                 const char *sigpath)
{
	char *pending = xasprintf("%s.pending", sigpath), *cause = NULL;
	struct buf sig = BUF_INIT;
	int rc = -1;

	if (manifest_read_file(pending, &sig, &cause) == 0 &&
	    manifest_check_signature(&run->trusted, text->data, text->len, sig.data, sig.len,
	                             &cause) == 0) {
		if (fileio_rename(pending, sigpath, run->conf->verify.manifest_dir, &cause) == 0)
			log_info("verify %s: completed an interrupted signature write (%s)",
			         s->ex->name, sigpath);
		else
			log_warn("verify %s: %s", s->ex->name, cause);
		rc = 0;
	}
	free(cause);
	free(pending);
	buf_free(&sig);
	return rc;
}

/* 0 when the manifest text may be trusted (or no trusted_key is set); else a problem is added. */
static int
manifest_trust(const struct vrun *run, struct vset *s, const struct buf *text)
{
	struct buf sig = BUF_INIT;
	char *sigpath, *cause = NULL;
	int rc;

	if (run->conf->verify.trusted_key == NULL)
		return 0;
	if (run->trusted_error != NULL) {
		verify_problem_add(&s->problems, s->manifest_path, "BADSIG",
		                   "trusted_key unusable: %s", run->trusted_error);
		return -1;
	}
	sigpath = xasprintf("%s.minisig", s->manifest_path);
	rc = manifest_read_file(sigpath, &sig, &cause);
	if (rc == 0 && manifest_check_signature(&run->trusted, text->data, text->len, sig.data,
	                                        sig.len, &cause) != 0)
		rc = -1;
	if (rc != 0 && manifest_pending(run, s, text, sigpath) == 0) {
		rc = 0;
	} else if (rc == 1) {
		verify_problem_add(&s->problems, s->manifest_path, "UNSIGNED",
		                   "no signature (%s); after review, sign it with "
		                   "`cachewarden manifest sign`",
		                   sigpath);
	} else if (rc == -1) {
		verify_problem_add(&s->problems, s->manifest_path, "BADSIG", "%s", cause);
	}
	free(cause);
	free(sigpath);
	buf_free(&sig);
	return rc == 0 ? 0 : -1;
}

/*
 * Writes the manifest and its signature (or removes a stale one) so that a
 * crash at any point leaves a pair that verifies: the new signature first
 * to SIG.pending, then the manifest, then the signature renamed into place.
 * A crash before the manifest's rename leaves the old pair; after it,
 * manifest_pending completes the rename on the next run. Called with the
 * set's lock held, so no other run reads between the steps.
 */
static void
manifest_store(const struct vrun *run, struct vset *s, const struct manifest *next)
{
	const char *key = run->conf->verify.signing_key;
	const char *dir = run->conf->verify.manifest_dir;
	char *sigpath = xasprintf("%s.minisig", s->manifest_path);
	char *pending = xasprintf("%s.pending", sigpath);
	char *sigtext = NULL, *cause = NULL;
	struct buf text = BUF_INIT;

	manifest_format(next, s->ex->name, run->now, &text);
	if (key != NULL &&
	    manifest_sign(key, s->manifest_path, text.data, text.len, &sigtext, &cause) != 0) {
		verify_problem_add(&s->problems, s->manifest_path, "UNSIGNED",
		                   "signing the manifest failed: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (manifest_mkdir(dir, &cause) != 0 ||
	    (sigtext != NULL &&
	     manifest_write_file(pending, sigtext, strlen(sigtext), &cause) != 0))
		verify_problem_add(&s->problems, s->manifest_path, "UNSIGNED",
		                   "signature not written: %s", cause);
	else if (manifest_write_file(s->manifest_path, text.data, text.len, &cause) != 0)
		verify_problem_add(&s->problems, s->manifest_path, "UNREADABLE",
		                   "manifest not written: %s", cause);
	else if (sigtext != NULL && fileio_rename(pending, sigpath, dir, &cause) != 0)
		verify_problem_add(&s->problems, s->manifest_path, "UNSIGNED",
		                   "signature not written: %s", cause);
	else if (sigtext == NULL && unlink(sigpath) != 0 && errno != ENOENT)
		log_warn("verify %s: cannot remove the stale %s: %s", s->ex->name, sigpath,
		         strerror(errno));
	free(cause);
	free(sigtext);
	free(pending);
	free(sigpath);
	buf_free(&text);
}

static void
set_manifest(const struct vrun *run, struct vset *s)
{
	const struct conf *conf = run->conf;
	struct manifest old, next;
	struct buf text = BUF_INIT;
	char *cause = NULL, *lockpath;
	int rc, writable = 1, lockfd = -1;

	manifest_init(&old);
	manifest_init(&next);
	s->manifest_path = manifest_path(conf->verify.manifest_dir, s->ex->name);
	/* One run at a time reads, compares and rewrites a set's manifest and
	 * signature: another run's half-written pair is never read as a BADSIG. */
	lockpath = xasprintf("%s.lock", s->manifest_path);
	if (manifest_mkdir(conf->verify.manifest_dir, &cause) != 0 ||
	    (lockfd = fileio_lock(lockpath, &cause)) < 0) {
		log_info("verify %s: no lock on the manifest: %s", s->ex->name, cause);
		free(cause);
		cause = NULL;
	}
	rc = manifest_read_file(s->manifest_path, &text, &cause);
	if (text.data == NULL)
		buf_adds(&text, ""); /* an empty file: text, not NULL, for what follows */
	if (rc == -1) {
		verify_problem_add(&s->problems, s->manifest_path, "UNREADABLE", "%s", cause);
		writable = 0; /* keep whatever is there for the operator to inspect */
	} else if (rc == 0) {
		/* An untrusted manifest is still compared, never rewritten: re-signing it
		 * would launder whatever was done to it. */
		writable = manifest_trust(run, s, &text) == 0;
		if (manifest_parse(text.data, text.len, &old, &cause) != 0) {
			verify_problem_add(&s->problems, s->manifest_path, "UNREADABLE", "%s",
			                   cause);
			manifest_free(&old);
			writable = 0;
		}
	}
	verify_compare(&old, s->files, s->npaths, run->now, audit_tier(s->ex->tier)->window_s,
	               &next, &s->problems);
	if (writable && conf->verify.trusted_key != NULL && conf->verify.signing_key == NULL) {
		/* Signed elsewhere: rewriting would break the signature. */
		if (rc == 1)
			log_warn("verify %s: no manifest %s, and without signing_key it is not "
			         "written here: files are not compared with any record",
			         s->ex->name, s->manifest_path);
		writable = 0;
	}
	if (writable)
		manifest_store(run, s, &next);
	fileio_unlock(lockfd);
	free(lockpath);
	free(cause);
	buf_free(&text);
	manifest_free(&old);
	manifest_free(&next);
}

/* ---- the verdict ---- */

static void
format_size(uint64_t bytes, char *out, size_t outsize)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, outsize, "%" PRIu64 " bytes", bytes);
	else
		snprintf(out, outsize, "%.1f %s", v, units[u]);
}

/* "2 CORRUPT, 1 STALE": the problems by kind, in order of first appearance. */
static void
count_kinds(const struct verify_problems *p, struct buf *out)
{
	size_t i, k, n;

	for (i = 0; i < p->n; i++) {
		for (k = 0; k < i && strcmp(p->v[k].problem, p->v[i].problem) != 0; k++)
			;
		if (k < i)
			continue;
		for (n = 0, k = i; k < p->n; k++)
			n += strcmp(p->v[k].problem, p->v[i].problem) == 0;
		buf_printf(out, "%s%zu %s", out->len ? ", " : "", n, p->v[i].problem);
	}
}

static void
log_list(const char *set, const struct verify_problems *p, int warn)
{
	char *name;
	size_t i;

	for (i = 0; i < p->n && i < VERIFY_MAX_LISTED; i++) {
		name = p->v[i].file != NULL ? verify_printable(p->v[i].file) : xstrdup("(set)");
		if (warn)
			log_warn("verify %s: %s %s: %s", set, p->v[i].problem, name,
			         p->v[i].detail);
		else
			log_info("verify %s: %s %s: %s", set, p->v[i].problem, name,
			         p->v[i].detail);
		free(name);
	}
	if (p->n > VERIFY_MAX_LISTED)
		log_warn("verify %s: %zu more not listed", set, p->n - VERIFY_MAX_LISTED);
}

static void
set_summary(const struct vrun *run, const struct vset *s)
{
	char size[32], age[32], newest[48];
	struct buf kinds = BUF_INIT;

	log_list(s->ex->name, &s->problems, 1);
	log_list(s->ex->name, &s->warnings, 0);
	format_size(s->bytes, size, sizeof size);
	if (s->have_newest) {
		audit_format_duration(run->now - s->newest, age, sizeof age);
		snprintf(newest, sizeof newest, "newest %s old", age);
	} else
		snprintf(newest, sizeof newest, "no file");
	if (s->problems.n == 0) {
		log_info("verify %s: ok: %zu file%s, %s, %s%s", s->ex->name, s->nregular,
		         s->nregular == 1 ? "" : "s", size, newest,
		         s->warnings.n > 0 ? ", with warnings" : "");
	} else {
		count_kinds(&s->problems, &kinds);
		log_error("verify %s: FAILED: %s; %zu file%s, %s, %s", s->ex->name, kinds.data,
		          s->nregular, s->nregular == 1 ? "" : "s", size, newest);
	}
	buf_free(&kinds);
}

static void
report_list(struct json *j, const char *key, const char *kind_key, const char *omitted_key,
            const struct verify_problems *p)
{
	size_t i;

	json_array_begin(j, key);
	for (i = 0; i < p->n && i < VERIFY_MAX_LISTED; i++) {
		json_object_begin(j, NULL);
		json_string(j, "file", p->v[i].file);
		json_string(j, kind_key, p->v[i].problem);
		json_string(j, "detail", p->v[i].detail);
		json_object_end(j);
	}
	json_array_end(j);
	if (p->n > VERIFY_MAX_LISTED)
		json_int(j, omitted_key, (int64_t)(p->n - VERIFY_MAX_LISTED));
}

static void
report_set(struct json *j, const struct vrun *run, const struct vset *s)
{
	json_object_begin(j, NULL);
	json_string(j, "name", s->ex->name);
	json_string(j, "tier", audit_tier(s->ex->tier)->name);
	json_string(j, "kind", "exports");
	json_string(j, "path", s->ex->path);
	json_string(j, "status", s->problems.n == 0 ? "ok" : "failed");
	json_int(j, "files", (int64_t)s->nregular);
	json_int(j, "bytes", (int64_t)s->bytes);
	if (s->have_newest)
		json_int(j, "newest_age_s", run->now > s->newest ? run->now - s->newest : 0);
	else
		json_null(j, "newest_age_s");
	json_string(j, "manifest", s->manifest_path);
	report_list(j, "problems", "problem", "problems_omitted", &s->problems);
	report_list(j, "warnings", "warning", "warnings_omitted", &s->warnings);
	json_object_end(j);
}

static void
report_snap(struct json *j, const struct vrun *run, const struct vsnap *v)
{
	const struct verify_problems none = { NULL, 0 };

	json_object_begin(j, NULL);
	json_string(j, "name", v->sn->name);
	json_string(j, "tier", audit_tier(v->sn->tier)->name);
	json_string(j, "kind", "snapshots");
	json_string(j, "service", snapshots_service_name(v->sn->service));
	json_string(j, "source", v->sn->source);
	json_string(j, "region", v->r.region);
	json_string(j, "status", v->r.problems.n == 0 ? "ok" : "failed");
	json_int(j, "snapshots", (int64_t)v->r.available);
	json_int(j, "listed", (int64_t)v->r.listed);
	json_string(j, "newest", v->r.newest_id);
	if (v->r.have_newest)
		json_int(j, "newest_age_s", run->now > v->r.newest ? run->now - v->r.newest : 0);
	else
		json_null(j, "newest_age_s");
	/* "file" names the snapshot, recovery point or backup job. */
	report_list(j, "problems", "problem", "problems_omitted", &v->r.problems);
	report_list(j, "warnings", "warning", "warnings_omitted", &none);
	json_object_end(j);
}

static void
snap_summary(const struct vrun *run, const struct vsnap *v)
{
	struct buf kinds = BUF_INIT;
	char age[32];

	log_list(v->sn->name, &v->r.problems, 1);
	if (v->r.have_newest)
		audit_format_duration(run->now - v->r.newest, age, sizeof age);
	else
		snprintf(age, sizeof age, "-");
	if (v->r.problems.n == 0) {
		log_info("verify %s: ok: %zu available %s snapshot%s of %s, newest %s old",
		         v->sn->name, v->r.available, snapshots_service_name(v->sn->service),
		         v->r.available == 1 ? "" : "s", v->sn->source, age);
	} else {
		count_kinds(&v->r.problems, &kinds);
		log_error("verify %s: FAILED: %s; %zu available %s snapshot%s of %s", v->sn->name,
		          kinds.data, v->r.available, snapshots_service_name(v->sn->service),
		          v->r.available == 1 ? "" : "s", v->sn->source);
	}
	buf_free(&kinds);
}

static void
report(const struct vrun *run, int failed, struct buf *out)
{
	char started[AUDIT_TIME_LEN], finished[AUDIT_TIME_LEN];
	struct json j;
	size_t i;

	clocks_rfc3339(run->now, started);
	clocks_rfc3339((int64_t)time(NULL), finished);
	json_init(&j, out);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.report/1");
	json_string(&j, "kind", "verify");
	json_string(&j, "status", failed ? "failed" : "ok");
	json_string(&j, "host", run->conf->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	json_string(&j, "started_at", started);
	json_string(&j, "finished_at", finished);
	json_array_begin(&j, "sets");
	for (i = 0; i < run->nsets; i++)
		report_set(&j, run, &run->sets[i]);
	for (i = 0; i < run->nsnaps; i++)
		report_snap(&j, run, &run->snaps[i]);
	json_array_end(&j);
	json_object_end(&j);
	buf_addc(out, '\n');
}

/* ---- the run ---- */

static void
select_exports(struct vrun *run, const struct conf_exports *ex)
{
	size_t k;

	if (audit_tier(ex->tier) == NULL)
		fatal("verify: [exports %s]: tier %d out of range", ex->name, ex->tier);
	for (k = 0; k < run->nsets && run->sets[k].ex != ex; k++)
		;
	if (k == run->nsets)
		run->sets[run->nsets++].ex = ex; /* a name given twice is verified once */
}

static void
select_snapshots(struct vrun *run, const struct conf_snapshots *sn)
{
	size_t k;

	if (audit_tier(sn->tier) == NULL)
		fatal("verify: [snapshots %s]: tier %d out of range", sn->name, sn->tier);
	for (k = 0; k < run->nsnaps && run->snaps[k].sn != sn; k++)
		;
	if (k == run->nsnaps)
		run->snaps[run->nsnaps++].sn = sn;
}

/* Every set, or those named: a name may be an [exports NAME] or a [snapshots NAME]. */
static int
select_sets(struct vrun *run, char **names, size_t nnames)
{
	const struct conf *conf = run->conf;
	const struct conf_exports *ex;
	const struct conf_snapshots *sn;
	size_t i;

	if (conf->nexports == 0 && conf->nsnapshots == 0) {
		log_error("verify: %s has no [exports NAME] or [snapshots NAME] section: nothing "
		          "to verify",
		          conf->file);
		return -1;
	}
	run->sets = xcalloc(nnames ? nnames : conf->nexports + 1, sizeof *run->sets);
	run->snaps = xcalloc(nnames ? nnames : conf->nsnapshots + 1, sizeof *run->snaps);
	if (nnames == 0) {
		for (i = 0; i < conf->nexports; i++)
			select_exports(run, &conf->exports[i]);
		for (i = 0; i < conf->nsnapshots; i++)
			select_snapshots(run, &conf->snapshots[i]);
		return 0;
	}
	for (i = 0; i < nnames; i++) {
		if ((ex = conf_find_exports(conf, names[i])) != NULL)
			select_exports(run, ex);
		else if ((sn = conf_find_snapshots(conf, names[i])) != NULL)
			select_snapshots(run, sn);
		else {
			log_error("verify: no [exports %s] or [snapshots %s] in %s", names[i],
			          names[i], conf->file);
			return -1;
		}
	}
	return 0;
}

static void
load_trusted(struct vrun *run)
{
	const char *path = run->conf->verify.trusted_key;
	char *cause = NULL;

	if (path != NULL && minisign_pubkey_load(path, &run->trusted, &cause) != 0) {
		log_error("verify: trusted_key %s: %s", path, cause);
		run->trusted_error = cause;
	}
}

static void
run_free(struct vrun *run)
{
	size_t i, k;

	for (i = 0; i < run->nfiles; i++)
		scan_file_clear(&run->files[i]);
	for (i = 0; i < run->nsets; i++) {
		for (k = 0; k < run->sets[i].npaths; k++)
			free(run->sets[i].paths[k]);
		free(run->sets[i].paths);
		verify_problems_free(&run->sets[i].problems);
		verify_problems_free(&run->sets[i].warnings);
		free(run->sets[i].manifest_path);
	}
	for (i = 0; i < run->nsnaps; i++)
		snapshots_result_free(&run->snaps[i].r);
	free(run->sets);
	free(run->snaps);
	free(run->files);
	free(run->trusted_error);
}

int
verify_run(const struct conf *conf, char **names, size_t nnames, struct buf *out)
{
	struct vrun run;
	size_t i;
	int failed = 0;

	memset(&run, 0, sizeof run);
	run.conf = conf;
	run.now = (int64_t)time(NULL);
	if (select_sets(&run, names, nnames) != 0) {
		run_free(&run);
		return 2;
	}
	if (crypto_init() != 0)
		fatal("verify: libsodium could not be initialised (no randomness)");
	load_trusted(&run);
	discover_all(&run);
	scan_run_limited(run.files, run.nfiles, conf->verify.workers,
	                 conf->verify.max_read_mb_per_sec);
	for (i = 0; i < run.nsets; i++) {
		set_files(&run.sets[i]);
		set_manifest(&run, &run.sets[i]);
		set_audit(&run, &run.sets[i]);
		set_summary(&run, &run.sets[i]);
		failed |= run.sets[i].problems.n > 0;
	}
	for (i = 0; i < run.nsnaps; i++) {
		snapshots_verify(conf, run.snaps[i].sn, run.now, &run.snaps[i].r);
		snap_summary(&run, &run.snaps[i]);
		failed |= run.snaps[i].r.problems.n > 0;
	}
	report(&run, failed, out);
	run_free(&run);
	return failed ? 1 : 0;
}
