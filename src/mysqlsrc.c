/* mysqlsrc: MySQL connections over MariaDB Connector/C. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "buf.h"
#include "encode.h"
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
	char *select; /* SELECT `a`,`b` FROM `db`.`t` WHERE */
	char *filter; /* "(where) AND " or "" */
	char *order;  /* ORDER BY the key's columns */
	char **keyq;  /* the key's columns, quoted */
	size_t nkey;
	int *key_numeric;  /* per key column: compared as a number, written bare (mysqlsrc_shape) */
	size_t *key_index; /* in the select list */
	char *bounds;      /* SELECT MIN, MAX of the first key column */
	char *table;       /* as configured */
	size_t ncols;
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

/* Runs a query whose rows are all text; calls fn per row. */
static int
mysqlsrc_rows(struct mysqlsrc *src, const char *sql, void (*fn)(MYSQL_ROW, void *), void *arg,
              char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	if (mysql_real_query(src->db, sql, strlen(sql)) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: reading the catalogue: %s", mysql_error(src->db));
		return -1;
	}
	while ((row = mysql_fetch_row(res)) != NULL)
		fn(row, arg);
	mysql_free_result(res);
	return 0;
}

static void
mysqlsrc_add_column(MYSQL_ROW row, void *arg)
{
	struct warmplan_table *t = arg;

	if (row[0] == NULL)
		return;
	t->columns = xreallocarray(t->columns, t->ncolumns + 1, sizeof *t->columns);
	t->columns[t->ncolumns].name = xstrdup(row[0]);
	t->columns[t->ncolumns++].nullable = row[1] != NULL && strcmp(row[1], "YES") == 0;
}

static void
mysqlsrc_add_index_column(MYSQL_ROW row, void *arg)
{
	struct warmplan_table *t = arg;
	struct warmplan_index *ix = t->nunique > 0 ? &t->unique[t->nunique - 1] : NULL;
	int nullable = 1;
	size_t i;

	if (row[0] == NULL || row[1] == NULL)
		return;
	if (ix == NULL || strcmp(ix->name, row[0]) != 0)
		ix = warmplan_table_add_index(t, row[0], strcmp(row[0], "PRIMARY") == 0);
	for (i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, row[1]) == 0)
			nullable = t->columns[i].nullable;
	warmplan_index_add_column(ix, row[1], nullable);
}

int
mysqlsrc_catalogue(struct mysqlsrc *src, const char *table, struct warmplan_table *t, char **cause)
{
	const char *dot = strchr(table, '.');
	char *esc = xmalloc(2 * strlen(table) + 1), *where, *sql;
	int rv;

	memset(t, 0, sizeof *t);
	t->name = xstrdup(table);
	mysql_real_escape_string(src->db, esc, table, (unsigned long)strlen(table));
	if (dot != NULL)
		where = xasprintf("TABLE_SCHEMA = SUBSTRING_INDEX('%s', '.', 1) AND "
		                  "TABLE_NAME = SUBSTRING_INDEX('%s', '.', -1)",
		                  esc, esc);
	else
		where = xasprintf("TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s'", esc);
	free(esc);
	sql = xasprintf("SELECT COLUMN_NAME, IS_NULLABLE FROM information_schema.COLUMNS "
	                "WHERE %s ORDER BY ORDINAL_POSITION",
	                where);
	rv = mysqlsrc_rows(src, sql, mysqlsrc_add_column, t, cause);
	free(sql);
	/* Unique indexes in index order; PRIMARY first so it is found first. */
	sql = xasprintf("SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
	                "WHERE %s AND NON_UNIQUE = 0 "
	                "ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX",
	                where);
	if (rv == 0)
		rv = mysqlsrc_rows(src, sql, mysqlsrc_add_index_column, t, cause);
	free(sql);
	free(where);
	if (rv != 0)
		warmplan_table_free(t);
	return rv;
}

