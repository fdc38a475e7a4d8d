/*
 * mysqlsrc: the agent's MySQL (RDS) side. The only module that includes
 * MariaDB Connector/C. A struct mysqlsrc is one connection, used by one
 * thread at a time; the caller owns it and closes it with mysqlsrc_close.
 */
#ifndef CW_MYSQLSRC_H
#define CW_MYSQLSRC_H

#include "conf.h"
#include "warmplan.h"

struct mysqlsrc;

/* Connects as [mysql] says (TCP or socket, TLS mode, password file). */
struct mysqlsrc *mysqlsrc_connect(const struct conf *conf, char **cause);
void mysqlsrc_close(struct mysqlsrc *src);

/* Runs SELECT 1; returns 0, or -1 and a cause. */
int mysqlsrc_ping(struct mysqlsrc *src, char **cause);
/* Server version string, owned by src. */
const char *mysqlsrc_server_version(struct mysqlsrc *src);
/* The TLS cipher in use, or NULL on a plain connection; owned by src. */
const char *mysqlsrc_tls_cipher(struct mysqlsrc *src);
/* "host:port" or the socket path, for messages; owned by the caller. */
char *mysqlsrc_target(const struct conf *conf);

/*
 * The table's columns (with nullability) and unique indexes, from
 * information_schema; table is "t" (the connection's database) or "db.t".
 * A table that does not exist comes back with no columns.
 */
int mysqlsrc_catalogue(struct mysqlsrc *src, const char *table, struct warmplan_table *t,
                       char **cause);

/*
 * Scanning a dataset with keyset pagination on its unique key (never
 * OFFSET). A scan is built once per dataset from its config and plan;
 * mysqlsrc_shape completes it, and it is read-only afterwards. Batches are
 * per call and owned by the caller (mysqlsrc_batch_free).
 */
struct mysqlsrc_scan;

struct mysqlsrc_batch {
	size_t nrows, ncols; /* the plan's select columns */
	const char **values; /* nrows * ncols, row-major; NULL is SQL NULL */
	size_t *lengths;     /* likewise */
	size_t bytes;        /* sum of the lengths */
	int more;            /* rows may follow: the limit was reached or the byte bound cut */
	char *arena;         /* owns the bytes */
};

/* What the planner needs to know about a dataset's table. */
struct mysqlsrc_shape {
	int ranged;         /* the first key column is a signed-range integer: split on it */
	int empty;          /* no row matches */
	long long min, max; /* bounds of the first key column, when ranged */
	long long estimate; /* rows, from statistics or the key span */
	int *kinds;         /* per select column: enum encode_kind; caller frees */
};

/* One page: rows after a key, optionally within a range of the first key column. */
struct mysqlsrc_page {
	int bounded; /* lo <= first key column <= hi */
	long long lo, hi;
	const char *const *after; /* the key tuple to start after; NULL = from the start */
	const size_t *afterlen;
	size_t limit;     /* rows at most */
	size_t max_bytes; /* the page ends with the row that reaches this; 0 = no bound */
};

struct mysqlsrc_scan *mysqlsrc_scan_new(const struct conf_dataset *ds, const struct warmplan *plan);
void mysqlsrc_scan_free(struct mysqlsrc_scan *scan);

/* Column kinds, the first key column's bounds and a row estimate. */
int mysqlsrc_shape(struct mysqlsrc *src, struct mysqlsrc_scan *scan, struct mysqlsrc_shape *shape,
                   char **cause);

/* The rows of a page in key order. Rows are read one at a time (no whole result held). */
int mysqlsrc_fetch(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                   const struct mysqlsrc_page *page, struct mysqlsrc_batch *batch, char **cause);
/* The SELECT of a page, as mysqlsrc_fetch sends it (for EXPLAIN and logs); caller frees. */
char *mysqlsrc_page_sql(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                        const struct mysqlsrc_page *page);
/*
 * The first row at or after each of n ascending values of the first key
 * column (up to hi): a sample spread over the key span. One query when
 * every value is a key, a second for the gaps; rows found twice come back
 * once, not in key order. Like a page, it ends with the row that reaches
 * max_bytes (0 = no bound).
 */
int mysqlsrc_sample_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                        const long long *points, size_t n, long long hi, size_t max_bytes,
                        struct mysqlsrc_batch *batch, char **cause);
void mysqlsrc_batch_free(struct mysqlsrc_batch *batch);

#endif
