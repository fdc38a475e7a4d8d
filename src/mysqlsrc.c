/* mysqlsrc: MySQL connections over MariaDB Connector/C. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "buf.h"
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
	/*
	 * Any TLS option makes the client try TLS; enforce turns a refusal into
	 * an error. As with --ssl-mode, only verify-ca and verify-identity
	 * check the certificate, so only they are given the CA.
	 */
	mysql_ssl_set(db, NULL, NULL,
	              conf->mysql.tls >= CONF_MYSQL_TLS_VERIFY_CA ? conf->mysql.ca_file : NULL,
	              NULL, NULL);
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
	unsigned int io_timeout = 60, no = 0;
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
	/* The agent never loads files: a hostile server must not be able to ask for one. */
	mysql_optionsv(db, MYSQL_OPT_LOCAL_INFILE, &no);
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
	/* Enforce is advisory in some Connector/C versions: check what we got. */
	if (conf->mysql.tls >= CONF_MYSQL_TLS_REQUIRED && mysql_get_ssl_cipher(db) == NULL) {
		target = mysqlsrc_target(conf);
		*cause = xasprintf("mysql %s: tls = required, but the server did not use TLS "
		                   "(SSL not enabled on the server?)",
		                   target);
		free(target);
		mysql_close(db);
		return NULL;
	}
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

const char *
mysqlsrc_tls_cipher(struct mysqlsrc *src)
{
	return mysql_get_ssl_cipher(src->db);
}

struct mysqlsrc_scan {
	char *select;     /* SELECT `a`,`b`[,`key`] FROM `db`.`t` WHERE */
	char *filter;     /* "(where) AND " or "" */
	char *key;        /* `key` */
	char *count;      /* the statement for bounds */
	char *table;      /* as configured */
	size_t ncols;     /* selected: the dataset's columns, then key_column if not among them */
	size_t key_index; /* in the select list */
};

/* Backquotes an identifier (validated by conf as [A-Za-z0-9_$]) or db.table. */
static void
mysqlsrc_quote(struct buf *b, const char *ident)
{
	const char *dot = strchr(ident, '.');

	if (dot != NULL) {
		buf_printf(b, "`%.*s`.", (int)(dot - ident), ident);
		ident = dot + 1;
	}
	buf_printf(b, "`%s`", ident);
}

struct mysqlsrc_scan *
mysqlsrc_scan_new(const struct conf_dataset *ds)
{
	struct mysqlsrc_scan *scan = xcalloc(1, sizeof *scan);
	struct buf b = BUF_INIT;
	size_t i;

	scan->ncols = ds->columns.count;
	scan->key_index = scan->ncols;
	buf_adds(&b, "SELECT ");
	for (i = 0; i < ds->columns.count; i++) {
		if (strcmp(ds->columns.items[i], ds->key_column) == 0)
			scan->key_index = i;
		buf_adds(&b, i ? "," : "");
		mysqlsrc_quote(&b, ds->columns.items[i]);
	}
	if (scan->key_index == scan->ncols) {
		buf_addc(&b, ',');
		mysqlsrc_quote(&b, ds->key_column);
		scan->ncols++;
	}
	buf_adds(&b, " FROM ");
	mysqlsrc_quote(&b, ds->table);
	buf_adds(&b, " WHERE ");
	scan->select = buf_detach(&b);
	scan->filter = ds->where != NULL ? xasprintf("(%s) AND ", ds->where) : xstrdup("");
	mysqlsrc_quote(&b, ds->key_column);
	scan->key = buf_detach(&b);
	buf_printf(&b, "SELECT MIN(%s), MAX(%s) FROM ", scan->key, scan->key);
	mysqlsrc_quote(&b, ds->table);
	if (ds->where != NULL)
		buf_printf(&b, " WHERE (%s)", ds->where);
	scan->count = buf_detach(&b);
	scan->table = xstrdup(ds->table);
	return scan;
}

void
mysqlsrc_scan_free(struct mysqlsrc_scan *scan)
{
	if (scan == NULL)
		return;
	free(scan->select);
	free(scan->filter);
	free(scan->key);
	free(scan->count);
	free(scan->table);
	free(scan);
}

static int
mysqlsrc_is_integer(enum enum_field_types t)
{
	return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
	       t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG;
}

/* Column types, from a query that returns no rows. */
static int
mysqlsrc_types(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, struct mysqlsrc_shape *sh,
               char **cause)
{
	char *sql = xasprintf("%s%s1=0 LIMIT 0", scan->select, scan->filter);
	MYSQL_FIELD *fields;
	MYSQL_RES *res;
	size_t i;

	if (mysql_real_query(src->db, sql, strlen(sql)) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: reading %s: %s", scan->table, mysql_error(src->db));
		free(sql);
		return -1;
	}
	free(sql);
	fields = mysql_fetch_fields(res);
	sh->numeric = xcalloc(scan->ncols, sizeof *sh->numeric);
	for (i = 0; i < scan->ncols; i++)
		sh->numeric[i] = IS_NUM(fields[i].type) ? 1 : 0;
	sh->integer_key = mysqlsrc_is_integer(fields[scan->key_index].type) &&
	                  !(fields[scan->key_index].flags & UNSIGNED_FLAG &&
	                    fields[scan->key_index].type == MYSQL_TYPE_LONGLONG);
	mysql_free_result(res);
	return 0;
}

/*
 * Rows to expect, for progress only. COUNT(*) would walk the whole index
 * (a quarter second per million rows); the table statistics are free, and
 * an integer key's span bounds the count from above.
 */
