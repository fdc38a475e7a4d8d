/*
 * outbox: the durable spool of reports not yet delivered, in [sns] spool_dir.
 *
 * Each report is one file, ID.rec, written before any attempt to send it
 * (temporary file, fsync, rename, fsync of the directory), so a crash leaves
 * it whole or absent. A record is a header (magic "CWOB", version, lengths,
 * CRC32 of the rest, creation time), the report id, kind, status, host and
 * subject, then the body. Report ids are UUIDv7: file names sort by age.
 *
 *   spool_dir/ID.rec              pending, delivered oldest first
 *   spool_dir/dead/ID.rec(.cause) refused for good by the receiver, with why
 *   spool_dir/quarantine/NAME(.cause) unreadable (bad CRC, truncated), with why
 *   spool_dir/dropped.count       pending reports dropped to keep the bound
 *
 * The directories are mode 0700. Everything together stays under max_bytes:
 * past it the oldest dead and quarantined files go first, then the oldest
 * pending reports, which are counted. Several processes may share a spool:
 * writers never conflict, and one process delivers at a time (the others
 * find it busy). A record is deleted only after the deliver function says
 * it was delivered; a corrupt one is moved aside and delivery goes on.
 */
#ifndef CW_OUTBOX_H
#define CW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* A UUIDv7 in text form, without its NUL. */
#define OUTBOX_ID_LEN 36
/* Records larger than this are corrupt: reports are trimmed to 256 KiB before. */
#define OUTBOX_MAX_RECORD (1024 * 1024)

struct outbox_record {
	char *id;
	char *kind;
	char *status;
	char *host;
	char *subject;
	int64_t created_ms; /* Unix time in milliseconds */
	char *body;         /* body_len bytes plus a NUL */
	size_t body_len;
};

void outbox_record_free(struct outbox_record *r);

/* The file format, for tests and checks: encode appends to out. */
void outbox_encode(const struct outbox_record *r, struct buf *out);
/* 0 and r filled (the caller frees it), or -1 and a cause saying what is wrong. */
int outbox_decode(const void *data, size_t len, struct outbox_record *r, char **cause);

/* Writes a fresh report id, with its NUL. */
void outbox_new_id(char id[OUTBOX_ID_LEN + 1]);

struct outbox;

/* Creates dir (one level), dead/ and quarantine/ if needed, mode 0700. */
struct outbox *outbox_open(const char *dir, uint64_t max_bytes, char **cause);
void outbox_close(struct outbox *ob);
const char *outbox_dir(const struct outbox *ob);

/* Stores r durably (r->id names the file), then enforces the bound. 0, or -1 and a cause. */
int outbox_push(struct outbox *ob, const struct outbox_record *r, char **cause);

enum outbox_verdict {
	OUTBOX_DELIVERED, /* the receiver has it: delete the record */
	OUTBOX_RETRY,     /* try again soon (backoff) */
	OUTBOX_HOLD,      /* keep it pending until the setup is fixed (credentials, access) */
	OUTBOX_DEAD       /* the receiver will never take this message: move it to dead/ */
};

/* Delivers one record; sets *detail (allocated) to the cause of RETRY, HOLD and DEAD. */
typedef enum outbox_verdict outbox_deliver_fn(void *arg, const struct outbox_record *r,
                                              char **detail);

struct outbox_flush_stats {
	unsigned delivered, dead, quarantined;
	unsigned failed;  /* transient failures in this pass */
	unsigned held;    /* records kept pending by a HOLD in this pass */
	unsigned pending; /* left in the spool after the pass */
	int busy;         /* another process was delivering: nothing was tried */
	char *last_error; /* the last transient cause, or NULL; the caller frees it */
	char *last_hold;  /* the last HOLD cause, or NULL; the caller frees it */
};

/*
 * One delivery pass over the pending records, oldest first, until deadline_ms
 * (CLOCK_MONOTONIC milliseconds, 0 for none). Two transient failures or
 * holds in a row end the pass (the receiver is down, or refuses us); one
 * alone skips that record, so a
 * record that always fails never holds up the others. Dead and quarantined
 * records are logged here. Returns 0, or -1 and a cause when the spool
 * cannot be read.
 */
int outbox_flush(struct outbox *ob, outbox_deliver_fn *fn, void *arg, int64_t deadline_ms,
                 struct outbox_flush_stats *st, char **cause);

enum outbox_state { OUTBOX_IS_PENDING, OUTBOX_IS_DEAD, OUTBOX_IS_QUARANTINED };

struct outbox_entry {
	enum outbox_state state;
	char *name;
	uint64_t size;
	int valid;                /* the record decoded: rec is filled */
	struct outbox_record rec; /* when valid */
	char *why;                /* the decode error, or the .cause of a dead or quarantined one */
};

/* Every record, pending first, each group oldest first. The caller frees with outbox_entries_free.
 */
int outbox_list(struct outbox *ob, struct outbox_entry **entries, size_t *n, char **cause);
void outbox_entries_free(struct outbox_entry *entries, size_t n);
/*
 * Moves dead records back to the pending ones (their .cause removed): the
 * nids ids given (a report id or its file name), or every dead one when ids
 * is NULL. *moved counts them. 0, or -1 and a cause (an id that is not dead
 * stops there; those before it are moved).
 */
int outbox_requeue(struct outbox *ob, char *const *ids, size_t nids, unsigned *moved, char **cause);
/* Pending reports dropped to keep the bound, since the spool was created. */
uint64_t outbox_dropped(struct outbox *ob);

/* CLOCK_MONOTONIC in milliseconds, the clock of deadlines. */
int64_t outbox_now_ms(void);

#endif
