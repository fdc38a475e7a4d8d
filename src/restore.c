/* restore: the generation marker, the agent's memory of it, and what they say together. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "json.h"
#include "jval.h"
#include "restore.h"
#include "xmalloc.h"

#define RESTORE_STATE_FILE "restore.state"
#define RESTORE_STATE_MAX  (1024 * 1024)

char *
restore_marker_key(const char *dataset)
{
	return xasprintf("cachewarden:generation:%s", dataset);
}

char *
restore_marker_format(const struct restore_marker *m)
{
	struct buf v = BUF_INIT;
	struct json j;

	json_init(&j, &v);
	json_object_begin(&j, NULL);
	json_string(&j, "finished_at", m->finished_at);
	json_int(&j, "rows", m->rows);
	json_string(&j, "host", m->host);
	json_string(&j, "run_id", m->run_id);
	json_object_end(&j);
	return buf_detach(&v);
}

/* Copies a member's string into a fixed field; 0, or -1 when missing or too long. */
static int
restore_copy_member(const struct jval *obj, const char *key, char *dst, size_t size)
{
	const char *s = jval_get_string(obj, key);

	if (s == NULL || strlen(s) >= size)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int
restore_marker_parse(const char *text, size_t len, struct restore_marker *m, char **cause)
{
	struct jval *v, *rows;
	char *why = NULL;

	memset(m, 0, sizeof *m);
	if ((v = jval_parse(text, len, &why)) == NULL) {
		*cause = xasprintf("marker is not JSON: %s", why);
		free(why);
		return -1;
	}
	if (v->type != JVAL_OBJECT ||
	    restore_copy_member(v, "finished_at", m->finished_at, sizeof m->finished_at) != 0 ||
	    restore_copy_member(v, "host", m->host, sizeof m->host) != 0 ||
	    restore_copy_member(v, "run_id", m->run_id, sizeof m->run_id) != 0) {
		jval_free(v);
		*cause = xstrdup("marker lacks finished_at, host or run_id");
		return -1;
	}
	if ((rows = jval_get(v, "rows")) != NULL && rows->type == JVAL_NUMBER)
		m->rows = strtoll(rows->str, NULL, 10);
	m->present = 1;
	jval_free(v);
	return 0;
}

int
restore_marker_read(struct redisconn *rc, const char *dataset, struct restore_marker *m,
                    char **cause)
{
	struct redis_reply *r;
	const char *argv[2];
	char *key = restore_marker_key(dataset), *why = NULL;
	int rv = 0;

	memset(m, 0, sizeof *m);
	argv[0] = "GET";
	argv[1] = key;
	if ((r = redisconn_call(rc, cause, 2, argv)) == NULL) {
		free(key);
		return -1;
	}
	/*
	 * A marker that does not parse was not written by us: the key was
	 * overwritten, which says as much about the cache as a missing one.
	 */
	if (r->type == REDIS_REPLY_T_STRING && restore_marker_parse(r->str, r->len, m, &why) != 0) {
		*cause = xasprintf("%s: %s", key, why);
		free(why);
		rv = -1;
	}
	redis_reply_free(r);
	free(key);
	return rv;
}

int
restore_marker_write(struct redisconn *rc, const char *dataset, const struct restore_marker *m,
                     char **cause)
{
	struct redis_reply *r;
	const char *argv[3];
	char *key = restore_marker_key(dataset), *text = restore_marker_format(m);

	argv[0] = "SET";
	argv[1] = key;
	argv[2] = text;
	r = redisconn_call(rc, cause, 3, argv);
	redis_reply_free(r);
	free(text);
	free(key);
	return r == NULL ? -1 : 0;
}

enum restore_event
restore_judge(const struct restore_marker *seen, const struct restore_marker *now)
{
	int c;

	if (!now->present)
		return RESTORE_LOST;
	if (!seen->present)
		return RESTORE_FIRST;
	c = strcmp(now->finished_at, seen->finished_at);
	if (c < 0)
		return RESTORE_ROLLBACK;
	if (c == 0 && strcmp(now->run_id, seen->run_id) == 0)
		return RESTORE_SAME;
	/* Later, or another run in the same second: nothing says it is older. */
	return RESTORE_NEWER;
}

const char *
restore_event_name(enum restore_event ev)
{
	switch (ev) {
	case RESTORE_SAME:
		return "same";
	case RESTORE_FIRST:
		return "first";
	case RESTORE_NEWER:
		return "newer";
	case RESTORE_LOST:
		return "lost";
	case RESTORE_ROLLBACK:
		return "rollback";
	}
	return "?";
}

struct restore_marker *
restore_state_seen(struct restore_state *st, const char *dataset)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->names[i], dataset) == 0)
			return &st->seen[i];
	st->names = xreallocarray(st->names, st->n + 1, sizeof *st->names);
	st->seen = xreallocarray(st->seen, st->n + 1, sizeof *st->seen);
	st->names[st->n] = xstrdup(dataset);
	memset(&st->seen[st->n], 0, sizeof st->seen[st->n]);
	return &st->seen[st->n++];
}