struct mysqlsrc_scan *
mysqlsrc_scan_new(const struct conf_dataset *ds, const struct warmplan *plan)
{
	struct mysqlsrc_scan *scan = xcalloc(1, sizeof *scan);
	struct buf b = BUF_INIT;
	size_t i;

	scan->ncols = plan->nselect;
	buf_adds(&b, "SELECT ");
	for (i = 0; i < plan->nselect; i++) {
		buf_adds(&b, i ? "," : "");
		mysqlsrc_quote(&b, plan->select[i]);
	}
	buf_adds(&b, " FROM ");
	mysqlsrc_quote(&b, ds->table);
	buf_adds(&b, " WHERE ");
	scan->select = buf_detach(&b);
	scan->filter = ds->where != NULL ? xasprintf("(%s) AND ", ds->where) : xstrdup("");
	scan->nkey = plan->nkey;
	scan->keyq = xcalloc(plan->nkey, sizeof *scan->keyq);
	scan->key_index = xcalloc(plan->nkey, sizeof *scan->key_index);
	scan->key_numeric = xcalloc(plan->nkey, sizeof *scan->key_numeric);
	buf_adds(&b, " ORDER BY ");
	for (i = 0; i < plan->nkey; i++) {
		struct buf q = BUF_INIT;

		mysqlsrc_quote(&q, plan->select[plan->key[i]]);
		scan->keyq[i] = buf_detach(&q);
		scan->key_index[i] = plan->key[i];
		buf_printf(&b, "%s%s", i ? "," : "", scan->keyq[i]);
	}
	scan->order = buf_detach(&b);
	buf_printf(&b, "SELECT MIN(%s), MAX(%s) FROM ", scan->keyq[0], scan->keyq[0]);
	mysqlsrc_quote(&b, ds->table);
	if (ds->where != NULL)
		buf_printf(&b, " WHERE (%s)", ds->where);
	scan->bounds = buf_detach(&b);
	scan->table = xstrdup(ds->table);
	return scan;
}

void
mysqlsrc_scan_free(struct mysqlsrc_scan *scan)
{
	size_t i;

	if (scan == NULL)
		return;
	for (i = 0; i < scan->nkey; i++)
		free(scan->keyq[i]);
	free(scan->keyq);
	free(scan->key_index);
	free(scan->key_numeric);
	free(scan->select);
	free(scan->filter);
	free(scan->order);
	free(scan->bounds);
	free(scan->table);
	free(scan);
}

static int
mysqlsrc_is_integer(enum enum_field_types t)
{
	return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
	       t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG;
}

/* How a column's text is written in JSON. */
static int
mysqlsrc_kind(enum enum_field_types t)
{
	if (mysqlsrc_is_integer(t) || t == MYSQL_TYPE_YEAR || t == MYSQL_TYPE_DECIMAL ||
	    t == MYSQL_TYPE_NEWDECIMAL)
		return ENCODE_EXACT;
	if (t == MYSQL_TYPE_FLOAT || t == MYSQL_TYPE_DOUBLE)
		return ENCODE_FLOAT;
	if (t == MYSQL_TYPE_BIT)
		return ENCODE_BIT;
	return ENCODE_TEXT;
}

