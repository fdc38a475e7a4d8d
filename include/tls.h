/*
 * tls: TLS client sessions over an already connected non-blocking socket,
 * through OpenSSL's libssl (this module alone includes it). The peer is
 * always verified: against ca_file, or the system store when it is NULL, and
 * against servername (a host name or an IP address).
 *
 * tls_read and tls_write behave like recv and send on a non-blocking socket:
 * -1 with errno EAGAIN means "poll and call again"; tls_want_write then tells
 * whether to wait for POLLOUT instead of POLLIN. The caller keeps owning fd.
 */
#ifndef CW_TLS_H
#define CW_TLS_H

#include <sys/types.h>

struct tls;

struct tls *tls_client(int fd, const char *servername, const char *ca_file, int timeout_ms,
                       char **cause);
ssize_t tls_read(struct tls *t, void *data, size_t len);
ssize_t tls_write(struct tls *t, const void *data, size_t len);
int tls_want_write(const struct tls *t);
void tls_free(struct tls *t);

#endif
