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

/* How a column's text becomes JSON (MySQL's text protocol hands over text). */
enum encode_kind {
	ENCODE_TEXT,  /* a JSON string */
	ENCODE_EXACT, /* integer or decimal: a number, a string beyond +-(2^53-1) by default */
	ENCODE_FLOAT, /* FLOAT, DOUBLE: a number */
	ENCODE_BIT    /* BIT(n): big-endian bytes, written as the unsigned number */
};

#define ENCODE_MAX_CMDS 3

struct encode_out {
	const char *key; /* the row's Redis key */
	size_t keylen;
	/*
	 * HSET, then HDEL of the NULL columns, then EXPIRE; or one SET; or one
	 * DEL (deleted set) for a row whose value is NULL (string) or whose
	 * columns are all NULL (hash): the key must not outlive the value.
	 */
	int ncmds;
	int deleted;
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
 * Compiles the dataset's rules. A row carries ncols columns named names[]:
 * the dataset's columns first, then others the key template may use; names
 * NULL means the dataset's columns, then key_column if it is not among them.
 * kinds[i] (enum encode_kind) says how column i is written in JSON; it may
 * be NULL (all text) when the type is not json. Returns NULL and a cause on
 * a bad template.
 */
struct encoder *encode_new(const struct conf_dataset *ds, const char *const *names, size_t ncols,
                           const int *kinds, long long ttl_jitter_pct, char **cause);
void encode_free(struct encoder *enc);

void encode_out_init(struct encode_out *out);
void encode_out_free(struct encode_out *out);

/*
 * Encodes one row. rand64 is a random value for TTL jitter (the caller owns
 * its generator, one per thread). Returns 0, or -1 with a cause when the row
 * cannot make a key (a NULL key column).
 */
int encode_row(const struct encoder *enc, const struct encode_row *row, uint64_t rand64,
               struct encode_out *out, char **cause);

/* The TTL after jitter: in [ttl - ttl * pct / 100, ttl]. */
long long encode_jitter_ttl(long long ttl, long long pct, uint64_t rand64);

/* A fast per-thread pseudo-random generator (xorshift64*), seeded by the caller. */
uint64_t encode_rand(uint64_t *state);

#endif
