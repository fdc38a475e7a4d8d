/* sns: SNS Publish, its limits, and the classes of its errors (see sns.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsapi.h"
#include "buf.h"
#include "creds.h"
#include "http.h"
#include "jval.h"
#include "log.h"
#include "sigv4.h"
#include "sns.h"
#include "xmalloc.h"

#define SNS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define SNS_CONNECT_MS   5000
#define SNS_TIMEOUT_MS   20000
/* Reply texts kept for causes and logs. */
#define SNS_TEXT_MAX 512
/* When a report is too large, no single string keeps more than this. */
#define SNS_TRIM_STRING 4096

struct sns_client {
	char *url;  /* the endpoint, with a path */
	char *host; /* its authority, sent and signed as Host */
	char *path;
	char *region;
	struct creds_chain *creds;
	time_t skew; /* the server's clock minus ours, learned from a skew error */
};

/* ---- the request -------------------------------------------------------- */

static void
sns_param(struct buf *out, const char *name, const char *value, size_t len)
{
	buf_printf(out, "&%s=", name);
	sigv4_uri_encode(out, value, len, 1);
}

/* A MessageGroupId: printable ASCII but space, at most SNS_FIFO_ID_MAX characters. */
static void
sns_group_id(struct buf *out, const char *host)
{
	struct buf id = BUF_INIT;
	const char *p;

	for (p = host; *p != '\0' && id.len < SNS_FIFO_ID_MAX; p++)
		buf_addc(&id, *p > ' ' && *p < 0x7f ? *p : '_');
	if (id.len == 0)
		buf_adds(&id, PACKAGE_NAME);
	sns_param(out, "MessageGroupId", id.data, id.len);
	buf_free(&id);
}

static int
sns_is_fifo(const char *arn)
{
	size_t len = strlen(arn);

	return len > 5 && strcmp(arn + len - 5, ".fifo") == 0;
}

void
sns_form(const struct sns_message *m, struct buf *out)
{
	const char *names[] = { "kind", "status", "host", "report_id" };
	const char *values[] = { m->kind, m->status, m->host, m->report_id };
	size_t i, n = 0;
	char key[64];

	buf_adds(out, "Action=Publish&Version=2010-03-31");
	sns_param(out, "TopicArn", m->topic_arn, strlen(m->topic_arn));
	sns_param(out, "Message", m->body, m->body_len);
	if (m->subject != NULL && *m->subject != '\0')
		sns_param(out, "Subject", m->subject, strlen(m->subject));
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (values[i] == NULL || *values[i] == '\0')
			continue;
		n++;
		snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Name", n);
		sns_param(out, key, names[i], strlen(names[i]));
		snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.DataType", n);
		sns_param(out, key, "String", 6);
		snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.StringValue", n);
		sns_param(out, key, values[i], strlen(values[i]));
	}
	if (sns_is_fifo(m->topic_arn)) {
		sns_group_id(out, m->host != NULL ? m->host : "");
		if (m->report_id != NULL)
			sns_param(out, "MessageDeduplicationId", m->report_id,
			          strnlen(m->report_id, SNS_FIFO_ID_MAX));
	}
}

void
sns_subject(struct buf *out, const char *text)
{
	struct buf s = BUF_INIT;
	const unsigned char *p;
	size_t start = 0;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p >= 0x80) {
			/* One '?' per UTF-8 character: at its lead byte, not its continuations. */
			if ((*p & 0xc0) != 0x80)
				buf_addc(&s, '?');
		} else
			buf_addc(&s, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
	}
	if (s.len > SNS_SUBJECT_MAX) {
		s.len = SNS_SUBJECT_MAX - 3;
		while (s.len > 0 && s.data[s.len - 1] == ' ')
			s.len--;
		buf_adds(&s, "...");
	}
	while (s.len > 0 && s.data[s.len - 1] == ' ')
		s.len--;
	while (start < s.len && s.data[start] == ' ')
		start++;
	buf_add(out, s.data + start, s.len - start);
	buf_free(&s);
}

