/*
 * Unit tests for rdbenc. The expected payloads are DUMP replies of Redis
 * 7.0.15 (Debian 12) for keys written with HSET and SET, captured with
 * rdbcompression no (DUMP would otherwise LZF-compress strings over 20
 * bytes; RESTORE loads either). <xN> and <yN> stand for N repeats of a byte.
 * The ziplist vectors come from the layout documented in Redis 6's
 * ziplist.c (no Redis 6 server on this machine to capture them from).
 */
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
#include "rdbenc.h"

static const struct rdbenc_server redis7 = { RDBENC_TYPE_HASH_LISTPACK, 10, 128, 64 };
static const struct rdbenc_server redis6 = { RDBENC_TYPE_HASH_ZIPLIST, 9, 128, 64 };

/* Hex with runs: "0a<78*100>ff" is 0x0a, a hundred 0x78, 0xff. */
static void
unhex(struct buf *out, const char *hex)
{
	unsigned v, n;
	int used;

	while (*hex != '\0') {
		if (*hex == '<') {
			assert_int_equal(sscanf(hex, "<%2x*%u>%n", &v, &n, &used), 2);
			while (n-- > 0)
				buf_addc(out, (char)v);
			hex += used;
			continue;
		}
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		buf_addc(out, (char)v);
		hex += 2;
	}
}

static void
assert_bytes(const struct buf *got, const char *hex)
{
	struct buf want = BUF_INIT;
	size_t i;

	unhex(&want, hex);
	for (i = 0; i < got->len && i < want.len; i++)
		if (got->data[i] != want.data[i])
			fail_msg("byte %zu: got %02x, want %02x", i, (unsigned char)got->data[i],
			         (unsigned char)want.data[i]);
	assert_int_equal(got->len, want.len);
	buf_free(&want);
}

static void
hash(struct buf *out, const struct rdbenc_server *srv, const char *const *elems, size_t nelems)
{
	size_t lens[64], i;

	for (i = 0; i < nelems; i++)
		lens[i] = strlen(elems[i]);
	rdbenc_hash(out, srv, nelems / 2, elems, lens);
}

/* The products row of the benchmark: strings, a decimal, a small integer. */
static void
test_hash_listpack_row(void **state)
{
	const char *e[] = { "sku",   "SKU-1", "name", "Widget",     "price",
		            "12.50", "stock", "7",    "updated_at", "2024-01-02 03:04:05" };
	struct buf b = BUF_INIT;

	(void)state;
	hash(&b, &redis7, e, 10);
	assert_bytes(&b,
	             "104059590000000a0083736b750485534b552d3106846e616d65058657696467657407857072"
	             "696365068531322e3530068573746f636b0607018a757064617465645f61740b9332303234"
	             "2d30312d30322030333a30343a303514ff0a005d515bb60fdd9bfe");
	buf_free(&b);
}

/* Every listpack integer width at its edges, and what must stay a string. */
static void
test_hash_listpack_integers(void **state)
{
	const char *e[] = { "a", "0",
		            "b", "-1",
		            "c", "127",
		            "d", "128",
		            "e", "-4096",
		            "f", "4095",
		            "g", "4096",
		            "h", "-32768",
		            "i", "32767",
		            "j", "8388607",
		            "k", "-8388608",
		            "l", "2147483647",
		            "m", "2147483648",
		            "n", "-9223372036854775808",
		            "o", "9223372036854775807",
		            "p", "9223372036854775808",
		            "q", "007",
		            "r", "-0",
		            "s", "" };
	struct buf b = BUF_INIT;

	(void)state;
	hash(&b, &redis7, e, 38);
	assert_bytes(&b,
	             "1040aaaa00000026008161020001816202dfff028163027f01816402c08002816502d00002"
	             "816602cfff02816702f1001003816802f1008003816902f1ff7f03816a02f2ffff7f0481"
	             "6b02f200008004816c02f3ffffff7f05816d02f4000000800000000009816e02f4000000"
	             "000000008009816f02f4ffffffffffffff7f098170029339323233333732303336383534"
	             "373735383038148171028330303704817202822d30038173028001ff0a00ead7e188f5d0"
	             "d287");
	buf_free(&b);
}

