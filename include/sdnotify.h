/*
 * sdnotify: systemd's notify protocol, spoken directly on $NOTIFY_SOCKET (a
 * datagram Unix socket; a leading '@' names an abstract one) so the agent
 * needs no libsystemd. Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef CW_SDNOTIFY_H
#define CW_SDNOTIFY_H

#include <stdint.h>

struct sdnotify;

/* From the environment; NULL when not run by systemd (or a bad socket, logged). */
struct sdnotify *sdnotify_open(void);
void sdnotify_close(struct sdnotify *n);
/* Sends one message ("READY=1", "STATUS=...\nREADY=1"); n may be NULL. 0, or -1. */
int sdnotify_send(struct sdnotify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The watchdog period systemd asked for ($WATCHDOG_USEC, for this process
 * per $WATCHDOG_PID), in microseconds; 0 when none.
 */
uint64_t sdnotify_watchdog_usec(void);

#endif
