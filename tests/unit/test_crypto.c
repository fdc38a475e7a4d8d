/* Unit tests for crypto: known answers for every primitive, from the RFCs and b2sum. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "crypto.h"
#include "xmalloc.h"

/* `b2sum -l 256 tests/data/crypto/blake2b.txt` and `b2sum` (512 bits) of the same file. */
#define FIXTURE_B2_256 "63b98523e3452d52ab4abb5141fce80be7fe31bcdf47d9acd85e1f0d48dc7be2"
#define FIXTURE_B2_512                                                                             \
	"0811f7a1b7e39ff78bfb4b03d7363dc87ac9fd6afb84df5021f7c429e1269e1d"                         \
	"c6fe3de89004415d4515641cd2f8806ee90a3f1391eccb5cc7bc59a62ea255fb"

static void
read_fixture(const char *rel, struct buf *out)
{
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, rel);
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	free(path);
}

static void
unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	unsigned int v;

	assert_int_equal(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
assert_hex(const uint8_t *bin, size_t len, const char *want)
{
	char *hex = xmalloc(2 * len + 1);

	crypto_hex(bin, len, hex);
	assert_string_equal(hex, want);
	free(hex);
}

/*
 * Runs before anything calls crypto_init: crypto_random (report ids, warm's
 * TTL jitter) must work without it, by initialising libsodium itself.
 */
static void
test_random_before_init(void **state)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	(void)state;
	crypto_random(a, sizeof a);
	assert_true(crypto_ready());
	crypto_random(b, sizeof b);
	assert_memory_not_equal(a, b, sizeof a);
}

/* Every later test runs after this one. */
static void
test_init(void **state)
{
	(void)state;
	assert_int_equal(crypto_init(), 0);
}

