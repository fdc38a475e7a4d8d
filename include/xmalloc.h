/*
 * xmalloc: allocation wrappers that never return NULL.
 *
 * Out of memory is one of the few reasons to die (fatal): every caller can
 * then treat allocation as infallible. Returned memory is owned by the caller
 * and released with free().
 */
#ifndef CW_XMALLOC_H
#define CW_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formats into a fresh string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
