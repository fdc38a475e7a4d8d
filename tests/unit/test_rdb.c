/*
 * rdb: the streaming RDB walk. Real files first: Redis's own test assets
 * and RDBs saved by redis-server 7.0 with every data type, each with
 * redis-check-rdb's verdict recorded next to it (tests/data/redis-verdicts.sh);
 * then every byte flip and cut of a real dump, and RDBs built here for what a
 * Redis 7.0 server does not write (modules, functions, slot info, RDB 12 hash
 * field TTLs, LZF edge cases, damaged containers).
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
#include "fixture.h"
#include "crc.h"
#include "rdb.h"
#include "xmalloc.h"

static const size_t chunkings[] = { 0, 1, 2, 3, 7, 9, 64, 4093 };

static void
run(const void *data, size_t len, size_t chunk, struct rdb_result *res)
{
	struct rdb_check *r = rdb_check_init();
	const uint8_t *p = data;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		rdb_check_update(r, p + off, n);
	}
	rdb_check_final(r, res);
	rdb_check_free(r);
}

/* The verdict in every chunking, asserted to be the same; the caller frees detail. */
static void
check(const void *data, size_t len, struct rdb_result *res)
{
	struct rdb_result other;
	size_t i;

	run(data, len, 0, res);
	for (i = 1; i < sizeof chunkings / sizeof chunkings[0]; i++) {
		run(data, len, chunkings[i], &other);
		if (other.status != res->status || strcmp(other.detail, res->detail) != 0)
			fail_msg("chunks of %zu: \"%s\", whole: \"%s\"", chunkings[i], other.detail,
			         res->detail);
		free(other.detail);
	}
}

static void
expect(const void *data, size_t len, enum rdb_status want, const char *needle)
{
	struct rdb_result r;

	check(data, len, &r);
	if (r.status != want || strstr(r.detail, needle) == NULL)
		fail_msg("got %d \"%s\", want %d with \"%s\"", r.status, r.detail, want, needle);
	free(r.detail);
}

/* ---- the reference verdicts ---- */

/* Every file listed in DIR/VERDICTS: our verdict (ok: not CORRUPT) is redis-check-rdb's. */
static void
check_verdicts(const char *dir, size_t want_files)
{
	char *path = xasprintf("%s/%s/VERDICTS", TEST_DATA_DIR, dir);
	char line[512], name[256], verdict[16];
	struct buf b = BUF_INIT;
	struct rdb_result r;
	size_t files = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%255s %15s", name, verdict) != 2)
			continue;
		free(path);
		path = xasprintf("%s/%s/%s", TEST_DATA_DIR, dir, name);
		fixture_read(path, &b);
		check(b.data, b.len, &r);
		if ((r.status != RDB_CORRUPT) != (strcmp(verdict, "ok") == 0))
			fail_msg("%s: redis-check-rdb says %s, we say \"%s\"", name, verdict,
			         r.detail);
		free(r.detail);
		files++;
	}
	fclose(f);
	free(path);
	buf_free(&b);
	assert_int_equal(files, want_files);
}

static void
test_redis_assets(void **state)
{
	(void)state;
	check_verdicts("redis-assets", 8);
}