/* Past the int64 range by one, or 20 digits: strings, as lpStringToInt64 says. */
static void
test_listpack_int64_edges(void **state)
{
	const char *e[] = { "10000000000000000000", "-9223372036854775809", "9223372036854775807",
		            "-9223372036854775808" };
	size_t lens[4], i;
	struct buf b = BUF_INIT;

	(void)state;
	for (i = 0; i < 4; i++)
		lens[i] = strlen(e[i]);
	rdbenc_listpack(&b, 4, e, lens);
	/* 6 header bytes; then 1 + 20 + 1, 1 + 20 + 1, 9 + 1, 9 + 1; then the end mark. */
	assert_int_equal(b.len, 6 + 22 + 22 + 10 + 10 + 1);
	assert_int_equal((unsigned char)b.data[6], 0x80 | 20);
	assert_int_equal((unsigned char)b.data[6 + 22], 0x80 | 20);
	assert_int_equal((unsigned char)b.data[6 + 44], 0xF4);
	assert_int_equal((unsigned char)b.data[6 + 54], 0xF4);
	assert_int_equal((unsigned char)b.data[6 + 54 + 8], 0x80);
	buf_free(&b);
}

/* 12-bit and 32-bit string lengths and a 2-byte back length (limits raised). */
static void
test_hash_listpack_long_strings(void **state)
{
	struct rdbenc_server big = redis7;
	struct buf b = BUF_INIT, y = BUF_INIT, z = BUF_INIT;
	const char *e[6];
	size_t lens[6];

	(void)state;
	big.max_value = 100000;
	unhex(&y, "<79*100>");
	unhex(&z, "<7a*5000>");
	e[0] = "a", e[1] = y.data, e[2] = "b", e[3] = z.data, e[4] = "c", e[5] = "x";
	lens[0] = 1, lens[1] = 100, lens[2] = 1, lens[3] = 5000, lens[4] = 1, lens[5] = 1;
	rdbenc_hash(&b, &big, 3, e, lens);
	assert_bytes(&b,
	             "105409091400000600816102e064<79*100>66816202f088130000<7a*5000>278d81630281"
	             "7802ff0a00885ac89c5196b3ff");
	buf_free(&b);
	buf_free(&y);
	buf_free(&z);
}

/* Over the value limit: the plain encoding, so that Redis builds a hashtable. */
static void
test_hash_plain_over_limit(void **state)
{
	struct buf b = BUF_INIT, x = BUF_INIT;
	const char *e[2];
	size_t lens[2];

	(void)state;
	unhex(&x, "<78*100>");
	e[0] = "f", e[1] = x.data;
	lens[0] = 1, lens[1] = 100;
	assert_false(rdbenc_hash_is_small(&redis7, 1, lens));
	rdbenc_hash(&b, &redis7, 1, e, lens);
	assert_bytes(&b, "040101664064<78*100>0a0031d95a4d535f6b47");
	buf_free(&b);
	buf_free(&x);
}

static void
test_hash_limits(void **state)
{
	struct rdbenc_server s = redis7;
	size_t lens[6] = { 3, 64, 3, 64, 3, 0 };

	(void)state;
	assert_true(rdbenc_hash_is_small(&s, 3, lens));
	lens[1] = 65;
	assert_false(rdbenc_hash_is_small(&s, 3, lens));
	lens[1] = 1;
	s.max_entries = 2;
	assert_false(rdbenc_hash_is_small(&s, 3, lens));
	s.max_entries = 3;
	assert_true(rdbenc_hash_is_small(&s, 3, lens));
	s.max_entries = 0; /* a server that never keeps a compact hash */
	assert_false(rdbenc_hash_is_small(&s, 1, lens));
}

/* Strings: integer encodings where DUMP uses them, raw bytes otherwise. */
static void
test_strings(void **state)
{
	static const struct {
		const char *value, *hex;
	} cases[] = {
		{ "12345", "00c139300a009d94ea2793fc08b9" },
		{ "hello", "000568656c6c6f0a006372df766534200a" },
		{ "-129", "00c17fff0a001760822854808480" },
		{ "99999", "00c29f8601000a004af1e6d01f5a41bb" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		rdbenc_string(&b, &redis7, cases[i].value, strlen(cases[i].value));
		assert_bytes(&b, cases[i].hex);
	}
	buf_free(&b);
}

/* Integers DUMP writes as strings: over 32 bits, not canonical, empty, binary. */
static void
test_strings_not_integers(void **state)
{
	static const char *const values[] = { "2147483648", "007", "-0", "+1", " 1", "1 ", "" };
	struct buf b = BUF_INIT, want = BUF_INIT;
	unsigned version;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		n = strlen(values[i]);
		buf_reset(&b);
		rdbenc_string(&b, &redis7, values[i], n);
		assert_int_equal(b.len, 1 + 1 + n + 10);
		assert_int_equal((unsigned char)b.data[1], n);
		assert_memory_equal(b.data + 2, values[i], n);
		assert_int_equal(rdbenc_trailer(b.data, b.len, &version), 0);
		assert_int_equal(version, 10);
	}
	buf_reset(&b);
	rdbenc_string(&b, &redis7, "a\0\r\n\xff", 5);
	unhex(&want, "000561000d0aff");
	assert_memory_equal(b.data, want.data, want.len);
	/* A 64 KiB string: the 32-bit RDB length. */
	buf_reset(&b);
	buf_reset(&want);
	unhex(&want, "<41*65536>");
	rdbenc_string(&b, &redis7, want.data, want.len);
	assert_int_equal(b.len, 1 + 5 + 65536 + 10);
	assert_memory_equal(b.data, "\x00\x80\x00\x01\x00\x00", 6);
	buf_free(&b);
	buf_free(&want);
}

