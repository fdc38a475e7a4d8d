/* encode: MySQL rows to Redis commands (hash, json, string), keys from templates. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "json.h"
#include "xmalloc.h"

/* A compiled key template: literal text between column references. */
struct encode_piece {
	char *literal; /* may be "" */
	size_t literal_len;
	int column; /* -1 for the trailing literal */
};

struct encoder {
	int type;       /* enum conf_value_type */
	size_t ncols;   /* columns in a row: the dataset's, then the others the key uses */
	size_t nfields; /* the dataset's columns: hash fields or JSON members */
	char **names;
	size_t *namelens;
	int *kinds; /* enum encode_kind */
	int big_as_string;
	int value_column;
	long long ttl, jitter;
	struct encode_piece *pieces;
	size_t npieces;
};

static int
encode_column_index(const struct encoder *enc, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < enc->ncols; i++)
		if (enc->namelens[i] == len && memcmp(enc->names[i], name, len) == 0)
			return (int)i;
	return -1;
}

static int
encode_compile(struct encoder *enc, const struct conf_dataset *ds, char **cause)
{
	const char *t = ds->key, *open, *close;
	struct encode_piece *p;

	for (;;) {
		enc->pieces = xreallocarray(enc->pieces, enc->npieces + 1, sizeof *enc->pieces);
		p = &enc->pieces[enc->npieces++];
		open = strchr(t, '{');
		if (open == NULL) {
			p->literal = xstrdup(t);
			p->literal_len = strlen(t);
			p->column = -1;
			return 0;
		}
		close = strchr(open, '}');
		p->literal = xstrndup(t, (size_t)(open - t));
		p->literal_len = (size_t)(open - t);
		p->column = close == NULL ? -1
		                          : encode_column_index(enc, open + 1,
		                                                (size_t)(close - open - 1));
		if (p->column < 0) {
			*cause = xasprintf("dataset %s: bad key template '%s'", ds->name, ds->key);
			return -1;
		}
		t = close + 1;
	}
}

struct encoder *
encode_new(const struct conf_dataset *ds, const char *const *names, size_t ncols, const int *kinds,
           long long ttl_jitter_pct, char **cause)
{
	struct encoder *enc = xcalloc(1, sizeof *enc);
	size_t i;

	enc->type = ds->type;
	enc->big_as_string = ds->json_big_numbers == CONF_JSON_BIG_STRING;
	enc->nfields = ds->columns.count;
	if (names == NULL) {
		/* The dataset's columns, then key_column when it is not one of them. */
		ncols = enc->nfields;
		if (ds->key_column != NULL) {
			ncols++;
			for (i = 0; i < enc->nfields; i++)
				if (strcmp(ds->columns.items[i], ds->key_column) == 0)
					ncols = enc->nfields;
		}
	}
	enc->ncols = ncols < enc->nfields ? enc->nfields : ncols;
	enc->names = xcalloc(enc->ncols + 1, sizeof *enc->names);
	enc->namelens = xcalloc(enc->ncols + 1, sizeof *enc->namelens);
	enc->kinds = xcalloc(enc->ncols + 1, sizeof *enc->kinds);
	for (i = 0; i < enc->ncols; i++) {
		enc->names[i] = xstrdup(names != NULL      ? names[i]
		                        : i < enc->nfields ? ds->columns.items[i]
		                                           : ds->key_column);
		enc->namelens[i] = strlen(enc->names[i]);
		enc->kinds[i] = kinds != NULL ? kinds[i] : ENCODE_TEXT;
	}
	enc->value_column = -1;
	if (ds->value_column != NULL)
		enc->value_column =
		        encode_column_index(enc, ds->value_column, strlen(ds->value_column));
	enc->ttl = ds->ttl;
	enc->jitter = ttl_jitter_pct;
	if (encode_compile(enc, ds, cause) != 0 ||
	    (enc->type == CONF_VALUE_STRING &&
	     (enc->value_column < 0 || enc->value_column >= (int)enc->nfields))) {
		if (*cause == NULL)
			*cause = xasprintf("dataset %s: value_column is not in columns", ds->name);
		encode_free(enc);
		return NULL;
	}
	return enc;
}

void
encode_free(struct encoder *enc)
{
	size_t i;

	if (enc == NULL)
		return;
	for (i = 0; i < enc->ncols; i++)
		free(enc->names[i]);
	for (i = 0; i < enc->npieces; i++)
		free(enc->pieces[i].literal);
	free(enc->names);
	free(enc->namelens);
	free(enc->kinds);
	free(enc->pieces);
	free(enc);
}

