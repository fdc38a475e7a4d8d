/*
 * manifest: the record of an export set's files that `verify` keeps between
 * runs, one text file per set (DIR/SET.manifest), optionally signed with
 * minisign (DIR/SET.manifest.minisig). Each file is two lines:
 *
 *   # entry size=N mtime=RFC3339.ns crc32=HEX8 first_seen=RFC3339 last_verified=RFC3339
 *   BLAKE2B256HEX  PATH
 *
 * The second line is exactly what `b2sum -l 256` prints (a name with a
 * backslash, newline or carriage return is escaped and the line starts with
 * a backslash, as coreutils does), and b2sum -c skips lines starting with
 * '#', so `b2sum -l 256 -c DIR/SET.manifest` checks every recorded file with
 * no export step. The file starts with "# cachewarden manifest 1"; other '#'
 * lines are comments.
 *
 * Functions returning int give 0, or -1 and *cause (the caller frees it).
 */
#ifndef CW_MANIFEST_H
#define CW_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "minisign.h"

#define MANIFEST_DIGEST_LEN 32

struct manifest_entry {
	char *path; /* owned by the manifest */
	uint64_t size;
	int64_t mtime_s;
	long mtime_ns;
	uint32_t crc32;
	uint8_t blake2b[MANIFEST_DIGEST_LEN];
	int64_t first_seen;
	int64_t last_verified;
};

struct manifest {
	struct manifest_entry *entries;
	size_t n;
	size_t cap;
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);
/* Adds a copy of e (its path copied too). */
void manifest_add(struct manifest *m, const struct manifest_entry *e);
/* Orders the entries by path, as manifest_find and manifest_format need. */
void manifest_sort(struct manifest *m);
/* Binary search in a sorted manifest; NULL when path is not recorded. */
const struct manifest_entry *manifest_find(const struct manifest *m, const char *path);

/* Parses a manifest's text into m (initialised by the caller); the cause names the line. */
int manifest_parse(const char *text, size_t len, struct manifest *m, char **cause);
/* Appends the text of a sorted manifest of set to out. */
void manifest_format(const struct manifest *m, const char *set, int64_t written, struct buf *out);

/* DIR/SET.manifest, with bytes of set other than [A-Za-z0-9._-] as %XX; the caller frees it. */
char *manifest_path(const char *dir, const char *set);
/* Creates dir and its missing parents (mode 0750). */
int manifest_mkdir(const char *dir, char **cause);
/* Reads a whole file: 0, 1 when it does not exist, -1 on any other error. */
int manifest_read_file(const char *path, struct buf *out, char **cause);
/* Replaces path durably: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. Mode 0644. */
int manifest_write_file(const char *path, const void *data, size_t len, char **cause);

/*
 * Signs data, the contents of the file named path, with the secret key in
 * seckey_path: *sigtext receives a .minisig text (the caller frees it) whose
 * trusted comment is minisign's default, "timestamp:N\tfile:BASENAME\thashed".
 */
int manifest_sign(const char *seckey_path, const char *path, const void *data, size_t len,
                  char **sigtext, char **cause);
/* Checks a .minisig text against data: 0 when pk signed exactly these bytes. */
int manifest_check_signature(const struct minisign_pubkey *pk, const void *data, size_t len,
                             const char *sigtext, size_t siglen, char **cause);

/*
 * `cachewarden manifest keygen|sign|verify ...`; argv[0] is "manifest".
 * conf may be NULL: it only supplies default key paths ([verify] trusted_key
 * and signing_key). Returns the exit code: 0 ok, 1 failed, 2 usage.
 */
int manifest_cmd(const struct conf *conf, int argc, char **argv);

#endif
