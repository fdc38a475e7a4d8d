/*
 * report: how the agent's reports reach the operators' SNS topic.
 *
 * report_submit writes a report into the spool (outbox.h) and then delivers
 * the spool to SNS (sns.h) for a bounded time; whatever is not delivered by
 * then stays for the daemon or the next run. Without [sns] topic_arn reports
 * go to the log only, which is not an error.
 *
 * Also the `report test` and `spool list|flush|check` commands. Everything
 * here blocks on the network and on fsync: an event loop calls it from a
 * worker thread.
 */
#ifndef CW_REPORT_H
#define CW_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* How long warm and verify wait for delivery before they exit. */
#define REPORT_WAIT_MS 15000

/*
 * Spools one report and delivers for up to wait_ms (0: one pass only; a
 * request under way when the time is up may add its own timeout, 20 s).
 * kind and status ("warm", "failed") become message attributes; NULL takes
 * them from the report's top-level "kind" and "status". summary ends the
 * subject, "[cachewarden] verify FAILED on web-01: SUMMARY" (may be NULL).
 * Returns 0 when the report is delivered, spooled or logged; -1 and a cause
 * when it could not be spooled (the report itself is then in the log).
 */
int report_submit(const struct conf *conf, const char *kind, const char *status,
                  const char *summary, const char *json, size_t len, int wait_ms, char **cause);

struct report_flush_result {
	unsigned delivered, dead, quarantined;
	unsigned failed;  /* transient delivery failures */
	unsigned pending; /* still in the spool, held ones included */
	unsigned held;    /* pending until the setup is fixed (credentials, access, topic) */
	int busy;         /* another process kept the spool for the whole wait */
};

/*
 * Delivers the spool, retrying transient failures with capped exponential
 * backoff and full jitter for up to wait_ms. For `spool flush` and the
 * daemon. 0, or -1 and a cause (no topic_arn, unreadable spool).
 */
int report_flush(const struct conf *conf, int wait_ms, struct report_flush_result *res,
                 char **cause);
/* Records in the spool by state: pending, dead, quarantined. 0, or -1 and a cause. */
int report_spool_counts(const struct conf *conf, unsigned count[3], char **cause);
/* Reports delivered, and Publish attempts that failed, by this process so far. */
void report_totals(unsigned long long *delivered, unsigned long long *failed);
/* The daemon's pause before its next pass after failures passes in a row that left reports. */
uint32_t report_retry_delay_ms(unsigned failures);

/* `report test [--wait SECONDS]`; argv[0] is "report". Returns the process exit code. */
int report_cmd(const struct conf *conf, int argc, char **argv, int json);
/* `spool list|flush|check [--wait SECONDS]`; argv[0] is "spool". */
int report_cmd_spool(const struct conf *conf, int argc, char **argv, int json);

#endif
