/*
 * sigv4: AWS Signature Version 4 request signing (header-based, AWS4-HMAC-SHA256).
 *
 * sigv4_sign builds the canonical request and the string to sign of an HTTP
 * request and returns the Authorization header value to send with it. It
 * follows the AWS rules checked by the AWS/botocore SigV4 test suite
 * (tests/data/sigv4-suite), including path normalization, which is right for
 * every service except Amazon S3 (S3 wants the path neither normalized nor
 * re-encoded; that is not supported here).
 *
 * The module does no I/O and keeps no state. All strings in sigv4_result are
 * owned by the caller and released with sigv4_result_free. Inputs are only
 * borrowed for the duration of the call.
 */
#ifndef CW_SIGV4_H
#define CW_SIGV4_H

#include <stddef.h>
#include <time.h>

struct buf;

/* Length of an amz date, "YYYYMMDDTHHMMSSZ", without its NUL. */
#define SIGV4_AMZ_DATE_LEN 16

struct sigv4_header {
	const char *name;
	const char *value; /* may span lines; folded to one line when signed */
};

struct sigv4_request {
	const char *method; /* "GET", "POST", ... */
	/* As on the request line, before any '?'. It is sent as is and encoded once more for
	 * signing, as AWS does for all services but S3 ("/a b" signs as "/a%20b", and an
	 * already encoded "/a%20b" as "/a%2520b"). */
	const char *path;
	const char *query; /* raw text after '?', or NULL; may be pre-encoded */
	/* Every header that is sent and signed: at least Host, and X-Amz-Date. */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *payload; /* the body; may be NULL when payload_len is 0 */
	size_t payload_len;
};

struct sigv4_credentials {
	const char *access_key;
	const char *secret_key;
	/*
	 * Temporary credentials only, else NULL. When the request has no
	 * X-Amz-Security-Token header, the token is signed as if it had one
	 * (botocore's convention) and the caller must then send the header
	 * "X-Amz-Security-Token: <session_token>". When the request has the header,
	 * its value must equal the token.
	 */
	const char *session_token;
};

struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char *authorization;  /* the Authorization header value */
	char *signed_headers; /* "host;x-amz-date", as in the Authorization value */
};

/*
 * Signs req for region and service (e.g. "us-east-1", "sns") at amz_date, which
 * must be "YYYYMMDDTHHMMSSZ" and equal the X-Amz-Date header when there is one.
 * On success fills res (caller frees with sigv4_result_free) and returns 0; on
 * bad input returns -1, leaves res empty and sets *cause (caller frees).
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
               const char *region, const char *service, const char *amz_date,
               struct sigv4_result *res, char **cause);

/* Frees the strings of res and empties it; res itself belongs to the caller. */
void sigv4_result_free(struct sigv4_result *res);

/*
 * Appends the AWS percent encoding of len bytes of s to out: A-Z a-z 0-9 - _ . ~
 * are kept, every other byte becomes %XX (upper-case hex), '/' too unless
 * encode_slash is 0. Also the encoding of application/x-www-form-urlencoded
 * bodies (SNS, SQS, STS queries), where a space is %20, never '+'.
 */
void sigv4_uri_encode(struct buf *out, const void *s, size_t len, int encode_slash);

/*
 * Writes t as the UTC amz date "YYYYMMDDTHHMMSSZ" and a NUL into out. Returns 0,
 * or -1 when t falls outside the years 0000-9999 (out is then "").
 */
int sigv4_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN + 1]);

#endif
