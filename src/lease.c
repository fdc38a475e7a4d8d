/* lease: SET NX PX to take, Lua compare-and-renew and compare-and-delete. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "lease.h"
#include "xmalloc.h"

static const char lease_renew_lua[] =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then "
        "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
static const char lease_release_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                        "return redis.call('DEL', KEYS[1]) else return 0 end";

/* KEYS: lease, progress; ARGV: our value, text, ttl. Only the holder writes progress. */
static const char lease_put_lua[] =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then "
        "redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end";
static const char lease_drop_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                     "redis.call('DEL', KEYS[2]) return 1 else return 0 end";

char *
lease_key(const char *dataset)
{
	return xasprintf("cachewarden:lease:warm:%s", dataset);
}

/* The host part of a lease value, "<token> <host>". */
static char *
lease_value_host(const char *value, size_t len)
{
	const char *sp = memchr(value, ' ', len);

	if (sp == NULL)
		return xstrdup("unknown");
	return xasprintf("%.*s", (int)(len - (size_t)(sp + 1 - value)), sp + 1);
}

int
lease_holder(struct redisconn *rc, const char *dataset, char **holder, char **cause)
{
	struct redis_reply *r;
	const char *argv[2];
	char *key = lease_key(dataset);
	int rv = 0;

	argv[0] = "GET";
	argv[1] = key;
	r = redisconn_call(rc, cause, 2, argv);
	free(key);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_T_STRING) {
		*holder = lease_value_host(r->str, r->len);
		rv = 1;
	}
	redis_reply_free(r);
	return rv;
}

int
lease_acquire(struct redisconn *rc, const char *dataset, const char *host, long long ttl_ms,
              struct lease *l, char **holder, char **cause)
{
	uint8_t rnd[LEASE_TOKEN_LEN / 2];
	char token[LEASE_TOKEN_LEN + 1], ttl[32];
	struct redis_reply *r;
	const char *argv[6];
	int rv;

	memset(l, 0, sizeof *l);
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, token);
	l->key = lease_key(dataset);
	l->value = xasprintf("%s %s", token, host);
	l->ttl_ms = ttl_ms;
	snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
	argv[0] = "SET";
	argv[1] = l->key;
	argv[2] = l->value;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = ttl;
	if ((r = redisconn_call(rc, cause, 6, argv)) == NULL) {
		lease_free(l);
		return -1;
	}
	rv = r->type == REDIS_REPLY_T_STATUS;
	redis_reply_free(r);
	if (rv)
		return 1;
	lease_free(l);
	/* Held; if it expired between the SET and this GET, say so rather than guess. */
	if ((rv = lease_holder(rc, dataset, holder, cause)) < 0)
		return -1;
	if (rv == 0)
		*holder = xstrdup("an agent whose lease just ended");
	return 0;
}

static int
lease_script(struct redisconn *rc, const struct lease *l, const char *script, char **cause)
{
	struct redis_reply *r;
	const char *argv[6];
	char ttl[32];
	int rv;

	snprintf(ttl, sizeof ttl, "%lld", l->ttl_ms);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "1";
	argv[3] = l->key;
	argv[4] = l->value;
	argv[5] = ttl;
	if ((r = redisconn_call(rc, cause, 6, argv)) == NULL)
		return -1;
	rv = r->type == REDIS_REPLY_T_INTEGER && r->integer == 1;
	redis_reply_free(r);
	return rv;
}

int
lease_renew(struct redisconn *rc, const struct lease *l, char **cause)
{
	return lease_script(rc, l, lease_renew_lua, cause);
}

int
lease_release(struct redisconn *rc, const struct lease *l, char **cause)
{
	return lease_script(rc, l, lease_release_lua, cause) < 0 ? -1 : 0;
}

/* lease_put_lua or lease_drop_lua on the lease's progress key. */
static int
lease_progress_script(struct redisconn *rc, const struct lease *l, const char *script,
                      const char *text, size_t len, char **cause)
{
	char ttl[32], *pkey = xasprintf("%s:progress", l->key);
	const char *argv[8];
	size_t argvlen[8];
	struct redis_reply *r;
	int i, rv;

	snprintf(ttl, sizeof ttl, "%lld", LEASE_PROGRESS_TTL_MS);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "2";
	argv[3] = l->key;
	argv[4] = pkey;
	argv[5] = l->value;
	argv[6] = text;
	argv[7] = ttl;
	for (i = 0; i < 8; i++)
		argvlen[i] = i == 6 ? len : strlen(argv[i]);
	redisconn_append(rc, 8, argv, argvlen);
	r = NULL;
	if (redisconn_flush(rc, cause) != 0 || redisconn_read(rc, &r, cause) != 0) {
		free(pkey);
		return -1;
	}
	free(pkey);
	if (r->type == REDIS_REPLY_T_ERROR) {
		*cause = xasprintf("lease progress: %s", r->str);
		redis_reply_free(r);
		return -1;
	}
	rv = r->type == REDIS_REPLY_T_INTEGER && r->integer == 1;
	redis_reply_free(r);
	return rv;
}

int
lease_progress_put(struct redisconn *rc, const struct lease *l, const char *text, size_t len,
                   char **cause)
{
	return lease_progress_script(rc, l, lease_put_lua, text, len, cause);
}

int
lease_progress_drop(struct redisconn *rc, const struct lease *l, char **cause)
{
	return lease_progress_script(rc, l, lease_drop_lua, "", 0, cause) < 0 ? -1 : 0;
}

int
lease_progress_get(struct redisconn *rc, const char *dataset, char **text, size_t *len,
                   char **cause)
{
	char *key = xasprintf("cachewarden:lease:warm:%s:progress", dataset);
	const char *argv[2] = { "GET", key };
	struct redis_reply *r;
	int rv = 0;

	r = redisconn_call(rc, cause, 2, argv);
	free(key);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_T_STRING) {
		*text = r->str; /* len bytes and a NUL */
		*len = r->len;
		r->str = NULL;
		rv = 1;
	}
	redis_reply_free(r);
	return rv;
}

void
lease_free(struct lease *l)
{
	free(l->key);
	free(l->value);
	memset(l, 0, sizeof *l);
}
