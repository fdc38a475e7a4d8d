/*
 * tcompact: a reader of the Thrift compact protocol over one byte range, for
 * the Parquet structures: the footer's FileMetaData (pqfooter) and the page
 * headers and what lies between column chunks (pqpages).
 *
 * A cursor over the caller's bytes, which it never copies or keeps. Every
 * read is bounded by the range, nesting by TCOMPACT_DEPTH_MAX and list sizes
 * by the bytes left, so damaged input cannot make it loop or allocate
 * without bound.
 *
 * The first error is kept in err as "what went wrong (<what> byte N)", N the
 * position in the range; the caller frees it. short_input tells that the
 * error was running out of bytes, which more input might mend: pqpages reads
 * headers that straddle the chunks of a stream.
 */
#ifndef CW_TCOMPACT_H
#define CW_TCOMPACT_H

#include <stddef.h>
#include <stdint.h>

#define TCOMPACT_DEPTH_MAX 64

/* The compact protocol's wire types. */
enum {
	TCOMPACT_STOP,
	TCOMPACT_TRUE,
	TCOMPACT_FALSE,
	TCOMPACT_BYTE,
	TCOMPACT_I16,
	TCOMPACT_I32,
	TCOMPACT_I64,
	TCOMPACT_DOUBLE,
	TCOMPACT_BINARY,
	TCOMPACT_LIST,
	TCOMPACT_SET,
	TCOMPACT_MAP,
	TCOMPACT_STRUCT,
};

struct tcompact {
	const uint8_t *p, *end, *start;
	const char *what; /* names the range in errors: "footer", "page header" */
	char *err;        /* the first error, NULL while none; the caller frees it */
	int short_input;  /* err is about running out of bytes */
};

void tcompact_init(struct tcompact *c, const uint8_t *p, size_t len, const char *what);
/* Sets err (unless already set) and returns -1. */
int tcompact_fail(struct tcompact *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A field header: 1 with its id and wire type, 0 at the struct's end, -1 on error. */
int tcompact_field(struct tcompact *c, int16_t *last, int16_t *id, int *type);
/* Whether a wire type is one of the integers tcompact_int reads. Thrift's
 * generated readers skip a known field whose wire type is not the expected
 * one; callers do the same. */
int tcompact_is_int(int type);
/* The functions below return 0, or -1 with err set. */
int tcompact_int(struct tcompact *c, int type, int64_t *v);
/* A binary or string: *s points into the range. */
int tcompact_binary(struct tcompact *c, const uint8_t **s, uint64_t *len);
/* A list or set header: element type and count, the count bounded by the bytes left. */
int tcompact_list(struct tcompact *c, int *etype, uint64_t *n);
/* Passes over a value of any type; depth counts the structures around it. */
int tcompact_skip(struct tcompact *c, int type, int depth);
/* Passes over the rest of a struct whose opening was read. */
int tcompact_skip_struct(struct tcompact *c, int depth);

#endif
