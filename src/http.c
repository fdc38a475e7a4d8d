/* http: blocking HTTP(S) requests over libcurl (see http.h). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "clocks.h"
#include "exitcode.h"
#include "fileio.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

/* ---- libcurl, loaded on first use ------------------------------------------------ */

/*
 * libcurl is opened with dlopen rather than linked: on Debian it maps some
 * thirty libraries (GnuTLS through librtmp, Kerberos, LDAP, ssh2), about
 * 4 MiB of resident memory in every process that links it. The agent keeps
 * it out of its own process altogether (http_use_helper).
 */
#define HTTP_LIBCURL "libcurl.so.4"

static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
} cf;

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static char *http_load_error; /* set once when libcurl could not be loaded */

#define HTTP_SYM(field, name)                                                                      \
	{                                                                                          \
		(void **)&cf.field, name                                                           \
	}

static void
http_load(void)
{
	static const struct {
		void **slot;
		const char *name;
	} syms[] = {
		HTTP_SYM(global_init, "curl_global_init"),
		HTTP_SYM(easy_init, "curl_easy_init"),
		HTTP_SYM(easy_setopt, "curl_easy_setopt"),
		HTTP_SYM(easy_perform, "curl_easy_perform"),
		HTTP_SYM(easy_getinfo, "curl_easy_getinfo"),
		HTTP_SYM(easy_cleanup, "curl_easy_cleanup"),
		HTTP_SYM(easy_reset, "curl_easy_reset"),
		HTTP_SYM(easy_strerror, "curl_easy_strerror"),
		HTTP_SYM(slist_append, "curl_slist_append"),
		HTTP_SYM(slist_free_all, "curl_slist_free_all"),
		HTTP_SYM(getdate, "curl_getdate"),
	};
	void *lib;
	size_t i;

	if ((lib = dlopen(HTTP_LIBCURL, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		http_load_error = xasprintf("cannot load %s: %s", HTTP_LIBCURL, dlerror());
		return;
	}
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		/* POSIX: a function pointer may be stored through a void * from dlsym. */
		if ((*syms[i].slot = dlsym(lib, syms[i].name)) == NULL) {
			http_load_error = xasprintf("%s has no %s", HTTP_LIBCURL, syms[i].name);
			return;
		}
	}
	/* curl_global_init is not thread-safe in older libcurls: run it exactly once. */
	if (cf.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		http_load_error = xstrdup("curl_global_init failed");
	/* Never dlclose'd: libcurl keeps global state for the life of the process. */
}

/* ---- one request in this process ------------------------------------------------ */

static size_t
http_body_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *resp = arg;
	size_t len = size * nmemb;

	/* Returning less than len makes curl fail with CURLE_WRITE_ERROR. */
	if (resp->body.len + len > HTTP_MAX_RESPONSE)
		return 0;
	buf_add(&resp->body, data, len);
	return len;
}

/* Keeps the Date header: SNS's clock, for re-signing after RequestTimeTooSkewed. */
static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *resp = arg;
	size_t len = size * nmemb;
	char *value;
	time_t t;

	if (len > 5 && len < 256 && strncasecmp(data, "date:", 5) == 0) {
		value = xstrndup(data + 5, len - 5);
		value[strcspn(value, "\r\n")] = '\0';
		if ((t = cf.getdate(value, NULL)) > 0)
			resp->date = t;
		free(value);
	}
	return len;
}

/* Headers hold the Authorization, session and metadata tokens: wiped, then freed. */
static void
http_headers_free(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h != NULL; h = h->next)
		if (h->data != NULL)
			explicit_bzero(h->data, strlen(h->data));
	cf.slist_free_all(headers);
}

static struct curl_slist *
http_slist_add(struct curl_slist *l, const char *line)
{
	struct curl_slist *n;

	if ((n = cf.slist_append(l, line)) == NULL)
		fatal("http: out of memory");
	return n;
}

