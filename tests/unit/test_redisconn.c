/*
 * Unit tests for redisconn against a scripted peer on a Unix socket: AUTH
 * with the password file, then PING; the password must not stay in the
 * connection's output buffer once AUTH is answered (a core file or a later
 * read of the heap would find it). Real servers: tests/integration/warm*.sh.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "redisconn.h"
#include "xmalloc.h"

#define PASSWORD "s3cret-redis-password"

/* Answers each command with +OK, PING with +PONG, until the client leaves. */
static void *
peer(void *arg)
{
	int lfd = *(int *)arg, fd;
	char buf[4096];
	ssize_t n;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "PING") != NULL)
			(void)!write(fd, "+PONG\r\n", 7);
		else
			(void)!write(fd, "+OK\r\n", 5);
	}
	close(fd);
	return NULL;
}

static void
test_auth_not_left_in_buffer(void **state)
{
	char dir[] = "/tmp/test_redisconn.XXXXXX", *sock, *pwfile, *cause = NULL;
	struct sockaddr_un sun;
	static const char *const echo[] = { "ECHO", "marker-4711" };
	struct redis_reply *r;
	struct redisconn *rc;
	struct conf c;
	pthread_t th;
	FILE *f;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sock = xasprintf("%s/redis.sock", dir);
	pwfile = xasprintf("%s/pw", dir);
	f = fopen(pwfile, "w");
	assert_non_null(f);
	fputs(PASSWORD "\n", f);
	fclose(f);
	chmod(pwfile, 0600);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, peer, &lfd), 0);

	memset(&c, 0, sizeof c);
	c.redis.socket = sock;
	c.redis.password_file = pwfile;
	c.redis.connect_timeout = 5;
	rc = redisconn_open(&c, &cause);
	if (rc == NULL)
		fail_msg("redisconn_open: %s", cause);
	assert_false(redisconn_out_holds(rc, PASSWORD, strlen(PASSWORD)));
	/* The check can see leftovers: an ordinary command sent stays in the storage. */
	r = redisconn_command(rc, &cause, 2, echo);
	assert_non_null(r);
	redis_reply_free(r);
	assert_true(redisconn_out_holds(rc, "marker-4711", 11));
	redisconn_close(rc);
	pthread_join(th, NULL);
	close(lfd);
	unlink(sock);
	unlink(pwfile);
	rmdir(dir);
	free(sock);
	free(pwfile);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_not_left_in_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
