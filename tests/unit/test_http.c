/*
 * Unit tests for http against a one-thread server on 127.0.0.1 in this
 * process: statuses and bodies, the Date header, what a PUT and a POST send,
 * redirects not followed, oversized answers, timeouts, and headers refused
 * before anything is sent. Each runs twice: in this process, and through
 * the agent's helper child (the built cachewarden, CW_TEST_BINARY), which
 * must give the same answers and causes; then what the helper's own
 * failures look like, and a session's helper kept from request to request.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "http.h"
#include "xmalloc.h"

struct server {
	int fd;
	int port;
	const char *answer; /* the raw HTTP answer, or NULL for a huge body */
	int delay_ms;       /* before answering */
	int requests;       /* answered on the one connection it accepts (1, or more: keep-alive) */
	int served;         /* how many it answered */
	struct buf request; /* what the client sent last */
	pthread_t thread;
};

/* Reads the head and a Content-Length body: enough for what http sends. */
static void
server_read(int c, struct buf *req)
{
	char chunk[4096], *head_end, *cl;
	size_t want = 0;
	ssize_t n;

	while ((n = read(c, chunk, sizeof chunk)) > 0) {
		buf_add(req, chunk, (size_t)n);
		if ((head_end = strstr(req->data, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(req->data, "\r\nContent-Length:");
		want = (size_t)(head_end + 4 - req->data) +
		       (cl != NULL && cl < head_end ? strtoul(cl + 17, NULL, 10) : 0);
		if (req->len >= want)
			break;
	}
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	struct buf big = BUF_INIT;
	int c;

	if ((c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	/* Keep-alive: the answers before the last one leave the connection open. */
	for (; s->served + 1 < s->requests; s->served++) {
		server_read(c, &s->request);
		if (s->request.len == 0)
			break;
		(void)!send(c, s->answer, strlen(s->answer), MSG_NOSIGNAL);
		buf_reset(&s->request);
	}
	server_read(c, &s->request);
	s->served++;
	if (s->delay_ms > 0)
		usleep((useconds_t)s->delay_ms * 1000);
	if (s->answer == NULL) {
		buf_printf(&big, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
		           HTTP_MAX_RESPONSE + 1);
		buf_reserve(&big, HTTP_MAX_RESPONSE + 1);
		memset(big.data + big.len, 'x', HTTP_MAX_RESPONSE + 1);
		big.len += HTTP_MAX_RESPONSE + 1;
		(void)!send(c, big.data, big.len, MSG_NOSIGNAL);
		buf_free(&big);
	} else
		(void)!send(c, s->answer, strlen(s->answer),
		            MSG_NOSIGNAL); /* the client may be gone */
	close(c);
	return NULL;
}

static void
server_open(struct server *s, const char *answer, int delay_ms)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	memset(s, 0, sizeof *s);
	s->answer = answer;
	s->delay_ms = delay_ms;
	s->requests = 1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
}

static void
server_run(struct server *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void
server_start(struct server *s, const char *answer, int delay_ms)
{
	server_open(s, answer, delay_ms);
	server_run(s);
}

/* A server that answers requests on the one connection it accepts. */
static void
server_start_keep(struct server *s, const char *answer, int requests)
{
	server_open(s, answer, 0);
	s->requests = requests;
	server_run(s);
}

static void
server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
	buf_free(&s->request);
}

static int
run(struct server *s, const char *method, const struct http_header *h, size_t nh, const char *body,
    long timeout_ms, struct http_response *resp, char **cause)
{
	char url[64];
	struct http_request req = { method, url,        h, nh, body, body ? strlen(body) : 0,
		                    1000,   timeout_ms, 1 };

	snprintf(url, sizeof url, "http://127.0.0.1:%d/p?q=1", s->port);
	return http_request(&req, resp, cause);
}

static void
test_answer_and_date(void **state)
{
	struct http_response resp;
	struct server s;
	char *cause = NULL;

	(void)state;
	server_start(&s,
	             "HTTP/1.1 503 Service Unavailable\r\n"
	             "Date: Sun, 30 Aug 2015 12:36:00 GMT\r\nContent-Length: 5\r\n\r\nbusy!",
	             0);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), 0);
	assert_int_equal(resp.status, 503); /* any status is an answer */
	assert_int_equal(resp.date, 1440938160);
	assert_string_equal(resp.body.data, "busy!");
	http_response_free(&resp);
	assert_non_null(strstr(s.request.data, "GET /p?q=1 HTTP/1.1\r\n"));
	server_stop(&s);
}

static void
test_post_and_put(void **state)
{
	const struct http_header h[] = { { "Content-Type", "application/x-www-form-urlencoded" },
		                         { "X-Amz-Date", "20150830T123600Z" } };
	const struct http_header ttl = { "X-aws-ec2-metadata-token-ttl-seconds", "21600" };
	struct http_response resp;
	struct server s;
	char *cause = NULL;

	(void)state;
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0);
	assert_int_equal(run(&s, "POST", h, 2, "a=1&b=2", 5000, &resp, &cause), 0);
	http_response_free(&resp);
	assert_non_null(strstr(s.request.data, "POST /p?q=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request.data, "\r\nX-Amz-Date: 20150830T123600Z\r\n"));
	assert_non_null(strstr(s.request.data, "\r\nContent-Length: 7\r\n"));
	assert_null(strstr(s.request.data, "Expect:"));
	assert_int_equal(strcmp(s.request.data + s.request.len - 7, "a=1&b=2"), 0);
	server_stop(&s);
	/* A PUT without a body: Content-Length 0, and no Content-Type made up by curl. */
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntok", 0);
	assert_int_equal(run(&s, "PUT", &ttl, 1, NULL, 5000, &resp, &cause), 0);
	assert_string_equal(resp.body.data, "tok");
	http_response_free(&resp);
	assert_non_null(strstr(s.request.data, "PUT /p?q=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request.data, "\r\nContent-Length: 0\r\n"));
	assert_null(strcasestr(s.request.data, "Content-Type"));
	server_stop(&s);
}

static void
test_redirect_not_followed(void **state)
{
	struct http_response resp;
	struct server s;
	char *cause = NULL;

	(void)state;
	server_start(&s,
	             "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
	             "Content-Length: 0\r\n\r\n",
	             0);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), 0);
	assert_int_equal(resp.status, 302);
	http_response_free(&resp);
	server_stop(&s);
}

static void
test_failures(void **state)
{
	const struct http_header bad = { "X-Evil", "a\r\nAuthorization: x" };
	struct http_response resp;
	struct server s;
	char *cause = NULL;

	(void)state;
	server_start(&s, NULL, 0);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), -1);
	assert_non_null(strstr(cause, "answer larger than"));
	free(cause);
	server_stop(&s);
	server_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1500);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 300, &resp, &cause), -1);
	assert_non_null(strstr(cause, "GET http://127.0.0.1:"));
	free(cause);
	server_stop(&s);
	/* Refused before any connection: s.port is whatever, nothing listens. */
	s.port = 1;
	assert_int_equal(run(&s, "GET", &bad, 1, NULL, 5000, &resp, &cause), -1);
	assert_non_null(strstr(cause, "header X-Evil has a line break"));
	free(cause);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), -1);
	assert_non_null(strstr(cause, "GET http://127.0.0.1:1/p?q=1: "));
	free(cause);
}