size_t
sns_body_budget(const struct sns_message *m)
{
	const char *names[] = { "kind", "status", "host", "report_id" };
	const char *values[] = { m->kind, m->status, m->host, m->report_id };
	size_t i, used = m->subject != NULL ? strlen(m->subject) : 0;

	/* SNS counts an attribute as its name, its type and its value. */
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (values[i] != NULL && *values[i] != '\0')
			used += strlen(names[i]) + strlen("String") + strlen(values[i]);
	}
	return used < SNS_MESSAGE_MAX ? SNS_MESSAGE_MAX - used : 0;
}

/* ---- trimming a report to the size limit ------------------------------- */

/* Cuts a string to at most len bytes, ending in "..." and never inside a UTF-8 sequence. */
static void
sns_cut_string(struct jval *v, size_t len)
{
	int dots = len >= 3;

	if (v->len <= len)
		return;
	if (dots)
		len -= 3;
	while (len > 0 && ((unsigned char)v->str[len] & 0xc0) == 0x80)
		len--;
	if (dots) {
		memcpy(v->str + len, "...", 3);
		len += 3;
	}
	v->len = len;
	v->str[len] = '\0';
}

static void
sns_cap_strings(struct jval *v, size_t cap)
{
	size_t i;

	if (v->type == JVAL_STRING)
		sns_cut_string(v, cap);
	for (i = 0; i < v->n; i++)
		sns_cap_strings(v->items[i], cap);
}

static size_t
sns_max_items(const struct jval *v)
{
	size_t i, m = v->type == JVAL_ARRAY ? v->n : 0, s;

	for (i = 0; i < v->n; i++) {
		if ((s = sns_max_items(v->items[i])) > m)
			m = s;
	}
	return m;
}

static struct jval *
sns_longest_string(struct jval *v, struct jval *best)
{
	size_t i;

	if (v->type == JVAL_STRING && (best == NULL || v->len > best->len))
		best = v;
	for (i = 0; i < v->n; i++)
		best = sns_longest_string(v->items[i], best);
	return best;
}

