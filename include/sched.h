/*
 * sched: when the daemon next runs a scheduled job. Pure logic: no clock is
 * read here (the caller passes "now"), nothing global is changed, and the
 * only I/O is reading a time zone file in sched_zone_load. Every function is
 * safe to call from any thread; a loaded zone is read-only and may be shared.
 *
 * Time zones come from the system's TZif files (Debian package tzdata), read
 * by this module instead of through setenv("TZ") + tzset: setenv is not
 * thread-safe and the daemon's job threads call getenv. "UTC" is built in,
 * so the default works on a host without tzdata.
 *
 * Semantics of a struct conf_schedule (parsed by conf):
 *   daily HH:MM, weekly DAY HH:MM
 *       wall-clock time in the zone. On a spring-forward day a wall time
 *       that does not exist fires at the first instant after the gap
 *       (02:30 in Europe/Berlin on the last Sunday of March fires at 03:00
 *       CEST, i.e. 01:00 UTC). On a fall-back day a wall time that occurs
 *       twice fires once, at its first occurrence (02:30 CEST, not 02:30 CET).
 *   every N
 *       multiples of N seconds counted from the Unix epoch, whatever the
 *       zone: every host of a fleet agrees on the instants, and DST changes
 *       neither skip nor repeat a run. "every 7h" therefore does not restart
 *       at midnight.
 */
#ifndef CW_SCHED_H
#define CW_SCHED_H

#include <stdint.h>
#include <time.h>

#include "conf.h"

/* The default zone; built in, no file needed. */
#define SCHED_ZONE_DEFAULT "UTC"

/* Opaque: transitions, local time types and the rule for later instants. */
struct sched_zone;

/*
 * Loads an IANA zone ("UTC", "Europe/Berlin", "America/New_York") from
 * $TZDIR or /usr/share/zoneinfo. Names with "..", a leading '/', or
 * characters outside [A-Za-z0-9_+-/] are refused. Returns a zone the caller
 * frees with sched_zone_free, or NULL and a cause the caller frees.
 */
struct sched_zone *sched_zone_load(const char *name, char **cause);
void sched_zone_free(struct sched_zone *zone);
/* The name the zone was loaded by; owned by the zone. */
const char *sched_zone_name(const struct sched_zone *zone);

/*
 * The offset east of UTC in seconds of local time at instant t in zone
 * ("+01:00" is 3600). Exposed for the daemon's messages and the tests.
 */
long sched_zone_offset(const struct sched_zone *zone, time_t t);

/*
 * The first fire time of when strictly after the instant after, into *next.
 * Returns 0, or -1 and a cause the caller frees (a schedule that does not
 * parse as one, or a result outside time_t).
 */
int sched_next(const struct conf_schedule *when, const struct sched_zone *zone, time_t after,
               time_t *next, char **cause);

/*
 * t + (seed mod splay_s): the same host (seed) always lands at the same
 * point of the window, different hosts spread over it. splay_s <= 0 means
 * no splay. Saturates instead of overflowing.
 */
time_t sched_splay(time_t t, long long splay_s, uint64_t seed);

#endif
