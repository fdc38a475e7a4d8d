/* redisconn: Redis connections with our own I/O and hiredis's reply reader. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "buf.h"
#include "log.h"
#include "redisconn.h"
#include "tls.h"
#include "xmalloc.h"

#define REDISCONN_IO_TIMEOUT_MS 30000

struct redisconn {
	int fd;
	struct tls *tls; /* NULL for plain TCP or Unix socket */
	redisReader *reader;
	struct buf out;
	size_t out_sent;
	size_t out_written; /* bytes of out's storage ever written: what a scan may read */
	char *target;
};

char *
redisconn_target(const struct conf *conf)
{
	if (conf->redis.socket != NULL)
		return xasprintf("unix:%s", conf->redis.socket);
	return xasprintf("%s:%lld", conf->redis.host, conf->redis.port);
}

int
redisconn_out_holds(const struct redisconn *rc, const void *bytes, size_t len)
{
	/* Past the length, too (leftovers), but not past what was ever written. */
	return rc->out.data != NULL && memmem(rc->out.data, rc->out_written, bytes, len) != NULL;
}

/* Waits for events on fd; 0 when ready, -1 with errno (ETIMEDOUT) otherwise. */
static int
redisconn_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { fd, events, 0 };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* Switches a connected socket to blocking I/O bounded by the I/O timeout. */
static void
redisconn_set_blocking(int fd)
{
	struct timeval tv = { REDISCONN_IO_TIMEOUT_MS / 1000, 0 };
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Non-blocking connect bounded by timeout_ms; returns the socket or -1. */
static int
redisconn_connect_addr(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int fd, err = 0, one = 1;
	socklen_t errlen = sizeof err;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, sa, len) != 0) {
		if (errno != EINPROGRESS || redisconn_wait(fd, POLLOUT, timeout_ms) != 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0 || err != 0) {
			if (err != 0)
				errno = err;
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
	}
	if (sa->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int
redisconn_connect_socket(const struct conf *conf, char **cause)
{
	int timeout_ms = (int)conf->redis.connect_timeout * 1000, fd = -1, rv;
	struct addrinfo hints, *res, *ai;
	struct sockaddr_un sun;
	char port[16];

	if (conf->redis.socket != NULL) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(conf->redis.socket) >= sizeof sun.sun_path) {
			*cause = xasprintf("redis socket path too long: %s", conf->redis.socket);
			return -1;
		}
		memcpy(sun.sun_path, conf->redis.socket, strlen(conf->redis.socket));
		if ((fd = redisconn_connect_addr((struct sockaddr *)&sun, sizeof sun, timeout_ms)) <
		    0)
			*cause =
			        xasprintf("redis unix:%s: %s", conf->redis.socket, strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%lld", conf->redis.port);
	if ((rv = getaddrinfo(conf->redis.host, port, &hints, &res)) != 0) {
		*cause = xasprintf("redis %s:%s: %s", conf->redis.host, port, gai_strerror(rv));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = redisconn_connect_addr(ai->ai_addr, ai->ai_addrlen, timeout_ms);
	if (fd < 0)
		*cause = xasprintf("redis %s:%s: %s", conf->redis.host, port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* AUTH and SELECT, as [redis] asks. */
static int
redisconn_handshake(struct redisconn *rc, const struct conf *conf, char **cause)
{
	struct redis_reply *r;
	char *password = NULL, db[24];
	const char *argv[3];
	int argc = 0;

	if (conf->redis.password_file != NULL) {
		if (conf_read_secret(conf->redis.password_file, &password, cause) != 0)
			return -1;
		argv[argc++] = "AUTH";
		if (conf->redis.username != NULL)
			argv[argc++] = conf->redis.username;
		argv[argc++] = password;
		/* The RESP text of AUTH holds the password: wiped once sent (buf_free). */
		rc->out.secret = 1;
		r = redisconn_command(rc, cause, argc, argv);
		buf_free(&rc->out);
		rc->out.secret = 0;
		rc->out_sent = rc->out_written = 0;
		explicit_bzero(password, strlen(password));
		free(password);
		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_T_ERROR) {
			/* The server's words, never the password. */
			*cause = xasprintf("redis %s: AUTH refused: %s", rc->target, r->str);
			redis_reply_free(r);
			return -1;
		}
		redis_reply_free(r);
	}
	/* A server still loading its dataset accepts connections but no writes. */
	argv[0] = "PING";
	if ((r = redisconn_command(rc, cause, 1, argv)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_T_ERROR) {
		*cause = xasprintf("redis %s: %s", rc->target, r->str);
		redis_reply_free(r);
		return -1;
	}
	redis_reply_free(r);
	if (conf->redis.db != 0) {
		snprintf(db, sizeof db, "%lld", conf->redis.db);
		argv[0] = "SELECT";
		argv[1] = db;
		if ((r = redisconn_command(rc, cause, 2, argv)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_T_ERROR) {
			*cause = xasprintf("redis %s: SELECT %s: %s", rc->target, db, r->str);
			redis_reply_free(r);
			return -1;
		}
		redis_reply_free(r);
	}
	return 0;
}

struct redisconn *
redisconn_open(const struct conf *conf, char **cause)
{
	struct redisconn *rc;
	int fd;

	if ((fd = redisconn_connect_socket(conf, cause)) < 0)
		return NULL;
	rc = xcalloc(1, sizeof *rc);
	rc->fd = fd;
	rc->target = redisconn_target(conf);
	if ((rc->reader = redisReaderCreate()) == NULL)
		fatal("redisReaderCreate: out of memory");
	if (conf->redis.tls) {
		char *why = NULL;

		rc->tls = tls_client(fd, conf->redis.socket ? NULL : conf->redis.host,
		                     conf->redis.ca_file, (int)conf->redis.connect_timeout * 1000,
		                     &why);
		if (rc->tls == NULL) {
			*cause = xasprintf("redis %s: %s", rc->target, why);
			free(why);
			redisconn_close(rc);
			return NULL;
		}
	}
	redisconn_set_blocking(fd);
	if (redisconn_handshake(rc, conf, cause) != 0) {
		redisconn_close(rc);
		return NULL;
	}
	return rc;
}

void
redisconn_close(struct redisconn *rc)
{
	if (rc == NULL)
		return;
	tls_free(rc->tls);
	if (rc->fd >= 0)
		close(rc->fd);
	if (rc->reader != NULL)
		redisReaderFree(rc->reader);
	buf_free(&rc->out);
	free(rc->target);
	free(rc);
}

/* Writes "<prefix><n>\r\n" at p without printf; returns the end. */
static char *
redisconn_put_header(char *p, char prefix, size_t n)
{
	char tmp[24], *t = tmp + sizeof tmp;

	do
		*--t = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	*p++ = prefix;
	memcpy(p, t, (size_t)(tmp + sizeof tmp - t));
	p += tmp + sizeof tmp - t;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

void
redisconn_append(struct redisconn *rc, int argc, const char *const *argv, const size_t *argvlen)
{
	size_t need = 24, len;
	char *p;
	int i;

	/*
	 * RESP written in place after one reservation: this runs for every
	 * row, and hiredis's formatter would allocate per command.
	 */
	for (i = 0; i < argc; i++)
		need += (argvlen != NULL ? argvlen[i] : strlen(argv[i])) + 24;
	buf_reserve(&rc->out, need);
	p = redisconn_put_header(rc->out.data + rc->out.len, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		len = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
		p = redisconn_put_header(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	rc->out.len = (size_t)(p - rc->out.data);
	*p = '\0';
	if (rc->out.len + 1 > rc->out_written)
		rc->out_written = rc->out.len + 1;
}

size_t
redisconn_pending(const struct redisconn *rc)
{
	return rc->out.len - rc->out_sent;
}

/*
 * One send or receive. The socket is blocking with SO_SNDTIMEO/SO_RCVTIMEO
 * (set once connected): one system call per chunk, no poll in between.
 */
static ssize_t
redisconn_io(struct redisconn *rc, int op_write, void *data, size_t len)
{
	ssize_t n;

	for (;;) {
		if (rc->tls != NULL)
			n = op_write ? tls_write(rc->tls, data, len) : tls_read(rc->tls, data, len);
		else
			n = op_write ? send(rc->fd, data, len, MSG_NOSIGNAL)
			             : recv(rc->fd, data, len, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			errno = ETIMEDOUT;
		return -1;
	}
}

int
redisconn_flush(struct redisconn *rc, char **cause)
{
	ssize_t n;

	while (rc->out_sent < rc->out.len) {
		n = redisconn_io(rc, 1, rc->out.data + rc->out_sent, rc->out.len - rc->out_sent);
		if (n <= 0) {
			*cause = xasprintf("redis %s: write: %s", rc->target,
			                   n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		rc->out_sent += (size_t)n;
	}
	buf_reset(&rc->out);
	rc->out_sent = 0;
	return 0;
}

static struct redis_reply *
redisconn_convert(const redisReply *r)
{
	struct redis_reply *out = xcalloc(1, sizeof *out);
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
		out->type = REDIS_REPLY_T_STRING;
		break;
	case REDIS_REPLY_ARRAY:
		out->type = REDIS_REPLY_T_ARRAY;
		break;
	case REDIS_REPLY_INTEGER:
		out->type = REDIS_REPLY_T_INTEGER;
		break;
	case REDIS_REPLY_STATUS:
		out->type = REDIS_REPLY_T_STATUS;
		break;
	case REDIS_REPLY_ERROR:
		out->type = REDIS_REPLY_T_ERROR;
		break;
	default:
		out->type = REDIS_REPLY_T_NIL;
		break;
	}
	out->integer = r->integer;
	if (r->str != NULL) {
		out->str = xmalloc(r->len + 1);
		memcpy(out->str, r->str, r->len);
		out->str[r->len] = '\0';
		out->len = r->len;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		out->element = xcalloc(r->elements, sizeof *out->element);
		out->elements = r->elements;
		for (i = 0; i < r->elements; i++)
			out->element[i] = redisconn_convert(r->element[i]);
	}
	return out;
}

/* Feeds the reader until it holds a reply, which the caller frees. */
static int
redisconn_next(struct redisconn *rc, redisReply **reply, char **cause)
{
	char chunk[65536];
	void *r = NULL;
	ssize_t n;

	for (;;) {
		if (redisReaderGetReply(rc->reader, &r) != REDIS_OK) {
			*cause = xasprintf("redis %s: protocol error: %s", rc->target,
			                   rc->reader->errstr);
			return -1;
		}
		if (r != NULL) {
			*reply = r;
			return 0;
		}
		n = redisconn_io(rc, 0, chunk, sizeof chunk);
		if (n <= 0) {
			*cause = xasprintf("redis %s: read: %s", rc->target,
			                   n == 0 ? "connection closed" : strerror(errno));
			return -1;
		}
		if (redisReaderFeed(rc->reader, chunk, (size_t)n) != REDIS_OK) {
			*cause = xasprintf("redis %s: protocol error: %s", rc->target,
			                   rc->reader->errstr);
			return -1;
		}
	}
}

/*
 * Errors that say "not now" rather than "never": the server is loading its
 * dataset, busy with a script, or between roles. The command did not run.
 */
static int
redisconn_transient(const char *msg, size_t len)
{
	static const char *const words[] = { "LOADING ", "BUSY ", "TRYAGAIN ", "MASTERDOWN ",
		                             "CLUSTERDOWN " };
	size_t i, n;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		n = strlen(words[i]);
		if (len >= n && memcmp(msg, words[i], n) == 0)
			return 1;
	}
	return 0;
}

int
redisconn_drain(struct redisconn *rc, size_t n, size_t *errors, char **first_error, char **cause)
{
	char *transient = NULL;
	redisReply *r;

	while (n-- > 0) {
		if (redisconn_next(rc, &r, cause) != 0) {
			free(transient);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR && redisconn_transient(r->str, r->len)) {
			if (transient == NULL)
				transient = xstrndup(r->str, r->len);
		} else if (r->type == REDIS_REPLY_ERROR) {
			(*errors)++;
			if (*first_error == NULL)
				*first_error = xstrndup(r->str, r->len);
		}
		freeReplyObject(r);
	}
	if (transient != NULL) {
		*cause = xasprintf("redis %s: %s", rc->target, transient);
		free(transient);
		return -1;
	}
	return 0;
}

int
redisconn_read(struct redisconn *rc, struct redis_reply **reply, char **cause)
{
	redisReply *r;

	*reply = NULL;
	if (redisconn_next(rc, &r, cause) != 0)
		return -1;
	*reply = redisconn_convert(r);
	freeReplyObject(r);
	return 0;
}

struct redis_reply *
redisconn_command(struct redisconn *rc, char **cause, int argc, const char *const *argv)
{
	struct redis_reply *r;

	redisconn_append(rc, argc, argv, NULL);
	if (redisconn_flush(rc, cause) != 0 || redisconn_read(rc, &r, cause) != 0)
		return NULL;
	return r;
}

struct redis_reply *
redisconn_call(struct redisconn *rc, char **cause, int argc, const char *const *argv)
{
	struct redis_reply *r;

	if ((r = redisconn_command(rc, cause, argc, argv)) == NULL)
		return NULL;
	if (r->type == REDIS_REPLY_T_ERROR) {
		*cause = xasprintf("redis %s: %s: %s", rc->target, argv[0], r->str);
		redis_reply_free(r);
		return NULL;
	}
	return r;
}

int
redisconn_is_loading(const char *cause)
{
	return cause != NULL && strstr(cause, "LOADING") != NULL;
}

void
redisconn_parse_info(const char *text, size_t len, struct redis_info *info)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "keyspace_hits", offsetof(struct redis_info, keyspace_hits) },
		{ "keyspace_misses", offsetof(struct redis_info, keyspace_misses) },
		{ "evicted_keys", offsetof(struct redis_info, evicted_keys) },
		{ "used_memory", offsetof(struct redis_info, used_memory) },
		{ "maxmemory", offsetof(struct redis_info, maxmemory) },
		{ "connected_clients", offsetof(struct redis_info, connected_clients) },
	};
	const char *p = text, *end = text + len, *nl, *colon;
	size_t i, namelen, vlen;

	memset(info, 0, sizeof *info);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			continue;
		namelen = (size_t)(colon - p);
		vlen = (size_t)(nl - colon - 1);
		if (vlen > 0 && colon[vlen] == '\r')
			vlen--;
		if (namelen == 6 && memcmp(p, "run_id", 6) == 0 && vlen < sizeof info->run_id) {
			memcpy(info->run_id, colon + 1, vlen);
			info->run_id[vlen] = '\0';
		} else if (namelen == 7 && memcmp(p, "loading", 7) == 0)
			info->loading = vlen > 0 && colon[1] == '1';
		for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strlen(fields[i].name) == namelen &&
			    memcmp(p, fields[i].name, namelen) == 0)
				*(long long *)(void *)((char *)info + fields[i].off) =
				        strtoll(colon + 1, NULL, 10);
	}
}

int
redisconn_info(struct redisconn *rc, struct redis_info *info, char **cause)
{
	static const char *const argv[] = { "INFO" };
	struct redis_reply *r;

	if ((r = redisconn_call(rc, cause, 1, argv)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_T_STRING) {
		*cause = xasprintf("redis %s: INFO: not a bulk string", rc->target);
		redis_reply_free(r);
		return -1;
	}
	redisconn_parse_info(r->str, r->len, info);
	redis_reply_free(r);
	return 0;
}

void
redis_reply_free(struct redis_reply *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->elements; i++)
		redis_reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}
