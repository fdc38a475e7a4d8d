/*
 * log: the agent's only way to speak to its operator. One line per event on
 * stderr, as text or as JSON lines, filtered by level. Safe to call from any
 * thread: each line is written with a single write(2). When stderr is
 * systemd's journal stream (JOURNAL_STREAM, checked by log_init), each line
 * starts with its syslog priority, "<4>" for a warning, and leaves the time
 * and PID to journald.
 *
 * log_warn/log_error add nothing; callers put the cause (strerror, a server
 * message) in the text. fatal() is for start-up failures and broken internal
 * invariants only: outside input never reaches it.
 */
#ifndef CW_LOG_H
#define CW_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_init(enum log_level level, enum log_format format);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_enabled(enum log_level level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
