/* jval: a JSON reader into a tree, and its writer (see jval.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "jval.h"
#include "xmalloc.h"

struct jval_parser {
	const char *p, *start, *end;
	char *cause;
};

static struct jval *jval_parse_value(struct jval_parser *ps, int depth);

/* Records the first error only: the innermost one says the most. */
static struct jval *
jval_fail(struct jval_parser *ps, const char *what)
{
	if (ps->cause == NULL)
		ps->cause = xasprintf("invalid JSON at byte %zu: %s", (size_t)(ps->p - ps->start),
		                      what);
	return NULL;
}

static void
jval_skip_ws(struct jval_parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

struct jval *
jval_new(enum jval_type type)
{
	struct jval *v = xcalloc(1, sizeof *v);

	v->type = type;
	return v;
}

struct jval *
jval_new_string(const char *s, size_t len)
{
	struct jval *v = jval_new(JVAL_STRING);

	v->str = xmalloc(len + 1);
	if (len > 0)
		memcpy(v->str, s, len);
	v->str[len] = '\0';
	v->len = len;
	return v;
}

void
jval_free(struct jval *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		jval_free(v->items[i]);
		if (v->keys != NULL)
			jval_free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

static void
jval_push(struct jval *v, struct jval *key, struct jval *item)
{
	v->items = xreallocarray(v->items, v->n + 1, sizeof *v->items);
	if (v->type == JVAL_OBJECT) {
		v->keys = xreallocarray(v->keys, v->n + 1, sizeof *v->keys);
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
}

static void
jval_utf8(struct buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
		return;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

/* Four hex digits after "\u"; -1 when they are not. */
static long
jval_hex4(struct jval_parser *ps)
{
	long v = 0;
	int i, c;

	if (ps->end - ps->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)ps->p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	ps->p += 4;
	return v;
}

/* After "\u": one code point, joining a surrogate pair; a lone surrogate becomes U+FFFD. */
static int
jval_unicode(struct jval_parser *ps, struct buf *b)
{
	long hi, lo;
	const char *save;

	if ((hi = jval_hex4(ps)) < 0)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
	    ps->p[1] == 'u') {
		save = ps->p;
		ps->p += 2;
		if ((lo = jval_hex4(ps)) >= 0xdc00 && lo <= 0xdfff) {
			jval_utf8(b, 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
			                     ((uint32_t)lo - 0xdc00));
			return 0;
		}
		ps->p = save; /* not a pair: the second escape is read on its own */
	}
	jval_utf8(b, hi >= 0xd800 && hi <= 0xdfff ? 0xfffd : (uint32_t)hi);
	return 0;
}

static int
jval_parse_escape(struct jval_parser *ps, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (ps->p >= ps->end)
		return -1;
	if (*ps->p == 'u') {
		ps->p++;
		return jval_unicode(ps, b);
	}
	if (*ps->p == '\0' || (e = strchr(from, *ps->p)) == NULL)
		return -1;
	buf_addc(b, to[e - from]);
	ps->p++;
	return 0;
}

static struct jval *
jval_parse_string(struct jval_parser *ps)
{
	struct buf b = BUF_INIT;
	struct jval *v;
	const char *run;

	ps->p++; /* the opening quote */
	for (;;) {
		run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		buf_add(&b, run, (size_t)(ps->p - run));
		if (ps->p >= ps->end || (unsigned char)*ps->p < 0x20) {
			buf_free(&b);
			return jval_fail(ps, ps->p >= ps->end ? "unterminated string"
			                                      : "control character in a string");
		}
		if (*ps->p++ == '"')
			break;
		if (jval_parse_escape(ps, &b) != 0) {
			buf_free(&b);
			return jval_fail(ps, "bad escape in a string");
		}
	}
	v = jval_new(JVAL_STRING);
	v->len = b.len;
	v->str = buf_detach(&b);
	return v;
}

static size_t
jval_digits(struct jval_parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return (size_t)(ps->p - s);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static struct jval *
jval_parse_number(struct jval_parser *ps)
{
	const char *s = ps->p;
	struct jval *v;
	size_t n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (jval_digits(ps) == 0)
		return jval_fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (jval_digits(ps) == 0)
			return jval_fail(ps, "bad number");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (jval_digits(ps) == 0)
			return jval_fail(ps, "bad number");
	}
	n = (size_t)(ps->p - s);
	v = jval_new(JVAL_NUMBER);
	v->str = xstrndup(s, n);
	v->len = n;
	return v;
}

static struct jval *
jval_parse_word(struct jval_parser *ps)
{
	static const struct {
		const char *word;
		enum jval_type type;
	} words[] = { { "null", JVAL_NULL }, { "false", JVAL_FALSE }, { "true", JVAL_TRUE } };
	size_t i, len;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		len = strlen(words[i].word);
		if ((size_t)(ps->end - ps->p) >= len && memcmp(ps->p, words[i].word, len) == 0) {
			ps->p += len;
			return jval_new(words[i].type);
		}
	}
	return jval_fail(ps, "unexpected character");
}

/* An array or object, after its opening bracket; close is ']' or '}'. */
static struct jval *
jval_parse_container(struct jval_parser *ps, int depth, char close)
{
	struct jval *v = jval_new(close == ']' ? JVAL_ARRAY : JVAL_OBJECT), *key = NULL, *item;

	ps->p++;
	jval_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		jval_skip_ws(ps);
		if (close == '}') {
			if (ps->p >= ps->end || *ps->p != '"' ||
			    (key = jval_parse_string(ps)) == NULL)
				goto fail;
			jval_skip_ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':')
				goto fail;
		}
		if ((item = jval_parse_value(ps, depth + 1)) == NULL)
			goto fail;
		jval_push(v, key, item);
		key = NULL;
		jval_skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		goto fail;
	}
fail:
	jval_free(key);
	jval_free(v);
	return jval_fail(ps, close == ']' ? "bad array" : "bad object");
}

