/*
 * Unit tests for formats: detection, and each checker on real exports
 * (an RDB saved by redis-server 7.0, dumps by mariadb-dump 10.11, a Parquet
 * file by hyparquet-writer) and on damaged copies made here, fed in every
 * chunking with the same outcome.
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
#include "formats.h"
#include "rdb.h"
#include "xmalloc.h"
#include "zstream.h"

static const size_t chunkings[] = { 0, 1, 2, 3, 5, 7, 8, 9, 13, 64, 4093 };

static void
read_fixture(const char *rel, struct buf *out)
{
	char *path = xasprintf("%s/%s", TEST_DATA_DIR, rel);

	fixture_read(path, out);
	free(path);
}

static void
fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5; /* xorshift32 */
		p[i] = (uint8_t)seed;
	}
}

static void
check(enum formats_kind kind, const void *data, size_t len, size_t chunk,
      struct formats_result *res)
{
	struct formats_check *c = formats_check_init(kind);
	const uint8_t *p = data;
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		formats_check_update(c, p + off, n);
	}
	formats_check_final(c, res);
	formats_check_free(c);
}

/* Checks in every chunking, asserts the same outcome, and that it is `want`
 * with a detail containing `needle`. */
static void
expect(enum formats_kind kind, const void *data, size_t len, enum formats_status want,
       const char *needle)
{
	struct formats_result first, r;
	size_t i;

	check(kind, data, len, 0, &first);
	if (first.status != want || strstr(first.detail, needle) == NULL)
		fail_msg("%s: got %s \"%s\", want %s with \"%s\"", formats_kind_name(kind),
		         formats_status_name(first.status), first.detail, formats_status_name(want),
		         needle);
	for (i = 1; i < sizeof chunkings / sizeof chunkings[0]; i++) {
		check(kind, data, len, chunkings[i], &r);
		assert_int_equal(r.status, first.status);
		assert_string_equal(r.detail, first.detail);
		free(r.detail);
	}
	free(first.detail);
}

/* ---- CRC64 ---- */

/* ---- detection ---- */

static void
test_detect_by_content(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	read_fixture("formats/dump.rdb", &b);
	assert_int_equal(formats_detect(b.data, b.len, "backup.bin"), FORMATS_RDB);
	assert_int_equal(formats_detect(b.data, 5, NULL), FORMATS_RDB);
	/* The same bytes named .aof: an AOF with an RDB preamble. */
	assert_int_equal(formats_detect(b.data, b.len, "appendonly.aof"), FORMATS_AOF);
	assert_int_equal(formats_detect("*2\r\n$6\r\nSELECT", 14, "x.bin"), FORMATS_AOF);
	assert_int_equal(formats_detect("#TS:1795328389\r\n", 16, NULL), FORMATS_AOF);
	assert_int_equal(formats_detect("file a.1.base.rdb seq 1 type b\n", 31, "m"),
	                 FORMATS_AOF_MANIFEST);
	assert_string_equal(formats_kind_name(FORMATS_AOF), "aof");
	assert_string_equal(formats_kind_name(FORMATS_AOF_MANIFEST), "aof-manifest");
	read_fixture("formats/sample.parquet", &b);
	assert_int_equal(formats_detect(b.data, b.len, "x.rdb"), FORMATS_PARQUET);
	/* mariadb-dump 10.11 puts a sandbox line before the header. */
	read_fixture("formats/shop.sql", &b);
	assert_int_equal(formats_detect(b.data, b.len, "shop.txt"), FORMATS_MYSQLDUMP);
	assert_int_equal(formats_detect("-- MySQL dump 10.13  Distrib 8.0.36", 35, NULL),
	                 FORMATS_MYSQLDUMP);
	/* Inside gzip, whatever the name. */
	read_fixture("formats/shop.sql.gz", &b);
	assert_int_equal(formats_detect(b.data, b.len, "nightly.gz"), FORMATS_MYSQLDUMP_GZ);
	assert_int_equal(formats_detect(b.data, 300, NULL), FORMATS_MYSQLDUMP_GZ);
	read_fixture("zstream/text.gz", &b);
	assert_int_equal(formats_detect(b.data, b.len, NULL), FORMATS_GZIP);
	assert_int_equal(formats_detect(b.data, b.len, "db.SQL.GZ"), FORMATS_MYSQLDUMP_GZ);
	assert_int_equal(formats_detect(b.data, b.len, "dump.rdb"), FORMATS_GZIP);
	/* "REDIS" without digits is not enough. */
	assert_int_equal(formats_detect("REDISHQ is here", 15, NULL), FORMATS_RAW);
	buf_free(&b);
}

