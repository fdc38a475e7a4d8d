/*
 * verify: `cachewarden verify`, the nightly check of backup export sets.
 *
 * For each [exports NAME]: the files matching its path glob are read once
 * (scan.h: CRC32, BLAKE2b-256, format check), compared with the set's
 * manifest (manifest.h), which is then rewritten (and signed when
 * signing_key is set), and the set is audited for freshness and retention
 * (audit.h). The verdict is one JSON document, schema cachewarden.report/1,
 * kind verify, and one line per set on stderr.
 *
 * Problems (each makes its set, and the run, fail):
 *   UNREADABLE  a matching path that is not a readable regular file (a
 *               directory, a dangling link, an I/O error, a file that changed
 *               during the read), or a manifest that cannot be read, parsed
 *               or written;
 *   CORRUPT     the format check failed, or the file is empty;
 *   CHANGED     a recorded file whose content (BLAKE2b-256 or CRC32) differs
 *               from the manifest, whatever its size and mtime say;
 *   MISSING     a recorded file that is gone while its mtime is still inside
 *               the tier's window;
 *   UNSIGNED    trusted_key is set and the manifest has no signature, or
 *               signing_key is set and signing or writing the signature failed;
 *   BADSIG      trusted_key is set and the signature does not verify;
 *   STALE, RETENTION, GAP   see audit.h;
 *   INCOMPLETE, FAILED      [snapshots NAME] sets only: see snapshots.h.
 * Warnings (listed, not failing): UNCHECKED, a format that looks complete
 * but cannot be verified (an RDB saved without checksum, a dump without
 * header or trailer, an encrypted Parquet footer); WARNING, a sound file with
 * something its reference tool also only warns about (zero padding after a
 * gzip stream, bytes after an RDB's checksum).
 */
#ifndef CW_VERIFY_H
#define CW_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "manifest.h"
#include "scan.h"

/* The most problems (and warnings) listed per set; the rest are counted. */
#define VERIFY_MAX_LISTED 200

/*
 * Verifies the sets named, [exports NAME] and [snapshots NAME] alike (all of
 * them when nnames is 0; snapshot sets through snapshots.h, which lists them
 * from AWS and blocks on the network), and appends the
 * JSON report, with a newline, to report. Returns the exit code: 0 when
 * every set is clean, 1 when any has a problem, 2 for an unknown set name
 * (nothing is verified then).
 */
int verify_run(const struct conf *conf, char **names, size_t nnames, struct buf *report);

struct verify_problem {
	char *file;          /* NULL for the set as a whole */
	const char *problem; /* "CORRUPT", ... (static) */
	char *detail;
};

struct verify_problems {
	struct verify_problem *v;
	size_t n;
};

void verify_problem_add(struct verify_problems *p, const char *file, const char *problem,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void verify_problems_free(struct verify_problems *p);

/*
 * The manifest step, apart for tests: compares the scanned files of a set
 * with its recorded manifest old (sorted), adds CHANGED and MISSING to p,
 * and fills next (initialised by the caller) with what the set's manifest
 * records from now on:
 *   - a recorded file read whole: kept; when its content is the same, its
 *     size and mtime are refreshed and last_verified becomes now; when it
 *     changed, CHANGED, and the recorded values stay (the manifest keeps the
 *     evidence: accept new content by deleting its two lines, then re-sign);
 *   - a recorded file present but unreadable: kept as it was;
 *   - a new file read whole that is not CORRUPT: recorded, first seen now;
 *   - a recorded file gone: MISSING and kept while mtime + window > now,
 *     dropped (rotated out) after.
 */
void verify_compare(const struct manifest *old, const struct scan_file *files, size_t n,
                    int64_t now, long long window_s, struct manifest *next,
                    struct verify_problems *p);

/* name with control bytes, DEL and backslash escaped (\n \t \\ \xNN), for log lines; the
 * caller frees it. */
char *verify_printable(const char *name);

#endif