void
restore_state_free(struct restore_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->names[i]);
	free(st->names);
	free(st->seen);
	memset(st, 0, sizeof *st);
}

static int
restore_state_parse(const struct jval *v, struct restore_state *st, char **cause)
{
	const struct jval *ds;
	struct restore_marker *m;
	char *why = NULL;
	size_t i;

	if (v->type != JVAL_OBJECT || (ds = jval_get(v, "datasets")) == NULL ||
	    ds->type != JVAL_OBJECT) {
		*cause = xstrdup("not a restore state (no datasets object)");
		return -1;
	}
	if (restore_copy_member(v, "redis_run_id", st->redis_run_id, sizeof st->redis_run_id) != 0)
		st->redis_run_id[0] = '\0';
	for (i = 0; i < ds->n; i++) {
		struct buf text = BUF_INIT;

		m = restore_state_seen(st, ds->keys[i]->str);
		jval_write(&text, ds->items[i]);
		if (restore_marker_parse(text.data, text.len, m, &why) != 0) {
			*cause = xasprintf("dataset %s: %s", ds->keys[i]->str, why);
			free(why);
			buf_free(&text);
			return -1;
		}
		buf_free(&text);
	}
	return 0;
}

int
restore_state_load(const char *state_dir, struct restore_state *st, char **cause)
{
	char *path = xasprintf("%s/%s", state_dir, RESTORE_STATE_FILE), *why = NULL;
	struct buf text = BUF_INIT;
	struct jval *v;
	int rv;

	memset(st, 0, sizeof *st);
	if ((rv = fileio_read(path, RESTORE_STATE_MAX, &text, cause)) != 0) {
		free(path);
		buf_free(&text);
		return rv == 1 ? 0 : -1;
	}
	rv = -1;
	if ((v = jval_parse(text.data, text.len, &why)) == NULL) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
	} else if (restore_state_parse(v, st, &why) != 0) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		restore_state_free(st);
	} else
		rv = 0;
	jval_free(v);
	buf_free(&text);
	free(path);
	return rv;
}

int
restore_state_save(const char *state_dir, const struct restore_state *st, char **cause)
{
	char *path = xasprintf("%s/%s", state_dir, RESTORE_STATE_FILE), *m;
	struct buf out = BUF_INIT;
	struct json j;
	size_t i;
	int rv;

	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "redis_run_id", st->redis_run_id);
	json_object_begin(&j, "datasets");
	for (i = 0; i < st->n; i++) {
		if (!st->seen[i].present)
			continue;
		m = restore_marker_format(&st->seen[i]);
		json_raw(&j, st->names[i], m, strlen(m));
		free(m);
	}
	json_object_end(&j);
	json_object_end(&j);
	buf_addc(&out, '\n');
	rv = fileio_replace(path, out.data, out.len, 0600, cause);
	buf_free(&out);
	free(path);
	return rv;
}