static void
test_detect_by_name(void **state)
{
	uint8_t junk[64];

	(void)state;
	fill_random(junk, sizeof junk, 99);
	junk[0] = 'x';
	assert_int_equal(formats_detect(junk, sizeof junk, "/var/backups/a.rdb"), FORMATS_RDB);
	assert_int_equal(formats_detect(junk, sizeof junk, "A.RDB"), FORMATS_RDB);
	assert_int_equal(formats_detect(junk, sizeof junk, "b.sql.gz"), FORMATS_MYSQLDUMP_GZ);
	assert_int_equal(formats_detect(junk, sizeof junk, "c.gz"), FORMATS_GZIP);
	assert_int_equal(formats_detect(junk, sizeof junk, "d.sql"), FORMATS_MYSQLDUMP);
	assert_int_equal(formats_detect(junk, sizeof junk, "e.parquet"), FORMATS_PARQUET);
	assert_int_equal(formats_detect(junk, sizeof junk, "f.csv"), FORMATS_RAW);
	assert_int_equal(formats_detect(junk, sizeof junk, "rdb"), FORMATS_RAW);
	assert_int_equal(formats_detect(junk, sizeof junk, NULL), FORMATS_RAW);
	assert_int_equal(formats_detect("", 0, "empty.rdb"), FORMATS_RDB);
	assert_int_equal(formats_detect(NULL, 0, NULL), FORMATS_RAW);
	assert_string_equal(formats_kind_name(FORMATS_MYSQLDUMP_GZ), "mysqldump.gz");
	assert_string_equal(formats_status_name(FORMATS_UNCHECKED), "unchecked");
}

/* ---- RDB ---- */

static void
put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The RDB walk itself is tested in test_rdb.c; here, that formats hands RDBs to it. */
static void
test_rdb_real_dumps(void **state)
{
	struct buf b = BUF_INIT;
	char want[64];

	(void)state;
	read_fixture("formats/dump.rdb", &b);
	snprintf(want, sizeof want, "crc64 0x%016llx ok",
	         (unsigned long long)crc_64(0, b.data, b.len - 8));
	expect(FORMATS_RDB, b.data, b.len, FORMATS_OK, want);
	expect(FORMATS_RDB, b.data, b.len, FORMATS_OK, "rdb: version 10, 9 keys,");
	/* Saved by redis-server --rdbchecksum no. */
	read_fixture("formats/nochecksum.rdb", &b);
	expect(FORMATS_RDB, b.data, b.len, FORMATS_UNCHECKED,
	       "rdb: version 10 written without checksum (rdbchecksum no)");
	buf_free(&b);
}