static void
test_redis_generated(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	check_verdicts("redis-generated", 10);
	/* What the ok ones are beyond "not corrupt". */
	fixture_read(TEST_DATA_DIR "/redis-generated/all-types.rdb", &b);
	expect(b.data, b.len, RDB_OK, "rdb: version 10, 18 keys, crc64 0x");
	fixture_read(TEST_DATA_DIR "/redis-generated/all-types-nocksum.rdb", &b);
	expect(b.data, b.len, RDB_UNCHECKED,
	       "written without checksum (rdbchecksum no); structure of 18 keys sound");
	fixture_read(TEST_DATA_DIR "/redis-generated/trailing-zeros.rdb", &b);
	expect(b.data, b.len, RDB_WARNING,
	       "; warning: 16 bytes after the end at offset 34941 ignored, as redis-check-rdb "
	       "does");
	fixture_read(TEST_DATA_DIR "/redis-generated/damaged-listpack-encoding.rdb", &b);
	expect(b.data, b.len, RDB_CORRUPT,
	       "rdb: key 7 (hash-listpack, from offset 19349): listpack entry badly encoded");
	fixture_read(TEST_DATA_DIR "/redis-assets/corrupt_ziplist.rdb", &b);
	expect(b.data, b.len, RDB_CORRUPT, "key 16 (hash-ziplist, from offset 470): shorter than");
	fixture_read(TEST_DATA_DIR "/redis-assets/corrupt_empty_keys.rdb", &b);
	expect(b.data, b.len, RDB_CORRUPT, "key 1 (set, from offset 94): empty key");
	fixture_read(TEST_DATA_DIR "/redis-assets/encodings.rdb", &b);
	expect(b.data, b.len, RDB_UNCHECKED, "version 4 predates checksums; structure of 13 keys");
	buf_free(&b);
}

/*
 * Every flipped bit and every cut of a real dump is caught, with the same
 * words in every chunking (whole objects take the walk's short cut, bytes
 * one at a time never do); extra bytes are a warning.
 */
static void
test_every_damage(void **state)
{
	struct buf b = BUF_INIT;
	struct rdb_result r;
	size_t i;
	int bit;

	(void)state;
	fixture_read(TEST_DATA_DIR "/formats/dump.rdb", &b);
	for (i = 0; i < b.len; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			b.data[i] ^= (char)(1 << bit);
			check(b.data, b.len, &r);
			if (r.status != RDB_CORRUPT)
				fail_msg("bit %d of byte %zu flipped: \"%s\"", bit, i, r.detail);
			free(r.detail);
			b.data[i] ^= (char)(1 << bit);
		}
	}
	for (i = 0; i < b.len; i++) {
		check(b.data, i, &r);
		if (r.status != RDB_CORRUPT)
			fail_msg("cut at %zu: \"%s\"", i, r.detail);
		free(r.detail);
	}
	expect(b.data, b.len - 1, RDB_CORRUPT,
	       "rdb: truncated: 7 of the 8 checksum bytes after the EOF opcode at offset 329");
	expect(b.data, 100, RDB_CORRUPT, "rdb: truncated: the file ends inside ");
	expect(b.data, 4, RDB_CORRUPT, "rdb: truncated: 4 bytes");
	expect("RDB0", 4, RDB_CORRUPT, "rdb: bad magic at offset 0");
	expect("", 0, RDB_CORRUPT, "rdb: empty file");
	expect("REDIS", 5, RDB_CORRUPT, "rdb: truncated: 5 bytes");
	expect("REDIS0013\xff", 10, RDB_CORRUPT, "RDB version 13 not supported");
	buf_add(&b, "\0\0\0garbage", 10);
	expect(b.data, b.len, RDB_WARNING, "10 bytes after the end at offset 338 ignored");
	buf_free(&b);
}

/* ---- RDBs built here ---- */

static void
put_len(struct buf *b, uint64_t v)
{
	uint8_t x[9];
	int i;

	if (v < 64) {
		buf_addc(b, (char)v);
	} else if (v < 16384) {
		buf_addc(b, (char)(0x40 | v >> 8));
		buf_addc(b, (char)(v & 0xff));
	} else {
		x[0] = 0x81;
		for (i = 0; i < 8; i++)
			x[1 + i] = (uint8_t)(v >> (56 - 8 * i));
		buf_add(b, x, 9);
	}
}

static void
put_str(struct buf *b, const void *s, size_t len)
{
	put_len(b, len);
	buf_add(b, s, len);
}

#define PUT_S(b, lit) put_str(b, lit, sizeof lit - 1)

