/* json: streaming JSON writer. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"

/* Length of the valid UTF-8 sequence at s, or 0 if it is not valid. */
static size_t
json_utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and code points past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
json_escape(struct buf *out, const void *s, size_t len)
{
	const unsigned char *p = s, *end = p + len;
	size_t n;

	buf_reserve(out, len + 2);
	buf_addc(out, '"');
	while (p < end) {
		/* Copy the longest run that needs no escaping in one go. */
		const unsigned char *run = p;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			buf_add(out, run, (size_t)(p - run));
		if (p == end)
			break;
		switch (*p) {
		case '"':
			buf_adds(out, "\\\"");
			p++;
			continue;
		case '\\':
			buf_adds(out, "\\\\");
			p++;
			continue;
		case '\n':
			buf_adds(out, "\\n");
			p++;
			continue;
		case '\r':
			buf_adds(out, "\\r");
			p++;
			continue;
		case '\t':
			buf_adds(out, "\\t");
			p++;
			continue;
		case '\b':
			buf_adds(out, "\\b");
			p++;
			continue;
		case '\f':
			buf_adds(out, "\\f");
			p++;
			continue;
		}
		if (*p < 0x20) {
			buf_printf(out, "\\u%04x", *p);
			p++;
			continue;
		}
		n = json_utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			buf_adds(out, "\\ufffd");
			p++;
		} else {
			buf_add(out, p, n);
			p += n;
		}
	}
	buf_addc(out, '"');
}

void
json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

static void
json_key(struct json *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		buf_addc(j->out, ',');
	if (key != NULL) {
		json_escape(j->out, key, strlen(key));
		buf_addc(j->out, ':');
	}
}

static void
json_open(struct json *j, const char *key, char c)
{
	json_key(j, key);
	buf_addc(j->out, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		fatal("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->count[++j->depth] = 0;
}

static void
json_close(struct json *j, char c)
{
	if (j->depth == 0)
		fatal("json: close without open");
	j->depth--;
	buf_addc(j->out, c);
}

void
json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_object_end(struct json *j)
{
	json_close(j, '}');
}

void
json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_array_end(struct json *j)
{
	json_close(j, ']');
}

void
json_string(struct json *j, const char *key, const char *value)
{
	if (value == NULL) {
		json_null(j, key);
		return;
	}
	json_string_len(j, key, value, strlen(value));
}

void
json_string_len(struct json *j, const char *key, const void *value, size_t len)
{
	json_key(j, key);
	json_escape(j->out, value, len);
}

void
json_int(struct json *j, const char *key, int64_t value)
{
	json_key(j, key);
	buf_printf(j->out, "%lld", (long long)value);
}

void
json_double(struct json *j, const char *key, double value)
{
	json_key(j, key);
	if (!isfinite(value))
		buf_adds(j->out, "null");
	else
		buf_printf(j->out, "%.15g", value);
}

void
json_bool(struct json *j, const char *key, int value)
{
	json_key(j, key);
	buf_adds(j->out, value ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	buf_adds(j->out, "null");
}

void
json_raw(struct json *j, const char *key, const char *value, size_t len)
{
	json_key(j, key);
	buf_add(j->out, value, len);
}
