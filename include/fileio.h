/*
 * fileio: durable file writes, shared by everything the agent keeps on disk
 * (checkpoints, the report outbox, manifests, signatures).
 *
 * fileio_replace writes a whole file or nothing: a hidden temporary file in
 * the same directory, fsync, rename over path, then fsync of the directory
 * so the rename itself survives a crash. Readers see the old file or the new
 * one, never a part.
 */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes all of data, across short writes and EINTR; 0, or -1 with errno. */
int fileio_write_all(int fd, const void *data, size_t len);
/*
 * Appends the whole of a small file to out (a buf, from buf.h). 0; 1 when it
 * does not exist; -1 and a cause when it cannot be read or passes max bytes.
 */
struct buf;
int fileio_read(const char *path, size_t max, struct buf *out, char **cause);
/* fsync of a directory, making renames and unlinks in it durable; 0 or -1. */
int fileio_sync_dir(const char *dir);
/* Creates dir and its missing parents with mode; 0, or -1 and a cause. */
int fileio_mkdirs(const char *dir, mode_t mode, char **cause);
/*
 * 0, or -1 and a cause naming the path and the failed step. The temporary
 * file is dir/.NAME.XXXXXX (mkostemp), locked (flock) while it is written.
 */
int fileio_replace(const char *path, const void *data, size_t len, mode_t mode, char **cause);

/*
 * An exclusive flock on path (created 0600 if missing), waited for; returns
 * the descriptor that holds it, or -1 and a cause. fileio_unlock releases it.
 * Serialises processes on one host, not threads of one process.
 */
int fileio_lock(const char *path, char **cause);
void fileio_unlock(int fd);
/* rename(2) and an fsync of dir (the directory of both); 0, or -1 and a cause. */
int fileio_rename(const char *from, const char *to, const char *dir, char **cause);
/* 1 when name is what fileio_replace calls its temporary files: ".NAME.XXXXXX". */
int fileio_is_temp(const char *name);
/*
 * The temporary files in dir left by writers that died. With remove, unlinks
 * those no writer holds (lock free, at least 2 s old) and returns how many it
 * removed; without, returns how many there are. *bytes (may be NULL) gets the
 * size of those still there. -1 (errno) when dir cannot be read.
 */
int fileio_temps(const char *dir, int remove, uint64_t *bytes);

#endif
