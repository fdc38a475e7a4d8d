/* fileio: whole-or-nothing file writes (temporary file, fsync, rename). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "xmalloc.h"

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
