/*
 * Unit tests for report: reports without a topic go to the log only; with a
 * topic they are spooled before any attempt, with their subject, kind and
 * status, and stay when SNS cannot be reached. Delivery to a real peer is
 * covered by tests/integration/report-*.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "outbox.h"
#include "report.h"
#include "xmalloc.h"

static char *
make_dir(void)
{
	char *dir = xstrdup("/tmp/test_report.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
conf_init(struct conf *c, char *spool, char *topic)
{
	memset(c, 0, sizeof *c);
	c->agent.name = "web-01";
	c->sns.topic_arn = topic;
	c->sns.region = topic != NULL ? "eu-west-1" : NULL;
	/* Port 1 on loopback refuses at once: SNS is "down". */
	c->sns.endpoint = "http://127.0.0.1:1/";
	c->sns.spool_dir = spool;
	c->sns.spool_max_mb = 1;
	c->sns.credentials = CONF_CREDS_ENV;
	c->sns.profile = "default";
}

static struct outbox_entry *
list_spool(const char *spool, size_t *n)
{
	struct outbox_entry *e;
	struct outbox *ob;
	char *cause = NULL;

	ob = outbox_open(spool, 1 << 20, &cause);
	assert_non_null(ob);
	assert_int_equal(outbox_list(ob, &e, n, &cause), 0);
	outbox_close(ob);
	return e;
}

static void
test_no_topic_logs_only(void **state)
{
	char *dir = make_dir(), *spool = xasprintf("%s/spool", dir), *cause = NULL;
	struct conf c;

	(void)state;
	conf_init(&c, spool, NULL);
	assert_int_equal(
	        report_submit(&c, "warm", "ok", NULL, "{\"kind\":\"warm\"}", 15, 0, &cause), 0);
	assert_int_not_equal(access(spool, F_OK), 0); /* no spool was even made */
	rm_rf(dir);
	free(spool);
	free(dir);
}

static void
test_spooled_when_down(void **state)
{
	const char *doc = "{\"kind\":\"verify\",\"status\":\"failed\",\"problems\":[1,2]}";
	char *dir = make_dir(), *spool = xasprintf("%s/spool", dir), *cause = NULL;
	struct outbox_entry *e;
	struct conf c;
	size_t n;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	conf_init(&c, spool, "arn:aws:sns:eu-west-1:123456789012:reports");
	/* kind and status come from the report when not given. */
	assert_int_equal(report_submit(&c, NULL, NULL, "2 problems in redis-snapshots", doc,
	                               strlen(doc), 0, &cause),
	                 0);
	e = list_spool(spool, &n);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].state, OUTBOX_IS_PENDING);
	assert_true(e[0].valid);
	assert_string_equal(e[0].rec.kind, "verify");
	assert_string_equal(e[0].rec.status, "failed");
	assert_string_equal(e[0].rec.host, "web-01");
	assert_string_equal(e[0].rec.subject,
	                    "[cachewarden] verify FAILED on web-01: 2 problems in redis-snapshots");
	assert_string_equal(e[0].rec.body, doc);
	assert_int_equal(strlen(e[0].rec.id), OUTBOX_ID_LEN);
	outbox_entries_free(e, n);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	rm_rf(dir);
	free(spool);
	free(dir);
}

static void
test_bounded_wait(void **state)
{
	char *dir = make_dir(), *spool = xasprintf("%s/spool", dir), *cause = NULL;
	struct report_flush_result res;
	struct timespec t0, t1;
	struct conf c;
	double s;

	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	conf_init(&c, spool, "arn:aws:sns:eu-west-1:123456789012:reports");
	assert_int_equal(report_submit(&c, "warm", "ok", NULL, "{}", 2, 0, &cause), 0);
	/* No credentials and no server: retries with backoff, and gives up in time. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(report_flush(&c, 1500, &res, &cause), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s < 2.5);
	assert_int_equal(res.pending, 1);
	assert_int_equal(res.delivered, 0);
	assert_true(report_retry_delay_ms(0) <= 1000);
	assert_true(report_retry_delay_ms(100) <= 300000);
	rm_rf(dir);
	free(spool);
	free(dir);
}

/*
 * A report the spool refuses (a NUL byte in it) goes to the log, and the
 * delivery session opened for it is closed: before, it leaked (the SNS
 * client, the credentials chain, the outbox), which LeakSanitizer reports
 * when this program exits in the sanitizer build.
 */
static void
test_push_failure_closes_session(void **state)
{
	static const char doc[] = "{\"kind\":\"warm\",\"x\":\"a\0b\"}";
	char *dir = make_dir(), *spool = xasprintf("%s/spool", dir), *cause = NULL;
	struct outbox_entry *e;
	struct conf c;
	size_t n;

	(void)state;
	conf_init(&c, spool, "arn:aws:sns:eu-west-1:123456789012:reports");
	assert_int_equal(report_submit(&c, "warm", "ok", NULL, doc, sizeof doc - 1, 0, &cause), -1);
	assert_non_null(strstr(cause, "NUL byte"));
	free(cause);
	e = list_spool(spool, &n);
	assert_int_equal(n, 0);
	outbox_entries_free(e, n);
	rm_rf(dir);
	free(spool);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_topic_logs_only),
		cmocka_unit_test(test_spooled_when_down),
		cmocka_unit_test(test_bounded_wait),
		cmocka_unit_test(test_push_failure_closes_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
