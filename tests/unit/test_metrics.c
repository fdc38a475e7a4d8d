/* Unit tests for metrics (the exposition format) and sdnotify (the datagram it sends). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "metrics.h"
#include "sdnotify.h"

static void
test_format(void **state)
{
	struct metrics_dataset ds[2] = {
		{ "products", 1000, 990, 2, 1, 3.5, 1764475200 },
		{ "never \"run\"\\x", 0, 0, 0, 0, -1, 0 },
	};
	struct metrics_exports ex[1] = { { "nightly", 0, 1764475200.25 } };
	struct metrics_snapshot s;
	struct buf out = BUF_INIT;

	(void)state;
	memset(&s, 0, sizeof s);
	s.version = "1.2.3";
	s.datasets = ds;
	s.ndatasets = 2;
	s.exports = ex;
	s.nexports = 1;
	s.outbox_pending = 3;
	s.outbox_dead = 1;
	s.mysql_up = 1;
	s.redis_up = 0;
	s.redis_info_ok = 1;
	s.keyspace_hits = 3;
	s.keyspace_misses = 1;
	s.used_memory = 1048576;
	metrics_format(&s, &out);
	buf_addc(&out, '\0');
	assert_non_null(strstr(out.data, "cachewarden_build_info{version=\"1.2.3\"} 1\n"));
	assert_non_null(strstr(out.data, "# TYPE cachewarden_warm_rows_total counter\n"));
	assert_non_null(
	        strstr(out.data, "cachewarden_warm_rows_total{dataset=\"products\"} 1000\n"));
	/* Label values are escaped; a dataset never run has no duration sample. */
	assert_non_null(strstr(
	        out.data, "cachewarden_warm_rows_total{dataset=\"never \\\"run\\\"\\\\x\"} 0\n"));
	assert_null(strstr(out.data, "last_duration_seconds{dataset=\"never"));
	assert_non_null(strstr(
	        out.data, "cachewarden_warm_last_duration_seconds{dataset=\"products\"} 3.5\n"));
	assert_non_null(strstr(out.data, "cachewarden_verify_problems{set=\"nightly\"} 0\n"));
	assert_non_null(strstr(out.data, "cachewarden_outbox_reports{state=\"dead\"} 1\n"));
	assert_non_null(strstr(out.data, "cachewarden_redis_keyspace_hit_ratio 0.75\n"));
	assert_non_null(strstr(out.data, "cachewarden_dependency_up{dependency=\"redis\"} 0\n"));
	/* A down dependency has no latency sample. */
	assert_null(strstr(out.data, "latency_seconds{dependency=\"redis\"}"));
	buf_free(&out);
}

static void
test_no_redis_info(void **state)
{
	struct metrics_snapshot s;
	struct buf out = BUF_INIT;

	(void)state;
	memset(&s, 0, sizeof s);
	s.version = "x";
	s.outbox_pending = -1;
	s.mysql_up = s.redis_up = -1;
	metrics_format(&s, &out);
	buf_addc(&out, '\0');
	/* The families are declared, with no made-up samples. */
	assert_non_null(strstr(out.data, "# TYPE cachewarden_redis_memory_used_bytes gauge\n"));
	assert_null(strstr(out.data, "\ncachewarden_redis_memory_used_bytes "));
	assert_null(strstr(out.data, "\ncachewarden_outbox_reports{"));
	buf_free(&out);
}

static void
test_sdnotify(void **state)
{
	char path[] = "/tmp/cw-test-notify-XXXXXX", sock[64], got[128];
	struct sockaddr_un sa;
	struct sdnotify *n;
	ssize_t len;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof sock, "%s/notify", path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	unsetenv("NOTIFY_SOCKET");
	assert_null(sdnotify_open());
	assert_int_equal(sdnotify_send(NULL, "READY=1"), 0);
	setenv("NOTIFY_SOCKET", sock, 1);
	assert_non_null(n = sdnotify_open());
	assert_int_equal(sdnotify_send(n, "STATUS=%s\nREADY=1", "idle"), 0);
	len = recv(fd, got, sizeof got - 1, 0);
	assert_true(len > 0);
	got[len] = '\0';
	assert_string_equal(got, "STATUS=idle\nREADY=1");
	sdnotify_close(n);
	setenv("WATCHDOG_USEC", "3000000", 1);
	unsetenv("WATCHDOG_PID");
	assert_int_equal(sdnotify_watchdog_usec(), 3000000);
	setenv("WATCHDOG_PID", "1", 1); /* another process's watchdog */
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(sock);
	rmdir(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_no_redis_info),
		cmocka_unit_test(test_sdnotify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
