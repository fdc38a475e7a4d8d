/*
 * rdbdup: duplicate members by sorted 64-bit hashes (see rdbdup.h).
 *
 * Sorting the hashes of large plain keys with qsort was the largest part
 * of the walk's time on them. The hashes are uniform, so one counting pass by their top log2 n
 * bits puts them in buckets of one or two, and a single insertion sort
 * over the whole array then finishes in linear time; that needs n more
 * words and n counters, so it is used up to RDBDUP_BUCKETED hashes. Above
 * that, or when a bucket is large (members crafted for it), an introsort
 * of plain integers sorts in place: a quicksort with the median of three,
 * insertion sort for short runs, and heapsort once the recursion is deeper
 * than 2 log2 n, so that no input takes quadratic time.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdbdup.h"
#include "xmalloc.h"

/* Runs this short are finished by insertion sort. */
#define RDBDUP_SHORT 16
/* Bucketed up to this many hashes (512 KiB more words, 256 KiB of counters). */
#define RDBDUP_BUCKETED (1u << 16)
/* A bucket larger than this was crafted: the introsort takes over. */
#define RDBDUP_BUCKET_LARGE 32

static uint64_t
rdbdup_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* Murmur3's 64-bit finaliser: every input bit moves every output bit. */
static uint64_t
rdbdup_fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/*
 * Eight bytes at a time: the members of large keys are mostly short, and
 * FNV-1a's multiply per byte made hashing them slower than reading them.
 * Each step is a bijection of the state for a given word and the length is
 * in the seed. The words are read in the machine's byte order: a hash is
 * only compared with hashes of the same run.
 */
uint64_t
rdbdup_hash(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = rdbdup_fmix(0x9e3779b97f4a7c15ull + n), w = 0;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8)
		h = rdbdup_fmix(h ^ rdbdup_le64(p + i));
	if (i == n)
		return rdbdup_fmix(h ^ 0x5bd1e995u);
	if (n >= 8) /* the last 8 bytes, overlapping the words before */
		w = rdbdup_le64(p + n - 8);
	else
		for (; i < n; i++)
			w |= (uint64_t)p[i] << (8 * i);
	return rdbdup_fmix(h ^ w);
}

void
rdbdup_begin(struct rdbdup *d)
{
	d->n = 0;
	d->over = 0;
}

void
rdbdup_add(struct rdbdup *d, uint64_t h)
{
	if (d->over)
		return;
	if (d->n == RDBDUP_MAX) {
		d->over = 1;
		return;
	}
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 256;
		d->v = xreallocarray(d->v, d->alloc, sizeof *d->v);
	}
	d->v[d->n++] = h;
}

void
rdbdup_give_up(struct rdbdup *d)
{
	d->over = 1;
}

static void
rdbdup_swap(uint64_t *a, uint64_t *b)
{
	uint64_t t = *a;

	*a = *b;
	*b = t;
}

static void
rdbdup_insertion(uint64_t *v, size_t n)
{
	size_t i, j;
	uint64_t x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
rdbdup_sift(uint64_t *v, size_t root, size_t n)
{
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		rdbdup_swap(&v[root], &v[child]);
		root = child;
	}
}

static void
rdbdup_heapsort(uint64_t *v, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		rdbdup_sift(v, i, n);
	for (i = n; i-- > 1;) {
		rdbdup_swap(&v[0], &v[i]);
		rdbdup_sift(v, 0, i);
	}
}

/* Hoare partition around the median of the first, middle and last; returns the split. */
static size_t
rdbdup_partition(uint64_t *v, size_t n)
{
	size_t i = 0, j = n - 1, m = n / 2;
	uint64_t pivot;

	if (v[m] < v[0])
		rdbdup_swap(&v[m], &v[0]);
	if (v[j] < v[0])
		rdbdup_swap(&v[j], &v[0]);
	if (v[j] < v[m])
		rdbdup_swap(&v[j], &v[m]);
	pivot = v[m];
	for (;;) {
		while (v[i] < pivot)
			i++;
		while (v[j] > pivot)
			j--;
		if (i >= j)
			return j + 1;
		rdbdup_swap(&v[i++], &v[j--]);
	}
}

static void
rdbdup_introsort(uint64_t *v, size_t n, int depth)
{
	size_t k;

	while (n > RDBDUP_SHORT) {
		if (depth-- == 0) {
			rdbdup_heapsort(v, n);
			return;
		}
		k = rdbdup_partition(v, n);
		/* Recurse into the smaller side, loop on the larger: the stack stays shallow. */
		if (k < n - k) {
			rdbdup_introsort(v, k, depth);
			v += k;
			n -= k;
		} else {
			rdbdup_introsort(v + k, n - k, depth);
			n = k;
		}
	}
	rdbdup_insertion(v, n);
}

void
rdbdup_sort(uint64_t *v, size_t n)
{
	int depth = 0;
	size_t m;

	for (m = n; m > 1; m >>= 1)
		depth += 2;
	rdbdup_introsort(v, n, depth);
}

/* By the top bits into d->tmp, then back in order; 0, or -1 when a bucket is too large. */
static int
rdbdup_bucketed(struct rdbdup *d)
{
	size_t n = d->n, nb, i, k, most = 0;
	unsigned bits = 1;

	while (bits < 16 && (size_t)2 << bits <= n)
		bits++;
	nb = (size_t)1 << bits;
	if (d->tmp_alloc < n) {
		free(d->tmp);
		d->tmp_alloc = RDBDUP_BUCKETED;
		d->tmp = xreallocarray(NULL, d->tmp_alloc, sizeof *d->tmp);
		free(d->count);
		d->count = xreallocarray(NULL, (size_t)RDBDUP_BUCKETED + 1, sizeof *d->count);
	}
	memset(d->count, 0, (nb + 1) * sizeof *d->count);
	for (i = 0; i < n; i++)
		d->count[(d->v[i] >> (64 - bits)) + 1]++;
	for (k = 1; k <= nb; k++) {
		if (d->count[k] > most)
			most = d->count[k];
		d->count[k] += d->count[k - 1];
	}
	if (most > RDBDUP_BUCKET_LARGE)
		return -1;
	for (i = 0; i < n; i++)
		d->tmp[d->count[d->v[i] >> (64 - bits)]++] = d->v[i];
	rdbdup_insertion(d->tmp, n); /* each hash is at most a bucket from its place */
	memcpy(d->v, d->tmp, n * sizeof *d->v);
	return 0;
}

int
rdbdup_end(struct rdbdup *d)
{
	size_t i;

	if (d->over)
		return -1;
	if (d->n < RDBDUP_SHORT || d->n > RDBDUP_BUCKETED || rdbdup_bucketed(d) != 0)
		rdbdup_sort(d->v, d->n);
	for (i = 1; i < d->n; i++)
		if (d->v[i] == d->v[i - 1])
			return 1;
	return 0;
}

int
rdbdup_missing(const struct rdbdup *d, uint64_t h)
{
	size_t lo = 0, hi = d->n, mid;

	if (d->over)
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->v[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == d->n || d->v[lo] != h;
}

void
rdbdup_free(struct rdbdup *d)
{
	free(d->v);
	free(d->tmp);
	free(d->count);
	d->v = d->tmp = NULL;
	d->count = NULL;
	d->n = d->alloc = d->tmp_alloc = 0;
}
