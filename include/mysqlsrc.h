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
/* The TLS cipher in use, or NULL on a plain connection; owned by src. */
const char *mysqlsrc_tls_cipher(struct mysqlsrc *src);
/* "host:port" or the socket path, for messages; owned by the caller. */
char *mysqlsrc_target(const struct conf *conf);

/*
 * Scanning a dataset with keyset pagination (never OFFSET). A scan is built
 * once per dataset from its config and is read-only afterwards; batches are
 * per call and owned by the caller (mysqlsrc_batch_free).
 */
struct mysqlsrc_scan;

struct mysqlsrc_batch {
	size_t nrows, ncols;  /* the dataset's columns in config order, then key_column
	                         if it is not one of them */
	const char **values;  /* nrows * ncols, row-major; NULL is SQL NULL */
	size_t *lengths;      /* likewise */
	const char *last_key; /* key column of the last row, as text */
	size_t last_key_len;
	void *result; /* the driver's result set, which owns the bytes */
};

/* What the planner needs to know about a dataset's table. */
struct mysqlsrc_shape {
	int integer_key;    /* the key column is an integer type */
	int empty;          /* no row matches */
	long long min, max; /* integer key bounds */
	long long estimate; /* rows, from statistics or the key span */
	int *numeric;       /* per dataset column: a MySQL numeric type; caller frees */
};

struct mysqlsrc_scan *mysqlsrc_scan_new(const struct conf_dataset *ds);
void mysqlsrc_scan_free(struct mysqlsrc_scan *scan);

/* Key bounds, key type, numeric columns and a row estimate. */
int mysqlsrc_shape(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                   struct mysqlsrc_shape *shape, char **cause);

/* Up to limit rows with from <= key <= hi, in key order. */
int mysqlsrc_fetch_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, long long from,
                       long long hi, size_t limit, struct mysqlsrc_batch *batch, char **cause);
/* Up to limit rows with key > after (after == NULL: from the start), in key order. */
int mysqlsrc_fetch_after(struct mysqlsrc *src, const struct mysqlsrc_scan *scan, const char *after,
                         size_t afterlen, size_t limit, struct mysqlsrc_batch *batch, char **cause);
/*
 * The first row at or after each of n keys (up to hi), in one round trip:
 * a sample spread over the key span. Rows found twice come back once.
 */
int mysqlsrc_sample_int(struct mysqlsrc *src, const struct mysqlsrc_scan *scan,
                        const long long *points, size_t n, long long hi,
                        struct mysqlsrc_batch *batch, char **cause);
void mysqlsrc_batch_free(struct mysqlsrc_batch *batch);

#endif
