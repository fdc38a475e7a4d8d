/*
 * clocks: the agent's notion of time, in one place. Monotonic seconds for
 * durations and rates, wall-clock seconds for reports, and RFC 3339 UTC text
 * ("2026-11-22T06:28:06Z") as every report, manifest and log shows it.
 */
#ifndef CW_CLOCKS_H
#define CW_CLOCKS_H

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL; out-of-range times print as "@SECONDS". */
#define CLOCKS_RFC3339_LEN 21

/* Seconds since an arbitrary start, never going back: for durations. */
double clocks_mono(void);
/* Seconds since the Unix epoch, with the fraction. */
double clocks_wall(void);
/* Sleeps for secs seconds, resuming after signals. */
void clocks_sleep(double secs);
/*
 * Capped exponential backoff: base_ms * 2^attempt, at most cap_ms (attempt
 * counts from 0). What warm's reconnects and the agent's retries wait.
 */
uint32_t clocks_backoff_cap_ms(unsigned attempt, uint32_t base_ms, uint32_t cap_ms);
/*
 * The same with full jitter: uniform in [0, clocks_backoff_cap_ms(...)],
 * picked by rnd (uniform over 32 bits: crypto_random_u32), so that clients
 * failing together do not retry together (SNS and AWS API calls).
 */
uint32_t clocks_backoff_ms(unsigned attempt, uint32_t base_ms, uint32_t cap_ms, uint32_t rnd);
/* Unix seconds as RFC 3339 UTC into out. */
void clocks_rfc3339(int64_t secs, char out[CLOCKS_RFC3339_LEN]);

#endif
