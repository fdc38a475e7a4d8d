/*
 * http: one blocking HTTP(S) request at a time, over libcurl (this module
 * alone includes it, and loads it with dlopen on first use). Used for SNS
 * and for EC2 instance metadata; it blocks for up to the request's
 * timeouts, so an event loop calls it from a worker thread.
 *
 * The agent (`run`) calls http_use_helper at start: each request then runs
 * in a short-lived child, `cachewarden http-helper` (one per request, or one
 * per session), so libcurl and the thirty libraries it maps never enter the
 * long-running process. One-shot commands run requests in their own process.
 *
 * TLS peers are always verified (system CA store, host name). Redirects are
 * never followed and only http and https are spoken. Request fields are
 * borrowed for the call; the response belongs to the caller, who releases it
 * with http_response_free.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Larger answers are an error: SNS and metadata answers are a few KiB. */
#define HTTP_MAX_RESPONSE (1024 * 1024)

struct http_header {
	const char *name;
	const char *value; /* no CR or LF */
};

struct http_request {
	const char *method; /* "GET", "PUT", "POST" */
	const char *url;
	const struct http_header *headers;
	size_t nheaders;
	const void *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	long connect_timeout_ms;
	long timeout_ms; /* the whole exchange */
	int no_proxy;    /* ignore http_proxy and friends (instance metadata is link-local) */
};

struct http_response {
	long status;
	struct buf body;
	time_t date; /* the Date header, or 0 without one */
};

/*
 * Sends req and fills resp (any status counts as an answer). Returns 0, or
 * -1 and a cause when there was no HTTP answer (name resolution, connection,
 * TLS, timeout, an oversized answer). The cause names the method and URL, so
 * URLs must not carry secrets.
 */
int http_request(const struct http_request *req, struct http_response *resp, char **cause);
void http_response_free(struct http_response *resp);

/* The internal command that main() hands to http_helper_main; not for people. */
#define HTTP_HELPER_COMMAND "http-helper"

/*
 * From now on, run requests in PATH HTTP_HELPER_COMMAND (the agent passes
 * /proc/self/exe: after a package upgrade that is still its own version).
 * Call before starting threads.
 */
void http_use_helper(const char *path);
/*
 * Between these, the calling thread's requests share one helper, or without
 * http_use_helper one curl handle in this process, and so their connections:
 * one TLS handshake for a pass over a backlog or the pages of a listing, not
 * one per request. They nest; both end with the outermost end, and a helper
 * also when a request through it fails.
 */
void http_session_begin(void);
void http_session_end(void);
/*
 * The helper's side: requests from stdin, each answer (or the cause of its
 * failure) to stdout, until stdin ends. Returns the exit code: 0 when stdin
 * ended between requests, even if some answers said a request failed.
 */
int http_helper_main(void);

#endif
