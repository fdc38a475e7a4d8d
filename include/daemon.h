/*
 * daemon: `cachewarden run`, the agent. One libevent loop on the main
 * thread owns the admin API (admin.h), the timers (restore watch, health,
 * outbox delivery, the verify schedule, the systemd watchdog) and the
 * signals; long work runs on job threads (jobs.h) and comes back to the
 * loop as results. The loop decides: a lost or rolled-back dataset starts a
 * warm, a schedule starts a verify, a report goes to the outbox.
 *
 * Signals: SIGTERM and SIGINT stop gracefully (the warm in flight
 * checkpoints, the outbox gets one delivery attempt, exit within
 * DAEMON_STOP_S); SIGHUP reloads the config (a bad file is logged with its
 * file:line errors and the old config stays; running jobs keep theirs).
 * systemd's notify protocol is spoken on $NOTIFY_SOCKET directly.
 */
#ifndef CW_DAEMON_H
#define CW_DAEMON_H

#include "conf.h"

#define DAEMON_STOP_S 5

/* Runs the agent until a stop signal; takes conf. Returns the process exit code. */
int daemon_run(const char *conf_path, struct conf *conf);

#endif
