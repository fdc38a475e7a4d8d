/*
 * For unit tests: a data file read whole, or the test fails saying why.
 * Include after <cmocka.h>.
 */
#ifndef CW_TEST_FIXTURE_H
#define CW_TEST_FIXTURE_H

#include "buf.h"
#include "fileio.h"

#define FIXTURE_MAX_BYTES (16 * 1024 * 1024)

/* The file at path into out, replacing what out held. */
static void
fixture_read(const char *path, struct buf *out)
{
	char *cause = NULL;

	buf_reset(out);
	if (fileio_read(path, FIXTURE_MAX_BYTES, out, &cause) != 0)
		fail_msg("cannot read %s: %s", path, cause != NULL ? cause : "missing");
}

#endif