/* Column types, from a query that returns no rows. */
static int
mysqlsrc_types(struct mysqlsrc *src, struct mysqlsrc_scan *scan, struct mysqlsrc_shape *sh,
               char **cause)
{
	char *sql = xasprintf("%s%s1=0 LIMIT 0", scan->select, scan->filter);
	MYSQL_FIELD *fields, *k;
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
	sh->kinds = xcalloc(scan->ncols, sizeof *sh->kinds);
	for (i = 0; i < scan->ncols; i++)
		sh->kinds[i] = mysqlsrc_kind(fields[i].type);
	/* Numbers compare as numbers only when written bare: '10' > '9' is false as text. */
	for (i = 0; i < scan->nkey; i++) {
		k = &fields[scan->key_index[i]];
		scan->key_numeric[i] = sh->kinds[scan->key_index[i]] == ENCODE_EXACT;
		/* 1.1 as text is not the FLOAT 1.1: a page could never move past it. */
		if (sh->kinds[scan->key_index[i]] == ENCODE_FLOAT) {
			*cause = xasprintf("refused before any write: key column %s of %s is %s, "
			                   "whose text does not compare exactly; page by another "
			                   "unique key",
			                   k->name, scan->table,
			                   k->type == MYSQL_TYPE_FLOAT ? "FLOAT" : "DOUBLE");
			mysql_free_result(res);
			free(sh->kinds);
			sh->kinds = NULL;
			return -1;
		}
	}
	k = &fields[scan->key_index[0]];
	sh->ranged = mysqlsrc_is_integer(k->type) &&
	             !(k->flags & UNSIGNED_FLAG && k->type == MYSQL_TYPE_LONGLONG);
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
	long long span = !sh->ranged ? 0 : uspan >= LLONG_MAX ? LLONG_MAX : (long long)uspan + 1;
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
mysqlsrc_shape(struct mysqlsrc *src, struct mysqlsrc_scan *scan, struct mysqlsrc_shape *sh,
               char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(sh, 0, sizeof *sh);
	if (mysqlsrc_types(src, scan, sh, cause) != 0)
		return -1;
	if (mysql_real_query(src->db, scan->bounds, strlen(scan->bounds)) != 0 ||
	    (res = mysql_store_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: bounds of %s: %s", scan->table, mysql_error(src->db));
		free(sh->kinds);
		sh->kinds = NULL;
		return -1;
	}
	row = mysql_fetch_row(res);
	sh->empty = row == NULL || row[0] == NULL;
	if (!sh->empty && sh->ranged) {
		sh->min = strtoll(row[0], NULL, 10);
		sh->max = strtoll(row[1], NULL, 10);
	}
	mysql_free_result(res);
	if (!sh->empty)
		sh->estimate = mysqlsrc_estimate(src, scan, sh);
	return 0;
}

/* Where a value lives in the arena while rows are still being added. */
#define MYSQLSRC_NULL ((size_t)-1)

/* Copies one row into the batch's arena; values hold arena offsets for now. */
static void
mysqlsrc_keep_row(struct mysqlsrc_batch *b, struct buf *arena, size_t *cap, MYSQL_ROW row,
                  const unsigned long *len)
{
	size_t i, at;

	if (b->nrows == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		b->values = xreallocarray(b->values, *cap * b->ncols + 1, sizeof *b->values);
		b->lengths = xreallocarray(b->lengths, *cap * b->ncols + 1, sizeof *b->lengths);
	}
	for (i = 0; i < b->ncols; i++) {
		at = b->nrows * b->ncols + i;
		b->lengths[at] = row[i] != NULL ? len[i] : 0;
		/* The offset rides in the pointer slot until the arena stops moving. */
		b->values[at] =
		        (const char *)(uintptr_t)(row[i] != NULL ? arena->len : MYSQLSRC_NULL);
		if (row[i] != NULL) {
			buf_add(arena, row[i], len[i]);
			buf_addc(arena, '\0');
			b->bytes += len[i];
		}
	}
	b->nrows++;
}

/* A batch being read: rows ride as arena offsets until mysqlsrc_batch_done. */
struct mysqlsrc_reader {
	struct buf arena;
	size_t cap;
	int cut; /* the byte bound ended it */
};

/* A key value's text as an integer; 0 when NULL or not one. */
static int
mysqlsrc_key_int(const char *v, long long *key)
{
	char *end;

	if (v == NULL)
		return 0;
	errno = 0;
	*key = strtoll(v, &end, 10);
	return errno == 0 && end != v && *end == '\0';
}

static int
mysqlsrc_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/*
 * Runs a query row by row (mysql_use_result), adding rows to b until the
 * byte bound is reached: a batch of wide rows never holds the whole result.
 * Rows whose first key column is among the sorted skip[0..nskip) are left
 * out (the sample's second query).
 */
static int
mysqlsrc_read_rows(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const char *sql,
                   size_t max_bytes, const long long *skip, size_t nskip,
                   struct mysqlsrc_reader *rd, struct mysqlsrc_batch *b, char **cause)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long key;

	if (mysql_real_query(src->db, sql, strlen(sql)) != 0 ||
	    (res = mysql_use_result(src->db)) == NULL) {
		*cause = xasprintf("mysql: reading %s: %s", scan->table, mysql_error(src->db));
		return -1;
	}
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (nskip > 0 && mysqlsrc_key_int(row[scan->key_index[0]], &key) &&
		    bsearch(&key, skip, nskip, sizeof *skip, mysqlsrc_cmp_ll) != NULL)
			continue;
		mysqlsrc_keep_row(b, &rd->arena, &rd->cap, row, mysql_fetch_lengths(res));
		if (max_bytes > 0 && b->bytes >= max_bytes) {
			rd->cut = 1;
			break;
		}
	}
	if (!rd->cut && mysql_errno(src->db) != 0) {
		*cause = xasprintf("mysql: reading %s: %s", scan->table, mysql_error(src->db));
		mysql_free_result(res);
		return -1;
	}
	/* After a cut this reads and discards the rest: the caller sizes limit to avoid it. */
	mysql_free_result(res);
	return 0;
}