static void
test_rdb_damaged(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t junk[1000];
	uint64_t stored;
	char *want;

	(void)state;
	read_fixture("formats/dump.rdb", &b);
	/* Inside the value of "greeting": the structure holds, the CRC does not. */
	stored = crc_64(0, b.data, b.len - 8);
	b.data[0x62] ^= 0x20;
	want = xasprintf("rdb: crc64 mismatch (stored 0x%016llx, computed 0x%016llx)",
	                 (unsigned long long)stored,
	                 (unsigned long long)crc_64(0, b.data, b.len - 8));
	expect(FORMATS_RDB, b.data, b.len, FORMATS_CORRUPT, want);
	free(want);
	b.data[0x62] ^= 0x20;
	b.data[b.len - 3] ^= 0x01; /* in the checksum itself */
	expect(FORMATS_RDB, b.data, b.len, FORMATS_CORRUPT, "rdb: crc64 mismatch");
	b.data[b.len - 3] ^= 0x01;
	expect(FORMATS_RDB, b.data, b.len - 1, FORMATS_CORRUPT, "rdb: truncated: 7 of the 8");
	expect(FORMATS_RDB, b.data, b.len / 2, FORMATS_CORRUPT, "rdb: truncated: the file ends");
	expect(FORMATS_RDB, b.data, 9, FORMATS_CORRUPT, "rdb: truncated: the file ends");
	expect(FORMATS_RDB, b.data, 4, FORMATS_CORRUPT, "rdb: truncated: 4 bytes");
	expect(FORMATS_RDB, "", 0, FORMATS_CORRUPT, "rdb: empty file");
	fill_random(junk, sizeof junk, 1);
	expect(FORMATS_RDB, junk, sizeof junk, FORMATS_CORRUPT, "rdb: bad magic at offset 0");
	/* Zeros after the checksum: redis-check-rdb ignores them; a warning here. */
	buf_add(&b, "\0\0\0\0", 4);
	expect(FORMATS_RDB, b.data, b.len, FORMATS_WARNING, "warning: 4 bytes after the end");
	/* A zeroed checksum is how Redis marks "not computed". */
	b.len -= 4;
	memset(b.data + b.len - 8, 0, 8);
	expect(FORMATS_RDB, b.data, b.len, FORMATS_UNCHECKED, "written without checksum");
	buf_free(&b);
}

static void
test_rdb_old_version(void **state)
{
	static const uint8_t v4[] = "REDIS0004\xfe\x00\x00\x01k\x01v\xff";

	(void)state;
	expect(FORMATS_RDB, v4, sizeof v4 - 1, FORMATS_UNCHECKED,
	       "rdb: version 4 predates checksums; structure of 1 keys sound");
	expect(FORMATS_RDB, v4, sizeof v4 - 2, FORMATS_CORRUPT, "rdb: truncated: the file ends");
}

/* One 24 MiB string value, fed in 1 MiB chunks as scan does. */
static void
test_rdb_large_generated(void **state)
{
	const size_t body = 24 * 1024 * 1024 + 3;
	const size_t head = 9 + 1 + 2 + 9;
	size_t len = head + body + 1 + 8, off, n;
	uint8_t *p = xmalloc(len);
	struct formats_result r;
	struct formats_check *c;
	int i;

	(void)state;
	memcpy(p, "REDIS0011\x00\x01k\x81", 13);
	for (i = 0; i < 8; i++)
		p[13 + i] = (uint8_t)((uint64_t)body >> (56 - 8 * i));
	fill_random(p + head, body, 5);
	p[head + body] = 0xff;
	put_le64(p + len - 8, crc_64(0, p, len - 8));
	c = formats_check_init(FORMATS_RDB);
	for (off = 0; off < len; off += n) {
		n = len - off < 1024 * 1024 ? len - off : 1024 * 1024;
		formats_check_update(c, p + off, n);
	}
	formats_check_final(c, &r);
	formats_check_free(c);
	assert_int_equal(r.status, FORMATS_OK);
	free(r.detail);
	p[len / 3] ^= 0x80;
	check(FORMATS_RDB, p, len, 1000003, &r);
	assert_int_equal(r.status, FORMATS_CORRUPT);
	assert_non_null(strstr(r.detail, "crc64 mismatch"));
	free(r.detail);
	free(p);
}

/* ---- mysqldump ---- */

/* Offset of the start of the last non-empty line. */
static size_t
last_line(const struct buf *b)
{
	size_t end = b->len;

	while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == ' '))
		end--;
	while (end > 0 && b->data[end - 1] != '\n')
		end--;
	return end;
}

