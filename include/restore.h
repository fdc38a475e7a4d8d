/*
 * restore: owns the generation marker, cachewarden:generation:<dataset>, a
 * small JSON value {"finished_at","rows","host","run_id"} that a warm writes
 * when a dataset ends ok. The agent remembers the newest marker it has seen
 * per dataset (state_dir/restore.state); what Redis shows against that
 * memory says what happened to the cache:
 *   - no marker: the cache was lost (flushed, a new empty server);
 *   - a marker older than the newest seen: Redis came back from an older
 *     snapshot (a rollback, also onto a new endpoint);
 *   - a newer marker: another agent rebuilt it; remember it;
 *   - the same marker under a new Redis run_id: a restart or a failover to a
 *     replica that kept the data (Multi-AZ): nothing to do.
 * The judgement (restore_judge) is pure; reading and writing markers and
 * the state file are the I/O around it.
 */
#ifndef CW_RESTORE_H
#define CW_RESTORE_H

#include <stddef.h>

#include "clocks.h"
#include "redisconn.h"

struct restore_marker {
	int present;
	char finished_at[CLOCKS_RFC3339_LEN]; /* RFC 3339 UTC: sorts as it happened */
	long long rows;
	char host[256];
	char run_id[64];
};

enum restore_event {
	RESTORE_SAME,     /* the marker this agent knows */
	RESTORE_FIRST,    /* a marker, and the agent knew none: remember it */
	RESTORE_NEWER,    /* a newer marker: another agent (or this one) rebuilt */
	RESTORE_LOST,     /* no marker: the cache was lost or flushed */
	RESTORE_ROLLBACK, /* an older marker: Redis came back from an older snapshot */
};

/* The marker's Redis key; the caller frees it. */
char *restore_marker_key(const char *dataset);
/* The marker's JSON text; the caller frees it. */
char *restore_marker_format(const struct restore_marker *m);
/* Parses a marker's JSON; 0, or -1 and a cause. */
int restore_marker_parse(const char *text, size_t len, struct restore_marker *m, char **cause);
/* GET of the marker: 0 and m (present or not), or -1 and a cause. */
int restore_marker_read(struct redisconn *rc, const char *dataset, struct restore_marker *m,
                        char **cause);
/* SET of the marker; 0, or -1 and a cause. */
int restore_marker_write(struct redisconn *rc, const char *dataset, const struct restore_marker *m,
                         char **cause);

/* What the marker in Redis (now) means against the newest one seen (seen may be absent). */
enum restore_event restore_judge(const struct restore_marker *seen,
                                 const struct restore_marker *now);
const char *restore_event_name(enum restore_event ev);

/* The agent's memory: the newest marker seen per dataset and Redis's last run_id. */
struct restore_state {
	char redis_run_id[64];
	char **names;
	struct restore_marker *seen;
	size_t n;
};

/* state_dir/restore.state; a missing file is an empty state. 0, or -1 and a cause. */
int restore_state_load(const char *state_dir, struct restore_state *st, char **cause);
int restore_state_save(const char *state_dir, const struct restore_state *st, char **cause);
/* The seen marker of a dataset, added (absent) when new; owned by st. */
struct restore_marker *restore_state_seen(struct restore_state *st, const char *dataset);
void restore_state_free(struct restore_state *st);

#endif
