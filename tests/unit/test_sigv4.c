/*
 * Unit tests of sigv4: the AWS SigV4 test suite (botocore's copy, in
 * TEST_DATA_DIR/sigv4-suite), one cmocka test per case, plus sigv4_uri_encode,
 * sigv4_amz_date and the checks sigv4_sign makes on its input.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "sigv4.h"
#include "xmalloc.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must be defined as the path of tests/data"
#endif

#define SUITE_DIR    TEST_DATA_DIR "/sigv4-suite"
#define SUITE_CASES  34
#define SUITE_ACCESS "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_REGION "us-east-1"
#define SUITE_SVC    "service"
#define SUITE_DATE   "20150830T123600Z"

/* Every case of the suite, by directory relative to SUITE_DIR, in strcmp order. */
#define SUITE_CASE_LIST(X)                                                                         \
	X("get-header-key-duplicate")                                                              \
	X("get-header-value-multiline")                                                            \
	X("get-header-value-order")                                                                \
	X("get-header-value-trim")                                                                 \
	X("get-unreserved")                                                                        \
	X("get-utf8")                                                                              \
	X("get-vanilla")                                                                           \
	X("get-vanilla-empty-query-key")                                                           \
	X("get-vanilla-query")                                                                     \
	X("get-vanilla-query-order-encoded")                                                       \
	X("get-vanilla-query-order-key")                                                           \
	X("get-vanilla-query-order-key-case")                                                      \
	X("get-vanilla-query-order-value")                                                         \
	X("get-vanilla-query-unreserved")                                                          \
	X("get-vanilla-utf8-query")                                                                \
	X("get-vanilla-with-session-token")                                                        \
	X("normalize-path/get-relative")                                                           \
	X("normalize-path/get-relative-relative")                                                  \
	X("normalize-path/get-slash")                                                              \
	X("normalize-path/get-slash-dot-slash")                                                    \
	X("normalize-path/get-slash-pointless-dot")                                                \
	X("normalize-path/get-slashes")                                                            \
	X("normalize-path/get-space")                                                              \
	X("normalize-path/get-special-character")                                                  \
	X("post-header-key-case")                                                                  \
	X("post-header-key-sort")                                                                  \
	X("post-header-value-case")                                                                \
	X("post-sts-token/post-sts-header-after")                                                  \
	X("post-sts-token/post-sts-header-before")                                                 \
	X("post-vanilla")                                                                          \
	X("post-vanilla-empty-query-value")                                                        \
	X("post-vanilla-query")                                                                    \
	X("post-x-www-form-urlencoded")                                                            \
	X("post-x-www-form-urlencoded-parameters")

#define CASE_NAME(name) name,
/* The case directory is both the test's name and its initial state. */
#define CASE_TEST(name) { name, test_suite_case, case_setup, case_teardown, name },

static const char *const suite_cases[] = { SUITE_CASE_LIST(CASE_NAME) };
_Static_assert(sizeof suite_cases / sizeof suite_cases[0] == SUITE_CASES,
               "the case list must hold every case of the suite");

/* Cases that passed every check; test_suite_all_passed runs last and counts them. */
static size_t suite_passed;

struct req_header {
	char *name;
	struct buf value;
};

/* One case: its files and what was parsed and signed, freed by case_teardown. */
struct suite_case {
	const char *name;
	char *req, *creq, *sts, *authz, *token;
	size_t req_len;
	char *method, *path, *query;
	struct req_header *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
	struct sigv4_result res;
};

/* Returns the contents of path (caller frees), or NULL with errno set. */
static char *
read_file(const char *path, size_t *lenp)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *fp;
	int err;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	err = ferror(fp) ? EIO : 0;
	fclose(fp);
	if (err != 0) {
		buf_free(&b);
		errno = err;
		return NULL;
	}
	if (lenp != NULL)
		*lenp = b.len;
	return buf_detach(&b);
}

/* Reads <case>/<last component of case>.<ext>; fails the test when it cannot. */
static char *
read_case_file(const char *name, const char *ext, size_t *lenp)
{
	const char *base = strrchr(name, '/');
	char *path, *text;

	path = xasprintf("%s/%s/%s.%s", SUITE_DIR, name, base ? base + 1 : name, ext);
	if ((text = read_file(path, lenp)) == NULL) {
		print_error("%s: %s\n", path, strerror(errno));
		free(path);
		fail_msg("%s: cannot read its .%s file", name, ext);
	}
	free(path);
	return text;
}