static int
http_headers(const struct http_request *req, struct curl_slist **list, char **cause)
{
	struct curl_slist *l = NULL;
	char *line;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strpbrk(req->headers[i].name, "\r\n:") != NULL ||
		    strpbrk(req->headers[i].value, "\r\n") != NULL) {
			*cause = xasprintf("%s %s: header %s has a line break", req->method,
			                   req->url, req->headers[i].name);
			http_headers_free(l);
			return -1;
		}
		line = xasprintf("%s: %s", req->headers[i].name, req->headers[i].value);
		l = http_slist_add(l, line);
		explicit_bzero(line, strlen(line));
		free(line);
	}
	/*
	 * No "Expect: 100-continue" round trip; and no Content-Type unless the
	 * caller gave one (curl would add a form type to every body).
	 */
	l = http_slist_add(l, "Expect:");
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "Content-Type") == 0)
			break;
	}
	if (i == req->nheaders)
		l = http_slist_add(l, "Content-Type:");
	*list = l;
	return 0;
}

static void
http_setopts(CURL *c, const struct http_request *req, struct http_response *resp,
             struct curl_slist *headers, char *errbuf)
{
	cf.easy_setopt(c, CURLOPT_URL, req->url);
	cf.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	cf.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cf.easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	cf.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	cf.easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	cf.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cf.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cf.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/* The packages require at least the libcurl built against (packaging/). */
#if LIBCURL_VERSION_NUM >= 0x075500
	cf.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	cf.easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	cf.easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	if (req->no_proxy)
		cf.easy_setopt(c, CURLOPT_PROXY, "");
	cf.easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_cb);
	cf.easy_setopt(c, CURLOPT_WRITEDATA, resp);
	cf.easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	cf.easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (strcmp(req->method, "GET") != 0) {
		/* POSTFIELDS sends the body (also an empty one); CUSTOMREQUEST renames POST. */
		cf.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		cf.easy_setopt(c, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
		if (strcmp(req->method, "POST") != 0)
			cf.easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

/*
 * A session (http_session_begin) keeps one easy handle from request to
 * request: reset, it keeps its connections, so the session's requests to one
 * endpoint share one TLS connection. The helper process serves its whole
 * life as one session. Outside a session each request has a handle of its own.
 */
static _Thread_local int http_session_depth;
static _Thread_local CURL *http_session_handle;

static int
http_request_here(const struct http_request *req, struct http_response *resp, char **cause)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	CURLcode rc;
	CURL *c = NULL;

	pthread_once(&http_once, http_load);
	if (http_load_error != NULL) {
		*cause = xasprintf("%s %s: %s", req->method, req->url, http_load_error);
		return -1;
	}
	if (http_headers(req, &headers, cause) != 0)
		return -1;
	if (http_session_depth > 0 && http_session_handle != NULL) {
		c = http_session_handle;
		cf.easy_reset(c);
	}
	if (c == NULL && (c = cf.easy_init()) == NULL)
		fatal("http: curl_easy_init failed");
	errbuf[0] = '\0';
	http_setopts(c, req, resp, headers, errbuf);
	rc = cf.easy_perform(c);
	if (rc == CURLE_OK)
		cf.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (http_session_depth > 0)
		http_session_handle = c;
	else
		cf.easy_cleanup(c);
	http_headers_free(headers);
	if (rc == CURLE_WRITE_ERROR) { /* only http_body_cb fails writes */
		*cause = xasprintf("%s %s: answer larger than %d bytes", req->method, req->url,
		                   HTTP_MAX_RESPONSE);
	} else if (rc != CURLE_OK) {
		*cause = xasprintf("%s %s: %s", req->method, req->url,
		                   errbuf[0] != '\0' ? errbuf : cf.easy_strerror(rc));
	}
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- the same request in a helper process --------------------------------------- */

/*
 * The agent runs its requests in `cachewarden http-helper`, a child started
 * for one request, or for a session (a delivery pass): libcurl and what it
 * loads live and die there, and the agent stays small while idle. Requests
 * and answers travel over a socket pair as frames (a 32-bit length, then
 * the message) in a private format: both ends are the same executable
 * (/proc/self/exe), so integers go in host order. Strings carry their NUL.
 * The helper serves frames until the socket's end, then exits 0.
 */
#define HTTP_MAGIC_REQUEST 0x31485743u /* "CWH1" */
#define HTTP_MAGIC_ANSWER  0x31415743u /* "CWA1" */
/* An SNS message is at most 256 KiB; its signed, form-encoded body is larger. */
#define HTTP_HELPER_MAX_REQUEST (8 * 1024 * 1024)
#define HTTP_HELPER_MAX_ANSWER  (HTTP_MAX_RESPONSE + 64 * 1024)
/* Beyond the request's own timeout: starting the helper and loading libcurl. */
#define HTTP_HELPER_SLACK_MS 5000

static const char *http_helper_path; /* NULL: requests run in this process */

void
http_use_helper(const char *path)
{
	http_helper_path = path;
}

static void
http_put_u32(struct buf *b, uint32_t v)
{
	buf_add(b, &v, sizeof v);
}

static void
http_put_i64(struct buf *b, int64_t v)
{
	buf_add(b, &v, sizeof v);
}

static void
http_put_bytes(struct buf *b, const void *p, size_t len)
{
	http_put_u32(b, (uint32_t)len);
	buf_add(b, p, len);
}

static void
http_put_str(struct buf *b, const char *s)
{
	http_put_bytes(b, s, strlen(s) + 1);
}

struct http_reader {
	const char *p;
	size_t left;
	int bad;
};

static const void *
http_take(struct http_reader *r, size_t len)
{
	const void *p = r->p;

	if (r->bad || len > r->left) {
		r->bad = 1;
		return NULL;
	}
	r->p += len;
	r->left -= len;
	return p;
}

static uint32_t
http_get_u32(struct http_reader *r)
{
	const void *p = http_take(r, sizeof(uint32_t));
	uint32_t v = 0;

	if (p != NULL)
		memcpy(&v, p, sizeof v);
	return v;
}

static int64_t
http_get_i64(struct http_reader *r)
{
	const void *p = http_take(r, sizeof(int64_t));
	int64_t v = 0;

	if (p != NULL)
		memcpy(&v, p, sizeof v);
	return v;
}

static const char *
http_get_bytes(struct http_reader *r, size_t *len)
{
	*len = http_get_u32(r);
	return http_take(r, *len);
}

/* A string sent by http_put_str: NUL-terminated, with no NUL inside. */
static const char *
http_get_str(struct http_reader *r)
{
	const char *s;
	size_t len;

	if ((s = http_get_bytes(r, &len)) == NULL || len == 0 ||
	    memchr(s, '\0', len) != s + len - 1) {
		r->bad = 1;
		return "";
	}
	return s;
}

static void
http_encode_request(struct buf *b, const struct http_request *req)
{
	size_t i;

	http_put_u32(b, HTTP_MAGIC_REQUEST);
	http_put_str(b, req->method);
	http_put_str(b, req->url);
	http_put_u32(b, (uint32_t)req->nheaders);
	for (i = 0; i < req->nheaders; i++) {
		http_put_str(b, req->headers[i].name);
		http_put_str(b, req->headers[i].value);
	}
	http_put_bytes(b, req->body, req->body_len);
	http_put_i64(b, req->connect_timeout_ms);
	http_put_i64(b, req->timeout_ms);
	http_put_u32(b, (uint32_t)req->no_proxy);
}

/* Fills req with pointers into r's buffer; *headers is the caller's to free. 0 or -1. */
static int
http_decode_request(struct http_reader *r, struct http_request *req, struct http_header **headers)
{
	size_t i, n;

	memset(req, 0, sizeof *req);
	*headers = NULL;
	if (http_get_u32(r) != HTTP_MAGIC_REQUEST)
		return -1;
	req->method = http_get_str(r);
	req->url = http_get_str(r);
	n = http_get_u32(r);
	if (r->bad || n > r->left / 4) /* each header takes at least 4 bytes */
		return -1;
	*headers = xcalloc(n + 1, sizeof **headers);
	for (i = 0; i < n; i++) {
		(*headers)[i].name = http_get_str(r);
		(*headers)[i].value = http_get_str(r);
	}
	req->headers = *headers;
	req->nheaders = n;
	req->body = http_get_bytes(r, &req->body_len);
	req->connect_timeout_ms = (long)http_get_i64(r);
	req->timeout_ms = (long)http_get_i64(r);
	req->no_proxy = http_get_u32(r) != 0;
	return r->bad || r->left != 0 ? -1 : 0;
}

/* Reads len bytes into b, until deadline_ms (0: none); 1 at the end of fd, 0 or -1. */
static int
http_read_exact(int fd, struct buf *b, size_t len, int64_t deadline_ms, char **cause)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t want = b->len + len;
	int64_t now;
	ssize_t n;

	buf_reserve(b, len);
	while (b->len < want) {
		if (deadline_ms > 0) {
			now = (int64_t)(clocks_mono() * 1000);
			if (now >= deadline_ms) {
				*cause = xstrdup("the HTTP helper did not answer in time");
				return -1;
			}
			if (poll(&p, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR) {
				*cause = xasprintf("poll: %s", strerror(errno));
				return -1;
			}
			if (p.revents == 0)
				continue;
		}
		n = read(fd, b->data + b->len, want - b->len);
		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = xasprintf("read: %s", strerror(errno));
			return -1;
		}
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

/*
 * Reads one frame's message into b (emptied first), at most max bytes, until
 * deadline_ms (0: none). 1 when fd ends before a frame begins, 0, or -1.
 */
static int
http_read_frame(int fd, struct buf *b, size_t max, int64_t deadline_ms, char **cause)
{
	uint32_t len;
	int rv;

	buf_reset(b);
	if ((rv = http_read_exact(fd, b, sizeof len, deadline_ms, cause)) != 0)
		return rv;
	memcpy(&len, b->data, sizeof len);
	if (len > max) {
		*cause = xasprintf("a message of %" PRIu32 " bytes (at most %zu)", len, max);
		return -1;
	}
	buf_reset(b);
	if ((rv = http_read_exact(fd, b, len, deadline_ms, cause)) == 1)
		*cause = xstrdup("the message ends early");
	return rv == 0 ? 0 : -1;
}

/* send(2), so that a helper gone early is EPIPE here and not SIGPIPE. */
static int
http_send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One frame: the length of msg, then msg. */
static int
http_send_frame(int fd, const struct buf *msg)
{
	uint32_t len = (uint32_t)msg->len;

	return http_send_all(fd, (const char *)&len, sizeof len) == 0 &&
	                       http_send_all(fd, msg->data, msg->len) == 0
	               ? 0
	               : -1;
}

/* The helper's answer into resp, or its cause. */
static int
http_decode_answer(const struct http_request *req, const struct buf *ans,
                   struct http_response *resp, char **cause)
{
	struct http_reader r = { ans->data, ans->len, 0 };
	const char *body;
	size_t len;
	int ok;

	if (http_get_u32(&r) != HTTP_MAGIC_ANSWER) {
		*cause = xasprintf("%s %s: the HTTP helper's answer is malformed", req->method,
		                   req->url);
		return -1;
	}
	ok = http_get_u32(&r) == 0;
	resp->status = (long)http_get_i64(&r);
	resp->date = (time_t)http_get_i64(&r);
	body = http_get_bytes(&r, &len);
	if (r.bad || r.left != 0 || len > HTTP_MAX_RESPONSE) {
		*cause = xasprintf("%s %s: the HTTP helper's answer is malformed", req->method,
		                   req->url);
		return -1;
	}
	if (!ok) {
		*cause = xstrndup(body, len);
		return -1;
	}
	buf_add(&resp->body, body, len);
	return 0;
}

/* Starts the helper with fd as its stdin and stdout. */
static pid_t
http_spawn(int fd, char **cause)
{
	char *argv[] = { (char *)PACKAGE_NAME, (char *)HTTP_HELPER_COMMAND, NULL };
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, pipe;
	pid_t pid;
	int err;

	/* The caller's thread may block signals, and the agent ignores SIGPIPE. */
	sigemptyset(&none);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &pipe);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
	err = posix_spawn(&pid, http_helper_path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err != 0) {
		*cause = xasprintf("cannot start the HTTP helper %s: %s", http_helper_path,
		                   strerror(err));
		return -1;
	}
	return pid;
}

/*
 * Waits for the helper (killed first when kill_it); *clean says it exited 0.
 * NULL when it exited 0 or died of our kill, else what became of it.
 */
static char *
http_reap(pid_t pid, int kill_it, int *clean)
{
	int status;

	*clean = 0;
	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return xasprintf("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*clean = 1;
		return NULL;
	}
	if (WIFSIGNALED(status))
		return kill_it ? NULL
		               : xasprintf("the HTTP helper died of signal %d", WTERMSIG(status));
	return xasprintf("the HTTP helper exited %d", WEXITSTATUS(status));
}

/* A running helper: its process and our end of the socket pair. */
struct http_helper {
	pid_t pid; /* 0: none */
	int fd;
};

/*
 * The calling thread's session (http_session_begin): its requests share the
 * helper kept here, which lives until the session ends or a request fails.
 */
static _Thread_local struct http_helper http_kept;

static int
http_helper_start(struct http_helper *h, char **cause)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		*cause = xasprintf("socketpair: %s", strerror(errno));
		return -1;
	}
	h->pid = http_spawn(sv[1], cause);
	close(sv[1]);
	if (h->pid < 0) {
		h->pid = 0;
		close(sv[0]);
		return -1;
	}
	h->fd = sv[0];
	return 0;
}

