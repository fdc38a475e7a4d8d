/*
 * xmlq: a small XML reader for the answers of AWS Query-protocol APIs (RDS,
 * ElastiCache, SNS): elements, their text, repeated members. Not a general
 * XML parser: no DTDs (a document with one is refused), no namespaces (a
 * prefix is dropped from names), attributes are skipped. Comments,
 * processing instructions and CDATA sections are understood.
 *
 * Input is untrusted: any bytes give either a tree or NULL and a cause,
 * never a crash; depth is capped (XMLQ_MAX_DEPTH) and so is the size the
 * caller passes in. The tree is owned by the caller (xmlq_free frees every
 * node below). Text is decoded: the five named entities and numeric
 * references (written as UTF-8); a reference to NUL or past U+10FFFF is an
 * error.
 */
#ifndef CW_XMLQ_H
#define CW_XMLQ_H

#include <stddef.h>

/* Deeper documents are refused: the parser recurses. */
#define XMLQ_MAX_DEPTH 64

struct xmlq_node {
	char *name; /* without a namespace prefix */
	char *text; /* the character data directly inside, decoded; "" when none */
	size_t text_len;
	struct xmlq_node **kids; /* child elements, in document order */
	size_t n;
};

/* Parses len bytes. Returns the root element, or NULL and a cause (with the byte offset). */
struct xmlq_node *xmlq_parse(const char *text, size_t len, char **cause);
void xmlq_free(struct xmlq_node *node);

/* The first child of node named name, or NULL; node may be NULL. */
const struct xmlq_node *xmlq_child(const struct xmlq_node *node, const char *name);
/* The element at a path of child names separated by '/' ("Error/Code"), or NULL. */
const struct xmlq_node *xmlq_path(const struct xmlq_node *node, const char *path);
/* The text of the element at path, or NULL when there is none. */
const char *xmlq_text(const struct xmlq_node *node, const char *path);

#endif