static void
test_sha256_known(void **state)
{
	uint8_t md[CRYPTO_SHA256_LEN];

	(void)state;
	crypto_sha256("abc", 3, md);
	assert_hex(md, sizeof md,
	           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256("", 0, md);
	assert_hex(md, sizeof md,
	           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_hmac_rfc4231(void **state)
{
	uint8_t key[20], md[CRYPTO_SHA256_LEN];

	(void)state;
	memset(key, 0x0b, sizeof key); /* test case 1 */
	crypto_hmac_sha256(key, sizeof key, "Hi There", 8, md);
	assert_hex(md, sizeof md,
	           "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, md); /* test case 2 */
	assert_hex(md, sizeof md,
	           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* Feeds the fixture in pieces of `step` bytes. */
static void
blake2b_chunked(const struct buf *b, size_t step, size_t outlen, uint8_t *out)
{
	struct crypto_blake2b *h = crypto_blake2b_init(outlen);
	size_t off, n;

	for (off = 0; off < b->len; off += n) {
		n = b->len - off < step ? b->len - off : step;
		crypto_blake2b_update(h, b->data + off, n);
	}
	crypto_blake2b_final(h, out);
	crypto_blake2b_free(h);
}

static void
test_blake2b256_matches_b2sum(void **state)
{
	static const size_t steps[] = { 1, 3, 7, 64, 127, 128, 129, 100000 };
	struct buf b = BUF_INIT;
	uint8_t md[CRYPTO_BLAKE2B256_LEN];
	size_t i;

	(void)state;
	read_fixture("crypto/blake2b.txt", &b);
	crypto_blake2b(b.data, b.len, md, sizeof md);
	assert_hex(md, sizeof md, FIXTURE_B2_256);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		memset(md, 0, sizeof md);
		blake2b_chunked(&b, steps[i], sizeof md, md);
		assert_hex(md, sizeof md, FIXTURE_B2_256);
	}
	buf_free(&b);
}

static void
test_blake2b_known(void **state)
{
	uint8_t md[CRYPTO_BLAKE2B512_LEN];
	struct buf b = BUF_INIT;

	(void)state;
	/* RFC 7693, appendix A. */
	crypto_blake2b("abc", 3, md, CRYPTO_BLAKE2B512_LEN);
	assert_hex(md, CRYPTO_BLAKE2B512_LEN,
	           "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
	           "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
	crypto_blake2b("", 0, md, CRYPTO_BLAKE2B256_LEN);
	assert_hex(md, CRYPTO_BLAKE2B256_LEN,
	           "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	read_fixture("crypto/blake2b.txt", &b);
	blake2b_chunked(&b, 5, CRYPTO_BLAKE2B512_LEN, md);
	assert_hex(md, CRYPTO_BLAKE2B512_LEN, FIXTURE_B2_512);
	buf_free(&b);
}

static void
test_ed25519_rfc8032(void **state)
{
	static const struct {
		const char *seed, *pk, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	uint8_t seed[32], pk[32], sk[64], sig[64], msg[1];
	size_t i, mlen;

	(void)state;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		unhex(v[i].seed, seed, sizeof seed);
		mlen = strlen(v[i].msg) / 2;
		unhex(v[i].msg, msg, mlen);
		crypto_ed25519_seed_keypair(pk, sk, seed);
		assert_hex(pk, sizeof pk, v[i].pk);
		crypto_ed25519_sign(sig, msg, mlen, sk);
		assert_hex(sig, sizeof sig, v[i].sig);
		assert_int_equal(crypto_ed25519_verify(sig, msg, mlen, pk), 0);
		sig[10] ^= 1;
		assert_int_equal(crypto_ed25519_verify(sig, msg, mlen, pk), -1);
	}
}

static void
test_ed25519_random_keys(void **state)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], sig[64];
	const char msg[] = "backup manifest";

	(void)state;
	crypto_ed25519_keypair(pk, sk);
	crypto_ed25519_keypair(pk2, sk2);
	assert_memory_not_equal(pk, pk2, sizeof pk);
	crypto_ed25519_sign(sig, msg, sizeof msg, sk);
	assert_int_equal(crypto_ed25519_verify(sig, msg, sizeof msg, pk), 0);
	assert_int_equal(crypto_ed25519_verify(sig, msg, sizeof msg - 1, pk), -1);
	assert_int_equal(crypto_ed25519_verify(sig, msg, sizeof msg, pk2), -1);
}

static void
test_base64(void **state)
{
	static const char *bad[] = { "Zm8", "Zm8=\n", "Zm!=", " Zm8=", "Zm8==", "Z===" };
	uint8_t out[16];
	size_t len, i;
	char *s;

	(void)state;
	s = crypto_base64_encode("foobar", 6);
	assert_string_equal(s, "Zm9vYmFy");
	free(s);
	s = crypto_base64_encode("fo", 2);
	assert_string_equal(s, "Zm8=");
	free(s);
	s = crypto_base64_encode("", 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(crypto_base64_decode("Zm9vYmE=", 8, out, sizeof out, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "fooba", 5);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(
		        crypto_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &len), -1);
	/* Does not fit. */
	assert_int_equal(crypto_base64_decode("Zm9vYmFy", 8, out, 5, &len), -1);
}

static void
test_memeq_wipe_random(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	(void)state;
	crypto_random(a, sizeof a);
	crypto_random(b, sizeof b);
	assert_memory_not_equal(a, b, sizeof a); /* 2^-256 odds of a false failure */
	assert_int_equal(crypto_memeq(a, a, sizeof a), 1);
	assert_int_equal(crypto_memeq(a, b, sizeof a), 0);
	crypto_wipe(a, sizeof a);
	assert_memory_equal(a, zero, sizeof a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* First, in a process where nothing called crypto_init yet. */
		cmocka_unit_test(test_random_before_init),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_sha256_known),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_blake2b256_matches_b2sum),
		cmocka_unit_test(test_blake2b_known),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_ed25519_random_keys),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_memeq_wipe_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
