/*
 * json: a small streaming JSON writer into a struct buf (which the caller
 * owns). It tracks commas and nesting so callers write keys and values in
 * order. Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as U+FFFD, so the output is always valid JSON.
 */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct buf *out;
	int depth;
	int count[JSON_MAX_DEPTH]; /* values written at each level, for commas */
};

/* Appends s (len bytes) as a quoted, escaped JSON string. */
void json_escape(struct buf *out, const void *s, size_t len);

void json_init(struct json *j, struct buf *out);
/* key is NULL for values inside arrays and for the top-level value. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL -> null */
void json_string_len(struct json *j, const char *key, const void *value, size_t len);
void json_int(struct json *j, const char *key, int64_t value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, int value);
void json_null(struct json *j, const char *key);
/* Writes value verbatim: the caller guarantees it is valid JSON. */
void json_raw(struct json *j, const char *key, const char *value, size_t len);

#endif
