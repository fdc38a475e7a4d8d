/*
 * confval: single agent.conf values, checked beyond their type. The key
 * table in conf.c names one of these per key; conf's cross-key rules use
 * the template walk and the AWS identifier checks. Each is a pure function
 * of the text: NULL when the value is sound, else a one-line message the
 * caller frees (conf adds the file:line).
 */
#ifndef CW_CONFVAL_H
#define CW_CONFVAL_H

#include <stddef.h>

struct conf_schedule;

/* A MySQL identifier: 1 to 64 letters, digits, _ and $. */
char *confval_ident(const char *v);
/* TABLE or DB.TABLE, each an identifier. */
char *confval_table(const char *v);
/* HOST:PORT, the port 1..65535. */
char *confval_hostport(const char *v);
/* "daily HH:MM", "every Nh|Nm", "weekly DAY HH:MM", parsed into *when. */
char *confval_parse_schedule(const char *v, struct conf_schedule *when);
char *confval_schedule(const char *v);
/* An IANA zone that loads from the zone database now. */
char *confval_timezone(const char *v);
/*
 * Calls fn for each {column} of a key template; returns a message for a
 * malformed template, or the first message fn returns (fn may be NULL).
 */
char *confval_template_walk(const char *t, char *(*fn)(const char *, void *), void *arg);
char *confval_template(const char *v);
/*
 * Whether host (len bytes: a name, an IPv4 address, an IPv6 address bare or
 * in brackets) stays on this machine, by its text alone: nothing is resolved.
 */
int confval_is_loopback(const char *host, size_t len);
/* An https:// URL, or http:// to a loopback host only (tests, emulators). */
char *confval_endpoint(const char *v);
/* Lower-case letters, digits and hyphens. */
char *confval_region(const char *v);
/* A region as AWS spells them (us-east-1, us-gov-west-1, cn-northwest-1). */
char *confval_aws_region(const char *v);
/* An RDS or ElastiCache identifier of 1 to max characters; what names it in the message. */
char *confval_aws_id(const char *v, size_t max, const char *what);
/* An AWS Backup vault name. */
char *confval_vault(const char *v);
/* An SNS topic ARN, arn:PARTITION:sns:REGION:ACCOUNT:TOPIC. */
char *confval_arn(const char *v);

#endif
