/*
 * warmplan: how warm reads a dataset's table, decided from the server's
 * catalogue before any write. Pure logic, no I/O (mysqlsrc fills the
 * catalogue, warm runs the plan):
 *
 * - the unique key the pages follow: the primary key (composite included),
 *   or key_column when it is a unique NOT NULL key; a table with neither is
 *   refused, and so is a key_column that is not unique;
 * - whether the key template names every column of a unique NOT NULL key
 *   (otherwise two rows would write one key: refused);
 * - the columns a row carries, the fingerprint of the dataset's definition
 *   kept in checkpoints, and the packed key tuples checkpoints hold;
 * - the split of the first key column's span into ranges for the workers.
 *
 * Structs own their strings and arrays (the matching _free).
 */
#ifndef CW_WARMPLAN_H
#define CW_WARMPLAN_H

#include <stddef.h>

#include "buf.h"
#include "checkpoint.h"
#include "conf.h"

/* A table as the catalogue describes it. */
struct warmplan_column {
	char *name;
	int nullable;
};

struct warmplan_index {
	char *name; /* PRIMARY for the primary key */
	int primary;
	int notnull; /* every column NOT NULL (a NULL never collides in a unique key) */
	char **cols; /* in index order */
	size_t ncols;
};

struct warmplan_table {
	char *name;
	struct warmplan_column *columns;
	size_t ncolumns;
	struct warmplan_index *unique; /* unique indexes on whole columns (no prefix) */
	size_t nunique;
};

/* Appends an empty index to t and returns it, for the code filling t. */
struct warmplan_index *warmplan_table_add_index(struct warmplan_table *t, const char *name,
                                                int primary);
void warmplan_index_add_column(struct warmplan_index *ix, const char *col, int nullable);
void warmplan_table_free(struct warmplan_table *t);

struct warmplan {
	/*
	 * What a row carries, in order: the dataset's columns (hash fields or
	 * JSON members), then the key's and the template's columns not among them.
	 */
	char **select;
	size_t nselect, nfields;
	size_t *key; /* the pagination key's columns, as indexes into select, in key order */
	size_t nkey;
	char *key_name; /* the index the pages follow, for messages */
};

/*
 * Chooses the key and checks the template; 0, or -1 and a cause naming the
 * table's unique keys (the dataset must then fail before any write).
 */
int warmplan_make(const struct conf_dataset *ds, const struct warmplan_table *t,
                  struct warmplan *plan, char **cause);
void warmplan_free(struct warmplan *plan);

/* Hex SHA-256 of everything that defines the dataset's keys and values. */
char *warmplan_fingerprint(const struct conf_dataset *ds, const struct warmplan *plan);

/*
 * Key tuples as checkpoints keep them: for each column its length in decimal,
 * ':' and its bytes. unpack fills n values pointing into p; -1 if malformed.
 */
void warmplan_tuple_pack(struct buf *out, const char *const *values, const size_t *lens, size_t n);
int warmplan_tuple_unpack(const char *p, size_t len, size_t n, const char **values, size_t *lens);

/*
 * Splits [min, max] of the first key column into about nranges ranges of
 * equal span, appended to ck (cursors empty).
 */
void warmplan_split(struct checkpoint *ck, long long min, long long max,
                    unsigned long long nranges);

#endif