/* A listpack of short strings (6-bit length encoding, one-byte back-length). */
static void
put_listpack(struct buf *b, const char *const *v, size_t n)
{
	struct buf lp = BUF_INIT;
	size_t i, len;

	buf_add(&lp, "\0\0\0\0", 4);
	buf_addc(&lp, (char)n);
	buf_addc(&lp, 0);
	for (i = 0; i < n; i++) {
		len = strlen(v[i]);
		buf_addc(&lp, (char)(0x80 | len));
		buf_add(&lp, v[i], len);
		buf_addc(&lp, (char)(len + 1));
	}
	buf_addc(&lp, (char)0xff);
	lp.data[0] = (char)lp.len;
	put_str(b, lp.data, lp.len);
	buf_free(&lp);
}

static void
begin(struct buf *b, const char *version)
{
	buf_reset(b);
	buf_adds(b, "REDIS");
	buf_adds(b, version);
}

/* EOF and the CRC64 of everything before it. */
static void
end(struct buf *b)
{
	uint64_t crc;
	int i;

	buf_addc(b, (char)0xff);
	crc = crc_64(0, b->data, b->len);
	for (i = 0; i < 8; i++)
		buf_addc(b, (char)(crc >> (8 * i)));
}

static void
test_opcodes_and_modules(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	begin(&b, "0012");
	buf_addc(&b, (char)0xfa); /* AUX */
	PUT_S(&b, "redis-ver");
	PUT_S(&b, "7.4.0");
	buf_addc(&b, (char)0xfe); /* SELECTDB 2 */
	put_len(&b, 2);
	buf_addc(&b, (char)0xfb); /* RESIZEDB */
	put_len(&b, 10);
	put_len(&b, 1);
	buf_addc(&b, (char)0xf4); /* SLOT_INFO */
	put_len(&b, 866);
	put_len(&b, 3);
	put_len(&b, 0);
	buf_addc(&b, (char)0xf5); /* FUNCTION2 */
	PUT_S(&b, "#!lua name=lib\nredis.register_function('f', function() return 1 end)");
	buf_addc(&b, (char)0xf7); /* MODULE_AUX: id, when_opcode UINT, when, values */
	put_len(&b, 0x123456789ull);
	put_len(&b, 2);
	put_len(&b, 1);
	put_len(&b, 5); /* STRING */
	PUT_S(&b, "aux");
	put_len(&b, 0);           /* EOF */
	buf_addc(&b, (char)0xfc); /* EXPIRETIME_MS */
	buf_add(&b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	buf_addc(&b, (char)0xf8); /* IDLE */
	put_len(&b, 1000);
	buf_addc(&b, 0x07); /* a module value with every module opcode */
	PUT_S(&b, "modkey");
	put_len(&b, 0x987654321ull);
	put_len(&b, 1);
	put_len(&b, 42);
	put_len(&b, 2);
	put_len(&b, 7);
	put_len(&b, 3);
	buf_add(&b, "\0\0\x80\x3f", 4);
	put_len(&b, 4);
	buf_add(&b, "\0\0\0\0\0\0\xf0\x3f", 8);
	put_len(&b, 5);
	PUT_S(&b, "module string");
	put_len(&b, 0);
	buf_addc(&b, (char)0xfd); /* EXPIRETIME */
	buf_add(&b, "\x01\x02\x03\x04", 4);
	buf_addc(&b, (char)0xf9); /* FREQ */
	buf_addc(&b, 5);
	buf_addc(&b, 0x00); /* a string with an int encoding */
	PUT_S(&b, "n");
	buf_add(&b, "\xc2\x15\xcd\x5b\x07", 5);
	end(&b);
	expect(b.data, b.len, RDB_OK, "rdb: version 12, 2 keys, crc64");
	/* A module value with an unknown opcode. */
	begin(&b, "0010");
	buf_addc(&b, 0x07);
	PUT_S(&b, "modkey");
	put_len(&b, 0x987654321ull);
	put_len(&b, 9);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "unknown module opcode 9");
	/* MODULE_AUX whose when_opcode is not UINT. */
	begin(&b, "0010");
	buf_addc(&b, (char)0xf7);
	put_len(&b, 1);
	put_len(&b, 1);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "MODULE_AUX when_opcode 1 is not UINT (2)");
	begin(&b, "0010");
	buf_addc(&b, (char)0xf6);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "pre-release function format");
	begin(&b, "0010");
	buf_addc(&b, 0x08);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "rdb: invalid object type 8 at offset 9");
	begin(&b, "0010");
	buf_addc(&b, 0x06);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "invalid object type 6");
	buf_free(&b);
}

