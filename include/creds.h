/*
 * creds: the AWS credentials that sign SNS requests, found through the chain
 * that [sns] credentials names. auto tries, in order:
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the
 *      optional AWS_SESSION_TOKEN;
 *   2. the shared credentials file, AWS_SHARED_CREDENTIALS_FILE or
 *      ~/.aws/credentials, section [profile] ([sns] profile); like every
 *      secret file of the agent it must not be readable by group or others;
 *   3. EC2 instance metadata, IMDSv2 only: a session token is PUT first, then
 *      the role's temporary credentials are read with it. The address is
 *      http://169.254.169.254, or AWS_EC2_METADATA_SERVICE_ENDPOINT;
 *      AWS_EC2_METADATA_DISABLED=true skips this source.
 * auto goes on past a source that is absent or unusable (a credentials file
 * others may read, metadata that does not answer, credentials already
 * expired), logging one warning per chain that names the source skipped.
 * env, file and imds use that one source alone. Expired credentials are
 * never used.
 *
 * A chain caches what it found. Credentials with an expiration are fetched
 * again once they are within CREDS_REFRESH_S of it; when that fails they are
 * used until they actually expire. A chain belongs to one thread at a time.
 * Secrets never appear in causes or logs, and are wiped when released.
 */
#ifndef CW_CREDS_H
#define CW_CREDS_H

#include <stddef.h>
#include <time.h>

#define CREDS_REFRESH_S 300

struct creds {
	char *access_key;
	char *secret_key;
	char *session_token; /* temporary credentials only, else NULL */
	time_t expiration;   /* 0 when they never expire */
	const char *source;  /* "environment", "shared credentials file", "instance metadata" */
};

struct creds_chain;

/* mode is an enum conf_credentials; profile is copied. */
struct creds_chain *creds_chain_new(int mode, const char *profile);
void creds_chain_free(struct creds_chain *ch);

/*
 * Valid credentials, loaded or refreshed as needed: 0 and *out (owned by the
 * chain, valid until the next call on it), or -1 and a cause naming what
 * every source lacked.
 */
int creds_chain_get(struct creds_chain *ch, const struct creds **out, char **cause);
/* Forgets the cached credentials (the server called them expired). */
void creds_chain_invalidate(struct creds_chain *ch);

/*
 * The region of the instance, from instance metadata (IMDSv2, the chain's
 * session token): 0 and *region (caller frees), or -1 and a cause.
 */
int creds_chain_region(struct creds_chain *ch, char **region, char **cause);

/* Wipes and frees the strings of c; c itself belongs to the caller. */
void creds_clear(struct creds *c);

/*
 * The parsers, for tests. creds_parse_ini reads a shared credentials file:
 * 0 and c filled, 1 when the profile is not there, -1 and a cause when it is
 * there but incomplete. creds_parse_imds reads the role credentials document
 * of instance metadata: 0 or -1 and a cause. creds_parse_time reads an ISO
 * 8601 UTC time ("2024-05-01T12:00:00Z", fractions allowed): 0 or -1.
 */
int creds_parse_ini(const char *text, const char *profile, struct creds *c, char **cause);
int creds_parse_imds(const char *text, size_t len, struct creds *c, char **cause);
int creds_parse_time(const char *s, time_t *t);

#endif