/* Ends a read: offsets become pointers into the arena b now owns; on failure, frees. */
static int
mysqlsrc_batch_done(struct mysqlsrc_reader *rd, struct mysqlsrc_batch *b, size_t limit, int rv)
{
	size_t i, off;

	if (rv != 0) {
		free(b->values);
		free(b->lengths);
		buf_free(&rd->arena);
		memset(b, 0, sizeof *b);
		return rv;
	}
	b->more = rd->cut || (limit > 0 && b->nrows >= limit);
	b->arena = rd->arena.data != NULL ? buf_detach(&rd->arena) : NULL;
	for (i = 0; i < b->nrows * b->ncols; i++) {
		off = (size_t)(uintptr_t)b->values[i];
		b->values[i] = off == MYSQLSRC_NULL ? NULL : b->arena + off;
	}
	return 0;
}

static int
mysqlsrc_run_batch(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const char *sql,
                   size_t limit, size_t max_bytes, struct mysqlsrc_batch *b, char **cause)
{
	struct mysqlsrc_reader rd = { BUF_INIT, 0, 0 };

	memset(b, 0, sizeof *b);
	b->ncols = scan->ncols;
	return mysqlsrc_batch_done(
	        &rd, b, limit,
	        mysqlsrc_read_rows(src, scan, sql, max_bytes, NULL, 0, &rd, b, cause));
}

/* A key value as an SQL literal: bare for numbers (checked), else quoted and escaped. */
static void
mysqlsrc_literal(struct mysqlsrc *src, struct buf *sql, int numeric, const char *v, size_t len)
{
	char *esc;

	if (numeric && len > 0 && strspn(v, "0123456789.-+eE") >= len) {
		buf_add(sql, v, len);
		return;
	}
	esc = xmalloc(2 * len + 1);
	mysql_real_escape_string(src->db, esc, v, (unsigned long)len);
	buf_printf(sql, "'%s'", esc);
	free(esc);
}

/*
 * Rows after the tuple (a1, .., an) in key order, written out as
 * k1 > a1 OR (k1 = a1 AND k2 > a2) OR ...: MariaDB plans the row comparison
 * (k1, k2) > (a1, a2) as a full index walk, this form as a range scan.
 */
static void
mysqlsrc_after(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, struct buf *sql,
               const char *const *after, const size_t *afterlen)
{
	size_t i, j;

	buf_addc(sql, '(');
	for (i = 0; i < scan->nkey; i++) {
		buf_adds(sql, i ? " OR (" : "(");
		for (j = 0; j < i; j++) {
			buf_printf(sql, "%s = ", scan->keyq[j]);
			mysqlsrc_literal(src, sql, scan->key_numeric[j], after[j], afterlen[j]);
			buf_adds(sql, " AND ");
		}
		buf_printf(sql, "%s > ", scan->keyq[i]);
		mysqlsrc_literal(src, sql, scan->key_numeric[i], after[i], afterlen[i]);
		buf_addc(sql, ')');
	}
	buf_addc(sql, ')');
}