static void
test_strings(void **state)
{
	static const uint8_t lzf[] = { 0x02, 'a', 'b', 'c', 0x80, 0x02 }; /* "abcabcabc" */
	static const uint8_t lzf_lp[] = { 0x07, 0x13, 0,    0,    0,    0x02, 0,
		                          0x84, 'a',  0x20, 0x00, 0x01, 0x05, 0x84,
		                          0x20, 0x05, 0x02, 'b',  0x05, 0xff };
	struct buf b = BUF_INIT;
	uint8_t bad[sizeof lzf];

	(void)state;
	begin(&b, "0009");
	buf_addc(&b, 0x00);
	PUT_S(&b, "k");
	buf_addc(&b, (char)0xc3); /* LZF: compressed and declared lengths, then the data */
	put_len(&b, sizeof lzf);
	put_len(&b, 9);
	buf_add(&b, lzf, sizeof lzf);
	end(&b);
	expect(b.data, b.len, RDB_OK, "rdb: version 9, 1 keys");
	/* Declared one byte longer than it inflates to. */
	b.data[b.len - 9 - sizeof lzf - 1] = 10;
	b.len -= 9;
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT,
	       "key 1 (string, from offset 9): LZF string does not decompress to its declared "
	       "10 bytes at offset 12");
	/* A back-reference before the start. */
	memcpy(bad, lzf, sizeof lzf);
	bad[5] = 3;
	begin(&b, "0009");
	buf_addc(&b, 0x00);
	PUT_S(&b, "k");
	buf_addc(&b, (char)0xc3);
	put_len(&b, sizeof bad);
	put_len(&b, 9);
	buf_add(&b, bad, sizeof bad);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "LZF string does not decompress");
	/* A set listpack of "aaaa" and "aaab" compressed with an overlapping
	 * back-reference (distance 1, three bytes) and a plain one: the copies
	 * into the container must give back the listpack. */
	begin(&b, "0010");
	buf_addc(&b, 20);
	PUT_S(&b, "s");
	buf_addc(&b, (char)0xc3);
	put_len(&b, sizeof lzf_lp);
	put_len(&b, 19);
	buf_add(&b, lzf_lp, sizeof lzf_lp);
	end(&b);
	expect(b.data, b.len, RDB_OK, "rdb: version 10, 1 keys");
	begin(&b, "0009");
	buf_addc(&b, 0x00);
	PUT_S(&b, "k");
	buf_addc(&b, (char)0xc4); /* string encoding 4 does not exist */
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "unknown string encoding 4");
	begin(&b, "0009");
	buf_addc(&b, 0x00);
	buf_addc(&b, (char)0x82); /* length encoding 0x82 does not exist */
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "unknown length encoding 0x82 at offset 10");
	buf_free(&b);
}

