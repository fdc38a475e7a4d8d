/*
 * aof: a streaming check of a Redis append-only file, as redis-check-aof
 * does it, fed chunk by chunk:
 *
 *   - commands in RESP: "*<argc>\r\n" then argc times "$<len>\r\n<bytes>\r\n",
 *     with "#..." annotation lines between them (timestamps); MULTI and EXEC
 *     must pair. A file that ends inside a command or an open transaction
 *     is CORRUPT, with the offset up to which it is whole (what
 *     redis-check-aof --fix would truncate to);
 *   - an RDB preamble (aof-use-rdb-preamble yes) followed by RESP: the
 *     preamble is walked by rdb.h, the rest as above;
 *   - the manifest of Redis 7's multi-part AOF directory
 *     (appendonly.aof.manifest): lines "file NAME seq N type b|h|i", one base,
 *     names without a '/'. Whether the files it names exist is for the
 *     caller, who knows the directory (aof_check_files).
 *
 * Memory is bounded (a line and a command name); a checker is used by one
 * thread at a time and its verdict does not depend on the chunking.
 */
#ifndef CW_AOF_H
#define CW_AOF_H

#include <stddef.h>

enum aof_status {
	AOF_OK,
	AOF_UNCHECKED, /* whole, but its RDB preamble has no checksum */
	AOF_CORRUPT,
};

struct aof_result {
	enum aof_status status;
	char *detail; /* one line, "aof: ..."; the caller frees it */
};

/* True when head (the first len bytes) starts like RESP commands or an annotation. */
int aof_looks_resp(const void *head, size_t len);
/* True when head starts like a multi-part AOF manifest ("file ... seq ... type ..."). */
int aof_looks_manifest(const void *head, size_t len);

struct aof_check;

/* manifest: check a multi-part manifest instead of an AOF. The caller owns the checker. */
struct aof_check *aof_check_init(int manifest);
void aof_check_update(struct aof_check *a, const void *data, size_t len);
void aof_check_final(struct aof_check *a, struct aof_result *res);
void aof_check_free(struct aof_check *a);
/*
 * After aof_check_final of a sound manifest: the base and incr files it
 * names (history files may be gone), owned by the checker. 0 otherwise.
 */
size_t aof_check_files(const struct aof_check *a, const char *const **names);

#endif
