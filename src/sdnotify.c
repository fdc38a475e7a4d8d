/* sdnotify: sd_notify(3) without libsystemd. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sdnotify.h"
#include "xmalloc.h"

struct sdnotify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
};

struct sdnotify *
sdnotify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sdnotify *n;
	size_t len;

	if (path == NULL || *path == '\0')
		return NULL;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof n->addr.sun_path) {
		log_warn("systemd: NOTIFY_SOCKET '%s' is not a socket path; not notifying", path);
		return NULL;
	}
	n = xcalloc(1, sizeof *n);
	if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		log_warn("systemd: cannot create the notify socket: %s", strerror(errno));
		free(n);
		return NULL;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0'; /* abstract namespace: no trailing NUL counted */
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return n;
}

void
sdnotify_close(struct sdnotify *n)
{
	if (n == NULL)
		return;
	close(n->fd);
	free(n);
}

int
sdnotify_send(struct sdnotify *n, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	ssize_t rv;

	if (n == NULL)
		return 0;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	do
		rv = sendto(n->fd, msg.data, msg.len, MSG_NOSIGNAL, (struct sockaddr *)&n->addr,
		            n->addrlen);
	while (rv < 0 && errno == EINTR);
	if (rv < 0)
		log_debug("systemd: notify failed: %s", strerror(errno));
	buf_free(&msg);
	return rv < 0 ? -1 : 0;
}

uint64_t
sdnotify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	v = strtoull(usec, &end, 10);
	return *end == '\0' ? (uint64_t)v : 0;
}
