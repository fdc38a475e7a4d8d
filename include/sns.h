/*
 * sns: Amazon SNS Publish over HTTPS (http.h), signed with SigV4 (sigv4.h)
 * with credentials from the chain (creds.h).
 *
 * The request, the size limits and the reading of answers are pure
 * functions, tested alone; struct sns_client adds the network. A client is
 * used by one thread at a time and blocks for up to its HTTP timeouts.
 *
 * Every failure has a class, read from the AWS error Code of the answer
 * before its HTTP status, which tells the outbox what to do with the report:
 * retry soon (transient), keep it pending until the setup is fixed (hold),
 * or give up on it (permanent: only errors about the message itself). Clock
 * skew and refused credentials are fixed inside sns_publish (re-signing with
 * the server's time, fetching the credentials again); when the fix did not
 * help they reach the caller as transient (skew) or hold (credentials).
 */
#ifndef CW_SNS_H
#define CW_SNS_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

/* SNS's limit, in bytes, for the message and its attributes together. */
#define SNS_MESSAGE_MAX 262144
/* AWS documents subjects as "less than 100 characters". */
#define SNS_SUBJECT_MAX 99
/* Longest MessageGroupId and MessageDeduplicationId. */
#define SNS_FIFO_ID_MAX 128

enum sns_class {
	SNS_OK,
	SNS_TRANSIENT,   /* network, 5xx, throttling: retry with backoff */
	SNS_SKEW,        /* our clock is off: re-sign with the server's Date */
	SNS_CREDENTIALS, /* key unknown, expired or signature refused: fetch them again */
	SNS_HOLD,        /* not authorized, or anything else not about the message: wait */
	SNS_NOT_FOUND,   /* the topic does not exist (yet): dead after [sns] not_found_grace */
	SNS_PERMANENT    /* the message itself is refused (invalid parameter, too long) */
};

/* One Publish; every field is borrowed. Attributes that are NULL or "" are left out. */
struct sns_message {
	const char *topic_arn;
	const char *body; /* the Message: the report JSON */
	size_t body_len;
	const char *subject; /* NULL for none; already valid (sns_subject) */
	const char *kind;    /* String message attributes, for subscription filters */
	const char *status;
	const char *host;      /* also the MessageGroupId of a FIFO topic */
	const char *report_id; /* also the MessageDeduplicationId of a FIFO topic */
};

/* Appends the form-encoded Publish body of m to out. */
void sns_form(const struct sns_message *m, struct buf *out);

/*
 * Appends text made into a valid subject: printable ASCII only (other bytes
 * become '?', one per UTF-8 character; control characters a space), no
 * leading or trailing blanks, at most SNS_SUBJECT_MAX characters (a longer
 * one ends in "...").
 */
void sns_subject(struct buf *out, const char *text);

/* The bytes left for the body of m once its attributes and subject are counted. */
size_t sns_body_budget(const struct sns_message *m);

/*
 * Appends json to out if it is at most max bytes long; otherwise a trimmed
 * document that is: the top-level object keeps its scalar fields (the
 * summary) and gains "truncated": true, very long strings are cut, then every
 * list keeps only its first K items for the largest K that fits. Returns 1
 * when it trimmed, 0 when it copied. Never fails: text that is not JSON is
 * sent as a cut string.
 */
int sns_fit(const char *json, size_t len, size_t max, struct buf *out);

/* What an SNS answer says; strings are NULL when absent, the caller frees them. */
struct sns_reply {
	char *message_id;
	char *code;
	char *message;
};

void sns_parse_reply(const char *body, size_t len, struct sns_reply *r);
void sns_reply_free(struct sns_reply *r);
/* The class of an HTTP status with the error Code and Message of the body (NULLs allowed). */
enum sns_class sns_classify(long status, const char *code, const char *message);

struct sns_client;

/*
 * Reads [sns] (endpoint or region, credentials, profile). NULL and a cause on
 * bad values. A client belongs to the thread that made it: its requests
 * share one HTTP session (http_session_begin) until sns_client_free.
 */
struct sns_client *sns_client_new(const struct conf *conf, char **cause);
void sns_client_free(struct sns_client *c);

/*
 * Publishes m. Returns 0 and the MessageId (the caller frees it), or -1 with
 * *cls (SNS_TRANSIENT, SNS_HOLD, SNS_NOT_FOUND or SNS_PERMANENT) and a cause.
 */
int sns_publish(struct sns_client *c, const struct sns_message *m, char **message_id,
                enum sns_class *cls, char **cause);

#endif