/* "GET /a b?x=1 HTTP/1.1": the target runs from the first to the last space. */
static void
parse_request_line(struct suite_case *c, const char *line, size_t len)
{
	const char *sp1 = memchr(line, ' ', len), *sp2 = line + len, *q;

	while (sp2 > line && sp2[-1] != ' ')
		sp2--;
	if (sp1 == NULL || sp2 - 1 <= sp1)
		fail_msg("%s: bad request line \"%.*s\"", c->name, (int)len, line);
	sp2--;
	c->method = xstrndup(line, (size_t)(sp1 - line));
	if ((q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1))) == NULL) {
		c->path = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	} else {
		c->path = xstrndup(sp1 + 1, (size_t)(q - sp1 - 1));
		c->query = xstrndup(q + 1, (size_t)(sp2 - q - 1));
	}
}

/* A header line, or a continuation line (leading blank), kept raw with its newline. */
static void
parse_header_line(struct suite_case *c, const char *line, size_t len)
{
	const char *colon;
	struct req_header *h;

	if (line[0] == ' ' || line[0] == '\t') {
		if (c->nheaders == 0)
			fail_msg("%s: continuation line before any header", c->name);
		h = &c->headers[c->nheaders - 1];
		buf_addc(&h->value, '\n');
		buf_add(&h->value, line, len);
		return;
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		fail_msg("%s: header line without ':': \"%.*s\"", c->name, (int)len, line);
	c->headers = xreallocarray(c->headers, c->nheaders + 1, sizeof *c->headers);
	h = &c->headers[c->nheaders++];
	h->name = xstrndup(line, (size_t)(colon - line));
	buf_init(&h->value);
	buf_add(&h->value, colon + 1, len - (size_t)(colon - line) - 1);
}

/* The .req format: request line, headers, and after a blank line the body. */
static void
parse_request(struct suite_case *c)
{
	const char *p = c->req, *end = c->req + c->req_len, *nl;
	size_t len;
	int first = 1;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (first)
			parse_request_line(c, p, len);
		else if (len == 0) {
			p = nl + 1;
			break;
		} else
			parse_header_line(c, p, len);
		first = 0;
		p = nl < end ? nl + 1 : end;
	}
	if (first)
		fail_msg("%s: empty request", c->name);
	c->body = p < end ? p : "";
	c->body_len = p < end ? (size_t)(end - p) : 0;
}

/*
 * botocore's convention: a case is signed with a session token when, and only
 * when, its canonical request signs one. post-sts-header-after thus signs
 * without one: its token header is added to the request after signing.
 */
static char *
session_token(const char *creq)
{
	static const char key[] = "\nx-amz-security-token:";
	const char *p = strstr(creq, key);

	if (p == NULL)
		return NULL;
	p += strlen(key);
	return xstrndup(p, strcspn(p, "\n"));
}

static void
expect_equal(const char *name, const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	print_error("%s: %s differs\n--- expected\n%s\n--- got\n%s\n---\n", name, what, want, got);
	fail_msg("%s: %s differs", name, what);
}

static int
case_setup(void **state)
{
	struct suite_case *c = xcalloc(1, sizeof *c);

	c->name = *state;
	*state = c;
	return 0;
}

static int
case_teardown(void **state)
{
	struct suite_case *c = *state;
	size_t i;

	for (i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		buf_free(&c->headers[i].value);
	}
	free(c->headers);
	free(c->method);
	free(c->path);
	free(c->query);
	free(c->req);
	free(c->creq);
	free(c->sts);
	free(c->authz);
	free(c->token);
	sigv4_result_free(&c->res);
	free(c);
	return 0;
}

