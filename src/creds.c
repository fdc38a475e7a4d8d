/* creds: the AWS credentials chain (see creds.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "creds.h"
#include "http.h"
#include "jval.h"
#include "log.h"
#include "xmalloc.h"

#define CREDS_IMDS_DEFAULT    "http://169.254.169.254"
#define CREDS_IMDS_TOKEN_TTL  21600 /* seconds, the longest IMDS allows */
#define CREDS_IMDS_ROLES_PATH "/latest/meta-data/iam/security-credentials/"
/* Metadata is local to the instance: anything slower means it is not there. */
#define CREDS_IMDS_CONNECT_MS 1000
#define CREDS_IMDS_TIMEOUT_MS 2000

struct creds_chain {
	int mode; /* enum conf_credentials */
	char *profile;
	struct creds cur;
	int have;
	int warned;             /* a failed refresh was logged for cur */
	unsigned warned_broken; /* bit i: the broken source i was logged, once per chain */
	char *imds_token;
	time_t imds_token_expiry;
};

/*
 * A source: 0 found, 1 absent (cause says why), -1 broken (unusable: a bad
 * file, an unreachable service, expired credentials). auto goes on after
 * either; a broken source is worth one warning.
 */
struct creds_source {
	const char *name;
	int (*load)(struct creds_chain *, struct creds *, char **);
};

static int creds_from_env(struct creds_chain *, struct creds *, char **);
static int creds_from_file(struct creds_chain *, struct creds *, char **);
static int creds_from_imds(struct creds_chain *, struct creds *, char **);

/* In the order of auto, and of enum conf_credentials after CONF_CREDS_AUTO. */
static const struct creds_source creds_sources[] = {
	{ "environment", creds_from_env },
	{ "shared credentials file", creds_from_file },
	{ "instance metadata", creds_from_imds },
};
#define CREDS_NSOURCES (sizeof creds_sources / sizeof creds_sources[0])

static void
creds_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
creds_clear(struct creds *c)
{
	creds_wipe_free(c->access_key);
	creds_wipe_free(c->secret_key);
	creds_wipe_free(c->session_token);
	memset(c, 0, sizeof *c);
}