static void
test_dump_plain(void **state)
{
	struct buf b = BUF_INIT, crlf = BUF_INIT;
	size_t i, cut, end;
	char *want;

	(void)state;
	read_fixture("formats/shop.sql", &b);
	expect(FORMATS_MYSQLDUMP, b.data, b.len, FORMATS_OK,
	       "mysqldump: complete (-- Dump completed on 20");
	/* A missing final newline is still complete. */
	expect(FORMATS_MYSQLDUMP, b.data, b.len - 1, FORMATS_OK, "complete");
	cut = last_line(&b);
	for (end = cut; end > 0 && (b.data[end - 1] == '\n' || b.data[end - 1] == ' ');)
		end--;
	want = xasprintf("mysqldump: truncated: no '-- Dump completed' line at the end (file ends "
	                 "at offset %zu)",
	                 end);
	expect(FORMATS_MYSQLDUMP, b.data, cut, FORMATS_CORRUPT, want);
	free(want);
	expect(FORMATS_MYSQLDUMP, b.data, b.len / 2, FORMATS_CORRUPT, "mysqldump: truncated");
	expect(FORMATS_MYSQLDUMP, "", 0, FORMATS_CORRUPT, "mysqldump: empty file");
	/* Trailing whitespace of any length and kind, and CRLF line ends. */
	buf_adds(&b, "\n\r\n \t \n");
	for (i = 0; i < 3000; i++)
		buf_addc(&b, i % 2 ? ' ' : '\n');
	expect(FORMATS_MYSQLDUMP, b.data, b.len, FORMATS_OK, "complete");
	for (i = 0; i < b.len; i++) {
		if (b.data[i] == '\n')
			buf_addc(&crlf, '\r');
		buf_addc(&crlf, b.data[i]);
	}
	expect(FORMATS_MYSQLDUMP, crlf.data, crlf.len, FORMATS_OK, "complete");
	buf_free(&crlf);
	/* --skip-dump-date leaves the bare trailer. */
	read_fixture("formats/shop-nodate.sql", &b);
	expect(FORMATS_MYSQLDUMP, b.data, b.len, FORMATS_OK, "(-- Dump completed)");
	/* --skip-comments: neither header nor trailer, so nothing to go by. */
	read_fixture("formats/shop-nocomments.sql", &b);
	expect(FORMATS_MYSQLDUMP, b.data, b.len, FORMATS_UNCHECKED,
	       "completeness cannot be checked");
	buf_free(&b);
}

static void
test_dump_short_files(void **state)
{
	static const char bare[] = "-- Dump completed\n";
	static const char hdr[] = "-- MySQL dump 10.13\n-- Dump completed on 2024-01-01\n\n";

	(void)state;
	expect(FORMATS_MYSQLDUMP, bare, sizeof bare - 1, FORMATS_OK, "(-- Dump completed)");
	expect(FORMATS_MYSQLDUMP, hdr, sizeof hdr - 1, FORMATS_OK, "on 2024-01-01)");
	expect(FORMATS_MYSQLDUMP, "-- MySQL dump 10.13\n", 20, FORMATS_CORRUPT, "truncated");
	expect(FORMATS_MYSQLDUMP, "x-- Dump completed", 18, FORMATS_UNCHECKED, "cannot be checked");
	expect(FORMATS_MYSQLDUMP, " \n\n", 3, FORMATS_UNCHECKED, "cannot be checked");
}

