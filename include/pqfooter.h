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
 * Not checked here (formats sees a file once, front to back, and keeps only
 * its tail): the page headers at those offsets and their CRC-32s. A pure
 * function on the footer's bytes.
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
};

/*
 * Checks the FileMetaData meta[0, len) of a file of file_size bytes whose
 * footer starts at footer_off (just after the data, before the length and
 * the closing magic). Returns NULL and fills *info when sound, else a
 * description of the first problem, which the caller frees.
 */
char *pqfooter_check(const uint8_t *meta, size_t len, uint64_t footer_off,
                     struct pqfooter_info *info);

#endif
