/*
 * Unit tests for health's transport warnings: MySQL or Redis on another
 * host reached without encryption or without verifying the certificate,
 * MySQL tls = preferred that ended up plaintext; loopback and Unix sockets
 * are never warned about (confval_is_loopback decides). The checks against real servers are in
 * tests/integration/health.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "confval.h"
#include "health.h"

static void
conf_init(struct conf *c, const char *mysql_host, int mysql_tls, const char *redis_host,
          int redis_tls)
{
	memset(c, 0, sizeof *c);
	c->mysql.host = (char *)mysql_host;
	c->mysql.port = 3306;
	c->mysql.tls = mysql_tls;
	c->redis.host = (char *)redis_host;
	c->redis.port = 6379;
	c->redis.tls = redis_tls;
}

static void
test_loopback_is_quiet(void **state)
{
	static const char *const hosts[] = { "127.0.0.1", "127.0.1.1", "localhost",
		                             "::1",       "[::1]",     "0:0::1" };
	struct buf out = BUF_INIT;
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		conf_init(&c, hosts[i], CONF_MYSQL_TLS_DISABLED, hosts[i], 0);
		assert_int_equal(health_transport_warnings(&c, 1, &out), 0);
	}
	/* Unix sockets never leave the machine either. */
	conf_init(&c, "db.example", CONF_MYSQL_TLS_DISABLED, "cache.example", 0);
	c.mysql.socket = "/run/mysqld/mysqld.sock";
	c.redis.socket = "/run/redis/redis.sock";
	assert_int_equal(health_transport_warnings(&c, 1, &out), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

/* Loopback by the address's text only: a name that looks like one is not. */
static void
test_loopback_names(void **state)
{
	(void)state;
	assert_true(confval_is_loopback("[::1]", 5));
	assert_true(confval_is_loopback("127.0.0.1:9911", 9)); /* the host part of an authority */
	assert_false(confval_is_loopback("127.example.com", 15));
	assert_false(confval_is_loopback("::2", 3));
	assert_false(confval_is_loopback("[]", 2));
	assert_false(confval_is_loopback("", 0));
	assert_false(confval_is_loopback("localhost.example", 17));
}

static void
test_remote_weak_transports(void **state)
{
	struct buf out = BUF_INIT;
	struct conf c;

	(void)state;
	conf_init(&c, "db.example", CONF_MYSQL_TLS_DISABLED, "10.0.0.7", 0);
	assert_int_equal(health_transport_warnings(&c, 0, &out), 2);
	assert_non_null(strstr(out.data, "mysql db.example:3306: tls = disabled: the connection"));
	assert_non_null(strstr(out.data, "redis 10.0.0.7:6379: tls = off"));
	buf_reset(&out);
	/* preferred and required encrypt but do not verify */
	conf_init(&c, "db.example", CONF_MYSQL_TLS_REQUIRED, "10.0.0.7", 1);
	assert_int_equal(health_transport_warnings(&c, 0, &out), 1);
	assert_non_null(
	        strstr(out.data, "tls = required: the server's certificate is not verified"));
	buf_reset(&out);
	/* preferred against a server that offers no TLS: plaintext, said as such */
	conf_init(&c, "db.example", CONF_MYSQL_TLS_PREFERRED, "10.0.0.7", 1);
	assert_int_equal(health_transport_warnings(&c, 1, &out), 1);
	assert_non_null(strstr(out.data, "tls = preferred, but the server offered no TLS"));
	buf_reset(&out);
	/* verified TLS both ways: nothing to say */
	conf_init(&c, "db.example", CONF_MYSQL_TLS_VERIFY_IDENTITY, "10.0.0.7", 1);
	assert_int_equal(health_transport_warnings(&c, 0, &out), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_is_quiet),
		cmocka_unit_test(test_remote_weak_transports),
		cmocka_unit_test(test_loopback_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
