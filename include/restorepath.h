/*
 * restorepath: warm's RESTORE fast path. Redis spends less CPU loading a
 * serialized value (RESTORE key ttl payload REPLACE) than executing the HSET
 * or SET that builds it, so warm may send payloads built by rdbenc instead of
 * commands, but only on a server where a probe showed that the result is the
 * same, byte for byte.
 *
 * The probe (once per run, on one connection) writes probe keys with
 * commands and RESTOREs our payloads for the same content into other probe
 * keys, then compares DUMP of both; it discovers the server's compact-hash
 * limits from OBJECT ENCODING of probe keys (never CONFIG, which ElastiCache
 * refuses). Probe keys are cachewarden:probe:<random>:* and are deleted after.
 *
 * A RESTORE replaces the key whole (REPLACE): a hash keeps no field of an
 * older snapshot. Rows the probe could not vouch for (a hash over the compact
 * limits, when the server's field order differs between the paths) are
 * written with commands.
 */
#ifndef CW_RESTOREPATH_H
#define CW_RESTOREPATH_H

#include <stddef.h>

#include "buf.h"
#include "encode.h"
#include "rdbenc.h"
#include "redisconn.h"

struct restorepath {
	int use; /* 1: RESTORE; 0: commands, for the reason in why */
	char why[256];
	struct rdbenc_server srv;
	int plain_ok; /* over-limit hashes may go out in the plain encoding */
};

/*
 * Probes the server on rc and fills rp. Returns 0 (rp->use says the outcome;
 * a refused or different RESTORE is an outcome, not an error), or -1 and a
 * cause when the connection fails.
 */
int restorepath_probe(struct redisconn *rc, struct restorepath *rp, char **cause);

/*
 * Turns one encoded row (encode_row's out, for a dataset of type) into a
 * RESTORE command: the payload goes into payload (reset first), the TTL
 * into ttlms, and argv/argvlen point into those and into out. Returns 1 and
 * the command, or 0 when the row is to be written with its commands.
 */
int restorepath_row(const struct restorepath *rp, int type, const struct encode_out *out,
                    struct buf *payload, struct buf *ttlms, const char *argv[5], size_t argvlen[5]);

#endif
