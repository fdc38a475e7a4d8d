/* crypto: digests, MACs and signatures over OpenSSL libcrypto and libsodium. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "crypto.h"
#include "log.h"
#include "xmalloc.h"

void
crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	SHA256(data, len, out);
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                   uint8_t out[CRYPTO_SHA256_LEN])
{
	unsigned int outlen = CRYPTO_SHA256_LEN;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen);
}

void
crypto_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* ---- libsodium ---- */

int
crypto_init(void)
{
	/* 1 means "already initialised", which is fine. */
	return sodium_init() < 0 ? -1 : 0;
}

int
crypto_ready(void)
{
	return sodium_init() == 1;
}

void
crypto_random(void *buf, size_t len)
{
	/*
	 * libsodium wants sodium_init before randombytes_buf; callers on the warm
	 * and report paths never made it. Idempotent and thread-safe, so always.
	 */
	if (sodium_init() < 0)
		fatal("libsodium cannot initialise: no randomness from the kernel");
	randombytes_buf(buf, len);
}

uint32_t
crypto_random_u32(void)
{
	uint32_t v;

	crypto_random(&v, sizeof v);
	return v;
}

/*
 * libsodium declares its BLAKE2b state 64-byte aligned, more than malloc
 * promises, so the state lives at the first aligned address inside raw. The
 * context is therefore heap-only: copying it could break the alignment.
 */
struct crypto_blake2b {
	unsigned char raw[sizeof(crypto_generichash_state) + 64];
	size_t outlen;
};

static crypto_generichash_state *
blake2b_state(struct crypto_blake2b *b)
{
	uintptr_t p = (uintptr_t)b->raw;

	p = (p + 63) & ~(uintptr_t)63;
	return (crypto_generichash_state *)(void *)p;
}

struct crypto_blake2b *
crypto_blake2b_init(size_t outlen)
{
	struct crypto_blake2b *b = xmalloc(sizeof *b);

	/* outlen is a constant of the caller: a bad one is a programming error. */
	if (crypto_generichash_init(blake2b_state(b), NULL, 0, outlen) != 0)
		abort();
	b->outlen = outlen;
	return b;
}

void
crypto_blake2b_update(struct crypto_blake2b *b, const void *data, size_t len)
{
	crypto_generichash_update(blake2b_state(b), data, len);
}

void
crypto_blake2b_final(struct crypto_blake2b *b, uint8_t *out)
{
	crypto_generichash_final(blake2b_state(b), out, b->outlen);
}

void
crypto_blake2b_free(struct crypto_blake2b *b)
{
	free(b);
}

void
crypto_blake2b(const void *data, size_t len, uint8_t *out, size_t outlen)
{
	if (crypto_generichash(out, outlen, data, len, NULL, 0) != 0)
		abort();
}

void
crypto_ed25519_keypair(uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN], uint8_t sk[CRYPTO_ED25519_SECKEY_LEN])
{
	crypto_sign_ed25519_keypair(pk, sk);
}

void
crypto_ed25519_seed_keypair(uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN],
                            uint8_t sk[CRYPTO_ED25519_SECKEY_LEN],
                            const uint8_t seed[CRYPTO_ED25519_SEED_LEN])
{
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
}

void
crypto_ed25519_sign(uint8_t sig[CRYPTO_ED25519_SIG_LEN], const void *msg, size_t len,
                    const uint8_t sk[CRYPTO_ED25519_SECKEY_LEN])
{
	crypto_sign_ed25519_detached(sig, NULL, msg, len, sk);
}

int
crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIG_LEN], const void *msg, size_t len,
                      const uint8_t pk[CRYPTO_ED25519_PUBKEY_LEN])
{
	return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

int
crypto_memeq(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void
crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

char *
crypto_base64_encode(const void *bin, size_t len)
{
	size_t size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(size);

	sodium_bin2base64(out, size, bin, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

int
crypto_base64_decode(const char *b64, size_t b64len, uint8_t *out, size_t outmax, size_t *outlen)
{
	/* Without an end pointer libsodium rejects anything left unparsed. */
	if (sodium_base642bin(out, outmax, b64, b64len, NULL, outlen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return 0;
}
