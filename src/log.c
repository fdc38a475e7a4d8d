/* log: levelled text or JSON lines on stderr, with priorities for journald. */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "log.h"

/* Set once at start-up (and by -v/-q); atomics keep worker threads' reads defined. */
static atomic_int log_level = LOG_LEVEL_INFO;
static atomic_int log_format = LOG_FORMAT_TEXT;
static atomic_int log_journal; /* stderr is systemd's journal stream */

static const char *const log_names[] = { "error", "warn", "info", "debug" };
/* sd-daemon(3) prefixes: the syslog priority of each level, for journald. */
static const int log_priorities[] = { 3, 4, 6, 7 };

/*
 * systemd sets JOURNAL_STREAM=DEV:INO when it connects stderr to the
 * journal. Comparing with stderr itself tells a redirection since (2>file,
 * a pipe to another program) from the journal.
 */
static int
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level, enum log_format format)
{
	atomic_store(&log_level, level);
	atomic_store(&log_format, format);
	atomic_store(&log_journal, log_stderr_is_journal());
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

int
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_level);
}

/*
 * A text line carries outside text (report kinds from spool records, server
 * messages, file names): control bytes are written as \n, \t, \r or \xNN,
 * so nothing in it can forge a line or drive a terminal. UTF-8 is kept.
 */
static void
log_escape(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f) {
			buf_addc(out, (char)c);
			continue;
		}
		buf_addc(out, '\\');
		if (c == '\n')
			buf_addc(out, 'n');
		else if (c == '\t')
			buf_addc(out, 't');
		else if (c == '\r')
			buf_addc(out, 'r');
		else {
			buf_addc(out, 'x');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 0xf]);
		}
	}
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	struct buf line = BUF_INIT, msg = BUF_INIT;
	char stamp[64];
	struct timespec ts;
	struct tm tm;
	ssize_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	buf_vprintf(&msg, fmt, ap);
	/* journald takes the priority from the prefix (journalctl -p filters on
	 * it) and records the time and PID itself. */
	if (atomic_load(&log_journal))
		buf_printf(&line, "<%d>", log_priorities[level]);
	if (atomic_load(&log_format) == LOG_FORMAT_JSON) {
		buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", stamp,
		           log_names[level]);
		json_escape(&line, msg.data ? msg.data : "", msg.len);
		buf_adds(&line, "}\n");
	} else {
		if (!atomic_load(&log_journal))
			buf_printf(&line, "%s cachewarden[%ld] ", stamp, (long)getpid());
		buf_printf(&line, "%s: ", log_names[level]);
		log_escape(&line, msg.data ? msg.data : "", msg.len);
		buf_addc(&line, '\n');
	}
	/* One write per line so lines from several threads never interleave. */
	n = write(STDERR_FILENO, line.data, line.len);
	(void)n;
	buf_free(&line);
	buf_free(&msg);
}

#define LOG_FUNCTION(fn, level)                                                                    \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		if (!log_enabled(level))                                                           \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		log_emit(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}
