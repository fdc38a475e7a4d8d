/*
 * formats: what kind of backup export a file is, and an incremental check
 * of its structure that finds truncation and corruption without parsing
 * the whole format:
 *
 *   RDB           the whole structure walked as redis-check-rdb does, and the
 *                 CRC64 trailer (see rdb.h)
 *   GZIP          every member inflated, CRC32 and ISIZE (see zstream.h); zero
 *                 padding after the last member is a WARNING, as gzip -tv says
 *   MYSQLDUMP     the closing "-- Dump completed" line
 *   MYSQLDUMP_GZ  both of the above, the trailer looked for in the inflated tail
 *   PARQUET       PAR1 at both ends, the footer decoded and checked (pqfooter.h),
 *                 every page walked and reconciled with it (pqpages.h)
 *   AOF           every command whole, as redis-check-aof checks (see aof.h)
 *   AOF_MANIFEST  the lines of a multi-part AOF manifest
 *   ZSTD          every frame decompressed by libzstd, content checksums; a
 *                 mysqldump inside also needs its trailer; UNCHECKED when
 *                 built without libzstd
 *   XZ, BZIP2, LZ4  UNCHECKED, naming the compression: never a silent ok
 *   RAW           nothing: only the digests computed elsewhere vouch for it
 *
 * A checker is fed the chunks of a file read once (init, update with each
 * chunk in order, final) and keeps only a few bytes of head and tail, plus
 * the inflate state for gzip, and for Parquet the footer (up to 4 MiB) and
 * the page list (pqpages.h), so memory is bounded whatever the file size.
 * A checker is used by one thread at a time; different checkers of the same
 * file may run on different threads.
 */
#ifndef CW_FORMATS_H
#define CW_FORMATS_H

#include <stddef.h>
#include <stdint.h>

enum formats_kind {
	FORMATS_RAW,
	FORMATS_RDB,
	FORMATS_GZIP,
	FORMATS_MYSQLDUMP,
	FORMATS_MYSQLDUMP_GZ,
	FORMATS_PARQUET,
	FORMATS_AOF,          /* Redis AOF: RESP commands, maybe after an RDB preamble (aof.h) */
	FORMATS_AOF_MANIFEST, /* the manifest of a Redis 7 multi-part AOF directory */
	FORMATS_ZSTD,         /* zstd frames (zst.h), and a dump inside checked as MYSQLDUMP */
	FORMATS_XZ,           /* compressions that cannot be checked here: UNCHECKED */
	FORMATS_BZIP2,
	FORMATS_LZ4,
};

enum formats_status {
	FORMATS_OK,        /* structure checked and sound (RAW: nothing to check) */
	FORMATS_WARNING,   /* sound, with something a reference tool also only warns about:
	                    * zero padding after a gzip stream, bytes after an RDB's checksum */
	FORMATS_UNCHECKED, /* looks complete but cannot be verified, e.g. an RDB without checksum */
	FORMATS_CORRUPT,   /* truncated, damaged, or not the format it claims to be */
};

struct formats_result {
	enum formats_status status;
	char *detail; /* always set, one line for the operator; the caller frees it */
};

/* formats_detect decides by content from this many leading bytes, when it has them. */
#define FORMATS_DETECT_BYTES 4096

/*
 * Decides by magic bytes first (REDIS, which is an AOF's RDB preamble when
 * the name ends in .aof; 1f 8b; PAR1 or PARE; a mysqldump or MariaDB dump
 * header, also inside a gzip stream; RESP commands; an AOF manifest; zstd, xz,
 * bzip2, lz4 magic), then by the end of filename (.rdb, .sql.gz, .gz, .sql,
 * .parquet, .aof, .zst, .xz, .bz2, .lz4; filename may be NULL), and
 * falls back to RAW. head holds the first len bytes of the file.
 */
enum formats_kind formats_detect(const void *head, size_t len, const char *filename);
/* "rdb", "gzip", "mysqldump", "mysqldump.gz", "parquet", "aof", "aof-manifest", "zstd",
 * "xz", "bzip2", "lz4", "raw". */
const char *formats_kind_name(enum formats_kind kind);
/* "ok", "warning", "unchecked", "corrupt". */
const char *formats_status_name(enum formats_status status);

struct formats_check;

/* The caller owns the checker and releases it with formats_check_free,
 * after final or instead of it. */
struct formats_check *formats_check_init(enum formats_kind kind);
void formats_check_update(struct formats_check *c, const void *data, size_t len);
/* Ends the input and fills *res; call once. */
void formats_check_final(struct formats_check *c, struct formats_result *res);
void formats_check_free(struct formats_check *c);
/*
 * After formats_check_final: the files that must sit beside this one for it
 * to be whole (the base and incr files of an AOF manifest), owned by c.
 */
size_t formats_check_files(const struct formats_check *c, const char *const **names);

#endif
