/*
 * jval: a small JSON reader (RFC 8259) into a tree of values, and the writer
 * that turns a tree back into compact text. json.h writes documents from
 * code; jval is for documents that come from elsewhere (instance metadata
 * answers) and for documents that must be edited (a report trimmed to fit
 * SNS's size limit).
 *
 * A tree is owned by whoever parsed or built it and released with jval_free,
 * which frees every value below. Strings are decoded: str holds len bytes of
 * UTF-8 plus a NUL (a string may contain "\u0000", so trust len). Numbers
 * keep their source text, so writing a tree back never changes a number.
 */
#ifndef CW_JVAL_H
#define CW_JVAL_H

#include <stddef.h>

#include "buf.h"

/* Deeper documents are refused: the parser and writer recurse. */
#define JVAL_MAX_DEPTH 64

enum jval_type {
	JVAL_NULL,
	JVAL_FALSE,
	JVAL_TRUE,
	JVAL_NUMBER,
	JVAL_STRING,
	JVAL_ARRAY,
	JVAL_OBJECT
};

struct jval {
	enum jval_type type;
	char *str; /* STRING: decoded bytes; NUMBER: the source text */
	size_t len;
	/* ARRAY: n elements in items. OBJECT: n members, keys[i] (STRING) -> items[i]. */
	struct jval **items;
	struct jval **keys;
	size_t n;
};

/* Parses len bytes of text. Returns a tree, or NULL and a cause (with the byte offset). */
struct jval *jval_parse(const char *text, size_t len, char **cause);
void jval_free(struct jval *v);

/* A new value of type (NULL, FALSE or TRUE; others start empty). */
struct jval *jval_new(enum jval_type type);
struct jval *jval_new_string(const char *s, size_t len);

/* The member named key of an object (the last one if repeated), or NULL. */
struct jval *jval_get(const struct jval *obj, const char *key);
/* The member's string, or NULL when it is missing or not a string. */
const char *jval_get_string(const struct jval *obj, const char *key);
/* Replaces or adds the member key of obj; obj takes ownership of value. */
void jval_set(struct jval *obj, const char *key, struct jval *value);
/* Drops the elements of an array from index n on. */
void jval_truncate(struct jval *array, size_t n);

/* Appends v as compact JSON to out. */
void jval_write(struct buf *out, const struct jval *v);
/* The length jval_write would append. */
size_t jval_size(const struct jval *v);
/* The length if every array of the tree kept only its first max_items elements. */
size_t jval_size_capped(const struct jval *v, size_t max_items);
/* Cuts every array of the tree to its first max_items elements. */
void jval_cap_arrays(struct jval *v, size_t max_items);

#endif
