/* awsapi: signed AWS API calls with retries and readable errors (see awsapi.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsapi.h"
#include "buf.h"
#include "clocks.h"
#include "confval.h"
#include "crypto.h"
#include "creds.h"
#include "http.h"
#include "jval.h"
#include "log.h"
#include "sigv4.h"
#include "xmalloc.h"
#include "xmlq.h"

#define AWSAPI_CONNECT_MS 5000
#define AWSAPI_TIMEOUT_MS 30000
#define AWSAPI_BACKOFF_MS 200
#define AWSAPI_CAP_MS     5000
#define AWSAPI_TEXT_MAX   300 /* of an error message kept in a cause */

struct awsapi {
	char *service;
	char *region;
	char *url;  /* the endpoint without a trailing '/' */
	char *host; /* its authority, sent and signed as Host */
	char *path; /* its path, "" or "/prefix" */
	struct creds_chain *creds;
	time_t skew; /* the server's clock minus ours, learned from a skew error */
};

/* ---- errors ------------------------------------------------------------- */

static int
awsapi_in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

enum awsapi_code
awsapi_code_kind(const char *code, const char *message)
{
	static const char *const retry[] = { "Throttling",
		                             "ThrottlingException",
		                             "ThrottledException",
		                             "RequestThrottled",
		                             "RequestThrottledException",
		                             "TooManyRequestsException",
		                             "RequestLimitExceeded",
		                             "SlowDown",
		                             "KMSThrottling",
		                             "KMSThrottlingException",
		                             "InternalError",
		                             "InternalFailure",
		                             "ServiceUnavailable",
		                             "ServiceUnavailableException",
		                             "RequestTimeout",
		                             "RequestTimeoutException",
		                             "PriorRequestNotComplete",
		                             NULL };
	static const char *const skew[] = { "RequestTimeTooSkewed", "RequestExpired",
		                            "RequestInTheFuture", NULL };
	static const char *const auth[] = {
		"SignatureDoesNotMatch",       "InvalidSignatureException", "InvalidClientTokenId",
		"UnrecognizedClientException", "InvalidAccessKeyId",        "AuthFailure",
		"MissingAuthenticationToken",  "IncompleteSignature",       NULL
	};
	static const char *const expired[] = { "ExpiredToken", "ExpiredTokenException",
		                               "TokenRefreshRequired", NULL };
	static const char *const denied[] = { "AccessDenied",          "AccessDeniedException",
		                              "UnauthorizedOperation", "AuthorizationError",
		                              "NotAuthorized",         NULL };
	static const char *const not_found[] = { "NotFound", "NotFoundException",
		                                 "ResourceNotFound", "ResourceNotFoundException",
		                                 NULL };
	static const char *const invalid[] = { "InvalidParameter",
		                               "InvalidParameterValue",
		                               "InvalidParameterException",
		                               "ParameterValueInvalid",
		                               "ValidationError",
		                               "ValidationException",
		                               NULL };

	if (code == NULL || *code == '\0')
		return AWSAPI_CODE_OTHER;
	if (awsapi_in(code, retry))
		return AWSAPI_CODE_RETRY;
	if (awsapi_in(code, skew))
		return AWSAPI_CODE_SKEW;
	if (awsapi_in(code, expired))
		return AWSAPI_CODE_EXPIRED;
	if (awsapi_in(code, auth)) {
		/* Some services report a stale clock as a signature error that says so. */
		if (message != NULL && (strstr(message, "Signature expired") != NULL ||
		                        strstr(message, "Signature not yet current") != NULL))
			return AWSAPI_CODE_SKEW;
		return AWSAPI_CODE_AUTH;
	}
	if (awsapi_in(code, denied))
		return AWSAPI_CODE_DENIED;
	if (awsapi_in(code, not_found))
		return AWSAPI_CODE_NOT_FOUND;
	if (awsapi_in(code, invalid))
		return AWSAPI_CODE_INVALID;
	return AWSAPI_CODE_OTHER;
}