static int
helper_on(void **state)
{
	(void)state;
	http_use_helper(CW_TEST_BINARY);
	return 0;
}

static int
helper_off(void **state)
{
	(void)state;
	http_use_helper(NULL);
	return 0;
}

/* A helper that cannot start, answers nothing, fails, or is not ours: a cause, never a crash. */
static void
test_helper_failures(void **state)
{
	static const struct {
		const char *path, *cause;
	} cases[] = {
		{ "/nonexistent/cachewarden",
		  "cannot start the HTTP helper /nonexistent/cachewarden" },
		{ "/bin/true", "the HTTP helper ended without an answer" },
		{ "/bin/false", "the HTTP helper exited 1" },
	};
	struct http_response resp;
	struct server s;
	char *cause = NULL;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof s);
	s.port = 1;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		http_use_helper(cases[i].path);
		assert_int_equal(run(&s, "POST", NULL, 0, "a=1", 5000, &resp, &cause), -1);
		assert_non_null(strstr(cause, "POST http://127.0.0.1:1/p?q=1: "));
		if (strstr(cause, cases[i].cause) == NULL)
			fail_msg("%s: %s", cases[i].path, cause);
		assert_int_equal(resp.status, 0);
		free(cause);
		cause = NULL;
	}
	http_use_helper(NULL);
}

/* The PIDs of this thread's children, as the kernel lists them; returns how many. */
static size_t
children(pid_t *pids, size_t max)
{
	char path[64];
	size_t n = 0;
	long pid;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)syscall(SYS_gettid));
	assert_non_null(f = fopen(path, "r"));
	while (fscanf(f, "%ld", &pid) == 1)
		if (n < max)
			pids[n++] = (pid_t)pid;
	fclose(f);
	return n;
}

/*
 * A session keeps one helper, and the helper one connection (the server
 * accepts only one); its end ends the helper. A helper that dies fails the
 * request it had, and the session's next request starts another.
 */
static void
test_session(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct http_response resp;
	struct server s;
	char *cause = NULL;
	pid_t pids[4];

	(void)state;
	server_start_keep(&s, ok, 3);
	http_session_begin();
	http_session_begin(); /* sessions nest */
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), 0);
	http_response_free(&resp);
	http_session_end();
	assert_int_equal(children(pids, 4), 1); /* still in the outer session */
	assert_int_equal(run(&s, "POST", NULL, 0, "a=1", 5000, &resp, &cause), 0);
	http_response_free(&resp);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), 0);
	assert_string_equal(resp.body.data, "ok");
	http_response_free(&resp);
	assert_int_equal(children(pids, 4), 1);
	server_stop(&s);
	assert_int_equal(s.served, 3);

	kill(pids[0], SIGKILL);
	server_start(&s, ok, 0);
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), -1);
	assert_non_null(strstr(cause, "GET http://127.0.0.1:"));
	free(cause);
	cause = NULL;
	assert_int_equal(children(pids, 4), 0); /* reaped */
	assert_int_equal(run(&s, "GET", NULL, 0, NULL, 5000, &resp, &cause), 0);
	http_response_free(&resp);
	server_stop(&s);
	assert_int_equal(children(pids, 4), 1);
	http_session_end();
	assert_int_equal(children(pids, 4), 0);
	http_session_end(); /* one too many: nothing to end */
}

#define BOTH(t) cmocka_unit_test(t), cmocka_unit_test_setup_teardown(t, helper_on, helper_off)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_answer_and_date),
		BOTH(test_post_and_put),
		BOTH(test_redirect_not_followed),
		BOTH(test_failures),
		cmocka_unit_test(test_helper_failures),
		cmocka_unit_test_setup_teardown(test_session, helper_on, helper_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