/* The largest K for which every list cut to K items fits in max (0 if none does). */
static size_t
sns_fit_items(const struct jval *doc, size_t max)
{
	size_t lo = 0, hi = sns_max_items(doc), mid;

	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (jval_size_capped(doc, mid) <= max)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static void
sns_trim(struct jval *doc, size_t max)
{
	struct jval *s;
	size_t size;
	int round;

	/* Huge strings (logs, dumps) go first: they are never the summary. */
	if (jval_size(doc) > max)
		sns_cap_strings(doc, SNS_TRIM_STRING);
	if (jval_size(doc) > max)
		jval_cap_arrays(doc, sns_fit_items(doc, max));
	/* Still too large: many mid-sized strings. Each round cuts the longest. */
	for (round = 0; round < 64 && (size = jval_size(doc)) > max; round++) {
		if ((s = sns_longest_string(doc, NULL)) == NULL || s->len == 0)
			break;
		sns_cut_string(s, s->len > size - max + 3 ? s->len - (size - max) - 3 : 0);
	}
}

int
sns_fit(const char *json, size_t len, size_t max, struct buf *out)
{
	struct jval *doc, *top;
	char *why = NULL;

	if (len <= max) {
		buf_add(out, json, len);
		return 0;
	}
	if ((doc = jval_parse(json, len, &why)) == NULL) {
		free(why);
		doc = jval_new_string(json, len);
	}
	if (doc->type != JVAL_OBJECT) {
		top = jval_new(JVAL_OBJECT);
		jval_set(top, "report", doc);
		doc = top;
	}
	jval_set(doc, "truncated", jval_new(JVAL_TRUE));
	sns_trim(doc, max);
	if (jval_size(doc) > max) {
		/* Keys alone are too large: a report this odd is replaced, never rejected. */
		jval_free(doc);
		doc = jval_new(JVAL_OBJECT);
		jval_set(doc, "truncated", jval_new(JVAL_TRUE));
	}
	jval_write(out, doc);
	jval_free(doc);
	return 1;
}

/* ---- the answer --------------------------------------------------------- */

static int
sns_digit(char c, int hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
sns_xml_entity(struct buf *out, const char **pp, const char *end)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = { { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&amp;", '&' },
		     { "&quot;", '"' },
		     { "&apos;", '\'' } };
	const char *p;
	size_t i, n;
	long cp;
	int hex, d;

	for (i = 0; i < sizeof ents / sizeof ents[0]; i++) {
		n = strlen(ents[i].name);
		if ((size_t)(end - *pp) >= n && memcmp(*pp, ents[i].name, n) == 0) {
			buf_addc(out, ents[i].c);
			*pp += n;
			return;
		}
	}
	/* Numeric references: ASCII kept, the rest shown as '?' (causes are for logs). */
	if (end - *pp > 3 && (*pp)[1] == '#') {
		hex = (*pp)[2] == 'x';
		for (p = *pp + 2 + hex, cp = 0; p < end && cp < 0x110000; p++) {
			if ((d = sns_digit(*p, hex)) < 0)
				break;
			cp = cp * (hex ? 16 : 10) + d;
		}
		if (p < end && *p == ';' && p > *pp + 2 + hex) {
			buf_addc(out, cp >= 0x20 && cp < 0x7f ? (char)cp : '?');
			*pp = p + 1;
			return;
		}
	}
	buf_addc(out, '&');
	(*pp)++;
}

/* The text of the first <tag>...</tag>, entities decoded, control characters blanked. */
static char *
sns_xml_text(const char *body, size_t len, const char *tag)
{
	struct buf out = BUF_INIT;
	char open[64], close[64];
	const char *p, *end;

	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if ((p = memmem(body, len, open, strlen(open))) == NULL)
		return NULL;
	p += strlen(open);
	if ((end = memmem(p, len - (size_t)(p - body), close, strlen(close))) == NULL)
		return NULL;
	while (p < end && out.len < SNS_TEXT_MAX) {
		if (*p == '&')
			sns_xml_entity(&out, &p, end);
		else {
			buf_addc(&out, (unsigned char)*p < 0x20 ? ' ' : *p);
			p++;
		}
	}
	return buf_detach(&out);
}

/* A JSON string value as a cause text: at most SNS_TEXT_MAX bytes, control characters blanked. */
static char *
sns_json_text(const struct jval *obj, const char *key, const char *alt)
{
	const char *v = jval_get_string(obj, key);
	struct buf out = BUF_INIT;

	if (v == NULL && alt != NULL)
		v = jval_get_string(obj, alt);
	if (v == NULL)
		return NULL;
	for (; *v != '\0' && out.len < SNS_TEXT_MAX; v++)
		buf_addc(&out, (unsigned char)*v < 0x20 || *v == 0x7f ? ' ' : *v);
	if (out.data == NULL)
		buf_adds(&out, "");
	return buf_detach(&out);
}

/*
 * The JSON forms of AWS errors: {"Error":{"Code","Message"}} (the query
 * protocol's JSON answer), {"__type":"ns#Code","message"} (JSON services, and
 * gateways in front of them).
 */
static void
sns_parse_json(const char *body, size_t len, struct sns_reply *r)
{
	const struct jval *err;
	struct jval *doc;
	const char *type, *hash;
	char *why = NULL;

	if ((doc = jval_parse(body, len, &why)) == NULL) {
		free(why);
		return;
	}
	err = jval_get(doc, "Error");
	if (err != NULL) {
		r->code = sns_json_text(err, "Code", "code");
		r->message = sns_json_text(err, "Message", "message");
	} else if ((type = jval_get_string(doc, "__type")) != NULL) {
		hash = strrchr(type, '#');
		r->code = xstrndup(hash != NULL ? hash + 1 : type, SNS_TEXT_MAX);
		r->message = sns_json_text(doc, "message", "Message");
	} else {
		r->code = sns_json_text(doc, "Code", "code");
		r->message = sns_json_text(doc, "Message", "message");
	}
	jval_free(doc);
}

void
sns_parse_reply(const char *body, size_t len, struct sns_reply *r)
{
	size_t skip = 0;

	memset(r, 0, sizeof *r);
	if (body == NULL)
		return;
	while (skip < len && (body[skip] == ' ' || body[skip] == '\t' || body[skip] == '\r' ||
	                      body[skip] == '\n'))
		skip++;
	if (skip < len && body[skip] == '{') {
		sns_parse_json(body + skip, len - skip, r);
		return;
	}
	r->message_id = sns_xml_text(body, len, "MessageId");
	r->code = sns_xml_text(body, len, "Code");
	r->message = sns_xml_text(body, len, "Message");
	if (r->message_id != NULL && *r->message_id == '\0') {
		free(r->message_id);
		r->message_id = NULL;
	}
}

void
sns_reply_free(struct sns_reply *r)
{
	free(r->message_id);
	free(r->code);
	free(r->message);
	memset(r, 0, sizeof *r);
}

enum sns_class
sns_classify(long status, const char *code, const char *message)
{
	if (status >= 200 && status < 300)
		return SNS_OK;
	switch (awsapi_code_kind(code, message)) {
	case AWSAPI_CODE_RETRY:
		return SNS_TRANSIENT;
	case AWSAPI_CODE_SKEW:
		return SNS_SKEW;
	case AWSAPI_CODE_AUTH:
	case AWSAPI_CODE_EXPIRED:
		return SNS_CREDENTIALS;
	case AWSAPI_CODE_NOT_FOUND:
		return SNS_NOT_FOUND;
	case AWSAPI_CODE_INVALID: /* only these say the message itself can never be taken */
		return SNS_PERMANENT;
	default:
		break;
	}
	if (status >= 500 || status == 429 || status == 408)
		return SNS_TRANSIENT;
	if (status == 413) /* a gateway refusing the size: the message is too long */
		return SNS_PERMANENT;
	/*
	 * Not authorized (AuthorizationError, AccessDenied, KMS*), a 4xx we do not
	 * know: the setup is wrong, and an operator may fix it; the report waits.
	 */
	if (status >= 400)
		return SNS_HOLD;
	return SNS_TRANSIENT; /* 1xx, 3xx: a proxy or a portal in the way */
}

/* ---- the client --------------------------------------------------------- */

/* The endpoint's parts; the path is "/" when the URL has none. */
static int
sns_set_endpoint(struct sns_client *c, const char *url, char **cause)
{
	const char *path;

	if (awsapi_endpoint_split(url, &c->host, &path, cause) != 0)
		return -1;
	c->path = xstrdup(*path != '\0' ? path : "/");
	c->url = *path != '\0' ? xstrdup(url) : xasprintf("%s/", url);
	return 0;
}

struct sns_client *
sns_client_new(const struct conf *conf, char **cause)
{
	struct sns_client *c;
	char *url;
	int rv;

	if (conf->sns.topic_arn == NULL || conf->sns.region == NULL) {
		*cause = xstrdup("no [sns] topic_arn configured");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	http_session_begin(); /* a pass over the spool pays one helper and one handshake */
	c->region = xstrdup(conf->sns.region);
	if (conf->sns.endpoint != NULL)
		url = xstrdup(conf->sns.endpoint);
	else /* China's partition has its own domain. */
		url = xasprintf("https://sns.%s.amazonaws.com%s/", c->region,
		                strncmp(conf->sns.topic_arn, "arn:aws-cn:", 11) == 0 ? ".cn" : "");
	rv = sns_set_endpoint(c, url, cause);
	free(url);
	if (rv != 0) {
		sns_client_free(c);
		return NULL;
	}
	c->creds = creds_chain_new(conf->sns.credentials, conf->sns.profile);
	return c;
}

void
sns_client_free(struct sns_client *c)
{
	if (c == NULL)
		return;
	http_session_end();
	creds_chain_free(c->creds);
	free(c->url);
	free(c->host);
	free(c->path);
	free(c->region);
	free(c);
}

/* Signs and sends one Publish: -1 and a cause when nothing was answered. */
static int
sns_send(struct sns_client *c, const struct buf *form, struct http_response *resp, char **cause)
{
	struct sigv4_header sh[4];
	struct http_header hh[5];
	struct sigv4_result res;
	const struct creds *cr;
	char date[SIGV4_AMZ_DATE_LEN + 1], *why;
	size_t i, n = 0;
	int rv;

	if (creds_chain_get(c->creds, &cr, cause) != 0)
		return -1;
	if (sigv4_amz_date(time(NULL) + c->skew, date) != 0) {
		*cause = xstrdup("the system clock is out of range");
		return -1;
	}
	sh[n++] = (struct sigv4_header){ "Host", c->host };
	sh[n++] = (struct sigv4_header){ "Content-Type", SNS_CONTENT_TYPE };
	sh[n++] = (struct sigv4_header){ "X-Amz-Date", date };
	if (cr->session_token != NULL)
		sh[n++] = (struct sigv4_header){ "X-Amz-Security-Token", cr->session_token };
	if (sigv4_sign(
	            &(struct sigv4_request){ "POST", c->path, NULL, sh, n, form->data, form->len },
	            &(struct sigv4_credentials){ cr->access_key, cr->secret_key,
	                                         cr->session_token },
	            c->region, "sns", date, &res, &why) != 0) {
		*cause = xasprintf("signing: %s", why);
		free(why);
		return -1;
	}
	for (i = 0; i < n; i++)
		hh[i] = (struct http_header){ sh[i].name, sh[i].value };
	hh[n] = (struct http_header){ "Authorization", res.authorization };
	rv = http_request(&(struct http_request){ "POST", c->url, hh, n + 1, form->data, form->len,
	                                          SNS_CONNECT_MS, SNS_TIMEOUT_MS, 0 },
	                  resp, cause);
	explicit_bzero(res.authorization, strlen(res.authorization));
	sigv4_result_free(&res);
	return rv;
}

/* Fixes what can be fixed now; returns 1 to send again. */
static int
sns_recover(struct sns_client *c, enum sns_class cls, time_t server_date, int *tried)
{
	time_t skew;

	if (cls == SNS_SKEW && !(*tried & 1) && server_date != 0) {
		skew = server_date - time(NULL);
		log_warn("the system clock is %lld s %s SNS's; signing with SNS's time (fix NTP)",
		         (long long)(skew < 0 ? -skew : skew), skew < 0 ? "ahead of" : "behind");
		c->skew = skew;
		*tried |= 1;
		return 1;
	}
	if (cls == SNS_CREDENTIALS && !(*tried & 2)) {
		log_info("SNS refused the AWS credentials; fetching them again");
		creds_chain_invalidate(c->creds);
		*tried |= 2;
		return 1;
	}
	return 0;
}

static char *
sns_cause(const struct http_response *resp, const struct sns_reply *r)
{
	if (r->code != NULL)
		return xasprintf("SNS answered HTTP %ld %s: %s", resp->status, r->code,
		                 r->message != NULL ? r->message : "");
	if (resp->status >= 200 && resp->status < 300)
		return xasprintf("SNS answered HTTP %ld without a MessageId", resp->status);
	return xasprintf("SNS answered HTTP %ld", resp->status);
}

int
sns_publish(struct sns_client *c, const struct sns_message *m, char **message_id,
            enum sns_class *cls, char **cause)
{
	struct buf form = BUF_INIT;
	struct http_response resp;
	struct sns_reply r;
	int tried = 0, again;

	*message_id = NULL;
	sns_form(m, &form);
	do {
		if (sns_send(c, &form, &resp, cause) != 0) {
			*cls = SNS_TRANSIENT;
			break;
		}
		sns_parse_reply(resp.body.data, resp.body.len, &r);
		*cls = sns_classify(resp.status, r.code, r.message);
		if (*cls == SNS_OK && r.message_id == NULL)
			*cls = SNS_TRANSIENT;
		again = *cls != SNS_OK && sns_recover(c, *cls, resp.date, &tried);
		if (*cls == SNS_OK) {
			*message_id = r.message_id;
			r.message_id = NULL;
		} else if (!again)
			*cause = sns_cause(&resp, &r);
		sns_reply_free(&r);
		http_response_free(&resp);
	} while (again);
	buf_free(&form);
	/*
	 * A skew that survived its fix may still heal: retry later. Credentials
	 * refused again wait for an operator (or a rotation) to fix them.
	 */
	if (*cls == SNS_SKEW)
		*cls = SNS_TRANSIENT;
	else if (*cls == SNS_CREDENTIALS)
		*cls = SNS_HOLD;
	return *cls == SNS_OK ? 0 : -1;
}