/* A gzip member in stored blocks, so tests can gzip without zlib. */
static void
gz_stored(struct buf *out, const void *data, size_t len)
{
	static const uint8_t hdr[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct zstream_crc32 c;
	uint32_t crc;
	const uint8_t *p = data;
	size_t n;
	uint8_t h[5];

	zstream_crc32_init(&c);
	zstream_crc32_update(&c, data, len);
	zstream_crc32_final(&c, &crc);
	buf_add(out, hdr, sizeof hdr);
	do {
		n = len > 65535 ? 65535 : len;
		h[0] = len == n;
		h[1] = (uint8_t)n, h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)~n, h[4] = (uint8_t)(~n >> 8);
		buf_add(out, h, 5);
		buf_add(out, p, n);
		p += n, len -= n;
	} while (len > 0);
	n = (size_t)(p - (const uint8_t *)data);
	for (int i = 0; i < 4; i++)
		buf_addc(out, (char)(crc >> (8 * i)));
	for (int i = 0; i < 4; i++)
		buf_addc(out, (char)(n >> (8 * i)));
}

static void
test_dump_gzip(void **state)
{
	struct buf b = BUF_INIT, sql = BUF_INIT, gz = BUF_INIT;
	char *want;

	(void)state;
	read_fixture("formats/shop.sql.gz", &b);
	expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len, FORMATS_OK, "mysqldump: complete (-- Dump");
	expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len, FORMATS_OK, "); gzip: 1 member ok");
	want = xasprintf("gzip: member 1: truncated in trailer at offset %zu", b.len - 1);
	expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len - 1, FORMATS_CORRUPT, want);
	free(want);
	b.data[b.len / 2] ^= 0x04;
	expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len, FORMATS_CORRUPT, "gzip: member 1: ");
	expect(FORMATS_MYSQLDUMP_GZ, "", 0, FORMATS_CORRUPT, "gzip: empty input");
	/* A sound gzip stream of an unfinished dump. */
	read_fixture("formats/shop.sql", &sql);
	gz_stored(&gz, sql.data, last_line(&sql));
	expect(FORMATS_MYSQLDUMP_GZ, gz.data, gz.len, FORMATS_CORRUPT,
	       "no '-- Dump completed' line at the end (inflated stream ends at offset");
	/* And of a whole one in two members, the trailer in the second. */
	buf_reset(&gz);
	gz_stored(&gz, sql.data, sql.len - 20);
	gz_stored(&gz, sql.data + sql.len - 20, 20);
	expect(FORMATS_MYSQLDUMP_GZ, gz.data, gz.len, FORMATS_OK, "; gzip: 2 members ok");
	buf_free(&b);
	buf_free(&sql);
	buf_free(&gz);
}

/* ---- zstd and the compressions that cannot be checked ---- */

/* shop.sql.zst: `zstd shop.sql` (with its content checksum), 1.5.4. */
static void
test_zstd(void **state)
{
	struct buf b = BUF_INIT;
	void *copy;
	size_t len;

	(void)state;
	read_fixture("formats/shop.sql.zst", &b);
	assert_int_equal(formats_detect(b.data, b.len, "x.bin"), FORMATS_ZSTD);
#ifdef HAVE_ZSTD
	expect(FORMATS_ZSTD, b.data, b.len, FORMATS_OK,
	       "mysqldump: complete (-- Dump completed on 2026-11-22  6:20:08); zstd: 1 frame, "
	       "2205 bytes decompressed, content checksums ok where stored");
	len = b.len;
	expect(FORMATS_ZSTD, b.data, len - 7, FORMATS_CORRUPT,
	       "zstd: truncated: frame 1 not complete at the end (offset 904)");
	b.data[len - 2] ^= 1; /* in the content checksum */
	expect(FORMATS_ZSTD, b.data, len, FORMATS_CORRUPT,
	       "zstd: frame 1: Restored data doesn't match checksum");
	b.data[len - 2] ^= 1;
	copy = xmalloc(len);
	memcpy(copy, b.data, len);
	buf_add(&b, copy, len); /* two frames */
	expect(FORMATS_ZSTD, b.data, b.len, FORMATS_OK, "zstd: 2 frames, 4410 bytes");
	buf_add(&b, "\0\0\0\0", 4); /* zstd -t rejects trailing zeros too */
	expect(FORMATS_ZSTD, b.data, b.len, FORMATS_CORRUPT, "zstd: frame 3: Unknown frame");
	/* A zstd stream of a dump cut at a frame boundary: the frames are whole, the dump is not.
	 */
	b.len = len;
	free(copy);
#else
	(void)copy;
	(void)len;
	expect(FORMATS_ZSTD, b.data, b.len, FORMATS_UNCHECKED, "zstd: built without libzstd");
#endif
	buf_free(&b);
}