/*
 * Ends a helper: closing the socket ends its loop; a failed one is killed.
 * Returns what went wrong, if anything, given why the exchange failed (why,
 * taken; NULL when it did not).
 */
static char *
http_helper_stop(struct http_helper *h, char *why)
{
	char *fate;
	int clean;

	close(h->fd);
	h->fd = -1;
	fate = http_reap(h->pid, why != NULL, &clean);
	h->pid = 0;
	/* What became of the helper says more than a broken pipe. */
	if (fate != NULL) {
		free(why);
		return fate;
	}
	if (why != NULL && clean) {
		fate = xasprintf("the HTTP helper ended without an answer (%s)", why);
		free(why);
		return fate;
	}
	return why;
}

/* Sends req to the helper and reads its answer; NULL, or why not. */
static char *
http_helper_exchange(struct http_helper *h, const struct http_request *req, struct buf *ans)
{
	struct buf msg = BUF_INIT_SECRET;
	struct timeval tv;
	char *why = NULL;
	int64_t deadline;

	http_encode_request(&msg, req);
	deadline = (int64_t)(clocks_mono() * 1000) + req->timeout_ms + HTTP_HELPER_SLACK_MS;
	/* A helper that never reads must not hold this thread on a full socket either. */
	tv.tv_sec = (req->timeout_ms + HTTP_HELPER_SLACK_MS) / 1000;
	tv.tv_usec = (req->timeout_ms + HTTP_HELPER_SLACK_MS) % 1000 * 1000;
	setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (http_send_frame(h->fd, &msg) != 0)
		why = xasprintf("writing to the HTTP helper: %s", strerror(errno));
	else if (http_read_frame(h->fd, ans, HTTP_HELPER_MAX_ANSWER, deadline, &why) == 1)
		why = xstrdup("it closed the connection without an answer");
	buf_free(&msg);
	return why;
}

