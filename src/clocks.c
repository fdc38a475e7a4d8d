/* clocks: monotonic and wall-clock time, RFC 3339 text. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "clocks.h"

double
clocks_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
clocks_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint32_t
clocks_backoff_cap_ms(unsigned attempt, uint32_t base_ms, uint32_t cap_ms)
{
	uint64_t ceiling = base_ms;
	unsigned i;

	for (i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	return ceiling > cap_ms ? cap_ms : (uint32_t)ceiling;
}

uint32_t
clocks_backoff_ms(unsigned attempt, uint32_t base_ms, uint32_t cap_ms, uint32_t rnd)
{
	return (uint32_t)(rnd % ((uint64_t)clocks_backoff_cap_ms(attempt, base_ms, cap_ms) + 1));
}

void
clocks_sleep(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
clocks_rfc3339(int64_t secs, char out[CLOCKS_RFC3339_LEN])
{
	time_t t = (time_t)secs;
	struct tm tm;

	/* Four-digit years only: anything else would not fit, nor parse back. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		snprintf(out, CLOCKS_RFC3339_LEN, "@%lld", (long long)secs);
	else
		strftime(out, CLOCKS_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