static void
test_suite_case(void **state)
{
	struct suite_case *c = *state;
	struct sigv4_header hdrs[64];
	struct sigv4_request req = { 0 };
	struct sigv4_credentials creds = { SUITE_ACCESS, SUITE_SECRET, NULL };
	char *cause = NULL;
	size_t i;

	c->req = read_case_file(c->name, "req", &c->req_len);
	c->creq = read_case_file(c->name, "creq", NULL);
	c->sts = read_case_file(c->name, "sts", NULL);
	c->authz = read_case_file(c->name, "authz", NULL);
	parse_request(c);
	if (c->nheaders > sizeof hdrs / sizeof hdrs[0])
		fail_msg("%s: too many headers", c->name);
	for (i = 0; i < c->nheaders; i++) {
		hdrs[i].name = c->headers[i].name;
		hdrs[i].value = c->headers[i].value.data;
	}
	req.method = c->method;
	req.path = c->path;
	req.query = c->query;
	req.headers = hdrs;
	req.nheaders = c->nheaders;
	req.payload = c->body;
	req.payload_len = c->body_len;
	creds.session_token = c->token = session_token(c->creq);
	if (sigv4_sign(&req, &creds, SUITE_REGION, SUITE_SVC, SUITE_DATE, &c->res, &cause) != 0) {
		print_error("%s: %s\n", c->name, cause);
		free(cause);
		fail_msg("%s: sigv4_sign failed", c->name);
	}
	expect_equal(c->name, "canonical request", c->res.canonical_request, c->creq);
	expect_equal(c->name, "string to sign", c->res.string_to_sign, c->sts);
	expect_equal(c->name, "authorization", c->res.authorization, c->authz);
	suite_passed++;
}

/* Adds to found every directory under SUITE_DIR/rel that holds <its name>.req. */
static void
discover(const char *rel, char ***found, size_t *n)
{
	char *dir = xasprintf("%s%s%s", SUITE_DIR, *rel ? "/" : "", rel), *sub, *path;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		/* Reported here; the cases found so far then fall short of the list. */
		print_error("cannot open %s: %s\n", dir, strerror(errno));
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		sub = xasprintf("%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			free(path);
			path = xasprintf("%s/%s/%s.req", dir, de->d_name, de->d_name);
			if (access(path, R_OK) == 0) {
				*found = xreallocarray(*found, *n + 1, sizeof **found);
				(*found)[(*n)++] = xstrdup(sub);
			}
			discover(sub, found, n);
		}
		free(sub);
		free(path);
	}
	closedir(d);
	free(dir);
}

static int
listed(const char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return 1;
	}
	return 0;
}

/* The cases on disk are exactly the listed ones, so every case runs as a test. */
static void
test_suite_discovery(void **state)
{
	char **found = NULL;
	size_t n = 0, i, bad = 0;

	(void)state;
	discover("", &found, &n);
	for (i = 0; i < n; i++) {
		if (!listed(suite_cases, SUITE_CASES, found[i])) {
			print_error("case %s is on disk but not in SUITE_CASE_LIST\n", found[i]);
			bad++;
		}
	}
	for (i = 0; i < SUITE_CASES; i++) {
		if (!listed((const char *const *)found, n, suite_cases[i])) {
			print_error("case %s is listed but not on disk\n", suite_cases[i]);
			bad++;
		}
	}
	for (i = 0; i < n; i++)
		free(found[i]);
	free(found);
	assert_int_equal(bad, 0);
	assert_int_equal(n, SUITE_CASES);
}

static void
test_suite_all_passed(void **state)
{
	(void)state;
	assert_int_equal(suite_passed, SUITE_CASES);
}