static int
http_request_helper(const struct http_request *req, struct http_response *resp, char **cause)
{
	struct http_helper one = { 0, -1 }, *h = http_session_depth > 0 ? &http_kept : &one;
	struct buf ans = BUF_INIT_SECRET;
	char *why = NULL;

	if (h->pid == 0 && http_helper_start(h, &why) != 0) {
		*cause = xasprintf("%s %s: %s", req->method, req->url, why);
		free(why);
		return -1;
	}
	why = http_helper_exchange(h, req, &ans);
	/* A failed helper is not trusted with the next request; one-shot helpers end here. */
	if (why != NULL || h == &one)
		why = http_helper_stop(h, why);
	if (why == NULL && http_decode_answer(req, &ans, resp, cause) == 0) {
		buf_free(&ans);
		return 0;
	}
	if (why != NULL) {
		*cause = xasprintf("%s %s: %s", req->method, req->url, why);
		free(why);
	}
	buf_free(&ans);
	return -1;
}

void
http_session_begin(void)
{
	http_session_depth++;
}

void
http_session_end(void)
{
	char *why;

	if (http_session_depth == 0 || --http_session_depth > 0)
		return;
	if (http_session_handle != NULL) {
		cf.easy_cleanup(http_session_handle);
		http_session_handle = NULL;
	}
	if (http_kept.pid == 0)
		return;
	if ((why = http_helper_stop(&http_kept, NULL)) != NULL) {
		log_warn("http: at the end of a session: %s", why);
		free(why);
	}
}

