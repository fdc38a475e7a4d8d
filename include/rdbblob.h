/*
 * rdbblob: the consistency checks of Redis's compact containers, as stored
 * in an RDB string: ziplist, listpack, intset and zipmap, and the stream
 * entries inside a listpack. They follow Redis's deep sanitisation
 * (ziplistValidateIntegrity, lpValidateIntegrityAndDups, intsetValidate-
 * Integrity, zipmapValidateIntegrity, streamValidateListpackIntegrity) from
 * the format descriptions, so that a container Redis would refuse to load is
 * refused here too. Pure functions on a buffer; used by rdb.c.
 */
#ifndef CW_RDBBLOB_H
#define CW_RDBBLOB_H

#include <stddef.h>
#include <stdint.h>

enum rdbblob_kind {
	RDBBLOB_ZIPLIST,          /* list entries (list-ziplist, quicklist nodes) */
	RDBBLOB_ZIPLIST_PAIRS,    /* hash or zset: pairs, unique first members */
	RDBBLOB_LISTPACK,         /* list entries (quicklist 2 nodes) */
	RDBBLOB_LISTPACK_SET,     /* unique members */
	RDBBLOB_LISTPACK_PAIRS,   /* hash or zset: pairs, unique first members */
	RDBBLOB_LISTPACK_TRIPLES, /* hash with field TTLs: field, value, ttl */
	RDBBLOB_STREAM,           /* a stream node: master entry and entries */
	RDBBLOB_INTSET,
	RDBBLOB_ZIPMAP,
};

/* Memory reused from one container to the next; zero it before the first use. */
struct rdbblob_entry;
struct rdbblob_scratch {
	struct rdbblob_entry *v;
	size_t cap;
};

void rdbblob_scratch_free(struct rdbblob_scratch *scratch);

/*
 * Checks the container p[0, len) of the given kind, using scratch. Returns NULL when it is
 * sound and sets *count to the number of entries (pairs and triples count
 * once; for a stream node, the number of listpack entries); otherwise
 * returns a static text saying what is wrong.
 */
const char *rdbblob_check(enum rdbblob_kind kind, const uint8_t *p, size_t len, uint64_t *count,
                          struct rdbblob_scratch *scratch);
/* "ziplist", "listpack", "intset", "zipmap", "stream listpack". */
const char *rdbblob_kind_name(enum rdbblob_kind kind);

#endif