static long long
mysqlsrc_estimate(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                  const struct mysqlsrc_shape *sh)
{
	/* In unsigned arithmetic: the span of a BIGINT key can exceed LLONG_MAX. */
	unsigned long long uspan = (unsigned long long)sh->max - (unsigned long long)sh->min;
	long long span = !sh->integer_key     ? 0
	                 : uspan >= LLONG_MAX ? LLONG_MAX
	                                      : (long long)uspan + 1;
	long long rows = 0;
	const char *dot = strchr(scan->table, '.');
	struct buf sql = BUF_INIT;
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *esc = xmalloc(2 * strlen(scan->table) + 1);

	mysql_real_escape_string(src->db, esc, scan->table, (unsigned long)strlen(scan->table));
	if (dot != NULL)
		buf_printf(&sql,
		           "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE "
		           "TABLE_SCHEMA = SUBSTRING_INDEX('%s', '.', 1) AND "
		           "TABLE_NAME = SUBSTRING_INDEX('%s', '.', -1)",
		           esc, esc);
	else
		buf_printf(&sql,
		           "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE "
		           "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s'",
		           esc);
	free(esc);
	if (mysql_real_query(src->db, sql.data, sql.len) == 0 &&
	    (res = mysql_store_result(src->db)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
			rows = strtoll(row[0], NULL, 10);
		mysql_free_result(res);
	}
	buf_free(&sql);
	if (span > 0 && (rows <= 0 || span < rows))
		rows = span;
	return rows > 0 ? rows : 1;
}

int
mysqlsrc_shape(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, struct mysqlsrc_shape *sh,
               char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(sh, 0, sizeof *sh);
	if (mysqlsrc_types(src, scan, sh, cause) != 0)
		return -1;
	if (mysql_real_query(src->db, scan->count, strlen(scan->count)) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: bounds of %s: %s", scan->table, mysql_error(src->db));
		free(sh->numeric);
		sh->numeric = NULL;
		return -1;
	}
	row = mysql_fetch_row(res);
	sh->empty = row == NULL || row[0] == NULL;
	if (!sh->empty && sh->integer_key) {
		sh->min = strtoll(row[0], NULL, 10);
		sh->max = strtoll(row[1], NULL, 10);
	}
	mysql_free_result(res);
	if (!sh->empty)
		sh->estimate = mysqlsrc_estimate(src, scan, sh);
	return 0;
}

static int
mysqlsrc_run_batch(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const char *sql,
                   struct mysqlsrc_batch *b, char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *len;
	size_t i, r = 0;

	memset(b, 0, sizeof *b);
	if (mysql_real_query(src->db, sql, strlen(sql)) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: reading %s: %s", scan->table, mysql_error(src->db));
		return -1;
	}
	b->result = res;
	b->ncols = scan->ncols;
	b->nrows = (size_t)mysql_num_rows(res);
	b->values = xcalloc(b->nrows * b->ncols + 1, sizeof *b->values);
	b->lengths = xcalloc(b->nrows * b->ncols + 1, sizeof *b->lengths);
	while ((row = mysql_fetch_row(res)) != NULL && r < b->nrows) {
		len = mysql_fetch_lengths(res);
		for (i = 0; i < b->ncols; i++) {
			b->values[r * b->ncols + i] = row[i];
			b->lengths[r * b->ncols + i] = len[i];
		}
		b->last_key = row[scan->key_index];
		b->last_key_len = len[scan->key_index];
		r++;
	}
	return 0;
}

int
mysqlsrc_fetch_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, long long from,
                   long long hi, size_t limit, struct mysqlsrc_batch *batch, char **cause)
{
	char *sql = xasprintf("%s%s%s >= %lld AND %s <= %lld ORDER BY %s LIMIT %zu", scan->select,
	                      scan->filter, scan->key, from, scan->key, hi, scan->key, limit);
	int rv = mysqlsrc_run_batch(src, scan, sql, batch, cause);

	free(sql);
	return rv;
}

int
mysqlsrc_fetch_after(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const char *after,
                     size_t afterlen, size_t limit, struct mysqlsrc_batch *batch, char **cause)
{
	struct buf sql = BUF_INIT;
	char *esc;
	int rv;

	buf_printf(&sql, "%s%s", scan->select, scan->filter);
	if (after != NULL) {
		esc = xmalloc(2 * afterlen + 1);
		mysql_real_escape_string(src->db, esc, after, (unsigned long)afterlen);
		buf_printf(&sql, "%s > '%s' ", scan->key, esc);
		free(esc);
	} else
		buf_adds(&sql, "1=1 ");
	buf_printf(&sql, "ORDER BY %s LIMIT %zu", scan->key, limit);
	rv = mysqlsrc_run_batch(src, scan, sql.data, batch, cause);
	buf_free(&sql);
	return rv;
}

int
mysqlsrc_sample_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const long long *points,
                    size_t n, long long hi, struct mysqlsrc_batch *batch, char **cause)
{
	struct buf sql = BUF_INIT;
	size_t i;
	int rv;

	for (i = 0; i < n; i++)
		buf_printf(&sql, "%s(%s%s%s >= %lld AND %s <= %lld ORDER BY %s LIMIT 1)",
		           i ? " UNION " : "", scan->select, scan->filter, scan->key, points[i],
		           scan->key, hi, scan->key);
	rv = mysqlsrc_run_batch(src, scan, sql.data ? sql.data : "SELECT 1 FROM DUAL WHERE 0",
	                        batch, cause);
	buf_free(&sql);
	return rv;
}

void
mysqlsrc_batch_free(struct mysqlsrc_batch *b)
{
	if (b->result != NULL)
		mysql_free_result(b->result);
	free(b->values);
	free(b->lengths);
	memset(b, 0, sizeof *b);
}
