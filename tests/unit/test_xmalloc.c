/*
 * Unit tests for xmalloc: an allocation that cannot be met ends the process
 * with a message and exit code 71 (EX_OSERR), never abort(): a core file
 * would hold the secrets in memory. Checked in a child process.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "xmalloc.h"

/* In the sanitizer build, let malloc fail as libc's does instead of reporting it. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_out_of_memory_exits(void **state)
{
	char path[] = "/tmp/test_xmalloc.XXXXXX", text[256] = "";
	int fd = mkstemp(path), status;
	volatile char *p;
	pid_t pid;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		p = xmalloc(SIZE_MAX / 2);
		p[0] = 1;
		_exit(0); /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = pread(fd, text, sizeof text - 1, 0);
	close(fd);
	unlink(path);
	assert_false(WIFSIGNALED(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EX_OSERR);
	assert_true(n > 0);
	assert_non_null(strstr(text, "cachewarden: fatal: out of memory"));
}

static void
test_normal_allocations(void **state)
{
	char *s;

	(void)state;
	s = xasprintf("%s-%d", "a", 1);
	assert_string_equal(s, "a-1");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_memory_exits),
		cmocka_unit_test(test_normal_allocations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