static void
test_containers(void **state)
{
	static const char *const pairs[] = { "f1", "v1", "f2", "v2" };
	static const char *const dup[] = { "f1", "v1", "f1", "v2" };
	static const char *const odd[] = { "f1", "v1", "f2" };
	static const char *const ttl[] = { "f1", "v1", "1700000000000", "f2", "v2", "0" };
	static const char *const node[] = { "a", "b" };
	static const uint8_t intset[] = { 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 5, 0, 9, 0 };
	struct buf b = BUF_INIT;
	uint8_t unordered[sizeof intset];

	(void)state;
	begin(&b, "0012");
	buf_addc(&b, 16); /* hash listpack */
	PUT_S(&b, "h");
	put_listpack(&b, pairs, 4);
	buf_addc(&b, 25); /* hash listpack with TTLs: min expiry, then triples */
	PUT_S(&b, "hx");
	buf_add(&b, "\0\x68\xe5\xcf\x8b\x01\0\0", 8);
	put_listpack(&b, ttl, 6);
	buf_addc(&b, 24); /* hash with TTLs: min expiry, count, (ttl, field, value) */
	PUT_S(&b, "hm");
	buf_add(&b, "\0\x68\xe5\xcf\x8b\x01\0\0", 8);
	put_len(&b, 2);
	put_len(&b, 0);
	PUT_S(&b, "a");
	PUT_S(&b, "1");
	put_len(&b, 5);
	PUT_S(&b, "b");
	PUT_S(&b, "2");
	buf_addc(&b, 18); /* quicklist 2: a packed node and a plain one */
	PUT_S(&b, "l");
	put_len(&b, 2);
	put_len(&b, 2);
	put_listpack(&b, node, 2);
	put_len(&b, 1);
	PUT_S(&b, "a plain node");
	buf_addc(&b, 11); /* intset */
	PUT_S(&b, "s");
	put_str(&b, intset, sizeof intset);
	end(&b);
	expect(b.data, b.len, RDB_OK, "rdb: version 12, 5 keys");

	begin(&b, "0010");
	buf_addc(&b, 16);
	PUT_S(&b, "h");
	put_listpack(&b, dup, 4);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "duplicate members in a container");
	begin(&b, "0010");
	buf_addc(&b, 16);
	PUT_S(&b, "h");
	put_listpack(&b, odd, 3);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "odd number of entries");
	begin(&b, "0010");
	buf_addc(&b, 20); /* set listpack, empty */
	PUT_S(&b, "s");
	put_listpack(&b, NULL, 0);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "empty listpack (Redis refuses empty keys)");
	memcpy(unordered, intset, sizeof intset);
	unordered[10] = 9;
	begin(&b, "0010");
	buf_addc(&b, 11);
	PUT_S(&b, "s");
	put_str(&b, unordered, sizeof unordered);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "intset members not in strictly ascending order");
	begin(&b, "0010");
	buf_addc(&b, 18); /* quicklist 2 node container 3 */
	PUT_S(&b, "l");
	put_len(&b, 1);
	put_len(&b, 3);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "container 3 neither plain (1) nor packed (2)");
	begin(&b, "0010");
	buf_addc(&b, 2); /* plain set with a duplicate */
	PUT_S(&b, "s");
	put_len(&b, 3);
	PUT_S(&b, "x");
	PUT_S(&b, "y");
	PUT_S(&b, "x");
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "key 1 (set, from offset 9): duplicate members");
	begin(&b, "0010");
	buf_addc(&b, 5); /* zset with a NaN score */
	PUT_S(&b, "z");
	put_len(&b, 1);
	PUT_S(&b, "m");
	buf_add(&b, "\0\0\0\0\0\0\xf8\x7f", 8);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "sorted set with a NaN score");
	buf_free(&b);
}

/*
 * Plain keys whose entries the walk takes whole from the chunk (all but the
 * last), against the same bytes a byte at a time: a NaN score, integer
 * members equal to text ones, and a member too long for the duplicate check.
 */