static void
test_other_compressions(void **state)
{
	static const struct {
		const char *head;
		size_t len;
		enum formats_kind kind;
		const char *want;
	} cases[] = {
		{ "\xfd"
		  "7zXZ\0\0\x04",
		  8, FORMATS_XZ, "xz: compressed with xz, which cannot" },
		{ "BZh91AY&SY", 10, FORMATS_BZIP2, "bzip2: compressed with bzip2" },
		{ "\x04\x22\x4d\x18\x64\x40", 6, FORMATS_LZ4, "lz4: compressed with lz4" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(formats_detect(cases[i].head, cases[i].len, "a.sql.gz"),
		                 cases[i].kind);
		expect(cases[i].kind, cases[i].head, cases[i].len, FORMATS_UNCHECKED,
		       cases[i].want);
	}
	assert_int_equal(formats_detect("x", 1, "backup.tar.xz"), FORMATS_XZ);
	assert_int_equal(formats_detect("x", 1, "dump.sql.zst"), FORMATS_ZSTD);
}

/* ---- gzip, Parquet, raw ---- */

static void
test_gzip_kind(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t junk[300];

	(void)state;
	read_fixture("zstream/multi.gz", &b);
	expect(FORMATS_GZIP, b.data, b.len, FORMATS_OK,
	       "gzip: 2 members, 27 bytes inflated, crc32 and length ok");
	fill_random(junk, sizeof junk, 3);
	junk[0] = 0x00;
	expect(FORMATS_GZIP, junk, sizeof junk, FORMATS_CORRUPT,
	       "gzip: not a gzip file (bad magic 0x00) at offset 0");
	expect(FORMATS_GZIP, "", 0, FORMATS_CORRUPT, "gzip: empty input at offset 0");
	buf_free(&b);
}

/* What gzip -t says about bytes after the last member: zeros are padding
 * (a warning), anything else is an error, and so is a cut second member. */
static void
test_gzip_trailing(void **state)
{
	static const size_t pads[] = { 1, 512, 10240 };
	struct buf b = BUF_INIT;
	size_t i, end;
	char *want;
	void *copy;

	(void)state;
	for (i = 0; i < sizeof pads / sizeof pads[0]; i++) {
		read_fixture("formats/shop.sql.gz", &b);
		end = b.len;
		while (b.len < end + pads[i])
			buf_add(&b, "", 1);
		want = xasprintf("warning: %zu bytes of zero padding at offset %zu after member 1 "
		                 "ignored",
		                 pads[i], end);
		expect(FORMATS_GZIP, b.data, b.len, FORMATS_WARNING, want);
		expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len, FORMATS_WARNING, want);
		expect(FORMATS_MYSQLDUMP_GZ, b.data, b.len, FORMATS_WARNING, "mysqldump: complete");
		free(want);
		/* Zeros and then one other byte: garbage. */
		buf_add(&b, "x", 1);
		want = xasprintf("gzip: trailing garbage after member 1 (first non-zero byte at "
		                 "offset %zu)",
		                 b.len - 1);
		expect(FORMATS_GZIP, b.data, b.len, FORMATS_CORRUPT, want);
		free(want);
	}
	read_fixture("formats/shop.sql.gz", &b);
	end = b.len;
	buf_add(&b, "garbage", 7);
	want = xasprintf("gzip: trailing garbage after member 1 at offset %zu", end);
	expect(FORMATS_GZIP, b.data, b.len, FORMATS_CORRUPT, want);
	free(want);
	/* A second member cut short, in its header and in its data. */
	read_fixture("formats/shop.sql.gz", &b);
	copy = xmalloc(b.len);
	memcpy(copy, b.data, b.len);
	buf_add(&b, copy, 5);
	expect(FORMATS_GZIP, b.data, b.len, FORMATS_CORRUPT, "gzip: member 2: truncated in header");
	read_fixture("formats/shop.sql.gz", &b);
	buf_add(&b, copy, b.len / 2);
	free(copy);
	expect(FORMATS_GZIP, b.data, b.len, FORMATS_CORRUPT,
	       "gzip: member 2: truncated in deflate data");
	buf_free(&b);
}

