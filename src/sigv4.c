/* sigv4: AWS Signature Version 4 signing (see sigv4.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "sigv4.h"
#include "xmalloc.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* A request header on its way into the canonical request. */
struct sigv4_hdr {
	char *name;        /* lower-cased copy */
	const char *value; /* borrowed */
	size_t order;      /* position in the request, so equal names keep their order */
};

/* A query parameter, both halves already in canonical (re-encoded) form. */
struct sigv4_param {
	char *key;
	char *value;
};

/* Locale-free ASCII classes: the canonical form must not depend on setlocale. */
static int
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Whitespace in header values, CR and LF included so that folded values join. */
static int
is_lws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An HTTP token (RFC 9110 tchar+), the syntax of methods and header names. */
static int
is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!is_alnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	}
	return 1;
}

/* A credential-scope part or access key: these go unescaped into "a/b/c" lists. */
static int
is_scope_part(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!is_alnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return 0;
	}
	return 1;
}

static int
is_amz_date(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != SIGV4_AMZ_DATE_LEN || s[8] != 'T' || s[15] != 'Z')
		return 0;
	for (i = 0; i < 15; i++) {
		if (i != 8 && !is_digit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
sigv4_uri_encode(struct buf *out, const void *s, size_t len, int encode_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < len; i++) {
		/* p[i] != '\0' because strchr would match the terminator. */
		if (p[i] != '\0' && (is_alnum(p[i]) || strchr("-_.~", p[i]) != NULL ||
		                     (p[i] == '/' && !encode_slash))) {
			buf_addc(out, (char)p[i]);
			continue;
		}
		buf_addc(out, '%');
		buf_addc(out, digits[p[i] >> 4]);
		buf_addc(out, digits[p[i] & 0xf]);
	}
}

/*
 * Decodes %XX escapes, then encodes the AWS way, so that pre-encoded and raw
 * input give the same result. A '%' not followed by two hex digits is taken
 * literally, and so is '+': SigV4 does not read it as a space.
 */
static char *
reencode(const char *s, size_t len)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && (hi = hex_value((unsigned char)s[i + 1])) != -1 &&
		    (lo = hex_value((unsigned char)s[i + 2])) != -1) {
			buf_addc(&raw, (char)(hi << 4 | lo));
			i += 2;
		} else
			buf_addc(&raw, s[i]);
	}
	sigv4_uri_encode(&out, raw.data, raw.len, 1);
	buf_free(&raw);
	return buf_detach(&out);
}

/*
 * The canonical URI: dot segments removed and empty segments dropped (AWS wants
 * "//" collapsed), a trailing slash kept, each segment encoded. This is
 * botocore's remove_dot_segments, which the test suite was checked against.
 */
static void
canonical_path(struct buf *out, const char *path)
{
	const char **seg;
	size_t *seglen, n = 0, len, i;
	const char *p, *end;

	len = strlen(path);
	seg = xreallocarray(NULL, len / 2 + 1, sizeof *seg);
	seglen = xreallocarray(NULL, len / 2 + 1, sizeof *seglen);
	for (p = path; p < path + len; p = end + 1) {
		if ((end = strchr(p, '/')) == NULL)
			end = path + len;
		if (end == p || (end - p == 1 && p[0] == '.'))
			continue;
		if (end - p == 2 && p[0] == '.' && p[1] == '.') {
			if (n > 0)
				n--;
			continue;
		}
		seg[n] = p;
		seglen[n++] = (size_t)(end - p);
	}
	for (i = 0; i < n; i++) {
		buf_addc(out, '/');
		sigv4_uri_encode(out, seg[i], seglen[i], 1);
	}
	if (n == 0 || path[len - 1] == '/')
		buf_addc(out, '/');
	free(seglen);
	free(seg);
}

static int
param_cmp(const void *a, const void *b)
{
	const struct sigv4_param *pa = a, *pb = b;
	int c;

	/* Encoded forms hold no NUL (it is %00), so strcmp orders them bytewise. */
	if ((c = strcmp(pa->key, pb->key)) != 0)
		return c;
	return strcmp(pa->value, pb->value);
}

/* The canonical query: each key and value re-encoded, sorted by key then value. */
static void
canonical_query(struct buf *out, const char *query)
{
	struct sigv4_param *params = NULL;
	size_t n = 0, cap = 0, i;
	const char *p, *end, *eq;

	for (p = query; p != NULL && *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, "&");
		if (end == p)
			continue; /* "a=1&&b=2" or a trailing '&': nothing to sign */
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			params = xreallocarray(params, cap, sizeof *params);
		}
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			eq = end; /* "key" alone signs as "key=" */
		params[n].key = reencode(p, (size_t)(eq - p));
		params[n++].value =
		        eq == end ? xstrdup("") : reencode(eq + 1, (size_t)(end - eq - 1));
	}
	if (n > 0)
		qsort(params, n, sizeof *params, param_cmp);
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s=%s", i ? "&" : "", params[i].key, params[i].value);
		free(params[i].key);
		free(params[i].value);
	}
	free(params);
}