static const char *
creds_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
creds_from_env(struct creds_chain *ch, struct creds *c, char **cause)
{
	const char *id = creds_env("AWS_ACCESS_KEY_ID"),
	           *secret = creds_env("AWS_SECRET_ACCESS_KEY");
	const char *token = creds_env("AWS_SESSION_TOKEN");

	(void)ch;
	if (id == NULL && secret == NULL) {
		*cause = xstrdup("AWS_ACCESS_KEY_ID is not set");
		return 1;
	}
	if (id == NULL || secret == NULL) {
		*cause = xasprintf("%s is set but %s is not",
		                   id != NULL ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		                   id != NULL ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	c->access_key = xstrdup(id);
	c->secret_key = xstrdup(secret);
	c->session_token = token != NULL ? xstrdup(token) : NULL;
	return 0;
}

/* s..e without surrounding blanks; returns the new start, *e moves back. */
static const char *
creds_trim(const char *s, const char **e)
{
	while (s < *e && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	while (*e > s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
	return s;
}

static void
creds_ini_set(struct creds *c, const char *k, size_t klen, const char *v, size_t vlen)
{
	static const char *const names[] = { "aws_access_key_id", "aws_secret_access_key",
		                             "aws_session_token", "aws_security_token" };
	char **slots[] = { &c->access_key, &c->secret_key, &c->session_token, &c->session_token };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		/* Case-insensitive, as botocore's configparser reads option names. */
		if (strlen(names[i]) == klen && strncasecmp(k, names[i], klen) == 0) {
			creds_wipe_free(*slots[i]);
			*slots[i] = vlen > 0 ? xstrndup(v, vlen) : NULL;
			return;
		}
	}
}

int
creds_parse_ini(const char *text, const char *profile, struct creds *c, char **cause)
{
	const char *line, *next, *s, *e, *eq, *ke, *v;
	int in = 0, found = 0;

	memset(c, 0, sizeof *c);
	for (line = text; *line != '\0'; line = next) {
		e = next = line + strcspn(line, "\n");
		if (*next == '\n')
			next++;
		s = creds_trim(line, &e);
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			in = 0;
			if (e[-1] == ']' && e - s >= 2) {
				s++;
				e--;
				s = creds_trim(s, &e);
				in = (size_t)(e - s) == strlen(profile) &&
				     memcmp(s, profile, (size_t)(e - s)) == 0;
				found |= in;
			}
			continue;
		}
		if (!in || (eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			continue;
		ke = eq;
		s = creds_trim(s, &ke);
		v = creds_trim(eq + 1, &e);
		creds_ini_set(c, s, (size_t)(ke - s), v, (size_t)(e - v));
	}
	if (!found) {
		creds_clear(c);
		return 1;
	}
	if (c->access_key == NULL || c->secret_key == NULL) {
		*cause = xasprintf("profile [%s] has no %s", profile,
		                   c->access_key == NULL ? "aws_access_key_id"
		                                         : "aws_secret_access_key");
		creds_clear(c);
		return -1;
	}
	return 0;
}

static char *
creds_file_path(void)
{
	const char *p = creds_env("AWS_SHARED_CREDENTIALS_FILE"), *home = creds_env("HOME");
	struct passwd *pw;

	if (home == NULL && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (p != NULL && strncmp(p, "~/", 2) == 0 && home != NULL)
		return xasprintf("%s/%s", home, p + 2);
	if (p != NULL)
		return xstrdup(p);
	return home != NULL ? xasprintf("%s/.aws/credentials", home) : NULL;
}

static int
creds_from_file(struct creds_chain *ch, struct creds *c, char **cause)
{
	char *path = creds_file_path(), *text = NULL, *why = NULL;
	struct stat st;
	int rv;

	if (path == NULL) {
		*cause = xstrdup("no HOME to find ~/.aws/credentials in");
		return 1;
	}
	if (stat(path, &st) != 0 && errno == ENOENT) {
		*cause = xasprintf("%s does not exist", path);
		free(path);
		return 1;
	}
	/* The house rule for secret files: refused when group or others may read them. */
	if (conf_read_secret(path, &text, &why) != 0) {
		*cause = why;
		free(path);
		return -1;
	}
	rv = creds_parse_ini(text, ch->profile, c, &why);
	creds_wipe_free(text);
	if (rv == 1)
		*cause = xasprintf("%s has no profile [%s]", path, ch->profile);
	else if (rv == -1)
		*cause = xasprintf("%s: %s", path, why);
	free(why);
	free(path);
	return rv;
}

int
creds_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int n = 0;
	time_t v;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((v = timegm(&tm)) == (time_t)-1)
		return -1;
	*t = v;
	return 0;
}

int
creds_parse_imds(const char *text, size_t len, struct creds *c, char **cause)
{
	const char *code, *id, *secret, *token, *exp;
	struct jval *doc;
	char *why;
	time_t t;

	memset(c, 0, sizeof *c);
	if ((doc = jval_parse(text, len, &why)) == NULL) {
		*cause = xasprintf("role credentials: %s", why);
		free(why);
		return -1;
	}
	code = jval_get_string(doc, "Code");
	id = jval_get_string(doc, "AccessKeyId");
	secret = jval_get_string(doc, "SecretAccessKey");
	token = jval_get_string(doc, "Token");
	exp = jval_get_string(doc, "Expiration");
	if (code != NULL && strcmp(code, "Success") != 0)
		*cause = xasprintf("role credentials: Code is \"%.64s\"", code);
	else if (id == NULL || secret == NULL || token == NULL || exp == NULL)
		*cause = xstrdup("role credentials lack AccessKeyId, SecretAccessKey, Token or "
		                 "Expiration");
	else if (creds_parse_time(exp, &t) != 0)
		*cause = xasprintf("role credentials: bad Expiration \"%.64s\"", exp);
	else {
		c->access_key = xstrdup(id);
		c->secret_key = xstrdup(secret);
		c->session_token = xstrdup(token);
		c->expiration = t;
	}
	/* The tree holds secrets too. */
	if (secret != NULL)
		explicit_bzero((char *)secret, strlen(secret));
	if (token != NULL)
		explicit_bzero((char *)token, strlen(token));
	jval_free(doc);
	return c->access_key != NULL ? 0 : -1;
}

static void
creds_forget_token(struct creds_chain *ch)
{
	creds_wipe_free(ch->imds_token);
	ch->imds_token = NULL;
	ch->imds_token_expiry = 0;
}

/* One metadata request; PUT asks for a token, anything else sends the cached one. */
static int
creds_imds_call(struct creds_chain *ch, const char *method, const char *path,
                struct http_response *resp, char **cause)
{
	const char *base = creds_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	struct http_header h;
	struct http_request req;
	char ttl[16], *url;
	size_t blen;
	int rv;

	if (base == NULL)
		base = CREDS_IMDS_DEFAULT;
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	url = xasprintf("%.*s%s", (int)blen, base, path);
	snprintf(ttl, sizeof ttl, "%d", CREDS_IMDS_TOKEN_TTL);
	if (strcmp(method, "PUT") == 0)
		h = (struct http_header){ "X-aws-ec2-metadata-token-ttl-seconds", ttl };
	else
		h = (struct http_header){ "X-aws-ec2-metadata-token", ch->imds_token };
	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.headers = &h;
	req.nheaders = 1;
	req.connect_timeout_ms = CREDS_IMDS_CONNECT_MS;
	req.timeout_ms = CREDS_IMDS_TIMEOUT_MS;
	req.no_proxy = 1;
	rv = http_request(&req, resp, cause);
	free(url);
	return rv;
}

static int
creds_imds_token(struct creds_chain *ch, char **cause)
{
	struct http_response resp;
	time_t now = time(NULL);

	if (ch->imds_token != NULL && now < ch->imds_token_expiry)
		return 0;
	creds_forget_token(ch);
	if (creds_imds_call(ch, "PUT", "/latest/api/token", &resp, cause) != 0)
		return -1;
	/* The body is a secret buffer: http_response_free wipes it. */
	if (resp.status != 200 || resp.body.len == 0 || resp.body.len > 4096 ||
	    strpbrk(resp.body.data, "\r\n") != NULL) {
		*cause = xasprintf("IMDSv2 token request answered HTTP %ld", resp.status);
		http_response_free(&resp);
		return -1;
	}
	ch->imds_token = xstrdup(resp.body.data);
	ch->imds_token_expiry = now + CREDS_IMDS_TOKEN_TTL - 60;
	http_response_free(&resp);
	return 0;
}

/* A GET with the session token; a 401 means it expired: once more with a new one. */
static int
creds_imds_get(struct creds_chain *ch, const char *path, struct http_response *resp, char **cause)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (creds_imds_token(ch, cause) != 0 ||
		    creds_imds_call(ch, "GET", path, resp, cause) != 0)
			return -1;
		if (resp->status != 401)
			break;
		http_response_free(resp);
		creds_forget_token(ch);
	}
	if (resp->status == 200)
		return 0;
	*cause = xasprintf("GET %s answered HTTP %ld%s", path, resp->status,
	                   resp->status == 404 ? " (no IAM role attached to the instance?)" : "");
	http_response_free(resp);
	return -1;
}

static int
creds_from_imds(struct creds_chain *ch, struct creds *c, char **cause)
{
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	struct http_response resp;
	char *role, *path;
	int rv;

	if (off != NULL && strcasecmp(off, "true") == 0) {
		*cause = xstrdup("disabled by AWS_EC2_METADATA_DISABLED");
		return 1;
	}
	if (creds_imds_get(ch, CREDS_IMDS_ROLES_PATH, &resp, cause) != 0)
		return -1;
	/* One role per instance profile: the first line. */
	role = xstrndup(resp.body.data, strcspn(resp.body.data, "\r\n"));
	http_response_free(&resp);
	if (*role == '\0' || strchr(role, '/') != NULL || strchr(role, '?') != NULL) {
		*cause = xasprintf("instance metadata lists no usable IAM role");
		free(role);
		return -1;
	}
	path = xasprintf("%s%s", CREDS_IMDS_ROLES_PATH, role);
	free(role);
	rv = creds_imds_get(ch, path, &resp, cause);
	free(path);
	if (rv != 0)
		return -1;
	rv = creds_parse_imds(resp.body.data, resp.body.len, c, cause);
	http_response_free(&resp); /* wiped: the body is a secret buffer */
	/* Never sign with credentials that are already dead. */
	if (rv == 0 && c->expiration <= time(NULL)) {
		*cause = xasprintf("the role credentials expired %lld s ago",
		                   (long long)(time(NULL) - c->expiration));
		creds_clear(c);
		rv = -1;
	}
	return rv;
}

int
creds_chain_region(struct creds_chain *ch, char **region, char **cause)
{
	const char *off = getenv("AWS_EC2_METADATA_DISABLED");
	struct http_response resp;
	size_t n, i;

	*region = NULL;
	if (off != NULL && strcasecmp(off, "true") == 0) {
		*cause = xstrdup("instance metadata is disabled by AWS_EC2_METADATA_DISABLED");
		return -1;
	}
	if (creds_imds_get(ch, "/latest/meta-data/placement/region", &resp, cause) != 0)
		return -1;
	n = strcspn(resp.body.data, "\r\n");
	for (i = 0;
	     i < n && (resp.body.data[i] == '-' || isalnum((unsigned char)resp.body.data[i])); i++)
		;
	if (n == 0 || n > 32 || i < n)
		*cause = xstrdup("instance metadata answered no usable region");
	else
		*region = xstrndup(resp.body.data, n);
	http_response_free(&resp);
	return *region != NULL ? 0 : -1;
}

/* Runs the sources of ch->mode in order; auto skips a broken one, saying so once. */
static int
creds_load(struct creds_chain *ch, struct creds *c, char **cause)
{
	struct buf why = BUF_INIT;
	size_t i, first = 0, last = CREDS_NSOURCES - 1;
	int auto_chain = ch->mode == CONF_CREDS_AUTO, rv = 1;
	char *one;

	if (!auto_chain)
		first = last = (size_t)ch->mode - 1;
	for (i = first; i <= last; i++) {
		one = NULL;
		memset(c, 0, sizeof *c);
		if ((rv = creds_sources[i].load(ch, c, &one)) == 0) {
			c->source = creds_sources[i].name;
			break;
		}
		buf_printf(&why, "%s%s: %s", why.len > 0 ? "; " : "", creds_sources[i].name,
		           one != NULL ? one : "failed");
		if (rv < 0 && auto_chain && i < last && !(ch->warned_broken & 1u << i)) {
			log_warn("AWS credentials: skipping the %s: %s", creds_sources[i].name,
			         one != NULL ? one : "failed");
			ch->warned_broken |= 1u << i;
		}
		free(one);
	}
	if (rv == 0) {
		buf_free(&why);
		return 0;
	}
	*cause = xasprintf("no AWS credentials: %s", why.data);
	buf_free(&why);
	return -1;
}

struct creds_chain *
creds_chain_new(int mode, const char *profile)
{
	struct creds_chain *ch = xcalloc(1, sizeof *ch);

	if (mode < CONF_CREDS_AUTO || mode > CONF_CREDS_IMDS)
		fatal("creds: bad mode %d", mode);
	ch->mode = mode;
	ch->profile = xstrdup(profile != NULL ? profile : "default");
	return ch;
}

void
creds_chain_free(struct creds_chain *ch)
{
	if (ch == NULL)
		return;
	creds_clear(&ch->cur);
	creds_forget_token(ch);
	free(ch->profile);
	free(ch);
}

void
creds_chain_invalidate(struct creds_chain *ch)
{
	creds_clear(&ch->cur);
	ch->have = 0;
	ch->warned = 0;
}

int
creds_chain_get(struct creds_chain *ch, const struct creds **out, char **cause)
{
	struct creds fresh;
	time_t now = time(NULL);
	char *why = NULL;

	if (ch->have && (ch->cur.expiration == 0 || ch->cur.expiration - now > CREDS_REFRESH_S)) {
		*out = &ch->cur;
		return 0;
	}
	if (creds_load(ch, &fresh, &why) == 0) {
		creds_chain_invalidate(ch);
		ch->cur = fresh;
		ch->have = 1;
		log_debug("AWS credentials from the %s%s", fresh.source,
		          fresh.expiration != 0 ? " (temporary)" : "");
		*out = &ch->cur;
		return 0;
	}
	if (ch->have && ch->cur.expiration > now) {
		/* Handled here: keep signing with what still works, say so once. */
		if (!ch->warned)
			log_warn(
			        "cannot refresh AWS credentials, using the current ones until they "
			        "expire in %lld s: %s",
			        (long long)(ch->cur.expiration - now), why);
		ch->warned = 1;
		free(why);
		*out = &ch->cur;
		return 0;
	}
	creds_chain_invalidate(ch);
	*cause = why;
	return -1;
}
