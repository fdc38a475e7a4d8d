/* mysqlsrc: MySQL connections over MariaDB Connector/C. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "log.h"
#include "mysqlsrc.h"
#include "xmalloc.h"

struct mysqlsrc {
	MYSQL *db;
};

char *
mysqlsrc_target(const struct conf *conf)
{
	if (conf->mysql.socket != NULL)
		return xasprintf("unix:%s", conf->mysql.socket);
	return xasprintf("%s:%lld", conf->mysql.host, conf->mysql.port);
}

/* Maps [mysql] tls onto Connector/C options. */
static void
mysqlsrc_set_tls(MYSQL *db, const struct conf *conf)
{
	my_bool yes = 1;

	if (conf->mysql.tls == CONF_MYSQL_TLS_DISABLED)
		return;
	/* Any TLS option makes the client try TLS; enforce turns a refusal into an error. */
	mysql_ssl_set(db, NULL, NULL, conf->mysql.ca_file, NULL, NULL);
	if (conf->mysql.tls >= CONF_MYSQL_TLS_REQUIRED)
		mysql_optionsv(db, MYSQL_OPT_SSL_ENFORCE, &yes);
	/*
	 * Connector/C checks the chain and the host name together: verify-ca
	 * and verify-identity both verify the identity (documented in agent.conf).
	 */
	if (conf->mysql.tls >= CONF_MYSQL_TLS_VERIFY_CA)
		mysql_optionsv(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
}

struct mysqlsrc *
mysqlsrc_connect(const struct conf *conf, char **cause)
{
	unsigned int timeout = (unsigned int)conf->mysql.connect_timeout;
	unsigned int io_timeout = 60;
	char *password = NULL, *target;
	struct mysqlsrc *src;
	MYSQL *db;

	if (conf->mysql.password_file != NULL &&
	    conf_read_secret(conf->mysql.password_file, &password, cause) != 0)
		return NULL;
	if ((db = mysql_init(NULL)) == NULL)
		fatal("mysql_init: out of memory");
	mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysqlsrc_set_tls(db, conf);
	if (mysql_real_connect(db, conf->mysql.socket ? NULL : conf->mysql.host, conf->mysql.user,
	                       password, conf->mysql.database,
	                       conf->mysql.socket ? 0 : (unsigned int)conf->mysql.port,
	                       conf->mysql.socket, 0) == NULL) {
		target = mysqlsrc_target(conf);
		*cause = xasprintf("mysql %s: %s", target, mysql_error(db));
		free(target);
		mysql_close(db);
		if (password != NULL)
			explicit_bzero(password, strlen(password));
		free(password);
		return NULL;
	}
	if (password != NULL)
		explicit_bzero(password, strlen(password));
	free(password);
	src = xcalloc(1, sizeof *src);
	src->db = db;
	return src;
}

void
mysqlsrc_close(struct mysqlsrc *src)
{
	if (src == NULL)
		return;
	mysql_close(src->db);
	free(src);
}

int
mysqlsrc_ping(struct mysqlsrc *src, char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_real_query(src->db, "SELECT 1", 8) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: SELECT 1: %s", mysql_error(src->db));
		return -1;
	}
	row = mysql_fetch_row(res);
	if (row == NULL || row[0] == NULL || strcmp(row[0], "1") != 0) {
		mysql_free_result(res);
		*cause = xstrdup("mysql: SELECT 1 returned an unexpected result");
		return -1;
	}
	mysql_free_result(res);
	return 0;
}

const char *
mysqlsrc_server_version(struct mysqlsrc *src)
{
	return mysql_get_server_info(src->db);
}
