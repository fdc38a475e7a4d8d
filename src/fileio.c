/* fileio: whole-or-nothing file writes (temporary file, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "xmalloc.h"

/* mkostemp's XXXXXX: six of [A-Za-z0-9]. */
#define FILEIO_TMP_RAND 6
/* A writer locks its temporary file within microseconds of creating it. */
#define FILEIO_TMP_GRACE_S 2

int
fileio_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fileio_read(const char *path, size_t max, struct buf *out, char **cause)
{
	char chunk[4096];
	size_t start = out->len;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out->len - start + (size_t)n > max) {
			*cause = xasprintf("%s: %s", path, n < 0 ? strerror(errno) : "too large");
			close(fd);
			return -1;
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int
fileio_sync_dir(const char *dir)
{
	int fd, rv, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rv = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rv;
}

int
fileio_mkdirs(const char *dir, mode_t mode, char **cause)
{
	char *copy = xstrdup(dir), *p;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		(void)mkdir(copy, mode); /* errors show at the last step */
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, mode) != 0 && errno != EEXIST) {
		*cause = xasprintf("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
fileio_replace(const char *path, const void *data, size_t len, mode_t mode, char **cause)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir = slash == NULL   ? xstrdup(".")
	            : slash == path ? xstrdup("/")
	                            : xstrndup(path, (size_t)(slash - path));
	/* Hidden, so that no glob or listing of the directory ever sees it. */
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	const char *what;
	int fd, err, rv = -1;

	what = "create a temporary file";
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto fail;
	/* Held until close: fileio_clean_temps leaves a file alone while a writer has it. */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	what = "write";
	if (fchmod(fd, mode) != 0 || fileio_write_all(fd, data, len) != 0)
		goto fail;
	what = "fsync";
	if (fsync(fd) != 0)
		goto fail;
	what = "close";
	err = close(fd);
	fd = -1;
	if (err != 0)
		goto fail;
	what = "rename";
	if (rename(tmp, path) != 0)
		goto fail;
	what = "fsync its directory";
	if (fileio_sync_dir(dir) != 0)
		goto fail;
	rv = 0;
	goto done;
fail:
	err = errno;
	*cause = xasprintf("cannot write %s: %s: %s", path, what, strerror(err));
	if (fd >= 0)
		close(fd);
	unlink(tmp); /* after a rename, there is nothing left to remove */
done:
	free(tmp);
	free(dir);
	return rv;
}

int
fileio_lock(const char *path, char **cause)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		*cause = xasprintf("%s: open: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			*cause = xasprintf("%s: flock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

void
fileio_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor releases the flock */
}

int
fileio_rename(const char *from, const char *to, const char *dir, char **cause)
{
	if (rename(from, to) != 0) {
		*cause = xasprintf("rename %s to %s: %s", from, to, strerror(errno));
		return -1;
	}
	if (fileio_sync_dir(dir) != 0) {
		*cause = xasprintf("%s: fsync: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
fileio_is_temp(const char *name)
{
	size_t len = strlen(name), i;

	/* "." + at least one byte of the final name + "." + six random characters */
	if (len < 3 + FILEIO_TMP_RAND || name[0] != '.' || name[len - FILEIO_TMP_RAND - 1] != '.')
		return 0;
	for (i = len - FILEIO_TMP_RAND; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return 0;
	return 1;
}

/* 1 when no writer holds dir/name: its lock is free and it is not brand new. */
static int
fileio_temp_orphaned(int dfd, const char *name, time_t now)
{
	struct stat st;
	int fd, free_lock;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	free_lock = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	            now - st.st_mtime >= FILEIO_TMP_GRACE_S && flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd); /* drops the lock, if taken */
	return free_lock;
}

int
fileio_temps(const char *dir, int remove, uint64_t *bytes)
{
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if (bytes != NULL)
		*bytes = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!fileio_is_temp(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (remove && fileio_temp_orphaned(dirfd(d), de->d_name, now) &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0) {
			n++;
			continue;
		}
		if (!remove)
			n++;
		if (bytes != NULL)
			*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	return n;
}
