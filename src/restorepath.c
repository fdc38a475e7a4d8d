/* restorepath: the probe that decides between RESTORE and commands, and RESTORE per row. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "restorepath.h"
#include "xmalloc.h"

#define RESTOREPATH_MAX_ENTRIES 1024  /* larger hashes are written with commands */
#define RESTOREPATH_MAX_VALUE   65536 /* the longest compact value looked for */
#define RESTOREPATH_MAX_ARGS    (2 * RESTOREPATH_MAX_ENTRIES + 2)

/* A probe session: the connection, the key prefix, scratch space for arguments. */
struct restorepath_probe {
	struct redisconn *rc;
	char prefix[64];
	const char **argv;
	size_t *lens;
	struct buf scratch;
};

/* Sends one command with binary arguments and reads its reply. */
static struct redis_reply *
restorepath_cmd(struct restorepath_probe *p, int argc, const char *const *argv, const size_t *lens,
                char **cause)
{
	struct redis_reply *r = NULL;

	redisconn_append(p->rc, argc, argv, lens);
	if (redisconn_flush(p->rc, cause) != 0 || redisconn_read(p->rc, &r, cause) != 0)
		return NULL;
	return r;
}

/* A command of C strings: the key is the prefix plus suffix. */
static struct redis_reply *
restorepath_cmdk(struct restorepath_probe *p, const char *cmd, const char *suffix, char **cause)
{
	char key[96];
	const char *argv[2] = { cmd, key };
	size_t lens[2];

	snprintf(key, sizeof key, "%s%s", p->prefix, suffix);
	lens[0] = strlen(cmd);
	lens[1] = strlen(key);
	return restorepath_cmd(p, 2, argv, lens, cause);
}

/* DEL then HSET of the pairs in p->argv[2..] (n pairs) into key suffix. */
static int
restorepath_hset(struct restorepath_probe *p, const char *suffix, size_t n, char **cause)
{
	struct redis_reply *r;
	char key[96];
	int ok;

	redis_reply_free(restorepath_cmdk(p, "DEL", suffix, cause));
	if (*cause != NULL)
		return -1;
	snprintf(key, sizeof key, "%s%s", p->prefix, suffix);
	p->argv[0] = "HSET", p->lens[0] = 4;
	p->argv[1] = key, p->lens[1] = strlen(key);
	if ((r = restorepath_cmd(p, (int)(2 + 2 * n), p->argv, p->lens, cause)) == NULL)
		return -1;
	ok = r->type == REDIS_REPLY_T_INTEGER;
	if (!ok)
		*cause = xasprintf("HSET of a probe key: %s", r->str != NULL ? r->str : "?");
	redis_reply_free(r);
	return ok ? 0 : -1;
}