/* The example of ziplist.c's header comment: "2" and "5" as a ziplist. */
static void
test_ziplist_documented(void **state)
{
	const char *e[] = { "2", "5" };
	size_t lens[] = { 1, 1 };
	struct buf b = BUF_INIT;

	(void)state;
	rdbenc_ziplist(&b, 2, e, lens);
	assert_bytes(&b, "0f0000000c000000020000f302f6ff");
	buf_free(&b);
}

/* Each ziplist encoding, and a prevlen over 253 bytes. */
static void
test_ziplist_encodings(void **state)
{
	struct buf b = BUF_INIT, x = BUF_INIT;
	const char *e[] = { "a",           "12",         "13", "-129", "8388607",
		            "-2147483648", "4294967296", NULL, "z" };
	size_t lens[9], i;

	(void)state;
	unhex(&x, "<78*300>");
	e[7] = x.data;
	for (i = 0; i < 9; i++)
		lens[i] = i == 7 ? 300 : strlen(e[i]);
	rdbenc_ziplist(&b, 9, e, lens);
	/*
	 * a: 00 01 61; 12: 03 fd; 13: 02 fe 0d; -129: 03 c0 7f ff; 8388607:
	 * 04 f0 ff ff 7f; -2147483648: 05 d0 00000080; 4294967296: 06 e0 + 8;
	 * x*300: 0a 41 2c + 300; z: fe 2f010000 01 7a.
	 */
	assert_bytes(&b, "620100005a0100000900000161"
	                 "03fd02fe0d03c07fff04f0ffff7f05d00000008006e00000000001000000"
	                 "0a412c<78*300>fe2f010000017aff");
	buf_free(&b);
	buf_free(&x);
}

static void
test_hash_ziplist_payload(void **state)
{
	const char *e[] = { "a", "1" };
	struct buf b = BUF_INIT;
	unsigned version;

	(void)state;
	hash(&b, &redis6, e, 2);
	/* type 13, a 16-byte RDB string holding the ziplist, version 9, CRC. */
	assert_int_equal((unsigned char)b.data[0], RDBENC_TYPE_HASH_ZIPLIST);
	assert_int_equal((unsigned char)b.data[1], 16);
	assert_bytes(&(struct buf){ b.data + 2, 16, 16, 0 }, "100000000d00000002000001610"
	                                                     "3f2ff");
	assert_int_equal(b.len, 2 + 16 + 10);
	assert_int_equal(rdbenc_trailer(b.data, b.len, &version), 0);
	assert_int_equal(version, 9);
	buf_free(&b);
}

static void
test_trailer(void **state)
{
	struct buf b = BUF_INIT;
	unsigned version = 0;

	(void)state;
	unhex(&b, "000568656c6c6f0a006372df766534200a");
	assert_int_equal(rdbenc_trailer(b.data, b.len, &version), 0);
	assert_int_equal(version, 10);
	b.data[3] ^= 1;
	assert_int_equal(rdbenc_trailer(b.data, b.len, &version), -1);
	assert_int_equal(rdbenc_trailer(b.data, 9, &version), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_listpack_row),
		cmocka_unit_test(test_hash_listpack_integers),
		cmocka_unit_test(test_hash_listpack_long_strings),
		cmocka_unit_test(test_listpack_int64_edges),
		cmocka_unit_test(test_hash_plain_over_limit),
		cmocka_unit_test(test_hash_limits),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_strings_not_integers),
		cmocka_unit_test(test_ziplist_documented),
		cmocka_unit_test(test_ziplist_encodings),
		cmocka_unit_test(test_hash_ziplist_payload),
		cmocka_unit_test(test_trailer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
