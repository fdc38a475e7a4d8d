/*
 * rdb: a streaming check of a Redis RDB file, as redis-check-rdb does it,
 * fed chunk by chunk in the one pass that also computes its CRC64.
 *
 * The walk follows the whole file: the header, every opcode (AUX,
 * SELECTDB, RESIZEDB, EXPIRETIME(_MS), IDLE, FREQ, FUNCTION2, MODULE_AUX,
 * SLOT_INFO, EOF), and every value of RDB versions 1 to 12: strings with
 * their int and LZF encodings (LZF must inflate to the declared length),
 * lists, sets, sorted sets, hashes and streams, plain and in their ziplist,
 * listpack, intset, zipmap and quicklist containers, which are checked for
 * internal consistency as Redis's deep sanitisation does (header lengths,
 * entry encodings and back-lengths, entry counts, terminators, pairs,
 * duplicates, empty keys), and module values of the typed encoding walked by
 * their opcodes. After the EOF opcode come the CRC64 (version 5 and later)
 * and nothing else: further bytes are a warning, as redis-check-rdb ignores
 * them.
 *
 * Memory is bounded: a few bytes of state, plus the container being
 * checked; a container string longer than RDB_BLOB_MAX is walked as a plain
 * string and counted as unchecked inside. Not checked, unlike
 * redis-check-rdb: duplicate members of plain (non-container) sets, hashes
 * and sorted sets, whose detection needs memory in proportion to the key,
 * and the cross-references of stream consumer groups (a consumer's pending
 * entry must be in its group's list).
 *
 * A checker is used by one thread at a time. The verdict does not depend on
 * how the input is cut into chunks.
 */
#ifndef CW_RDB_H
#define CW_RDB_H

#include <stddef.h>
#include <stdint.h>

/* Container strings (ziplist, listpack, ...) up to this size are checked inside. */
#define RDB_BLOB_MAX (16u << 20)

enum rdb_status {
	RDB_OK,        /* structure sound and the CRC64 matches */
	RDB_WARNING,   /* as RDB_OK, with bytes after the checksum */
	RDB_UNCHECKED, /* structure sound, but no checksum (rdbchecksum no, or version < 5) */
	RDB_CORRUPT,   /* truncated, damaged, or not an RDB file */
};

struct rdb_result {
	enum rdb_status status;
	char *detail; /* one line, "rdb: ..."; the caller frees it */
};

struct rdb_check;

/* The caller owns the checker and releases it with rdb_check_free. */
struct rdb_check *rdb_check_init(void);
/* Returns the bytes used: all of them, but see rdb_check_set_embedded. */
size_t rdb_check_update(struct rdb_check *r, const void *data, size_t len);
/* The RDB is followed by other data (an AOF's commands after its preamble):
 * rdb_check_update uses nothing after the checksum. */
void rdb_check_set_embedded(struct rdb_check *r);
/* Once the EOF opcode and checksum are in: the offset just past them (where an
 * AOF's commands start after its RDB preamble); 0 before, or after an error. */
uint64_t rdb_check_end(const struct rdb_check *r);
/* Ends the input and fills *res; call once. */
void rdb_check_final(struct rdb_check *r, struct rdb_result *res);
void rdb_check_free(struct rdb_check *r);

#endif