static void
test_plain_entries(void **state)
{
	struct buf b = BUF_INIT, big = BUF_INIT;
	struct rdb_result whole, chunked;

	(void)state;
	begin(&b, "0010");
	buf_addc(&b, 5); /* zset-v2, a NaN score first */
	PUT_S(&b, "z");
	put_len(&b, 3);
	PUT_S(&b, "m1");
	buf_add(&b, "\0\0\0\0\0\0\xf8\x7f", 8);
	PUT_S(&b, "m2");
	buf_add(&b, "\0\0\0\0\0\0\xf0\x3f", 8);
	PUT_S(&b, "m3");
	buf_add(&b, "\0\0\0\0\0\0\0\x40", 8);
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "sorted set with a NaN score at offset 16");
	begin(&b, "0010");
	buf_addc(&b, 4); /* hash: field 12 as text, then as an int8, then another */
	PUT_S(&b, "h");
	put_len(&b, 3);
	PUT_S(&b, "12");
	PUT_S(&b, "a");
	buf_add(&b, "\xc0\x0c", 2);
	PUT_S(&b, "b");
	PUT_S(&b, "c");
	PUT_S(&b, "d");
	end(&b);
	expect(b.data, b.len, RDB_CORRUPT, "key 1 (hash, from offset 9): duplicate members");
	/* A set of a member over RDB_BLOB_MAX, "x" and "x": the key is not checked. */
	begin(&b, "0010");
	buf_addc(&b, 2);
	PUT_S(&b, "s");
	put_len(&b, 3);
	buf_reset(&big);
	while (big.len < RDB_BLOB_MAX + 1)
		buf_adds(&big, "0123456789abcdef");
	put_str(&b, big.data, big.len);
	PUT_S(&b, "x");
	PUT_S(&b, "x");
	end(&b);
	run(b.data, b.len, 0, &whole);
	run(b.data, b.len, 4093, &chunked);
	assert_int_equal(whole.status, RDB_OK);
	assert_non_null(strstr(whole.detail, "1 keys too large for the duplicate check"));
	assert_string_equal(whole.detail, chunked.detail);
	free(whole.detail);
	free(chunked.detail);
	buf_free(&big);
	buf_free(&b);
}

/* Inputs the fuzzer once found a bug with; each must get one verdict in every chunking. */
static void
test_fuzz_regressions(void **state)
{
	/* A hash whose listpack holds fewer than two fields: qsort was handed a NULL base. */
	static const uint8_t dup_sort_null[] = {
		0x52, 0x45, 0x44, 0x49, 0x53, 0x30, 0x30, 0x31, 0x30, 0xfa, 0x09, 0x72, 0x65, 0x64,
		0x69, 0x73, 0x2d, 0x76, 0x65, 0x72, 0x06, 0x37, 0x2e, 0x30, 0x2e, 0x31, 0x35, 0xfa,
		0x02, 0x6b, 0xfa, 0x08, 0x75, 0x73, 0x65, 0x64, 0x2d, 0x6d, 0x65, 0x68, 0x15, 0x15,
		0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x81, 0x6b,
		0x02, 0x00, 0x01, 0x02, 0x01, 0x00, 0x01, 0x00, 0x01, 0x81, 0x65, 0x74, 0x61, 0x01,
		0x11, 0x10, 0x76, 0x02, 0x04, 0x01, 0xff, 0x01, 0x81, 0x00, 0x00, 0x01, 0xa2, 0x01,
		0xe9, 0x32, 0x95, 0x00, 0x81, 0x00, 0x00, 0x01, 0x6c, 0x6c, 0x6f, 0x32, 0x95, 0x00,
		0x00, 0x00, 0x01, 0x00, 0xff, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
	};
	/* A hash member compressed with an overlapping back-reference, cut short:
	 * the copy indexed the blob with an unsigned offset that wrapped. */
	static const uint8_t lzf_overlap[] = { 'R',  'E',  'D',  'I',  'S',  '0',  '0',
		                               '0',  '1',  0x04, 0x00, 0x02, 0xc3, 0x10,
		                               0x22, 0x00, 0x30, 0x60, 0x00 };
	struct rdb_result r;

	(void)state;
	check(dup_sort_null, sizeof dup_sort_null, &r);
	assert_int_not_equal(r.status, RDB_OK);
	free(r.detail);
	check(lzf_overlap, sizeof lzf_overlap, &r);
	assert_int_equal(r.status, RDB_CORRUPT);
	free(r.detail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_regressions),    cmocka_unit_test(test_redis_assets),
		cmocka_unit_test(test_redis_generated),     cmocka_unit_test(test_every_damage),
		cmocka_unit_test(test_opcodes_and_modules), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),          cmocka_unit_test(test_plain_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