static void
test_parquet(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t junk[200];
	char *want;

	(void)state;
	read_fixture("formats/sample.parquet", &b);
	expect(FORMATS_PARQUET, b.data, b.len, FORMATS_OK,
	       "parquet: footer 176 bytes at offset 118: 5 rows in 1 row groups, 2 columns, 2 "
	       "column "
	       "chunks inside the file");
	want = xasprintf("parquet: no closing magic at offset %zu (truncated?)", b.len - 5);
	expect(FORMATS_PARQUET, b.data, b.len - 1, FORMATS_CORRUPT, want);
	free(want);
	b.data[b.len - 5] = 0x7f; /* footer length's high byte */
	expect(FORMATS_PARQUET, b.data, b.len, FORMATS_CORRUPT, "does not fit a 302-byte file");
	memset(b.data + b.len - 8, 0, 4);
	expect(FORMATS_PARQUET, b.data, b.len, FORMATS_CORRUPT, "footer length 0 ");
	read_fixture("formats/sample.parquet", &b);
	b.data[1] = 'B';
	expect(FORMATS_PARQUET, b.data, b.len, FORMATS_CORRUPT, "parquet: bad magic at offset 0");
	/* The smallest shapes around the limit. */
	expect(FORMATS_PARQUET, "PAR1\x01\x00\x00\x00PAR1", 12, FORMATS_CORRUPT, "does not fit");
	/* A footer that fits but is not a FileMetaData (pqfooter.h). */
	expect(FORMATS_PARQUET, "PAR1x\x01\x00\x00\x00PAR1", 13, FORMATS_CORRUPT,
	       "parquet: footer at offset 4: Thrift varint past the end of the footer (footer byte "
	       "1)");
	expect(FORMATS_PARQUET, "PAR1\x00\x00\x00PAR1", 11, FORMATS_CORRUPT,
	       "parquet: truncated: 11 bytes");
	expect(FORMATS_PARQUET, "PAREx\x01\x00\x00\x00PARE", 13, FORMATS_UNCHECKED, "encrypted");
	expect(FORMATS_PARQUET, "", 0, FORMATS_CORRUPT, "truncated: 0 bytes");
	fill_random(junk, sizeof junk, 11);
	expect(FORMATS_PARQUET, junk, sizeof junk, FORMATS_CORRUPT, "parquet: bad magic");
	buf_free(&b);
}

static void
test_raw(void **state)
{
	(void)state;
	expect(FORMATS_RAW, "anything", 8, FORMATS_OK, "raw: no format check");
	expect(FORMATS_RAW, "", 0, FORMATS_OK, "raw");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_by_content),
		cmocka_unit_test(test_detect_by_name),
		cmocka_unit_test(test_rdb_real_dumps),
		cmocka_unit_test(test_rdb_damaged),
		cmocka_unit_test(test_rdb_old_version),
		cmocka_unit_test(test_rdb_large_generated),
		cmocka_unit_test(test_dump_plain),
		cmocka_unit_test(test_dump_short_files),
		cmocka_unit_test(test_dump_gzip),
		cmocka_unit_test(test_gzip_kind),
		cmocka_unit_test(test_gzip_trailing),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_other_compressions),
		cmocka_unit_test(test_parquet),
		cmocka_unit_test(test_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
