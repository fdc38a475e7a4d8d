/*
 * encode: how one MySQL row becomes Redis commands, for warm and for the
 * check that reads keys back. Pure code: no I/O, no library but ours.
 *
 * An encoder is compiled once per dataset from its config (key template,
 * type, ttl, jitter) and is read-only afterwards, so workers share it. Each
 * worker owns a struct encode_out, whose buffers are reused row after row;
 * the argv it returns points into that struct and into the row, and stays
 * valid until the next encode_row call on the same out.
 */
#ifndef CW_ENCODE_H
#define CW_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"

/* A row as the source hands it over: values[i] == NULL is SQL NULL. */
struct encode_row {
	const char *const *values;
	const size_t *lengths;
};

struct encoder;

#define ENCODE_MAX_CMDS 3

struct encode_out {
	const char *key; /* the row's Redis key */
	size_t keylen;
	/* HSET, then HDEL of the NULL columns, then EXPIRE; or one SET. */
	int ncmds;
	int argc[ENCODE_MAX_CMDS];
	const char **argv[ENCODE_MAX_CMDS];
	size_t *argvlen[ENCODE_MAX_CMDS];
	/* Expected value, for read-back checks: the SET payload (json, string). */
	const char *value;
	size_t valuelen;
	/* Storage owned by the struct. */
	struct buf keybuf, valbuf, ttlbuf;
	const char **argvspace;
	size_t *lenspace;
	size_t space;
};

/*
 * Compiles the dataset's rules. numeric[i] says whether column i holds a
 * MySQL numeric type (written as a JSON number); it may be NULL when the
 * type is not json. Returns NULL and a cause on a bad template.
 */
struct encoder *encode_new(const struct conf_dataset *ds, const int *numeric,
                           long long ttl_jitter_pct, char **cause);
void encode_free(struct encoder *enc);

void encode_out_init(struct encode_out *out);
void encode_out_free(struct encode_out *out);

/*
 * Encodes one row. rand64 is a random value for TTL jitter (the caller owns
 * its generator, one per thread). Returns 0, or -1 with a cause when the row
 * cannot make a key (a NULL key column) or a value (NULL value_column).
 */
int encode_row(const struct encoder *enc, const struct encode_row *row, uint64_t rand64,
               struct encode_out *out, char **cause);

/* The TTL after jitter: in [ttl - ttl * pct / 100, ttl]. */
long long encode_jitter_ttl(long long ttl, long long pct, uint64_t rand64);

/* A fast per-thread pseudo-random generator (xorshift64*), seeded by the caller. */
uint64_t encode_rand(uint64_t *state);

#endif