enum awsapi_class
awsapi_classify(long status, const char *code, const char *message)
{
	if (status >= 200 && status < 300)
		return AWSAPI_OK;
	switch (awsapi_code_kind(code, message)) {
	case AWSAPI_CODE_RETRY:
		return AWSAPI_RETRY;
	case AWSAPI_CODE_EXPIRED:
		return AWSAPI_EXPIRED;
	case AWSAPI_CODE_SKEW:
		return AWSAPI_SKEW;
	case AWSAPI_CODE_DENIED:
		return AWSAPI_DENIED;
	case AWSAPI_CODE_AUTH:
		return AWSAPI_AUTH;
	default:
		break;
	}
	if (status >= 500 || status == 429 || status == 408)
		return AWSAPI_RETRY;
	if (status == 403 && code == NULL)
		return AWSAPI_DENIED;
	return AWSAPI_FAIL;
}

/* "aws.protocol#Name:http://..." -> "Name". */
static char *
awsapi_code_name(const char *s)
{
	const char *hash = strchr(s, '#');

	if (hash != NULL)
		s = hash + 1;
	return xstrndup(s, strcspn(s, ":"));
}

/* Control bytes blanked and the length capped: a message is for one log line. */
static char *
awsapi_clean(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s != '\0' && b.len < AWSAPI_TEXT_MAX; s++)
		buf_addc(&b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

void
awsapi_parse_error(const char *body, size_t len, char **code, char **message)
{
	struct xmlq_node *x;
	struct jval *j;
	const char *c = NULL, *m = NULL;
	char *why = NULL;

	*code = *message = NULL;
	if (body == NULL || len == 0)
		return;
	if ((x = xmlq_parse(body, len, &why)) != NULL) {
		/* Query: <ErrorResponse><Error><Code>; EC2 style (and moto):
		 * <Response><Errors><Error><Code>; S3 style: <Error><Code>. */
		c = xmlq_text(x, "Error/Code");
		m = xmlq_text(x, "Error/Message");
		if (c == NULL) {
			c = xmlq_text(x, "Errors/Error/Code");
			m = xmlq_text(x, "Errors/Error/Message");
		}
		if (c == NULL && strcmp(x->name, "Error") == 0) {
			c = xmlq_text(x, "Code");
			m = xmlq_text(x, "Message");
		}
		*code = c != NULL && *c != '\0' ? awsapi_code_name(c) : NULL;
		*message = m != NULL ? awsapi_clean(m) : NULL;
		xmlq_free(x);
		return;
	}
	free(why);
	why = NULL;
	if ((j = jval_parse(body, len, &why)) != NULL) {
		if (j->type == JVAL_OBJECT) {
			if ((c = jval_get_string(j, "__type")) == NULL &&
			    (c = jval_get_string(j, "code")) == NULL)
				c = jval_get_string(j, "Code");
			if ((m = jval_get_string(j, "message")) == NULL)
				m = jval_get_string(j, "Message");
			*code = c != NULL && *c != '\0' ? awsapi_code_name(c) : NULL;
			*message = m != NULL ? awsapi_clean(m) : NULL;
		}
		jval_free(j);
		return;
	}
	free(why);
}

char *
awsapi_snippet(const char *body, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;
	unsigned char c;

	buf_addc(&b, '"');
	for (i = 0; i < len && i < AWSAPI_SNIPPET; i++) {
		c = (unsigned char)body[i];
		if (c == '"' || c == '\\')
			buf_printf(&b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	buf_addc(&b, '"');
	if (len > AWSAPI_SNIPPET)
		buf_adds(&b, "...");
	return buf_detach(&b);
}

/* ---- the client --------------------------------------------------------- */

int
awsapi_endpoint_split(const char *url, char **host, const char **path, char **cause)
{
	const char *auth;
	size_t alen, hlen;
	int tls = strncmp(url, "https://", 8) == 0;

	if (!tls && strncmp(url, "http://", 7) != 0) {
		*cause = xasprintf("endpoint %s is not an http(s) URL", url);
		return -1;
	}
	auth = url + (tls ? 8 : 7);
	alen = strcspn(auth, "/?#");
	*path = auth + alen;
	hlen = auth[0] == '[' ? strcspn(auth, "]") + 1 : strcspn(auth, ":/?#");
	if (alen == 0 || memchr(auth, '@', alen) != NULL || strpbrk(*path, "?#") != NULL) {
		*cause = xasprintf("endpoint %s must be scheme://host[:port][/path]", url);
		return -1;
	}
	if (!tls && !confval_is_loopback(auth, hlen > alen ? alen : hlen)) {
		*cause = xasprintf("endpoint %s: plain http is accepted only for loopback "
		                   "addresses",
		                   url);
		return -1;
	}
	*host = xstrndup(auth, alen);
	return 0;
}

/* The endpoint's parts, its path without trailing '/'. */
static int
awsapi_set_endpoint(struct awsapi *a, const char *url, char **cause)
{
	const char *path;
	size_t plen;

	if (awsapi_endpoint_split(url, &a->host, &path, cause) != 0)
		return -1;
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	a->path = xstrndup(path, plen);
	a->url = xstrndup(url, (size_t)(path - url) + plen);
	return 0;
}

struct awsapi *
awsapi_new(const char *service, const char *region, const char *endpoint, int creds_mode,
           const char *profile, char **cause)
{
	struct awsapi *a = xcalloc(1, sizeof *a);
	char *url;
	int rv;

	http_session_begin(); /* a listing's pages and IMDS share one connection */
	a->service = xstrdup(service);
	a->region = xstrdup(region);
	if (endpoint != NULL)
		url = xstrdup(endpoint);
	else /* China's partition has its own domain. */
		url = xasprintf("https://%s.%s.amazonaws.com%s", service, region,
		                strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	rv = awsapi_set_endpoint(a, url, cause);
	free(url);
	if (rv != 0) {
		awsapi_free(a);
		return NULL;
	}
	a->creds = creds_chain_new(creds_mode, profile);
	return a;
}

void
awsapi_free(struct awsapi *a)
{
	if (a == NULL)
		return;
	http_session_end();
	creds_chain_free(a->creds);
	free(a->service);
	free(a->region);
	free(a->url);
	free(a->host);
	free(a->path);
	free(a);
}

/* Signs and sends req once: -1 and a cause when nothing was answered, -2 when it
 * could not be signed (no credentials, bad clock): trying again would not help. */
static int
awsapi_send(struct awsapi *a, const struct awsapi_request *req, struct http_response *resp,
            char **cause)
{
	struct sigv4_header sh[5];
	struct http_header hh[6];
	struct sigv4_result res;
	const struct creds *cr;
	char date[SIGV4_AMZ_DATE_LEN + 1], *why, *path, *url;
	size_t i, n = 0, blen = req->body != NULL ? req->body_len : 0;
	int rv;

	if (creds_chain_get(a->creds, &cr, cause) != 0)
		return -2;
	if (sigv4_amz_date(time(NULL) + a->skew, date) != 0) {
		*cause = xstrdup("the system clock is out of range");
		return -2;
	}
	sh[n++] = (struct sigv4_header){ "Host", a->host };
	if (req->content_type != NULL)
		sh[n++] = (struct sigv4_header){ "Content-Type", req->content_type };
	sh[n++] = (struct sigv4_header){ "X-Amz-Date", date };
	if (cr->session_token != NULL)
		sh[n++] = (struct sigv4_header){ "X-Amz-Security-Token", cr->session_token };
	path = xasprintf("%s%s", a->path, req->path);
	if (sigv4_sign(&(struct sigv4_request){ req->method, path, req->query, sh, n, req->body,
	                                        blen },
	               &(struct sigv4_credentials){ cr->access_key, cr->secret_key,
	                                            cr->session_token },
	               a->region, a->service, date, &res, &why) != 0) {
		*cause = xasprintf("signing: %s", why);
		free(why);
		free(path);
		return -2;
	}
	for (i = 0; i < n; i++)
		hh[i] = (struct http_header){ sh[i].name, sh[i].value };
	hh[n] = (struct http_header){ "Authorization", res.authorization };
	url = req->query != NULL ? xasprintf("%s%s?%s", a->url, req->path, req->query)
	                         : xasprintf("%s%s", a->url, req->path);
	rv = http_request(&(struct http_request){ req->method, url, hh, n + 1, req->body, blen,
	                                          AWSAPI_CONNECT_MS, AWSAPI_TIMEOUT_MS, 0 },
	                  resp, cause);
	explicit_bzero(res.authorization, strlen(res.authorization));
	sigv4_result_free(&res);
	free(path);
	free(url);
	return rv;
}

static char *
awsapi_cause(const struct awsapi *a, const struct awsapi_request *req, long status,
             enum awsapi_class cls, const char *code, const char *message)
{
	const char *hint = "";

	if (cls == AWSAPI_DENIED)
		hint = "; the IAM policy must allow ";
	else if (cls == AWSAPI_AUTH)
		hint = "; the AWS credentials or the request signature were refused for ";
	(void)a;
	return xasprintf("%s answered HTTP %ld %s: %s%s%s", req->iam_action, status,
	                 code != NULL ? code : "(no error code)", message != NULL ? message : "",
	                 hint, cls == AWSAPI_DENIED || cls == AWSAPI_AUTH ? req->iam_action : "");
}

/* Fixes what can be fixed now (once each; tried holds what was): 1 to send again. */
static int
awsapi_recover(struct awsapi *a, enum awsapi_class cls, time_t server_date, int *tried)
{
	time_t skew;

	if (cls == AWSAPI_EXPIRED && !(*tried & 1)) {
		log_info("%s says the AWS credentials expired; fetching new ones", a->service);
		creds_chain_invalidate(a->creds);
		*tried |= 1;
		return 1;
	}
	if (cls == AWSAPI_SKEW && !(*tried & 2) && server_date != 0) {
		skew = server_date - time(NULL);
		log_warn("the system clock is %lld s %s %s's; signing with its time (fix NTP)",
		         (long long)(skew < 0 ? -skew : skew), skew < 0 ? "ahead of" : "behind",
		         a->service);
		a->skew = skew;
		*tried |= 2;
		return 1;
	}
	return 0;
}

/* One answer: 0 done (OK or final failure, *cause set on failure), 1 to try again. */
static int
awsapi_judge(struct awsapi *a, const struct awsapi_request *req, struct http_response *resp,
             struct buf *body, enum awsapi_class *cls, int *tried, char **codep, char **cause)
{
	char *code, *message;

	code = message = NULL;
	if (resp->status < 200 || resp->status >= 300) /* a 2xx answer is read by the caller */
		awsapi_parse_error(resp->body.data, resp->body.len, &code, &message);
	free(*codep);
	*codep = code != NULL ? xstrdup(code) : NULL;
	*cls = awsapi_classify(resp->status, code, message);
	if (*cls == AWSAPI_OK) {
		buf_add(body, resp->body.data != NULL ? resp->body.data : "", resp->body.len);
	} else if (!awsapi_recover(a, *cls, resp->date, tried)) {
		*cause = awsapi_cause(a, req, resp->status, *cls, code, message);
	}
	free(code);
	free(message);
	if (*cls == AWSAPI_OK || (*cls != AWSAPI_RETRY && *cause != NULL))
		return 0;
	return 1;
}

int
awsapi_call(struct awsapi *a, const struct awsapi_request *req, struct buf *body,
            enum awsapi_class *clsp, char **codep, char **cause)
{
	struct http_response resp;
	enum awsapi_class cls = AWSAPI_RETRY;
	int attempt, tried = 0, again = 1, rv;
	char *code = NULL;

	*cause = NULL;
	for (attempt = 0; again && attempt < AWSAPI_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			/* The cause of the failure just retried is replaced by the next one. */
			if (*cause != NULL)
				log_info("%s; retrying", *cause);
			clocks_sleep(clocks_backoff_ms((unsigned)attempt - 1, AWSAPI_BACKOFF_MS,
			                               AWSAPI_CAP_MS, crypto_random_u32()) /
			             1000.0);
			free(*cause);
			*cause = NULL;
		}
		if ((rv = awsapi_send(a, req, &resp, cause)) != 0) {
			char *why = *cause;

			*cause = xasprintf("%s: %s", req->iam_action, why);
			free(why);
			cls = rv == -2 ? AWSAPI_AUTH : AWSAPI_RETRY;
			again = rv != -2;
			continue;
		}
		again = awsapi_judge(a, req, &resp, body, &cls, &tried, &code, cause);
		http_response_free(&resp);
	}
	if (clsp != NULL)
		*clsp = cls;
	if (codep != NULL)
		*codep = code;
	else
		free(code);
	if (cls == AWSAPI_OK)
		return 0;
	if (*cause == NULL)
		*cause = xasprintf("%s: refused again after renewing the credentials or "
		                   "correcting the clock",
		                   req->iam_action);
	else if (cls == AWSAPI_RETRY) {
		char *last = *cause;

		*cause = xasprintf("%s (gave up after %d attempts)", last, AWSAPI_ATTEMPTS);
		free(last);
	}
	return -1;
}