void
encode_out_init(struct encode_out *out)
{
	memset(out, 0, sizeof *out);
}

void
encode_out_free(struct encode_out *out)
{
	buf_free(&out->keybuf);
	buf_free(&out->valbuf);
	buf_free(&out->ttlbuf);
	free(out->argvspace);
	free(out->lenspace);
	memset(out, 0, sizeof *out);
}

uint64_t
encode_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

long long
encode_jitter_ttl(long long ttl, long long pct, uint64_t rand64)
{
	long long span = ttl * pct / 100;

	if (ttl <= 0 || span <= 0)
		return ttl;
	/* Never below one second: an expiry of 0 would delete the key at once. */
	ttl -= (long long)(rand64 % (uint64_t)(span + 1));
	return ttl < 1 ? 1 : ttl;
}

/* Whether s is a JSON number as RFC 8259 spells it (MySQL DECIMAL "-0.50" is). */
static int
encode_is_json_number(const char *s, size_t len)
{
	size_t i = 0, digits;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else {
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return 0;
	}
	if (i < len && s[i] == '.') {
		for (i++, digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return 0;
	}
	return i == len;
}

/*
 * Whether a JSON number lies beyond +-(2^53 - 1), where IEEE doubles (and
 * so JavaScript) stop holding every integer: I-JSON (RFC 7493) says to
 * write such values as strings.
 */
static int
encode_is_big(const char *s, size_t len)
{
	static const char limit[] = "9007199254740991";
	size_t i = 0, start, digits, frac;

	if (i < len && s[i] == '-')
		i++;
	while (i + 1 < len && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
		i++;
	for (start = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		;
	digits = i - start;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
		return 1; /* MySQL writes exact types without exponents; be safe */
	if (digits != sizeof limit - 1)
		return digits > sizeof limit - 1;
	if (memcmp(s + start, limit, digits) != 0)
		return memcmp(s + start, limit, digits) > 0;
	/* Exactly the limit: beyond it only with a nonzero fraction. */
	if (i < len && s[i] == '.')
		for (frac = i + 1; frac < len; frac++)
			if (s[frac] != '0')
				return 1;
	return 0;
}

/* BIT(n) arrives as big-endian bytes (n <= 64): the unsigned number, in decimal. */
static void
encode_bit(const char *v, size_t len, char out[24])
{
	unsigned long long n = 0;
	size_t i;

	for (i = len > 8 ? len - 8 : 0; i < len; i++)
		n = n << 8 | (unsigned char)v[i];
	snprintf(out, 24, "%llu", n);
}

static void
encode_json_value(const struct encoder *enc, struct json *j, size_t i, const char *v, size_t len)
{
	char bit[24];

	switch (enc->kinds[i]) {
	case ENCODE_BIT:
		encode_bit(v, len, bit);
		v = bit;
		len = strlen(bit);
		/* FALLTHROUGH */
	case ENCODE_EXACT:
	case ENCODE_FLOAT:
		if (encode_is_json_number(v, len) &&
		    !(enc->kinds[i] != ENCODE_FLOAT && enc->big_as_string &&
		      encode_is_big(v, len))) {
			json_raw(j, enc->names[i], v, len);
			return;
		}
		break;
	default:
		break;
	}
	json_string_len(j, enc->names[i], v, len);
}

static void
encode_json(const struct encoder *enc, const struct encode_row *row, struct buf *out)
{
	struct json j;
	size_t i;

	buf_reset(out);
	json_init(&j, out);
	json_object_begin(&j, NULL);
	for (i = 0; i < enc->nfields; i++) {
		if (row->values[i] == NULL)
			json_null(&j, enc->names[i]);
		else
			encode_json_value(enc, &j, i, row->values[i], row->lengths[i]);
	}
	json_object_end(&j);
}

static int
encode_key(const struct encoder *enc, const struct encode_row *row, struct buf *out, char **cause)
{
	size_t i;
	int c;

	buf_reset(out);
	for (i = 0; i < enc->npieces; i++) {
		buf_add(out, enc->pieces[i].literal, enc->pieces[i].literal_len);
		if ((c = enc->pieces[i].column) < 0)
			continue;
		if (row->values[c] == NULL) {
			*cause = xasprintf("column %s, used in the key, is NULL", enc->names[c]);
			return -1;
		}
		buf_add(out, row->values[c], row->lengths[c]);
	}
	return 0;
}

static void
encode_reserve(struct encode_out *out, size_t n)
{
	if (out->space >= n)
		return;
	out->argvspace = xreallocarray(out->argvspace, n, sizeof *out->argvspace);
	out->lenspace = xreallocarray(out->lenspace, n, sizeof *out->lenspace);
	out->space = n;
}

/* Appends one argument to command cmd. */
static void
encode_arg(struct encode_out *out, int cmd, const char *s, size_t len)
{
	out->argv[cmd][out->argc[cmd]] = s;
	out->argvlen[cmd][out->argc[cmd]++] = len;
}

/* Points the argv of each command into the shared argument space. */
static void
encode_layout(struct encode_out *out, size_t ncols)
{
	size_t per = 2 * ncols + 4, i;

	encode_reserve(out, per * ENCODE_MAX_CMDS);
	for (i = 0; i < ENCODE_MAX_CMDS; i++) {
		out->argv[i] = out->argvspace + i * per;
		out->argvlen[i] = out->lenspace + i * per;
		out->argc[i] = 0;
	}
	out->ncmds = 0;
	out->deleted = 0;
	out->value = NULL;
	out->valuelen = 0;
}

/* The row's value is NULL: its key goes, so no stale value outlives it. */
static void
encode_delete(struct encode_out *out)
{
	out->ncmds = 1;
	out->argc[0] = 0;
	out->deleted = 1;
	encode_arg(out, 0, "DEL", 3);
	encode_arg(out, 0, out->key, out->keylen);
}

/*
 * HSET of the non-NULL columns; a NULL column is removed with HDEL, so a
 * hash left by an older snapshot loses a field that is NULL today.
 */
static int
encode_hash(const struct encoder *enc, const struct encode_row *row, struct encode_out *out,
            char **cause)
{
	int hset = out->ncmds++, hdel = -1;
	size_t i;

	encode_arg(out, hset, "HSET", 4);
	encode_arg(out, hset, out->key, out->keylen);
	for (i = 0; i < enc->nfields; i++) {
		if (row->values[i] != NULL) {
			encode_arg(out, hset, enc->names[i], enc->namelens[i]);
			encode_arg(out, hset, row->values[i], row->lengths[i]);
			continue;
		}
		if (hdel < 0) {
			hdel = out->ncmds++;
			encode_arg(out, hdel, "HDEL", 4);
			encode_arg(out, hdel, out->key, out->keylen);
		}
		encode_arg(out, hdel, enc->names[i], enc->namelens[i]);
	}
	if (out->argc[hset] == 2)
		encode_delete(out); /* no field left: Redis has no empty hash */
	return 0;
}

int
encode_row(const struct encoder *enc, const struct encode_row *row, uint64_t rand64,
           struct encode_out *out, char **cause)
{
	long long ttl = encode_jitter_ttl(enc->ttl, enc->jitter, rand64);
	int set;

	if (encode_key(enc, row, &out->keybuf, cause) != 0)
		return -1;
	out->key = out->keybuf.data;
	out->keylen = out->keybuf.len;
	encode_layout(out, enc->ncols);
	buf_reset(&out->ttlbuf);
	if (ttl > 0)
		buf_printf(&out->ttlbuf, "%lld", ttl);

	if (enc->type == CONF_VALUE_HASH) {
		if (encode_hash(enc, row, out, cause) != 0)
			return -1;
		if (ttl > 0 && !out->deleted) {
			set = out->ncmds++;
			encode_arg(out, set, "EXPIRE", 6);
			encode_arg(out, set, out->key, out->keylen);
			encode_arg(out, set, out->ttlbuf.data, out->ttlbuf.len);
		}
		return 0;
	}
	if (enc->type == CONF_VALUE_JSON) {
		encode_json(enc, row, &out->valbuf);
		out->value = out->valbuf.data;
		out->valuelen = out->valbuf.len;
	} else {
		if (row->values[enc->value_column] == NULL) {
			encode_delete(out);
			return 0;
		}
		out->value = row->values[enc->value_column];
		out->valuelen = row->lengths[enc->value_column];
	}
	set = out->ncmds++;
	encode_arg(out, set, "SET", 3);
	encode_arg(out, set, out->key, out->keylen);
	encode_arg(out, set, out->value, out->valuelen);
	if (ttl > 0) {
		encode_arg(out, set, "EX", 2);
		encode_arg(out, set, out->ttlbuf.data, out->ttlbuf.len);
	}
	return 0;
}
