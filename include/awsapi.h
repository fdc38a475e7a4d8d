/*
 * awsapi: one signed call to an AWS API (RDS, ElastiCache, AWS Backup, ...)
 * over http.h, signed with sigv4.h, with credentials from creds.h.
 *
 * awsapi_call retries throttling, 5xx and network failures with capped
 * exponential backoff and full jitter (AWSAPI_ATTEMPTS in all), fetches new
 * credentials once when the server calls them expired, signs once more with
 * the server's clock when it calls ours skewed, and turns every
 * other error answer into a cause with the error code and message. A
 * permission error names the IAM action that is missing. The answer body is
 * returned as is; reading it (xmlq.h, jval.h) is the caller's business.
 *
 * A client belongs to one thread at a time and blocks for up to its HTTP
 * timeouts per attempt. Strings passed in are copied or borrowed for the call.
 */
#ifndef CW_AWSAPI_H
#define CW_AWSAPI_H

#include <stddef.h>

#include "buf.h"

#define AWSAPI_ATTEMPTS 5
/* Bytes of an unreadable answer quoted in a cause. */
#define AWSAPI_SNIPPET 64

enum awsapi_class {
	AWSAPI_OK,
	AWSAPI_RETRY,   /* throttling, 5xx, network: again after a backoff */
	AWSAPI_EXPIRED, /* the credentials expired: fetch new ones */
	AWSAPI_SKEW,    /* our clock is off: sign with the server's Date */
	AWSAPI_DENIED,  /* not authorized: the IAM action is missing */
	AWSAPI_AUTH,    /* the credentials or the signature were refused */
	AWSAPI_FAIL     /* any other refusal: not retried */
};

/*
 * What an AWS error code says, whatever the service: the one table of codes
 * that awsapi_classify and sns_classify both read.
 */
enum awsapi_code {
	AWSAPI_CODE_OTHER,
	AWSAPI_CODE_RETRY,     /* throttling, a failure on AWS's side, a timeout */
	AWSAPI_CODE_SKEW,      /* our clock is off (also a signature error saying so) */
	AWSAPI_CODE_AUTH,      /* the signature or the access key was refused */
	AWSAPI_CODE_EXPIRED,   /* the session token expired */
	AWSAPI_CODE_DENIED,    /* not authorized: an IAM action is missing */
	AWSAPI_CODE_NOT_FOUND, /* the resource (a topic, a snapshot) does not exist */
	AWSAPI_CODE_INVALID    /* a parameter of the request was refused */
};

struct awsapi;

/*
 * service is both the endpoint prefix and the SigV4 signing name ("rds",
 * "elasticache", "backup"). endpoint overrides https://SERVICE.REGION.amazonaws.com
 * (plain http only towards loopback). creds_mode is an enum conf_credentials.
 * NULL and a cause on a bad endpoint. A client belongs to the thread that
 * made it: its requests, instance-metadata ones included, share one HTTP
 * session (http_session_begin) until awsapi_free.
 */
struct awsapi *awsapi_new(const char *service, const char *region, const char *endpoint,
                          int creds_mode, const char *profile, char **cause);
void awsapi_free(struct awsapi *a);

struct awsapi_request {
	const char *method; /* "GET" or "POST" */
	const char *path;   /* below the endpoint's path; "/" for Query APIs */
	const char *query;  /* already encoded, without '?', or NULL */
	const char *body;   /* NULL for none */
	size_t body_len;
	const char *content_type;
	const char *iam_action; /* "rds:DescribeDBSnapshots": named in permission errors */
};

/*
 * Sends req (with retries). Returns 0 and the 2xx answer's body appended to
 * body, or -1, the class of the last failure in *cls and its error code in
 * *code (NULL without one; the caller frees it), and a cause that names the
 * IAM action. cls and code may be NULL.
 */
int awsapi_call(struct awsapi *a, const struct awsapi_request *req, struct buf *body,
                enum awsapi_class *cls, char **code, char **cause);

/*
 * Splits an endpoint, scheme://host[:port][/path], into its authority (host,
 * the caller's; sent and signed as Host) and its path (into url, "" when
 * none); plain http only towards loopback. 0, or -1 and a cause.
 */
int awsapi_endpoint_split(const char *url, char **host, const char **path, char **cause);

/* ---- pure pieces, for tests ---- */

/*
 * The error code and message of an error answer: Query XML (<Error><Code>),
 * JSON ("__type", "code", "Code"; "message", "Message"). A code such as
 * "aws.protocol#ThrottlingException:..." is cut to its name. NULLs when absent;
 * the caller frees them.
 */
void awsapi_parse_error(const char *body, size_t len, char **code, char **message);
/* code may be NULL (no code: AWSAPI_CODE_OTHER); message refines a signature error. */
enum awsapi_code awsapi_code_kind(const char *code, const char *message);
enum awsapi_class awsapi_classify(long status, const char *code, const char *message);
/* The first AWSAPI_SNIPPET bytes of an answer, printable ("\xNN"), quoted; the caller frees. */
char *awsapi_snippet(const char *body, size_t len);

#endif
