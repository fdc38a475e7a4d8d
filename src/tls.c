/* tls: verified TLS client sessions over OpenSSL's libssl. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "xmalloc.h"

struct tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int want_write;
};

static char *
tls_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char msg[256];

	if (e == 0)
		return xasprintf("%s: %s", what, errno ? strerror(errno) : "failed");
	ERR_error_string_n(e, msg, sizeof msg);
	ERR_clear_error();
	return xasprintf("%s: %s", what, msg);
}

static int
tls_is_ip(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

static int
tls_configure(struct tls *t, const char *servername, const char *ca_file, char **cause)
{
	X509_VERIFY_PARAM *param;

	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if ((ca_file != NULL ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL)
	                     : SSL_CTX_set_default_verify_paths(t->ctx)) != 1) {
		*cause = tls_error(ca_file != NULL ? "loading ca_file" : "loading system CAs");
		return -1;
	}
	if ((t->ssl = SSL_new(t->ctx)) == NULL) {
		*cause = tls_error("SSL_new");
		return -1;
	}
	if (servername == NULL)
		return 0;
	param = SSL_get0_param(t->ssl);
	if (tls_is_ip(servername)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(param, servername) != 1) {
			*cause = tls_error("setting the peer address");
			return -1;
		}
	} else if (SSL_set_tlsext_host_name(t->ssl, servername) != 1 ||
	           SSL_set1_host(t->ssl, servername) != 1) {
		*cause = tls_error("setting the peer name");
		return -1;
	}
	return 0;
}

static int
tls_handshake(struct tls *t, int fd, int timeout_ms, char **cause)
{
	struct pollfd pfd;
	int rv, err;
	long verify;

	for (;;) {
		ERR_clear_error();
		if ((rv = SSL_connect(t->ssl)) == 1)
			return 0;
		err = SSL_get_error(t->ssl, rv);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			break;
		pfd.fd = fd;
		pfd.events = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, timeout_ms) <= 0) {
			*cause = xstrdup("TLS handshake timed out");
			return -1;
		}
	}
	verify = SSL_get_verify_result(t->ssl);
	if (verify != X509_V_OK)
		*cause = xasprintf("TLS handshake: certificate verify failed: %s",
		                   X509_verify_cert_error_string(verify));
	else
		*cause = tls_error("TLS handshake");
	return -1;
}

struct tls *
tls_client(int fd, const char *servername, const char *ca_file, int timeout_ms, char **cause)
{
	struct tls *t = xcalloc(1, sizeof *t);

	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		*cause = tls_error("SSL_CTX_new");
		tls_free(t);
		return NULL;
	}
	if (tls_configure(t, servername, ca_file, cause) != 0 || SSL_set_fd(t->ssl, fd) != 1 ||
	    tls_handshake(t, fd, timeout_ms, cause) != 0) {
		tls_free(t);
		return NULL;
	}
	return t;
}

/* Maps SSL_get_error onto the recv/send convention. */
static ssize_t
tls_result(struct tls *t, int rv)
{
	int err;

	if (rv > 0)
		return rv;
	err = SSL_get_error(t->ssl, rv);
	t->want_write = err == SSL_ERROR_WANT_WRITE;
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	ERR_clear_error();
	if (errno == 0 || errno == EAGAIN)
		errno = ECONNRESET;
	return -1;
}

ssize_t
tls_read(struct tls *t, void *data, size_t len)
{
	errno = 0;
	ERR_clear_error();
	return tls_result(t, SSL_read(t->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len));
}

ssize_t
tls_write(struct tls *t, const void *data, size_t len)
{
	errno = 0;
	ERR_clear_error();
	return tls_result(t, SSL_write(t->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len));
}

int
tls_want_write(const struct tls *t)
{
	return t->want_write;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->ctx != NULL)
		SSL_CTX_free(t->ctx);
	free(t);
}
