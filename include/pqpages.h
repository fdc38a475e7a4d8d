/*
 * pqpages: the pages of a Parquet file, walked in the one pass that reads
 * the file front to back, then reconciled with the footer's column chunks.
 *
 * The walk starts after the leading "PAR1" and decodes a PageHeader
 * (Thrift compact, through tcompact) at each page start, then passes over
 * compressed_page_size bytes of page data, computing the CRC-32 of those
 * bytes as stored when the header carries one (parquet.thrift: all page
 * types, over the page after the header, after compression; for
 * DATA_PAGE_V2 the levels and the values). A header that straddles chunks
 * is buffered, up to PQPAGES_HEADER_MAX bytes (statistics can be large).
 *
 * Where a page header does not decode, what lies there may be something a
 * writer puts between chunks: zero padding, a bloom filter (its header and
 * bitset), or a copy of the ColumnChunk metadata after the chunk (older
 * parquet-cpp, parquet-rs). Those are recognised strictly and passed over;
 * anything else stops the walk (page indexes and the footer end it in every
 * file). Every place where a page header did not decode is kept with why.
 *
 * What the walk saw is kept compactly: for each page its offset, length,
 * type, values (and rows for DATA_PAGE_V2), and whether its CRC-32
 * matched. At the end, each column chunk of the footer is reconciled:
 *
 *   - its first page, data page and dictionary page (when set and nonzero)
 *     are page starts, the pages tile [start, start + total_compressed_size)
 *     (or fall short by exactly the dictionary page's header, which
 *     parquet-mr before 1.2.9 left out of the size: PARQUET-816; readers
 *     accept it, so does this);
 *   - the data pages' num_values add up to the chunk's num_values (an
 *     INDEX_PAGE holds none: readers pass over it; a chunk with a page of a
 *     type after DATA_PAGE_V2, which a newer writer may fill with values,
 *     is not compared), and when every data page is a DATA_PAGE_V2, their
 *     num_rows add up to the row group's;
 *   - every page CRC-32 in it matches.
 *
 * A chunk the walk did not reach (it stopped before, or it recorded
 * PQPAGES_PAGES_MAX pages already) or could not read (a header over
 * PQPAGES_HEADER_MAX, encrypted pages) is counted as not walked, with why:
 * never damage. Memory: the page list (24 bytes a page, at most
 * PQPAGES_PAGES_MAX), the header buffers, and PQPAGES_BREAKS_MAX places
 * where the walk found no page.
 *
 * Use: init, update with every byte of the file in order, end, then chunk
 * for each column chunk of the footer (pqfooter_check's function), result,
 * free. One thread at a time.
 */
#ifndef CW_PQPAGES_H
#define CW_PQPAGES_H

#include <stddef.h>
#include <stdint.h>

#include "pqfooter.h"

#define PQPAGES_HEADER_MAX (1u << 20)
#define PQPAGES_PAGES_MAX  (1u << 17)
#define PQPAGES_BREAKS_MAX 4096

struct pqpages_result {
	size_t chunks;       /* chunks whose pages were reconciled */
	uint64_t pages;      /* their pages */
	uint64_t crcs;       /* their page CRC-32s checked */
	size_t legacy_sizes; /* of them, total_compressed_size short by the dictionary header */
	size_t uncounted;    /* of them, with a page of a type after DATA_PAGE_V2: num_values
	                      * and rows not compared */
	size_t unwalked;     /* chunks whose pages were not walked or not read */
	const char *unwalked_why; /* why, for the first of them; NULL when none */
	size_t encrypted;         /* chunks with encrypted pages, not walked */
	const char *damage;       /* the first damage found, NULL when none */
};

struct pqpages;

/* The caller owns the walker and releases it with pqpages_free. */
struct pqpages *pqpages_init(void);
void pqpages_update(struct pqpages *w, const void *data, size_t len);
/* The file has ended: a header cut short is judged with the bytes there are. */
void pqpages_end(struct pqpages *w);
/* Reconciles one column chunk with the pages walked; after end. */
void pqpages_chunk(struct pqpages *w, const struct pqfooter_chunk *k);
/* The tally so far; its strings belong to the walker. */
const struct pqpages_result *pqpages_result(const struct pqpages *w);
void pqpages_free(struct pqpages *w);

#endif
