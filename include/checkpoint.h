/*
 * checkpoint: the resumable state of a warm run, one file per dataset in
 * state_dir. Each save writes a temporary file, fsyncs it and renames it over
 * the old one, so a crash leaves either the old or the new state, whole.
 *
 * For an integer key the state is a list of ranges [lo, hi] with the next key
 * to read in each; for any other key it is one cursor (the last key written).
 * The struct owns its strings and arrays (checkpoint_free).
 */
#ifndef CW_CHECKPOINT_H
#define CW_CHECKPOINT_H

#include <stddef.h>

struct checkpoint_range {
	long long lo, hi;
	long long next; /* first key not yet acknowledged */
	int done;
};

struct checkpoint {
	char *dataset;
	char *run_id;
	int integer_key;
	struct checkpoint_range *ranges;
	size_t nranges;
	char *after; /* non-integer key: the last key acknowledged; NULL at start */
	size_t afterlen;
	int after_done;
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
void checkpoint_free(struct checkpoint *ck);

#endif