static void
expect_encoding(const char *in, size_t len, int encode_slash, const char *want)
{
	struct buf b = BUF_INIT;

	sigv4_uri_encode(&b, in, len, encode_slash);
	buf_adds(&b, ""); /* an empty result still has a string */
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
test_uri_encode_unreserved(void **state)
{
	const char *s = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	(void)state;
	expect_encoding(s, strlen(s), 1, s);
	expect_encoding(s, strlen(s), 0, s);
	expect_encoding("", 0, 1, "");
}

static void
test_uri_encode_reserved(void **state)
{
	(void)state;
	expect_encoding(" ", 1, 1, "%20");
	expect_encoding("+", 1, 1, "%2B");
	expect_encoding("&", 1, 1, "%26");
	expect_encoding("=", 1, 1, "%3D");
	expect_encoding("\n", 1, 1, "%0A");
	expect_encoding("%", 1, 1, "%25");
	expect_encoding("*!'()$,;:@?#[]", 14, 1, "%2A%21%27%28%29%24%2C%3B%3A%40%3F%23%5B%5D");
	expect_encoding("a/b", 3, 1, "a%2Fb");
	expect_encoding("a/b", 3, 0, "a/b");
	expect_encoding("a\0b", 3, 1, "a%00b"); /* length, not NUL, ends the input */
	expect_encoding("\x7f\xff", 2, 1, "%7F%FF");
}

static void
test_uri_encode_utf8(void **state)
{
	(void)state;
	expect_encoding("\xe1\x88\xb4", 3, 1, "%E1%88%B4");
	expect_encoding("caf\xc3\xa9", 5, 0, "caf%C3%A9");
}

/* An SNS Publish body: each value encoded, appended to what the buffer holds. */
static void
test_uri_encode_form_body(void **state)
{
	const char *msg = "a+b & c=d\n\xc3\xbc/";
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "Action=Publish&Message=");
	sigv4_uri_encode(&b, msg, strlen(msg), 1);
	assert_string_equal(b.data, "Action=Publish&Message=a%2Bb%20%26%20c%3Dd%0A%C3%BC%2F");
	assert_int_equal(b.len, strlen(b.data));
	buf_free(&b);
}

static void
test_amz_date(void **state)
{
	char out[SIGV4_AMZ_DATE_LEN + 1];

	(void)state;
	assert_int_equal(sigv4_amz_date(1440938160, out), 0);
	assert_string_equal(out, SUITE_DATE);
	assert_int_equal(sigv4_amz_date(0, out), 0);
	assert_string_equal(out, "19700101T000000Z");
	assert_int_equal(sigv4_amz_date(-1, out), 0);
	assert_string_equal(out, "19691231T235959Z");
	if (sizeof(time_t) < 8)
		return;
	assert_int_equal(sigv4_amz_date((time_t)253402300799, out), 0);
	assert_string_equal(out, "99991231T235959Z");
	assert_int_equal(sigv4_amz_date((time_t)-30610224001, out), 0);
	assert_string_equal(out, "09991231T235959Z");
	assert_int_equal(sigv4_amz_date((time_t)253402300800, out), -1);
	assert_string_equal(out, "");
}

/* Signs a GET of path?query with the suite's keys; returns sigv4_sign's result. */
static int
sign_get(const char *path, const char *query, const struct sigv4_header *extra, size_t nextra,
         const char *token, struct sigv4_result *res, char **cause)
{
	struct sigv4_header hdrs[8] = { { "Host", "example.amazonaws.com" },
		                        { "X-Amz-Date", SUITE_DATE } };
	struct sigv4_request req = { "GET", path, query, hdrs, 2 + nextra, NULL, 0 };
	struct sigv4_credentials creds = { SUITE_ACCESS, SUITE_SECRET, token };

	assert_true(nextra <= 6);
	if (nextra > 0)
		memcpy(hdrs + 2, extra, nextra * sizeof *extra);
	return sigv4_sign(&req, &creds, SUITE_REGION, SUITE_SVC, SUITE_DATE, res, cause);
}

/* The first three lines of the canonical request: method, path and query. */
static void
expect_uri(const char *path, const char *query, const char *want)
{
	struct sigv4_result res;
	char *cause = NULL;

	assert_int_equal(sign_get(path, query, NULL, 0, NULL, &res, &cause), 0);
	assert_null(cause);
	assert_memory_equal(res.canonical_request, want, strlen(want));
	assert_int_equal(res.canonical_request[strlen(want)], 'h');
	sigv4_result_free(&res);
	assert_null(res.canonical_request);
}

static void
test_sign_query(void **state)
{
	(void)state;
	/* Pre-encoded and raw input agree; '+' is literal; "a" signs as "a=". */
	expect_uri("/", "b=%2f&a&c=x+y&a=%41&%7E=~&&=v&", "GET\n/\n=v&a=&a=A&b=%2F&c=x%2By&~=~\n");
	expect_uri("/", "x=%zz&y=%4", "GET\n/\nx=%25zz&y=%254\n");
	expect_uri("/", "", "GET\n/\n\n");
	expect_uri("/", "k=a b&k=\xe1\x88\xb4", "GET\n/\nk=%E1%88%B4&k=a%20b\n");
}

