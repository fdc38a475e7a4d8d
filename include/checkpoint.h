/*
 * checkpoint: the resumable state of a warm run, one file per dataset in
 * state_dir. Each save writes a temporary file, fsyncs it and renames it over
 * the old one, so a crash leaves either the old or the new state, whole.
 *
 * The state is a list of ranges on the first key column (one unbounded
 * range when that column is not an integer), each with the last key
 * acknowledged in it: a packed tuple of the key's columns (warmplan), opaque
 * here. A fingerprint of the dataset's definition lets --resume refuse a
 * checkpoint written for another one. The struct owns its strings and
 * arrays (checkpoint_free).
 */
#ifndef CW_CHECKPOINT_H
#define CW_CHECKPOINT_H

#include <stddef.h>

struct checkpoint_range {
	long long lo, hi; /* bounds on the first key column; unused when not ranged */
	int done;
	char *after; /* the last key acknowledged, packed; NULL = nothing yet */
	size_t afterlen;
};

struct checkpoint {
	char *dataset; /* any bytes but a newline */
	char *run_id;
	char *fingerprint; /* of the dataset's definition (warmplan_fingerprint) */
	long long created; /* unix seconds when the run began */
	int ranged;        /* ranges on an integer first key column; else one range */
	/* Acknowledged by every leg of the run so far (resumed legs included). */
	long long rows_read, keys_written, keys_deleted;
	struct checkpoint_range *ranges;
	size_t nranges;
};

/* state_dir/warm-DATASET.ckpt; the caller frees it. */
char *checkpoint_path(const char *state_dir, const char *dataset);
int checkpoint_save(const char *path, const struct checkpoint *ck, char **cause);
/* The two halves of a save, so a caller can format under its lock and write outside. */
char *checkpoint_format(const struct checkpoint *ck);
int checkpoint_write(const char *path, const char *text, char **cause);
/* 0 and a loaded ck; 1 when there is no file; -1 and a cause for a bad one. */
int checkpoint_load(const char *path, struct checkpoint *ck, char **cause);
int checkpoint_remove(const char *path, char **cause);
/* Sets a range's cursor (a copy of after, or NULL). */
void checkpoint_range_set(struct checkpoint_range *r, const char *after, size_t afterlen);
void checkpoint_free(struct checkpoint *ck);

#endif
