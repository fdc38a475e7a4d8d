/*
 * buf: a growable byte buffer, always NUL-terminated so it can be used as a
 * C string when it holds text. The buffer owns data; buf_free releases it and
 * buf_detach hands it to the caller (who then frees it).
 *
 * A secret buffer (buf_init_secret, BUF_INIT_SECRET) wipes every copy it
 * lets go of: the old storage when it grows, and its storage on buf_free and
 * buf_reset. What buf_detach hands over is the caller's to wipe.
 */
#ifndef CW_BUF_H
#define CW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int secret; /* wipe storage before letting go of it */
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}
#define BUF_INIT_SECRET                                                                            \
	{                                                                                          \
		NULL, 0, 0, 1                                                                      \
	}

void buf_init(struct buf *b);
void buf_init_secret(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Returns the contents as a C string owned by the caller; b is left empty. */
char *buf_detach(struct buf *b);

#endif
