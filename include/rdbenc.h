/*
 * rdbenc: Redis's serialized value format (the payload of DUMP and RESTORE)
 * for the values warm writes, built outside Redis so that the server loads a
 * key instead of executing commands. Pure code: no I/O.
 *
 * A payload is the RDB object type, the object in its RDB encoding, the
 * 2-byte RDB version and the CRC-64 of all that (crc_64). Which
 * encoding a server expects is not guessed from its version string: the
 * caller fills struct rdbenc_server from what the server itself answered (the
 * type byte and trailer of a DUMP, the limits seen through OBJECT ENCODING),
 * and checks a payload against a DUMP before trusting it (see restorepath.h).
 *
 * The payloads here are never LZF-compressed: Redis loads both, and DUMP of
 * the loaded key is the same either way, because DUMP serializes the value
 * in memory, not the bytes that were restored.
 */
#ifndef CW_RDBENC_H
#define CW_RDBENC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* RDB object types (rdb.h in Redis). */
#define RDBENC_TYPE_STRING        0
#define RDBENC_TYPE_HASH          4  /* plain: a count, then field and value strings */
#define RDBENC_TYPE_HASH_ZIPLIST  13 /* Redis 2.6 to 6.2 */
#define RDBENC_TYPE_HASH_LISTPACK 16 /* Redis 7.0 on */

struct rdbenc_server {
	int small_hash_type;  /* RDBENC_TYPE_HASH_LISTPACK or _ZIPLIST */
	unsigned rdb_version; /* from the trailer of the server's own DUMP */
	/*
	 * The largest hash the server keeps in its compact encoding: at most
	 * max_entries fields, no field or value longer than max_value bytes
	 * (hash-max-listpack-entries and -value, as observed). A larger hash goes
	 * out in the plain encoding, so the server decides as HSET would.
	 */
	size_t max_entries;
	size_t max_value;
};

/* Appends the payload of a string value (binary-safe). */
void rdbenc_string(struct buf *out, const struct rdbenc_server *srv, const char *s, size_t len);

/*
 * Appends the payload of a hash: n (field, value) pairs, given as 2 * n
 * strings field, value, field, value... n must be at least 1 (Redis refuses
 * empty hashes).
 */
void rdbenc_hash(struct buf *out, const struct rdbenc_server *srv, size_t n,
                 const char *const *elems, const size_t *lens);

/*
 * Whether a hash of n pairs fits the compact encoding of srv. Exposed for
 * tests and for the probe.
 */
int rdbenc_hash_is_small(const struct rdbenc_server *srv, size_t n, const size_t *lens);

/* The compact encodings alone (no type, no trailer), for tests and the probe. */
void rdbenc_listpack(struct buf *out, size_t nelems, const char *const *elems, const size_t *lens);
void rdbenc_ziplist(struct buf *out, size_t nelems, const char *const *elems, const size_t *lens);

/*
 * Reads the trailer of a DUMP payload: its RDB version, after checking the
 * CRC-64. Returns 0, or -1 when the payload is too short or its CRC is wrong.
 */
int rdbenc_trailer(const char *payload, size_t len, unsigned *version);

#endif
