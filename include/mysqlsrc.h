/*
 * mysqlsrc: the agent's MySQL (RDS) side. The only module that includes
 * MariaDB Connector/C. A struct mysqlsrc is one connection, used by one
 * thread at a time; the caller owns it and closes it with mysqlsrc_close.
 */
#ifndef CW_MYSQLSRC_H
#define CW_MYSQLSRC_H

#include "conf.h"

struct mysqlsrc;

/* Connects as [mysql] says (TCP or socket, TLS mode, password file). */
struct mysqlsrc *mysqlsrc_connect(const struct conf *conf, char **cause);
void mysqlsrc_close(struct mysqlsrc *src);

/* Runs SELECT 1; returns 0, or -1 and a cause. */
int mysqlsrc_ping(struct mysqlsrc *src, char **cause);
/* Server version string, owned by src. */
const char *mysqlsrc_server_version(struct mysqlsrc *src);
/* "host:port" or the socket path, for messages; owned by the caller. */
char *mysqlsrc_target(const struct conf *conf);

#endif