static void
test_sign_path(void **state)
{
	(void)state;
	expect_uri("", NULL, "GET\n/\n\n");
	expect_uri("/a b/%20/./../c//", NULL, "GET\n/a%20b/c/\n\n");
	expect_uri("/foo%20bar", NULL, "GET\n/foo%2520bar\n\n");
	expect_uri("/a/b/..", NULL, "GET\n/a\n\n");
	expect_uri("/../..", NULL, "GET\n/\n\n");
	expect_uri("/a+b=c", NULL, "GET\n/a%2Bb%3Dc\n\n");
}

static void
test_sign_session_token(void **state)
{
	struct sigv4_header tok = { "X-Amz-Security-Token", " tok " };
	struct sigv4_result res;
	char *cause = NULL;

	(void)state;
	assert_int_equal(sign_get("/", NULL, NULL, 0, "tok", &res, &cause), 0);
	assert_string_equal(res.signed_headers, "host;x-amz-date;x-amz-security-token");
	assert_non_null(strstr(res.canonical_request, "\nx-amz-security-token:tok\n"));
	sigv4_result_free(&res);

	assert_int_equal(sign_get("/", NULL, &tok, 1, "tok", &res, &cause), 0);
	assert_non_null(strstr(res.canonical_request, "\nx-amz-security-token:tok\n"));
	sigv4_result_free(&res);

	assert_int_equal(sign_get("/", NULL, &tok, 1, "other", &res, &cause), -1);
	assert_non_null(strstr(cause, "X-Amz-Security-Token"));
	assert_null(res.authorization);
	free(cause);
}

static void
expect_sign_error(const char *path, const struct sigv4_header *extra, size_t nextra,
                  const char *want)
{
	struct sigv4_result res;
	char *cause = NULL;

	assert_int_equal(sign_get(path, NULL, extra, nextra, NULL, &res, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" does not mention \"%s\"", cause, want);
	assert_null(res.canonical_request);
	assert_null(res.authorization);
	free(cause);
}

static void
test_sign_errors(void **state)
{
	struct sigv4_header bad_name = { "Bad Name", "x" };
	struct sigv4_header other_date = { "x-amz-date", "20150830T123601Z" };
	struct sigv4_header hdrs[] = { { "X-Amz-Date", SUITE_DATE } };
	struct sigv4_request req = { "GET", "/", NULL, hdrs, 1, NULL, 0 };
	struct sigv4_credentials creds = { SUITE_ACCESS, SUITE_SECRET, NULL };
	struct sigv4_result res;
	char *cause = NULL;

	(void)state;
	expect_sign_error("relative", NULL, 0, "does not start with '/'");
	expect_sign_error("/", &bad_name, 1, "invalid header name \"Bad Name\"");
	expect_sign_error("/", &other_date, 1, "is not the signing date");

	assert_int_equal(
	        sigv4_sign(&req, &creds, SUITE_REGION, SUITE_SVC, SUITE_DATE, &res, &cause), -1);
	assert_string_equal(cause, "request has no Host header");
	free(cause);
	assert_int_equal(sigv4_sign(&req, &creds, "us/east", SUITE_SVC, SUITE_DATE, &res, &cause),
	                 -1);
	assert_non_null(strstr(cause, "invalid region"));
	free(cause);
	assert_int_equal(sigv4_sign(&req, &creds, SUITE_REGION, SUITE_SVC, "2015-08-30T12:36Z",
	                            &res, &cause),
	                 -1);
	assert_non_null(strstr(cause, "YYYYMMDDTHHMMSSZ"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_discovery),
		SUITE_CASE_LIST(CASE_TEST) cmocka_unit_test(test_suite_all_passed),
		cmocka_unit_test(test_uri_encode_unreserved),
		cmocka_unit_test(test_uri_encode_reserved),
		cmocka_unit_test(test_uri_encode_utf8),
		cmocka_unit_test(test_uri_encode_form_body),
		cmocka_unit_test(test_amz_date),
		cmocka_unit_test(test_sign_query),
		cmocka_unit_test(test_sign_path),
		cmocka_unit_test(test_sign_session_token),
		cmocka_unit_test(test_sign_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
