/*
 * pqfooter: the footer of a Parquet file, its FileMetaData in the Thrift
 * compact protocol, decoded and checked against the file's size:
 *
 *   - the whole FileMetaData decodes (every field of every type, known or
 *     not, nesting bounded), with the schema, row groups and column chunks;
 *   - the schema is a tree: num_children of every group adds up, leaves
 *     counted;
 *   - every row group has one column chunk per leaf, and the row groups'
 *     num_rows add up to the file's (unless that is 0: some writers leave it);
 *   - every column chunk's data page, dictionary page and index offsets and
 *     its total_compressed_size lie inside the file, after the leading magic
 *     and before the footer (chunks in other files, file_path set, and
 *     chunks without values are not bounded by this one).
 * As Thrift's own readers, a known field with an unexpected wire type is skipped.
 *
 * The pages at those offsets are not read here: the caller is handed each
 * column chunk whose pages are in this file, for pqpages to reconcile with
 * the pages it walked. A pure function on the footer's bytes (read with
 * tcompact).
 */
#ifndef CW_PQFOOTER_H
#define CW_PQFOOTER_H

#include <stddef.h>
#include <stdint.h>

struct pqfooter_info {
	int64_t num_rows;
	size_t row_groups;
	size_t columns; /* leaves of the schema */
	size_t chunks;  /* column chunks in all row groups */
	int encrypted;  /* encryption_algorithm set: a plaintext footer of an encrypted file */
};

/* A column chunk with values whose pages are in this file (file_path not
 * set, ColumnMetaData in the clear), its offsets checked as above. */
struct pqfooter_chunk {
	size_t row_group, column;
	int64_t rows;       /* the row group's num_rows; -1 when missing */
	int64_t num_values; /* ColumnMetaData's, > 0 */
	int64_t data_off;   /* data_page_offset */
	int64_t dict_off;   /* dictionary_page_offset, 0 when absent or 0 (none) */
	int64_t start;      /* the first page: the smaller of the two */
	int64_t total;      /* total_compressed_size: the chunk is [start, start + total) */
	int encrypted;      /* crypto_metadata set: its pages are encrypted modules */
};

/* Called for each such chunk, in footer order, while the footer is read; a
 * chunk handed on may still be followed by an error elsewhere in the footer. */
typedef void pqfooter_chunk_fn(const struct pqfooter_chunk *k, void *arg);

/*
 * Checks the FileMetaData meta[0, len) of a file whose footer starts at
 * footer_off (just after the data, before the length and the closing magic),
 * handing each column chunk on to fn (may be NULL) with arg. Returns NULL and
 * fills *info when sound, else a description of the first problem, which the
 * caller frees.
 */
char *pqfooter_check(const uint8_t *meta, size_t len, uint64_t footer_off,
                     struct pqfooter_info *info, pqfooter_chunk_fn *fn, void *arg);

#endif
