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

#define CHECKPOINT_MAGIC "cachewarden-checkpoint 1"

char *
checkpoint_path(const char *state_dir, const char *dataset)
{
	return xasprintf("%s/warm-%s.ckpt", state_dir, dataset);
}

/* Appends len bytes of s as lower-case hex. */
static void
checkpoint_hex(struct buf *b, const char *s, size_t len)
{
	buf_reserve(b, 2 * len);
	crypto_hex((const uint8_t *)s, len, b->data + b->len);
	b->len += 2 * len;
}

char *
checkpoint_format(const struct checkpoint *ck)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_printf(&b, "%s\ndataset %s\nrun_id %s\ninteger_key %d\n", CHECKPOINT_MAGIC, ck->dataset,
	           ck->run_id, ck->integer_key);
	for (i = 0; i < ck->nranges; i++)
		buf_printf(&b, "range %lld %lld %lld %d\n", ck->ranges[i].lo, ck->ranges[i].hi,
		           ck->ranges[i].next, ck->ranges[i].done);
	if (!ck->integer_key) {
		buf_printf(&b, "after_done %d\nafter %s", ck->after_done, ck->after ? "" : "-");
		checkpoint_hex(&b, ck->after, ck->after ? ck->afterlen : 0);
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

static int
checkpoint_unhex(const char *hex, char **out, size_t *outlen)
{
	size_t n = strlen(hex), i;
	unsigned int byte;

	if (n % 2 != 0)
		return -1;
	*out = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -1;
		(*out)[i] = (char)byte;
	}
	(*out)[n / 2] = '\0';
	*outlen = n / 2;
	return 0;
}

static int
checkpoint_parse_line(struct checkpoint *ck, char *line)
{
	struct checkpoint_range r;
	char word[32], value[256];

	if (sscanf(line, "range %lld %lld %lld %d", &r.lo, &r.hi, &r.next, &r.done) == 4) {
		ck->ranges = xreallocarray(ck->ranges, ck->nranges + 1, sizeof *ck->ranges);
		ck->ranges[ck->nranges++] = r;
		return 0;
	}
	if (strncmp(line, "after ", 6) == 0) {
		if (strcmp(line + 6, "-") == 0)
			return 0;
		free(ck->after);
		ck->after = NULL;
		return checkpoint_unhex(line + 6, &ck->after, &ck->afterlen);
	}
	if (sscanf(line, "%31s %255s", word, value) != 2)
		return -1;
	if (strcmp(word, "dataset") == 0 && ck->dataset == NULL)
		ck->dataset = xstrdup(value);
	else if (strcmp(word, "run_id") == 0 && ck->run_id == NULL)
		ck->run_id = xstrdup(value);
	else if (strcmp(word, "integer_key") == 0)
		ck->integer_key = strcmp(value, "1") == 0;
	else if (strcmp(word, "after_done") == 0)
		ck->after_done = strcmp(value, "1") == 0;
	else
		return -1;
	return 0;
}

int
checkpoint_load(const char *path, struct checkpoint *ck, char **cause)
{
	char line[8192];
	int ended = 0, bad = 0;
	FILE *f;

	memset(ck, 0, sizeof *ck);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("checkpoint %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof line, f) == NULL || strncmp(line, CHECKPOINT_MAGIC, 24) != 0)
		bad = 1;
	while (!bad && !ended && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "end") == 0)
			ended = 1;
		else if (checkpoint_parse_line(ck, line) != 0)
			bad = 1;
	}
	fclose(f);
	/* "end" last: a file cut short is refused rather than half believed. */
	if (bad || !ended || ck->dataset == NULL || ck->run_id == NULL ||
	    (ck->integer_key && ck->nranges == 0)) {
		*cause = xasprintf("checkpoint %s is damaged; remove it to start afresh", path);
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
	free(ck->dataset);
	free(ck->run_id);
	free(ck->ranges);
	free(ck->after);
	memset(ck, 0, sizeof *ck);
}
