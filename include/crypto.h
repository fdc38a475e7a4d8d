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

/*
 * libsodium part: call crypto_init() once at start-up (before threads are
 * started and before any function below); it fails only when the kernel gives
 * no randomness.
 */
#define CRYPTO_BLAKE2B256_LEN     32
#define CRYPTO_BLAKE2B512_LEN     64
#define CRYPTO_ED25519_SEED_LEN   32
#define CRYPTO_ED25519_PUBKEY_LEN 32
#define CRYPTO_ED25519_SECKEY_LEN 64
#define CRYPTO_ED25519_SIG_LEN    64

int crypto_init(void);
/* 1 when libsodium was initialised before this call (it is after it): for tests. */
int crypto_ready(void);
/* Fills buf with len bytes from the system CSPRNG; initialises libsodium if needed. */
void crypto_random(void *buf, size_t len);
/* A random 32-bit number (jitter, not secrets). */
uint32_t crypto_random_u32(void);

/*
 * Streaming BLAKE2b (unkeyed) with a digest of outlen bytes, 1 to 64:
 * CRYPTO_BLAKE2B256_LEN gives what `b2sum -l 256` prints. The context is
 * owned by the caller, who releases it with crypto_blake2b_free (also after
 * final). crypto_blake2b_final writes outlen bytes; no update may follow.
 */
struct crypto_blake2b;

struct crypto_blake2b *crypto_blake2b_init(size_t outlen);
void crypto_blake2b_update(struct crypto_blake2b *b, const void *data, size_t len);
void crypto_blake2b_final(struct crypto_blake2b *b, uint8_t *out);
void crypto_blake2b_free(struct crypto_blake2b *b);
/* One shot: out receives outlen (1 to 64) bytes. */
void crypto_blake2b(const void *data, size_t len, uint8_t *out, size_t outlen);

/* Ed25519 (RFC 8032, libsodium's layout: sk is seed || public key). */
void crypto_ed25519_keypair(uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN],
                            uint8_t sk[CRYPTO_ED25519_SECKEY_LEN]);
void crypto_ed25519_seed_keypair(uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN],
                                 uint8_t sk[CRYPTO_ED25519_SECKEY_LEN],
                                 const uint8_t seed[CRYPTO_ED25519_SEED_LEN]);
void crypto_ed25519_sign(uint8_t sig[CRYPTO_ED25519_SIG_LEN], const void *msg, size_t len,
                         const uint8_t sk[CRYPTO_ED25519_SECKEY_LEN]);
/* Returns 0 when sig is a valid signature of msg by pk, -1 otherwise. */
int crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIG_LEN], const void *msg, size_t len,
                          const uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN]);

/* Constant-time comparison: 1 when the len bytes are equal, else 0. */
int crypto_memeq(const void *a, const void *b, size_t len);
/* Zeroes secrets in a way the compiler cannot optimise away. */
void crypto_wipe(void *p, size_t len);

/*
 * Standard base64 with padding (RFC 4648 section 4), constant time so that
 * secret keys can go through it. encode returns a string the caller frees.
 * decode is strict (no whitespace, padding required) and returns 0 with
 * *outlen set, or -1 when b64 is not valid or decodes to more than outmax.
 */
char *crypto_base64_encode(const void *bin, size_t len);
int crypto_base64_decode(const char *b64, size_t b64len, uint8_t *out, size_t outmax,
                         size_t *outlen);

#endif
