/* checkpoint: durable warm cursors (fileio_replace: write, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "crypto.h"
#include "fileio.h"
#include "xmalloc.h"

#define CHECKPOINT_MAGIC "cachewarden-checkpoint 2"

char *
checkpoint_path(const char *state_dir, const char *dataset)
{
	return xasprintf("%s/warm-%s.ckpt", state_dir, dataset);
}

/* Appends len bytes of s as lower-case hex. */
static void
checkpoint_hex(struct buf *b, const char *s, size_t len)
{
	buf_reserve(b, 2 * len + 1);
	crypto_hex((const uint8_t *)s, len, b->data + b->len);
	b->len += 2 * len;
	b->data[b->len] = '\0';
}

char *
checkpoint_format(const struct checkpoint *ck)
{
	struct buf b = BUF_INIT;
	size_t i;

	/* The dataset name is the rest of its line: names may hold spaces. */
	buf_printf(&b, "%s\ndataset %s\nrun_id %s\nfingerprint %s\ncreated %lld\nranged %d\n",
	           CHECKPOINT_MAGIC, ck->dataset, ck->run_id,
	           ck->fingerprint != NULL ? ck->fingerprint : "-", ck->created, ck->ranged);
	buf_printf(&b, "counts %lld %lld %lld\n", ck->rows_read, ck->keys_written,
	           ck->keys_deleted);
	for (i = 0; i < ck->nranges; i++) {
		buf_printf(&b, "range %lld %lld %d ", ck->ranges[i].lo, ck->ranges[i].hi,
		           ck->ranges[i].done);
		if (ck->ranges[i].after == NULL)
			buf_addc(&b, '-');
		else
			checkpoint_hex(&b, ck->ranges[i].after, ck->ranges[i].afterlen);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "end\n");
	return buf_detach(&b);
}

int
checkpoint_write(const char *path, const char *text, char **cause)
{
	return fileio_replace(path, text, strlen(text), 0600, cause);
}

int
checkpoint_save(const char *path, const struct checkpoint *ck, char **cause)
{
	char *text = checkpoint_format(ck);
	int rv = checkpoint_write(path, text, cause);

	free(text);
	return rv;
}

void
checkpoint_range_set(struct checkpoint_range *r, const char *after, size_t afterlen)
{
	free(r->after);
	r->after = NULL;
	r->afterlen = 0;
	if (after == NULL)
		return;
	r->after = xmalloc(afterlen + 1);
	memcpy(r->after, after, afterlen);
	r->after[afterlen] = '\0';
	r->afterlen = afterlen;
}

static int
checkpoint_unhex(const char *hex, char **out, size_t *outlen)
{
	size_t n = strlen(hex), i;
	unsigned int byte;

	if (n % 2 != 0 || strspn(hex, "0123456789abcdef") != n)
		return -1;
	*out = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (char)byte;
	}
	(*out)[n / 2] = '\0';
	*outlen = n / 2;
	return 0;
}

static int
checkpoint_parse_range(struct checkpoint *ck, const char *line)
{
	struct checkpoint_range r;
	int used = 0;

	memset(&r, 0, sizeof r);
	if (sscanf(line, "range %lld %lld %d %n", &r.lo, &r.hi, &r.done, &used) != 3 || used == 0)
		return -1;
	if (strcmp(line + used, "-") != 0 &&
	    checkpoint_unhex(line + used, &r.after, &r.afterlen) != 0)
		return -1;
	ck->ranges = xreallocarray(ck->ranges, ck->nranges + 1, sizeof *ck->ranges);
	ck->ranges[ck->nranges++] = r;
	return 0;
}

/* A line "word rest": rest is the text after the first space. */
static const char *
checkpoint_field(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 && line[n] == ' ' ? line + n + 1 : NULL;
}

static int
checkpoint_parse_line(struct checkpoint *ck, const char *line)
{
	const char *v;
	char *end;

	if (strncmp(line, "range ", 6) == 0)
		return checkpoint_parse_range(ck, line);
	if ((v = checkpoint_field(line, "dataset")) != NULL && ck->dataset == NULL)
		ck->dataset = xstrdup(v);
	else if ((v = checkpoint_field(line, "run_id")) != NULL && ck->run_id == NULL)
		ck->run_id = xstrdup(v);
	else if ((v = checkpoint_field(line, "fingerprint")) != NULL && ck->fingerprint == NULL)
		ck->fingerprint = xstrdup(v);
	else if ((v = checkpoint_field(line, "created")) != NULL) {
		ck->created = strtoll(v, &end, 10);
		return *end == '\0' ? 0 : -1;
	} else if ((v = checkpoint_field(line, "ranged")) != NULL)
		ck->ranged = strcmp(v, "1") == 0;
	else if ((v = checkpoint_field(line, "counts")) != NULL)
		return sscanf(v, "%lld %lld %lld", &ck->rows_read, &ck->keys_written,
		              &ck->keys_deleted) == 3
		               ? 0
		               : -1;
	else
		return -1;
	return 0;
}

int
checkpoint_load(const char *path, struct checkpoint *ck, char **cause)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ended = 0, bad = 0, first = 1;
	FILE *f;

	memset(ck, 0, sizeof *ck);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("checkpoint %s: %s", path, strerror(errno));
		return -1;
	}
	/* getline: a cursor of a long text key makes a long line. */
	while (!bad && !ended && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (first)
			bad = strcmp(line, CHECKPOINT_MAGIC) != 0;
		else if (strcmp(line, "end") == 0)
			ended = 1;
		else if (checkpoint_parse_line(ck, line) != 0)
			bad = 1;
		first = 0;
	}
	free(line);
	fclose(f);
	/* "end" last: a file cut short is refused rather than half believed. */
	if (bad || !ended || ck->dataset == NULL || ck->run_id == NULL || ck->fingerprint == NULL ||
	    ck->nranges == 0) {
		*cause = xasprintf("checkpoint %s is damaged or from another version; remove it to "
		                   "start afresh",
		                   path);
		checkpoint_free(ck);
		return -1;
	}
	return 0;
}

int
checkpoint_remove(const char *path, char **cause)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		*cause = xasprintf("checkpoint %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
checkpoint_free(struct checkpoint *ck)
{
	size_t i;

	for (i = 0; i < ck->nranges; i++)
		free(ck->ranges[i].after);
	free(ck->dataset);
	free(ck->run_id);
	free(ck->fingerprint);
	free(ck->ranges);
	memset(ck, 0, sizeof *ck);
}