/* Appends v trimmed, with every run of whitespace (folded lines too) made one space. */
static void
canonical_value(struct buf *out, const char *v)
{
	int space = 0, any = 0;

	for (; *v != '\0'; v++) {
		if (is_lws((unsigned char)*v)) {
			space = 1;
			continue;
		}
		if (space && any)
			buf_addc(out, ' ');
		buf_addc(out, *v);
		space = 0;
		any = 1;
	}
}

static int
hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr *ha = a, *hb = b;
	int c;

	/* qsort is not stable; the request order decides between equal names. */
	if ((c = strcmp(ha->name, hb->name)) != 0)
		return c;
	return ha->order < hb->order ? -1 : ha->order > hb->order;
}

/*
 * Copies the request headers with lower-cased names into h (room for one more),
 * adds the session token when the request lacks it, and sorts them. Sets *np to
 * the number of names allocated, also on failure, so that the caller frees them.
 */
static int
collect_headers(const struct sigv4_request *req, const char *token, struct sigv4_hdr *h, size_t *np,
                char **cause)
{
	size_t n;
	char *c;
	int have_token = 0;

	for (n = 0; n < req->nheaders; n++) {
		if (!is_token(req->headers[n].name)) {
			*cause = xasprintf("invalid header name \"%s\"",
			                   req->headers[n].name ? req->headers[n].name : "(null)");
			*np = n;
			return -1;
		}
		h[n].name = xstrdup(req->headers[n].name);
		for (c = h[n].name; *c != '\0'; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
		h[n].value = req->headers[n].value ? req->headers[n].value : "";
		h[n].order = n;
		if (strcmp(h[n].name, "x-amz-security-token") == 0)
			have_token = 1;
	}
	if (token != NULL && !have_token) {
		h[n].name = xstrdup("x-amz-security-token");
		h[n].value = token;
		h[n].order = n;
		n++;
	}
	qsort(h, n, sizeof *h, hdr_cmp);
	*np = n;
	return 0;
}

/* Rejects a signed header that contradicts the other signing inputs. */
static int
check_header(const char *name, const char *value, const char *token, const char *amz_date,
             char **cause)
{
	if (strcmp(name, "x-amz-date") == 0 && strcmp(value, amz_date) != 0) {
		*cause = xasprintf("X-Amz-Date header \"%s\" is not the signing date \"%s\"", value,
		                   amz_date);
		return -1;
	}
	if (strcmp(name, "x-amz-security-token") == 0 && token != NULL &&
	    strcmp(value, token) != 0) {
		*cause = xasprintf("X-Amz-Security-Token header is not the session token");
		return -1;
	}
	if (strcmp(name, "host") == 0 && *value == '\0') {
		*cause = xasprintf("empty Host header");
		return -1;
	}
	return 0;
}

/*
 * Appends the canonical headers ("name:value\n", sorted, equal names joined with
 * commas in request order) to out and their names, ';'-separated, to names.
 */
static int
canonical_headers(const struct sigv4_request *req, const char *token, const char *amz_date,
                  struct buf *out, struct buf *names, char **cause)
{
	struct sigv4_hdr *h;
	size_t n = 0, i, start = 0;
	int rc = -1, have_host = 0;

	h = xcalloc(req->nheaders + 1, sizeof *h);
	if (collect_headers(req, token, h, &n, cause) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(h[i].name, h[i - 1].name) != 0) {
			buf_printf(out, "%s:", h[i].name);
			buf_printf(names, "%s%s", i ? ";" : "", h[i].name);
			start = out->len;
		} else
			buf_addc(out, ',');
		canonical_value(out, h[i].value);
		if (i + 1 < n && strcmp(h[i].name, h[i + 1].name) == 0)
			continue;
		if (check_header(h[i].name, out->data + start, token, amz_date, cause) == -1)
			goto out;
		have_host |= strcmp(h[i].name, "host") == 0;
		buf_addc(out, '\n');
	}
	if (!have_host) {
		*cause = xasprintf("request has no Host header");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(h[i].name);
	free(h);
	return rc;
}

/* Derives the signing key from the secret and signs sts; hex gets 64 digits and a NUL. */
static void
sign_string(const char *secret, const char *amz_date, const char *region, const char *service,
            const struct buf *sts, char hex[2 * CRYPTO_SHA256_LEN + 1])
{
	uint8_t a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
	struct buf key = BUF_INIT;

	/* Reserve first so that no realloc leaves a stray copy of the secret behind. */
	buf_reserve(&key, 4 + strlen(secret));
	buf_printf(&key, "AWS4%s", secret);
	crypto_hmac_sha256(key.data, key.len, amz_date, 8, a);
	crypto_hmac_sha256(a, sizeof a, region, strlen(region), b);
	crypto_hmac_sha256(b, sizeof b, service, strlen(service), a);
	crypto_hmac_sha256(a, sizeof a, "aws4_request", strlen("aws4_request"), b);
	crypto_hmac_sha256(b, sizeof b, sts->data, sts->len, a);
	crypto_hex(a, sizeof a, hex);
	explicit_bzero(key.data, key.len);
	explicit_bzero(a, sizeof a);
	explicit_bzero(b, sizeof b);
	buf_free(&key);
}

static int
check_input(const struct sigv4_request *req, const struct sigv4_credentials *creds,
            const char *region, const char *service, const char *amz_date, char **cause)
{
	if (!is_token(req->method))
		*cause = xasprintf("invalid method \"%s\"", req->method ? req->method : "(null)");
	else if (req->path != NULL && req->path[0] != '\0' && req->path[0] != '/')
		*cause = xasprintf("path \"%s\" does not start with '/'", req->path);
	else if (req->payload == NULL && req->payload_len != 0)
		*cause = xasprintf("payload length %zu without a payload", req->payload_len);
	else if (req->headers == NULL && req->nheaders != 0)
		*cause = xasprintf("%zu headers without a header array", req->nheaders);
	else if (!is_scope_part(creds->access_key))
		*cause = xasprintf("invalid access key");
	else if (creds->secret_key == NULL || creds->secret_key[0] == '\0')
		*cause = xasprintf("empty secret key");
	else if (!is_scope_part(region))
		*cause = xasprintf("invalid region \"%s\"", region ? region : "(null)");
	else if (!is_scope_part(service))
		*cause = xasprintf("invalid service \"%s\"", service ? service : "(null)");
	else if (!is_amz_date(amz_date))
		*cause = xasprintf("amz date \"%s\" is not YYYYMMDDTHHMMSSZ",
		                   amz_date ? amz_date : "(null)");
	else
		return 0;
	return -1;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *creds,
           const char *region, const char *service, const char *amz_date, struct sigv4_result *res,
           char **cause)
{
	struct buf creq = BUF_INIT, names = BUF_INIT, sts = BUF_INIT, authz = BUF_INIT;
	uint8_t hash[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1], sig[2 * CRYPTO_SHA256_LEN + 1];

	memset(res, 0, sizeof *res);
	if (check_input(req, creds, region, service, amz_date, cause) == -1)
		return -1;
	buf_printf(&creq, "%s\n", req->method);
	canonical_path(&creq, req->path != NULL && req->path[0] != '\0' ? req->path : "/");
	buf_addc(&creq, '\n');
	canonical_query(&creq, req->query);
	buf_addc(&creq, '\n');
	if (canonical_headers(req, creds->session_token, amz_date, &creq, &names, cause) == -1) {
		buf_free(&creq);
		buf_free(&names);
		return -1;
	}
	buf_printf(&creq, "\n%s\n", names.data);
	crypto_sha256(req->payload != NULL ? req->payload : "", req->payload_len, hash);
	crypto_hex(hash, sizeof hash, hex);
	buf_adds(&creq, hex);

	crypto_sha256(creq.data, creq.len, hash);
	crypto_hex(hash, sizeof hash, hex);
	buf_printf(&sts, SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date, amz_date,
	           region, service, hex);
	sign_string(creds->secret_key, amz_date, region, service, &sts, sig);
	buf_printf(&authz,
	           SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
	                           "Signature=%s",
	           creds->access_key, amz_date, region, service, names.data, sig);

	res->canonical_request = buf_detach(&creq);
	res->string_to_sign = buf_detach(&sts);
	res->authorization = buf_detach(&authz);
	res->signed_headers = buf_detach(&names);
	return 0;
}

void
sigv4_result_free(struct sigv4_result *res)
{
	free(res->canonical_request);
	free(res->string_to_sign);
	free(res->authorization);
	free(res->signed_headers);
	memset(res, 0, sizeof *res);
}

/* Writes the width lowest decimal digits of v >= 0, zero-padded, without a NUL. */
static void
put_digits(char *p, int v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
sigv4_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN + 1])
{
	struct tm tm;

	out[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	/* By hand: strftime's %Y does not pad years before 1000 to four digits. */
	put_digits(out, tm.tm_year + 1900, 4);
	put_digits(out + 4, tm.tm_mon + 1, 2);
	put_digits(out + 6, tm.tm_mday, 2);
	out[8] = 'T';
	put_digits(out + 9, tm.tm_hour, 2);
	put_digits(out + 11, tm.tm_min, 2);
	put_digits(out + 13, tm.tm_sec, 2);
	out[15] = 'Z';
	out[16] = '\0';
	return 0;
}
