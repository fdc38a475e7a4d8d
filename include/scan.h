/*
 * scan: reads each export file once and computes in that one pass its CRC32,
 * its BLAKE2b-256 and its format check (formats.h).
 *
 * Files are spread over `workers` threads, largest first so that the
 * longest file starts at once. A file larger than one buffer is also
 * pipelined inside its worker: the worker reads into a ring of fixed
 * buffers, one helper thread runs BLAKE2b and another CRC32 and the format
 * checker over every buffer, so a single large file is not bound by one
 * core doing everything in sequence. The rings take SCAN_RING_BUDGET bytes
 * at most, whatever the number of workers; with the checkers' own bounded
 * state (formats.h) memory does not grow with the file sizes.
 *
 * A guest on a web host: the threads run at nice +10 in the idle I/O class,
 * the pages a read brings into the page cache are dropped after each
 * buffer (POSIX_FADV_DONTNEED) unless they were resident before (mincore on
 * a mapping of the file, taken at open), and the reads can be capped.
 *
 * A file is read only if it is a regular file (symbolic links followed),
 * with O_NONBLOCK so a FIFO swapped in cannot block, and only up to its size
 * at open plus one buffer. Its size and mtime are compared before and after
 * the read, and with the bytes read: any difference is "changed during
 * read", and the digests of such a file are not reported.
 */
#ifndef CW_SCAN_H
#define CW_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "formats.h"

#define SCAN_DIGEST_LEN  32
#define SCAN_RING_SLOTS  4
#define SCAN_SLOT_MAX    (1u << 20)
#define SCAN_SLOT_MIN    (32u << 10)
#define SCAN_RING_BUDGET (8u << 20)

/* What the set's `format` asks for; MYSQLDUMP means plain or gzip'd. */
enum scan_format { SCAN_AUTO, SCAN_RDB, SCAN_GZIP, SCAN_MYSQLDUMP, SCAN_PARQUET, SCAN_RAW };

struct scan_file {
	/* Set by the caller. */
	const char *path;
	enum scan_format format;

	/* Set by scan_run. */
	int regular;     /* a regular file when stat'ed: counts for freshness and retention */
	uint64_t size;   /* st_size before the read */
	int64_t mtime_s; /* st_mtim before the read */
	long mtime_ns;
	char *error; /* why the file was not read whole and unchanged; NULL if it was */
	enum formats_kind kind;
	struct formats_result check; /* when error is NULL; an empty file is corrupt */
	uint32_t crc32;
	uint8_t blake2b[SCAN_DIGEST_LEN];
};

/* Fills the results of files[0..n) using up to workers threads (at least one). */
void scan_run(struct scan_file *files, size_t n, long long workers);
/* The same, reading at most max_mb_per_sec MB/s (10^6 bytes) in all (0: no cap). */
void scan_run_limited(struct scan_file *files, size_t n, long long workers,
                      long long max_mb_per_sec);
/* Frees what scan_run allocated in f. */
void scan_file_clear(struct scan_file *f);

#endif
