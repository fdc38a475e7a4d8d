/*
 * Unit tests for log: text lines escape control bytes (a spool record's kind
 * with an ANSI escape sequence or a newline cannot forge lines or drive a
 * terminal), JSON lines stay JSON, levels filter, and lines carry syslog
 * priorities only when stderr is the journal stream systemd named.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "xmalloc.h"

/* Runs fn with stderr sent to a temporary file; returns what was written. */
static char *
capture(void (*fn)(void))
{
	char path[] = "/tmp/test_log.XXXXXX", *text;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	off_t len;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	len = lseek(fd, 0, SEEK_END);
	text = xmalloc((size_t)len + 1);
	assert_int_equal(pread(fd, text, (size_t)len, 0), len);
	text[len] = '\0';
	close(fd);
	unlink(path);
	return text;
}

static void
log_hostile_kind(void)
{
	/* What report_deliver logs for a record whose kind came from the spool. */
	log_info("report %s (%s %s) delivered: MessageId %s", "id-1", "warm\x1b[2J\x1b[31m",
	         "ok\nFAKE error: injected", "m-1");
}

static void
test_text_escapes_control_bytes(void **state)
{
	char *out;

	(void)state;
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	out = capture(log_hostile_kind);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "(warm\\x1b[2J\\x1b[31m ok\\nFAKE error: injected) delivered"));
	/* One line: the newline in the kind did not start another. */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
}

static void
log_utf8(void)
{
	log_warn("caf\xc3\xa9 \\ tab\there");
}

static void
test_text_keeps_utf8(void **state)
{
	char *out;

	(void)state;
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	out = capture(log_utf8);
	assert_non_null(strstr(out, "warn: caf\xc3\xa9 \\ tab\\there\n"));
	free(out);
}

static void
test_json_escapes(void **state)
{
	char *out;

	(void)state;
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	out = capture(log_hostile_kind);
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "\"level\":\"info\""));
	assert_non_null(strstr(out, "warm\\u001b[2J"));
	free(out);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

static void
test_levels_filter(void **state)
{
	char *out;

	(void)state;
	log_init(LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	out = capture(log_hostile_kind);
	assert_string_equal(out, "");
	free(out);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

/* Logs a warning and an info line with JOURNAL_STREAM naming stderr itself. */
static void
log_to_journal(void)
{
	char env[64];
	struct stat st;

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	log_warn("restore: no generation marker");
	log_info("line\nbreak");
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	log_error("in JSON");
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

/* The same, but JOURNAL_STREAM names another stream: stderr was redirected. */
static void
log_redirected(void)
{
	setenv("JOURNAL_STREAM", "8:123456789", 1);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	log_warn("to a file");
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

static void
test_journal_priorities(void **state)
{
	char *out;

	(void)state;
	out = capture(log_to_journal);
	assert_non_null(strstr(out,
	                       "<4>warn: restore: no generation marker\n<6>info: line\\nbreak\n"
	                       "<3>{\"ts\":"));
	assert_null(strstr(out, "cachewarden[")); /* journald records the PID */
	free(out);
	out = capture(log_redirected);
	assert_int_equal(strncmp(out, "20", 2), 0); /* a timestamp, no "<4>" */
	assert_non_null(strstr(out, " warn: to a file\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes_control_bytes),
		cmocka_unit_test(test_text_keeps_utf8),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_levels_filter),
		cmocka_unit_test(test_journal_priorities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
