/*
 * crypto: every digest, MAC and signature primitive of the agent, so that
 * OpenSSL's libcrypto and libsodium are included by this module alone.
 * Outputs are written to caller-provided buffers of the sizes given below.
 */
#ifndef CW_CRYPTO_H
#define CW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_LEN 32

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        uint8_t out[CRYPTO_SHA256_LEN]);
/* Lower-case hex of len bytes into out, which must hold 2 * len + 1 bytes. */
void crypto_hex(const uint8_t *in, size_t len, char *out);

#endif
