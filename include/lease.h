/*
 * lease: owns the fleet's single-flight keys, cachewarden:lease:warm:<dataset>.
 * One agent of a fleet rebuilds a dataset at a time: it takes the lease with
 * SET NX PX and a random token, renews it while it works (compare-and-renew
 * by token, in Lua so the compare and the renewal are one step) and releases
 * it by compare-and-delete. An agent that dies stops renewing; the lease
 * expires and another agent may take over.
 *
 * The value is "<token> <host>", so any agent can say who leads.
 *
 * Beside it, cachewarden:lease:warm:<dataset>:progress holds the leader's
 * checkpoint (the text of its state_dir file), published while it holds
 * the lease. Progress and the keys it describes live in the same Redis, so
 * they are lost, flushed or restored from a snapshot together: an agent
 * that takes over a dead leader's dataset resumes from it, and one that
 * finds none (a flush) starts over, whatever its own state_dir says.
 */
#ifndef CW_LEASE_H
#define CW_LEASE_H

#include "redisconn.h"

#define LEASE_TOKEN_LEN 32 /* hex characters */

struct lease {
	char *key;
	char *value; /* "<token> <host>" */
	long long ttl_ms;
};

/* The lease key of a dataset; the caller frees it. */
char *lease_key(const char *dataset);

/*
 * Tries to take the lease of dataset for host. 1: taken (l filled; release
 * with lease_release, free with lease_free); 0: held by another agent
 * (*holder: its host, caller frees); -1 and a cause.
 */
int lease_acquire(struct redisconn *rc, const char *dataset, const char *host, long long ttl_ms,
                  struct lease *l, char **holder, char **cause);
/*
 * Extends the lease by its ttl if it is still ours. 1 renewed; 0 lost (the
 * key expired, was flushed or is another agent's): the caller must stop
 * writing as leader; -1 and a cause (the lease may still be ours).
 */
int lease_renew(struct redisconn *rc, const struct lease *l, char **cause);
/* Deletes the lease if it is still ours; 0, or -1 and a cause. */
int lease_release(struct redisconn *rc, const struct lease *l, char **cause);
void lease_free(struct lease *l);

/* How long published progress outlives its leader. */
#define LEASE_PROGRESS_TTL_MS (24LL * 3600 * 1000)

/* Publishes text as the dataset's progress if the lease is still ours: 1 done, 0 not ours, -1. */
int lease_progress_put(struct redisconn *rc, const struct lease *l, const char *text, size_t len,
                       char **cause);
/* The published progress: 1 and *text (len bytes and a NUL; caller frees), 0 none, -1. */
int lease_progress_get(struct redisconn *rc, const char *dataset, char **text, size_t *len,
                       char **cause);
/* Drops the progress (the dataset is whole) if the lease is still ours; 0, or -1. */
int lease_progress_drop(struct redisconn *rc, const struct lease *l, char **cause);

/* Who holds the lease of dataset: 1 and *holder (caller frees), 0 nobody, -1 and a cause. */
int lease_holder(struct redisconn *rc, const char *dataset, char **holder, char **cause);

#endif