char *
mysqlsrc_page_sql(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                  const struct mysqlsrc_page *page)
{
	struct buf sql = BUF_INIT;

	buf_printf(&sql, "%s%s", scan->select, scan->filter);
	if (page->bounded)
		buf_printf(&sql, "%s >= %lld AND %s <= %lld AND ", scan->keyq[0], page->lo,
		           scan->keyq[0], page->hi);
	if (page->after != NULL)
		mysqlsrc_after(src, scan, &sql, page->after, page->afterlen);
	else
		buf_adds(&sql, "1=1");
	buf_printf(&sql, "%s LIMIT %zu", scan->order, page->limit);
	return buf_detach(&sql);
}

int
mysqlsrc_fetch(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
               const struct mysqlsrc_page *page, struct mysqlsrc_batch *batch, char **cause)
{
	char *sql = mysqlsrc_page_sql(src, scan, page);
	int rv = mysqlsrc_run_batch(src, scan, sql, page->limit, page->max_bytes, batch, cause);

	free(sql);
	return rv;
}

/*
 * The keys among the sorted points[0..n) that the rows of b hold, sorted,
 * and the points that none does (gaps in the key), in order.
 */
static void
mysqlsrc_sample_split(const struct mysqlsrc_scan *scan, const struct mysqlsrc_batch *b,
                      const struct buf *arena, const long long *points, size_t n, long long *found,
                      size_t *nfound, long long *missing, size_t *nmissing)
{
	size_t r, i, j = 0;
	uintptr_t off;

	*nfound = *nmissing = 0;
	for (r = 0; r < b->nrows; r++) {
		off = (uintptr_t)b->values[r * b->ncols + scan->key_index[0]];
		if (off != MYSQLSRC_NULL && mysqlsrc_key_int(arena->data + off, &found[*nfound]))
			(*nfound)++;
	}
	/* ORDER BY the key: already sorted; the points are too. */
	for (i = 0; i < n; i++) {
		while (j < *nfound && found[j] < points[i])
			j++;
		if (j == *nfound || found[j] != points[i])
			missing[(*nmissing)++] = points[i];
	}
}

/*
 * Two steps, because MariaDB plans each LIMIT 1 subquery of a UNION on its
 * own (about 50 us each): the points that are keys in one IN list first,
 * then a UNION of look-ups for the gaps only, leaving out rows already read.
 */
int
mysqlsrc_sample_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const long long *points,
                    size_t n, long long hi, size_t max_bytes, struct mysqlsrc_batch *batch,
                    char **cause)
{
	struct mysqlsrc_reader rd = { BUF_INIT, 0, 0 };
	struct buf sql = BUF_INIT;
	long long *found, *missing;
	size_t i, nfound, nmissing;
	int rv;

	memset(batch, 0, sizeof *batch);
	batch->ncols = scan->ncols;
	if (n == 0)
		return 0;
	buf_printf(&sql, "%s%s%s IN (", scan->select, scan->filter, scan->keyq[0]);
	for (i = 0; i < n; i++)
		buf_printf(&sql, "%s%lld", i ? "," : "", points[i]);
	buf_printf(&sql, ")%s", scan->order);
	rv = mysqlsrc_read_rows(src, scan, sql.data, max_bytes, NULL, 0, &rd, batch, cause);
	if (rv == 0 && !rd.cut) {
		found = xreallocarray(NULL, batch->nrows + 1, sizeof *found);
		missing = xreallocarray(NULL, n, sizeof *missing);
		mysqlsrc_sample_split(scan, batch, &rd.arena, points, n, found, &nfound, missing,
		                      &nmissing);
		buf_reset(&sql);
		for (i = 0; i < nmissing; i++)
			buf_printf(&sql, "%s(%s%s%s >= %lld AND %s <= %lld%s LIMIT 1)",
			           i ? " UNION " : "", scan->select, scan->filter, scan->keyq[0],
			           missing[i], scan->keyq[0], hi, scan->order);
		if (nmissing > 0)
			rv = mysqlsrc_read_rows(src, scan, sql.data, max_bytes, found, nfound, &rd,
			                        batch, cause);
		free(found);
		free(missing);
	}
	buf_free(&sql);
	return mysqlsrc_batch_done(&rd, batch, 0, rv);
}

void
mysqlsrc_batch_free(struct mysqlsrc_batch *b)
{
	free(b->arena);
	free(b->values);
	free(b->lengths);
	memset(b, 0, sizeof *b);
}