/* Whether the key is in the server's compact hash encoding; -1 on failure. */
static int
restorepath_compact(struct restorepath_probe *p, const char *suffix, char **cause)
{
	static const char *const sub[] = { "OBJECT", "ENCODING" };
	struct redis_reply *r;
	char key[96];
	const char *argv[3] = { sub[0], sub[1], key };
	size_t lens[3] = { 6, 8, 0 };
	int compact;

	snprintf(key, sizeof key, "%s%s", p->prefix, suffix);
	lens[2] = strlen(key);
	if ((r = restorepath_cmd(p, 3, argv, lens, cause)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_T_STRING && r->type != REDIS_REPLY_T_STATUS) {
		*cause = xasprintf("OBJECT ENCODING: %s", r->str != NULL ? r->str : "no answer");
		redis_reply_free(r);
		return -1;
	}
	compact = strcmp(r->str, "listpack") == 0 || strcmp(r->str, "ziplist") == 0;
	redis_reply_free(r);
	return compact;
}

/* Fills argv with n pairs f<i> = v (vlen bytes of 'v'); field names stay short. */
static void
restorepath_pairs(struct restorepath_probe *p, size_t n, size_t vlen)
{
	size_t i, off;

	buf_reset(&p->scratch);
	buf_reserve(&p->scratch, n * 8 + vlen + 1);
	for (i = 0; i < vlen; i++)
		buf_addc(&p->scratch, 'v');
	for (i = 0; i < n; i++) {
		off = p->scratch.len;
		buf_printf(&p->scratch, "f%zu", i);
		p->lens[2 + 2 * i] = p->scratch.len - off;
		p->lens[3 + 2 * i] = vlen;
	}
	/* Pointers only once the buffer has stopped moving. */
	for (i = 0, off = vlen; i < n; i++) {
		p->argv[2 + 2 * i] = p->scratch.data + off;
		off += p->lens[2 + 2 * i];
		p->argv[3 + 2 * i] = p->scratch.data;
	}
}

/* The largest x in [lo, hi] for which the probe is compact, given lo is; -1 on failure. */
static long
restorepath_search(struct restorepath_probe *p, int by_entries, long lo, long hi, char **cause)
{
	long mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		restorepath_pairs(p, by_entries ? (size_t)mid : 1, by_entries ? 1 : (size_t)mid);
		if (restorepath_hset(p, "limit", by_entries ? (size_t)mid : 1, cause) != 0 ||
		    (c = restorepath_compact(p, "limit", cause)) < 0)
			return -1;
		if (c)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The effective hash-max-listpack-entries and -value (or -ziplist-). */
static int
restorepath_limits(struct restorepath_probe *p, struct rdbenc_server *srv, char **cause)
{
	long entries, value;
	int c;

	restorepath_pairs(p, 1, 1);
	if (restorepath_hset(p, "limit", 1, cause) != 0 ||
	    (c = restorepath_compact(p, "limit", cause)) < 0)
		return -1;
	if (!c) {
		srv->max_entries = srv->max_value = 0;
		return 0;
	}
	if ((entries = restorepath_search(p, 1, 1, RESTOREPATH_MAX_ENTRIES, cause)) < 0 ||
	    (value = restorepath_search(p, 0, 1, RESTOREPATH_MAX_VALUE, cause)) < 0)
		return -1;
	srv->max_entries = (size_t)entries;
	srv->max_value = (size_t)value;
	return 0;
}

/* DUMP of a probe key into out; 0, or -1 with a cause. */
static int
restorepath_dump(struct restorepath_probe *p, const char *suffix, struct buf *out, char **cause)
{
	struct redis_reply *r;

	if ((r = restorepath_cmdk(p, "DUMP", suffix, cause)) == NULL)
		return -1;
	buf_reset(out);
	if (r->type != REDIS_REPLY_T_STRING) {
		*cause = xasprintf("DUMP: %s", r->str != NULL ? r->str : "no value");
		redis_reply_free(r);
		return -1;
	}
	buf_add(out, r->str, r->len);
	redis_reply_free(r);
	return 0;
}

/*
 * RESTOREs payload into suffix and compares DUMP of it with DUMP of the
 * command-written key want. Returns 1 equal, 0 different or refused (with
 * the reason in rp->why), -1 when the connection failed.
 */
static int
restorepath_compare(struct restorepath_probe *p, struct restorepath *rp, const char *what,
                    const char *want, const struct buf *payload, char **cause)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct redis_reply *r;
	char key[96];
	const char *argv[5] = { "RESTORE", key, "0", payload->data, "REPLACE" };
	size_t lens[5] = { 7, 0, 1, payload->len, 7 };
	int rv = -1;

	snprintf(key, sizeof key, "%s%s.r", p->prefix, want);
	lens[1] = strlen(key);
	if ((r = restorepath_cmd(p, 5, argv, lens, cause)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_T_ERROR) {
		snprintf(rp->why, sizeof rp->why, "RESTORE refused: %s", r->str);
		redis_reply_free(r);
		return 0;
	}
	redis_reply_free(r);
	snprintf(key, sizeof key, "%s.r", want);
	if (restorepath_dump(p, want, &a, cause) == 0 && restorepath_dump(p, key, &b, cause) == 0) {
		rv = a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
		if (!rv)
			snprintf(rp->why, sizeof rp->why,
			         "DUMP of a RESTOREd %s differs from DUMP of the command-written "
			         "one",
			         what);
	}
	buf_free(&a);
	buf_free(&b);
	return rv;
}

/* Small hashes: DUMP's type and version, then our listpack/ziplist for the same pairs. */
static int
restorepath_small(struct restorepath_probe *p, struct restorepath *rp, char **cause)
{
	static const char *const pairs[] = {
		"sku",  "SKU-1", "n",     "0", "neg", "-4097", "big", "9223372036854775807",
		"zero", "007",   "empty", "",  "dec", "12.50", "bin", "a\r\n\xff",
	};
	const size_t n = sizeof pairs / sizeof pairs[0] / 2;
	struct buf dump = BUF_INIT, payload = BUF_INIT;
	size_t i;
	int rv = -1;

	for (i = 0; i < 2 * n; i++) {
		p->argv[2 + i] = pairs[i];
		p->lens[2 + i] = strlen(pairs[i]);
	}
	if (restorepath_hset(p, "hash", n, cause) != 0 || restorepath_dump(p, "hash", &dump, cause))
		goto out;
	rv = 0;
	if (rdbenc_trailer(dump.data, dump.len, &rp->srv.rdb_version) != 0) {
		snprintf(rp->why, sizeof rp->why, "DUMP's trailer is not the RDB CRC-64");
		goto out;
	}
	rp->srv.small_hash_type = (unsigned char)dump.data[0];
	if (rp->srv.small_hash_type != RDBENC_TYPE_HASH_LISTPACK &&
	    rp->srv.small_hash_type != RDBENC_TYPE_HASH_ZIPLIST) {
		snprintf(rp->why, sizeof rp->why, "small hashes are RDB type %d, not a listpack",
		         rp->srv.small_hash_type);
		goto out;
	}
	if (n > rp->srv.max_entries || !rdbenc_hash_is_small(&rp->srv, n, p->lens + 2)) {
		snprintf(rp->why, sizeof rp->why, "the server keeps no compact hash");
		goto out;
	}
	rdbenc_hash(&payload, &rp->srv, n, p->argv + 2, p->lens + 2);
	rv = restorepath_compare(p, rp, "hash", "hash", &payload, cause);
out:
	buf_free(&dump);
	buf_free(&payload);
	return rv;
}

/* Strings, integer encodings and their edges included. */
static int
restorepath_strings(struct restorepath_probe *p, struct restorepath *rp, char **cause)
{
	static const char *const values[] = { "hello",      "12345",    "-129", "2147483648",
		                              "",           "007",      "-0",   "a\r\n\xff",
		                              "4294967296", "{\"a\":1}" };
	struct buf payload = BUF_INIT;
	struct redis_reply *r;
	char key[96], suffix[16];
	const char *argv[3] = { "SET", key, NULL };
	size_t lens[3] = { 3, 0, 0 }, i;
	int rv = 1;

	for (i = 0; rv == 1 && i < sizeof values / sizeof values[0]; i++) {
		snprintf(suffix, sizeof suffix, "str%zu", i);
		snprintf(key, sizeof key, "%s%s", p->prefix, suffix);
		lens[1] = strlen(key);
		argv[2] = values[i];
		lens[2] = strlen(values[i]);
		if ((r = restorepath_cmd(p, 3, argv, lens, cause)) == NULL)
			return -1;
		redis_reply_free(r);
		buf_reset(&payload);
		rdbenc_string(&payload, &rp->srv, values[i], lens[2]);
		rv = restorepath_compare(p, rp, "string", suffix, &payload, cause);
	}
	buf_free(&payload);
	return rv;
}

/*
 * A hash over the limits: Redis keeps it as a hashtable, whose field order
 * (DUMP, HGETALL) depends on how it was built. The plain encoding is used
 * only where it gives the same order as HSET for a few field counts.
 */
static int
restorepath_plain(struct restorepath_probe *p, struct restorepath *rp, char **cause)
{
	struct buf payload = BUF_INIT;
	size_t n, counts[] = { 1, 5, 9, 40 }, i;
	int rv = 1;

	if (rp->srv.max_value >= RESTOREPATH_MAX_VALUE)
		return 0;
	for (i = 0; rv == 1 && i < sizeof counts / sizeof counts[0]; i++) {
		n = counts[i];
		restorepath_pairs(p, n, rp->srv.max_value + 1);
		if (restorepath_hset(p, "plain", n, cause) != 0)
			return -1;
		buf_reset(&payload);
		rdbenc_hash(&payload, &rp->srv, n, p->argv + 2, p->lens + 2);
		rv = restorepath_compare(p, rp, "hashtable", "plain", &payload, cause);
	}
	buf_free(&payload);
	return rv;
}

/* RESTORE with a TTL sets one: the fast path writes expiries with it. */
static int
restorepath_ttl(struct restorepath_probe *p, struct restorepath *rp, char **cause)
{
	struct buf payload = BUF_INIT;
	struct redis_reply *r;
	char key[96];
	const char *argv[5] = { "RESTORE", key, "100000", NULL, "REPLACE" };
	size_t lens[5] = { 7, 0, 6, 0, 7 };
	int rv = 0;

	snprintf(key, sizeof key, "%sttl", p->prefix);
	lens[1] = strlen(key);
	rdbenc_string(&payload, &rp->srv, "x", 1);
	argv[3] = payload.data;
	lens[3] = payload.len;
	r = restorepath_cmd(p, 5, argv, lens, cause);
	buf_free(&payload);
	if (r == NULL)
		return -1;
	redis_reply_free(r);
	if ((r = restorepath_cmdk(p, "PTTL", "ttl", cause)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_T_INTEGER && r->integer > 90000 && r->integer <= 100000)
		rv = 1;
	else
		snprintf(rp->why, sizeof rp->why, "RESTORE with a TTL did not set it");
	redis_reply_free(r);
	return rv;
}

/* Deletes every probe key (a pattern would need SCAN; the names are known). */
static void
restorepath_cleanup(struct restorepath_probe *p)
{
	static const char *const keys[] = { "limit", "hash", "hash.r", "plain", "plain.r", "ttl" };
	char *cause = NULL, suffix[16];
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		redis_reply_free(restorepath_cmdk(p, "DEL", keys[i], &cause));
	for (i = 0; i < 10 && cause == NULL; i++) {
		snprintf(suffix, sizeof suffix, "str%zu", i);
		redis_reply_free(restorepath_cmdk(p, "DEL", suffix, &cause));
		snprintf(suffix, sizeof suffix, "str%zu.r", i);
		redis_reply_free(restorepath_cmdk(p, "DEL", suffix, &cause));
	}
	free(cause);
}

int
restorepath_probe(struct redisconn *rc, struct restorepath *rp, char **cause)
{
	struct restorepath_probe p;
	uint8_t rnd[6];
	int rv;

	memset(rp, 0, sizeof *rp);
	memset(&p, 0, sizeof p);
	p.rc = rc;
	crypto_random(rnd, sizeof rnd);
	snprintf(p.prefix, sizeof p.prefix, "cachewarden:probe:%02x%02x%02x%02x%02x%02x:", rnd[0],
	         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	p.argv = xcalloc(RESTOREPATH_MAX_ARGS, sizeof *p.argv);
	p.lens = xcalloc(RESTOREPATH_MAX_ARGS, sizeof *p.lens);
	rv = restorepath_limits(&p, &rp->srv, cause);
	if (rv == 0)
		rv = restorepath_small(&p, rp, cause);
	if (rv == 1)
		rv = restorepath_strings(&p, rp, cause);
	if (rv == 1)
		rv = restorepath_ttl(&p, rp, cause);
	if (rv == 1) {
		rp->use = 1;
		if ((rv = restorepath_plain(&p, rp, cause)) >= 0) {
			rp->plain_ok = rv;
			rp->why[0] = '\0';
			rv = 1;
		}
	}
	if (rv >= 0)
		restorepath_cleanup(&p);
	buf_free(&p.scratch);
	free(p.argv);
	free(p.lens);
	return rv < 0 ? -1 : 0;
}

int
restorepath_row(const struct restorepath *rp, int type, const struct encode_out *out,
                struct buf *payload, struct buf *ttlms, const char *argv[5], size_t argvlen[5])
{
	size_t n;

	buf_reset(payload);
	if (type == CONF_VALUE_HASH) {
		n = (size_t)(out->argc[0] - 2) / 2;
		if (!rp->plain_ok && !rdbenc_hash_is_small(&rp->srv, n, out->argvlen[0] + 2))
			return 0;
		rdbenc_hash(payload, &rp->srv, n, out->argv[0] + 2, out->argvlen[0] + 2);
	} else {
		rdbenc_string(payload, &rp->srv, out->value, out->valuelen);
	}
	/* encode_row's TTL is in seconds; RESTORE takes milliseconds. */
	buf_reset(ttlms);
	if (out->ttlbuf.len > 0) {
		buf_add(ttlms, out->ttlbuf.data, out->ttlbuf.len);
		buf_add(ttlms, "000", 3);
	} else {
		buf_addc(ttlms, '0');
	}
	argv[0] = "RESTORE", argvlen[0] = 7;
	argv[1] = out->key, argvlen[1] = out->keylen;
	argv[2] = ttlms->data, argvlen[2] = ttlms->len;
	argv[3] = payload->data, argvlen[3] = payload->len;
	argv[4] = "REPLACE", argvlen[4] = 7;
	return 1;
}