/* Closes every descriptor the helper inherited beyond its socket (stdin, stdout) and stderr. */
static void
http_close_inherited(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	/* close_range may be filtered (seccomp answers EPERM): then one by one. */
	if (close_range(3, ~0U, 0) == 0)
		return;
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
}

/* The helper answers one request: its answer, or the cause of its failure. */
static void
http_helper_answer(const struct http_request *req, struct buf *ans)
{
	struct http_response resp;
	char *cause = NULL;

	http_put_u32(ans, HTTP_MAGIC_ANSWER);
	if (http_request(req, &resp, &cause) == 0) {
		http_put_u32(ans, 0);
		http_put_i64(ans, resp.status);
		http_put_i64(ans, (int64_t)resp.date);
		http_put_bytes(ans, resp.body.data, resp.body.len);
		http_response_free(&resp);
	} else {
		http_put_u32(ans, 1);
		http_put_i64(ans, 0);
		http_put_i64(ans, 0);
		http_put_bytes(ans, cause, strlen(cause));
		free(cause);
	}
}

int
http_helper_main(void)
{
	struct buf msg = BUF_INIT_SECRET, ans = BUF_INIT_SECRET;
	struct http_header *headers = NULL;
	struct http_request req;
	struct http_reader r;
	char *cause = NULL;
	int rv, code = CW_EXIT_OK;

	/* It holds the same secrets as the agent: no core, no ptrace by others. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	http_close_inherited();
	http_session_begin();
	while ((rv = http_read_frame(STDIN_FILENO, &msg, HTTP_HELPER_MAX_REQUEST, 0, &cause)) ==
	       0) {
		r = (struct http_reader){ msg.data, msg.len, 0 };
		if (http_decode_request(&r, &req, &headers) != 0) {
			log_error("http-helper: the request is malformed");
			code = CW_EXIT_PROTOCOL;
			break;
		}
		buf_reset(&ans);
		http_helper_answer(&req, &ans);
		free(headers);
		headers = NULL;
		if (http_send_frame(STDOUT_FILENO, &ans) != 0) {
			code = CW_EXIT_IOERR; /* the agent gave up on this answer */
			break;
		}
	}
	if (rv < 0) {
		log_error("http-helper: request: %s", cause);
		free(cause);
		code = CW_EXIT_IOERR;
	}
	http_session_end();
	free(headers);
	buf_free(&msg);
	buf_free(&ans);
	return code;
}

/* ---- the interface ---------------------------------------------------------------- */

int
http_request(const struct http_request *req, struct http_response *resp, char **cause)
{
	int rv;

	memset(resp, 0, sizeof *resp);
	/* Answers may carry tokens and credentials (instance metadata): wiped when freed. */
	buf_init_secret(&resp->body);
	rv = http_helper_path != NULL ? http_request_helper(req, resp, cause)
	                              : http_request_here(req, resp, cause);
	if (rv != 0)
		http_response_free(resp);
	return rv;
}

void
http_response_free(struct http_response *resp)
{
	buf_free(&resp->body);
	resp->status = 0;
	resp->date = 0;
}
