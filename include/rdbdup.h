/*
 * rdbdup: the duplicate check of one key's members (a plain set, hash or
 * sorted set) or of a stream group's pending IDs, as Redis refuses to load
 * them. Each member is kept as a 64-bit hash, 8 bytes whatever its length,
 * and the hashes are sorted once the key is read; up to RDBDUP_MAX of them,
 * past which the key is not checked. The sort borrows at most 768 KiB more
 * for keys of up to 64Ki members. Used by rdb.c; one checker, one thread.
 */
#ifndef CW_RDBDUP_H
#define CW_RDBDUP_H

#include <stddef.h>
#include <stdint.h>

/* Member hashes kept per key: 8 MiB. */
#define RDBDUP_MAX (1u << 20)

/* Zero it before the first use; rdbdup_free releases it. */
struct rdbdup {
	uint64_t *v;
	size_t n, alloc;
	int over; /* too many or too long to keep: not checked */
	/* The sort's scratch, kept from key to key. */
	uint64_t *tmp;
	size_t tmp_alloc;
	uint32_t *count;
};

/* A 64-bit hash of a member: two different members collide with probability
 * about 2^-64, so a key of a million members is falsely called a duplicate
 * about once in 10^7. */
uint64_t rdbdup_hash(const void *p, size_t n);
/* A new key. */
void rdbdup_begin(struct rdbdup *d);
void rdbdup_add(struct rdbdup *d, uint64_t h);
/* A member that cannot be hashed (too long to keep): the key goes unchecked. */
void rdbdup_give_up(struct rdbdup *d);
/* The key is read: 1 when two members are alike, 0 when none are, -1 when not
 * checked. d->v[0, d->n) is then in ascending order. */
int rdbdup_end(struct rdbdup *d);
/* After rdbdup_end: 1 when the key was checked and h is not among its members. */
int rdbdup_missing(const struct rdbdup *d, uint64_t h);
void rdbdup_free(struct rdbdup *d);

/* For tests: sorts v[0, n) in place, ascending, in O(n log n) whatever the input. */
void rdbdup_sort(uint64_t *v, size_t n);

#endif