static struct jval *
jval_parse_value(struct jval_parser *ps, int depth)
{
	if (depth > JVAL_MAX_DEPTH)
		return jval_fail(ps, "nested too deeply");
	jval_skip_ws(ps);
	if (ps->p >= ps->end)
		return jval_fail(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
		return jval_parse_container(ps, depth, '}');
	case '[':
		return jval_parse_container(ps, depth, ']');
	case '"':
		return jval_parse_string(ps);
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return jval_parse_number(ps);
	default:
		return jval_parse_word(ps);
	}
}

struct jval *
jval_parse(const char *text, size_t len, char **cause)
{
	struct jval_parser ps = { text, text, text + len, NULL };
	struct jval *v;

	if ((v = jval_parse_value(&ps, 1)) != NULL) {
		jval_skip_ws(&ps);
		if (ps.p != ps.end) {
			jval_free(v);
			v = jval_fail(&ps, "text after the value");
		}
	}
	if (v == NULL)
		*cause = ps.cause;
	return v;
}

struct jval *
jval_get(const struct jval *obj, const char *key)
{
	size_t i, len = strlen(key);

	if (obj == NULL || obj->type != JVAL_OBJECT)
		return NULL;
	for (i = obj->n; i > 0; i--) {
		if (obj->keys[i - 1]->len == len && memcmp(obj->keys[i - 1]->str, key, len) == 0)
			return obj->items[i - 1];
	}
	return NULL;
}

const char *
jval_get_string(const struct jval *obj, const char *key)
{
	const struct jval *v = jval_get(obj, key);

	return v != NULL && v->type == JVAL_STRING ? v->str : NULL;
}

void
jval_set(struct jval *obj, const char *key, struct jval *value)
{
	size_t i, len = strlen(key);

	for (i = 0; i < obj->n; i++) {
		if (obj->keys[i]->len == len && memcmp(obj->keys[i]->str, key, len) == 0) {
			jval_free(obj->items[i]);
			obj->items[i] = value;
			return;
		}
	}
	jval_push(obj, jval_new_string(key, len), value);
}

void
jval_truncate(struct jval *array, size_t n)
{
	while (array->n > n)
		jval_free(array->items[--array->n]);
}

void
jval_write(struct buf *out, const struct jval *v)
{
	static const char *const words[] = { "null", "false", "true" };
	size_t i;

	switch (v->type) {
	case JVAL_NULL:
	case JVAL_FALSE:
	case JVAL_TRUE:
		buf_adds(out, words[v->type]);
		break;
	case JVAL_NUMBER:
		buf_add(out, v->str, v->len);
		break;
	case JVAL_STRING:
		json_escape(out, v->str, v->len);
		break;
	case JVAL_ARRAY:
	case JVAL_OBJECT:
		buf_addc(out, v->type == JVAL_ARRAY ? '[' : '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(out, ',');
			if (v->type == JVAL_OBJECT) {
				json_escape(out, v->keys[i]->str, v->keys[i]->len);
				buf_addc(out, ':');
			}
			jval_write(out, v->items[i]);
		}
		buf_addc(out, v->type == JVAL_ARRAY ? ']' : '}');
		break;
	}
}

/* Sizes strings through json_escape itself, so size and writer never disagree. */
static size_t
jval_size_with(const struct jval *v, size_t cap, struct buf *scratch)
{
	size_t i, n, size;

	switch (v->type) {
	case JVAL_STRING:
		buf_reset(scratch);
		json_escape(scratch, v->str, v->len);
		return scratch->len;
	case JVAL_ARRAY:
	case JVAL_OBJECT:
		n = v->type == JVAL_ARRAY && v->n > cap ? cap : v->n;
		size = 2 + (n > 0 ? n - 1 : 0);
		for (i = 0; i < n; i++) {
			if (v->type == JVAL_OBJECT)
				size += jval_size_with(v->keys[i], cap, scratch) + 1;
			size += jval_size_with(v->items[i], cap, scratch);
		}
		return size;
	case JVAL_NUMBER:
		return v->len;
	default:
		return v->type == JVAL_NULL || v->type == JVAL_TRUE ? 4 : 5;
	}
}

size_t
jval_size_capped(const struct jval *v, size_t max_items)
{
	struct buf scratch = BUF_INIT;
	size_t size = jval_size_with(v, max_items, &scratch);

	buf_free(&scratch);
	return size;
}

size_t
jval_size(const struct jval *v)
{
	return jval_size_capped(v, SIZE_MAX);
}

void
jval_cap_arrays(struct jval *v, size_t max_items)
{
	size_t i;

	if (v->type == JVAL_ARRAY)
		jval_truncate(v, max_items);
	for (i = 0; i < v->n; i++)
		jval_cap_arrays(v->items[i], max_items);
}
