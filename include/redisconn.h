/*
 * redisconn: the agent's Redis side. The only module that includes hiredis,
 * and only for its I/O-free reply reader: connections are our own (TCP or
 * Unix socket, optionally TLS through tls.h), because Debian's hiredis 0.14
 * has no TLS.
 *
 * Commands are appended to an output buffer and sent with redisconn_flush,
 * so a caller can pipeline thousands per round trip. A connection belongs to
 * one thread. Replies are returned as struct redis_reply, owned by the caller
 * (redis_reply_free).
 */
#ifndef CW_REDISCONN_H
#define CW_REDISCONN_H

#include <stddef.h>

#include "conf.h"

enum redis_reply_type {
	REDIS_REPLY_T_STRING,
	REDIS_REPLY_T_ARRAY,
	REDIS_REPLY_T_INTEGER,
	REDIS_REPLY_T_NIL,
	REDIS_REPLY_T_STATUS,
	REDIS_REPLY_T_ERROR
};

struct redis_reply {
	enum redis_reply_type type;
	long long integer;
	char *str; /* STRING, STATUS, ERROR: len bytes plus a NUL */
	size_t len;
	struct redis_reply **element; /* ARRAY */
	size_t elements;
};

struct redisconn;

/* Connects as [redis] says, then AUTH (password file, ACL user) and SELECT db. */
struct redisconn *redisconn_open(const struct conf *conf, char **cause);
void redisconn_close(struct redisconn *rc);

/* Appends one command (binary-safe arguments) to the output buffer. */
void redisconn_append(struct redisconn *rc, int argc, const char *const *argv,
                      const size_t *argvlen);
/* Bytes appended but not yet sent. */
size_t redisconn_pending(const struct redisconn *rc);
/* Sends everything appended; 0, or -1 and a cause (the connection is then unusable). */
int redisconn_flush(struct redisconn *rc, char **cause);
/* Reads the next reply, waiting up to the I/O timeout; 0, or -1 and a cause. */
int redisconn_read(struct redisconn *rc, struct redis_reply **reply, char **cause);
/*
 * Reads n replies without keeping them: the fast path for pipelined writes.
 * Error replies are counted in *errors and the first one is kept in
 * *first_error (caller frees) when that is still NULL. Returns 0, or -1 and
 * a cause when the connection fails or a reply says the server cannot run
 * commands now (LOADING, BUSY, TRYAGAIN, MASTERDOWN, CLUSTERDOWN): the whole
 * batch is then to be sent again.
 */
int redisconn_drain(struct redisconn *rc, size_t n, size_t *errors, char **first_error,
                    char **cause);
/* Appends, flushes and reads one reply: for one-off commands. */
struct redis_reply *redisconn_command(struct redisconn *rc, char **cause, int argc,
                                      const char *const *argv);
/*
 * Like redisconn_command, but an error reply is a failure too: NULL, and a
 * cause naming the server and the command with the server's words. For
 * one-off commands whose error reply means the caller cannot go on.
 */
struct redis_reply *redisconn_call(struct redisconn *rc, char **cause, int argc,
                                   const char *const *argv);
/* Whether a cause says the server is loading its dataset (connections and PING refused). */
int redisconn_is_loading(const char *cause);
void redis_reply_free(struct redis_reply *reply);

/* The INFO fields the agent watches: restore detection and the runbook's alarms. */
struct redis_info {
	char run_id[64];
	int loading;
	long long keyspace_hits, keyspace_misses, evicted_keys;
	long long used_memory, maxmemory, connected_clients;
};

/* INFO, parsed; 0, or -1 and a cause. */
int redisconn_info(struct redisconn *rc, struct redis_info *info, char **cause);
/* Parses INFO's "field:value" lines (unknown fields ignored, missing ones 0). */
void redisconn_parse_info(const char *text, size_t len, struct redis_info *info);

/* "host:port" or the socket path, for messages; owned by the caller. */
char *redisconn_target(const struct conf *conf);
/*
 * For tests: 1 when len bytes equal to bytes are anywhere in the storage of
 * rc's output buffer (also past what is pending, up to what was ever
 * written), else 0.
 */
int redisconn_out_holds(const struct redisconn *rc, const void *bytes, size_t len);

#endif
