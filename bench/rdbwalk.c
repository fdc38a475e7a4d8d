/*
 * bench/rdbwalk: the RDB walk against BLAKE2b on one core.
 *
 *   make bench/rdbwalk && bench/rdbwalk FILE.rdb [ROUNDS [MODE]]
 *
 * Reads FILE.rdb into memory once, then, ROUNDS times (default 7, at least
 * 5 for a median), runs each of these over the same bytes in 1 MiB chunks,
 * as scan.c feeds them, one after the other on the calling thread:
 *
 *   blake2b    BLAKE2b-256 (libsodium), what verify's hash helper does
 *   crc32      zlib's crc32()
 *   crc64      Redis's CRC-64 alone
 *   walk       rdb_check_update: the structural walk and its CRC-64
 *   crc32+walk what verify's check helper does for an RDB
 *
 * The modes alternate inside each round, so a noisy neighbour slows them
 * alike; each mode's median is printed in MB/s (10^6 bytes) of thread CPU
 * time and of wall time, with walk's speed relative to blake2b's. The walk
 * must end in RDB_OK (or WARNING/UNCHECKED), or the figures mean nothing
 * and the program says so. With MODE (one of the names above) only that
 * mode runs, for a profiler (perf record, perf stat) to look at alone.
 * Nothing here is a test: there are no thresholds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc.h"
#include "crypto.h"
#include "rdb.h"
#include "xmalloc.h"
#include "zstream.h"

#define CHUNK     (1u << 20)
#define MAX_ROUND 99

enum { M_BLAKE2B, M_CRC32, M_CRC64, M_WALK, M_CRC32_WALK, NMODES };

static const char *const mode_names[NMODES] = { "blake2b", "crc32", "crc64", "walk", "crc32+walk" };

static double
now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one mode over p[0, n); returns 0, or -1 when the walk did not pass. */
static int
run(int mode, const uint8_t *p, size_t n, volatile uint64_t *sink)
{
	struct crypto_blake2b *b = NULL;
	struct zstream_crc32 c;
	struct rdb_check *r = NULL;
	struct rdb_result res;
	uint8_t digest[32];
	uint64_t crc64 = 0;
	uint32_t crc32;
	size_t off, k;
	int rc = 0;

	if (mode == M_BLAKE2B)
		b = crypto_blake2b_init(sizeof digest);
	if (mode == M_WALK || mode == M_CRC32_WALK)
		r = rdb_check_init();
	zstream_crc32_init(&c);
	for (off = 0; off < n; off += k) {
		k = n - off < CHUNK ? n - off : CHUNK;
		if (b != NULL)
			crypto_blake2b_update(b, p + off, k);
		if (mode == M_CRC32 || mode == M_CRC32_WALK)
			zstream_crc32_update(&c, p + off, k);
		if (mode == M_CRC64)
			crc64 = crc_64(crc64, p + off, k);
		if (r != NULL)
			rdb_check_update(r, p + off, k);
	}
	if (b != NULL) {
		crypto_blake2b_final(b, digest);
		crypto_blake2b_free(b);
		crc64 = digest[0];
	}
	zstream_crc32_final(&c, &crc32);
	if (r != NULL) {
		rdb_check_final(r, &res);
		if (res.status == RDB_CORRUPT) {
			fprintf(stderr, "rdbwalk: the walk failed: %s\n", res.detail);
			rc = -1;
		}
		free(res.detail);
		rdb_check_free(r);
	}
	*sink += crc64 + crc32;
	return rc;
}

/* The whole file, in memory: the modes time computing, not reading. */
static uint8_t *
load(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, got;

	*len = 0;
	if (fp == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : CHUNK;
			p = xreallocarray(p, cap, 1);
		}
		if ((got = fread(p + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += got;
	}
	if (ferror(fp)) {
		free(p);
		p = NULL;
	}
	fclose(fp);
	return p;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	static double cpu[NMODES][MAX_ROUND], wall[NMODES][MAX_ROUND];
	double mcpu[NMODES], mwall[NMODES], t0, c0;
	volatile uint64_t sink = 0;
	uint8_t *data;
	size_t len;
	int rounds, i, m, only = -1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: rdbwalk FILE.rdb [ROUNDS [MODE]]\n");
		return 64;
	}
	rounds = argc >= 3 ? atoi(argv[2]) : 7;
	for (m = 0; argc == 4 && m < NMODES; m++)
		if (strcmp(argv[3], mode_names[m]) == 0)
			only = m;
	if (argc == 4 && only < 0) {
		fprintf(stderr, "rdbwalk: MODE is blake2b, crc32, crc64, walk or crc32+walk\n");
		return 64;
	}
	if (rounds < 1 || rounds > MAX_ROUND) {
		fprintf(stderr, "rdbwalk: ROUNDS is 1 to %d\n", MAX_ROUND);
		return 64;
	}
	if (crypto_init() != 0) {
		fprintf(stderr, "rdbwalk: libsodium did not initialise\n");
		return 1;
	}
	if ((data = load(argv[1], &len)) == NULL) {
		perror(argv[1]);
		return 1;
	}
	printf("file: %s, %zu bytes, %d rounds, modes alternating\n", argv[1], len, rounds);
	for (i = 0; i < rounds; i++) {
		for (m = 0; m < NMODES; m++) {
			if (only >= 0 && m != only)
				continue;
			t0 = now(CLOCK_MONOTONIC);
			c0 = now(CLOCK_THREAD_CPUTIME_ID);
			if (run(m, data, len, &sink) != 0)
				return 1;
			cpu[m][i] = now(CLOCK_THREAD_CPUTIME_ID) - c0;
			wall[m][i] = now(CLOCK_MONOTONIC) - t0;
		}
	}
	if (only >= 0) {
		printf("%-10s  %7.1f MB/s cpu  %7.1f MB/s wall  (median of %d)\n", mode_names[only],
		       (double)len / 1e6 / median(cpu[only], rounds),
		       (double)len / 1e6 / median(wall[only], rounds), rounds);
		free(data);
		return 0;
	}
	for (m = 0; m < NMODES; m++) {
		mcpu[m] = (double)len / 1e6 / median(cpu[m], rounds);
		mwall[m] = (double)len / 1e6 / median(wall[m], rounds);
		printf("%-10s  %7.1f MB/s cpu  %7.1f MB/s wall  (median of %d)\n", mode_names[m],
		       mcpu[m], mwall[m], rounds);
	}
	printf("walk / blake2b: %.2f (cpu), %.2f (wall); above 1 keeps up\n",
	       mcpu[M_WALK] / mcpu[M_BLAKE2B], mwall[M_WALK] / mwall[M_BLAKE2B]);
	printf("crc32+walk / blake2b: %.2f (cpu), %.2f (wall)\n",
	       mcpu[M_CRC32_WALK] / mcpu[M_BLAKE2B], mwall[M_CRC32_WALK] / mwall[M_BLAKE2B]);
	free(data);
	return sink == 42 ? 2 : 0; /* sink keeps the work from being optimised away */
}
