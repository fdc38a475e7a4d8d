/*
 * Unit tests for creds: the shared credentials file and instance metadata
 * parsers, times, and the chain over the environment and a file. Instance
 * metadata itself is exercised by tests/integration/report-creds.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "creds.h"
#include "xmalloc.h"

static const char ini[] = "# comment\n"
                          "[default]\n"
                          "aws_access_key_id = AKIDDEFAULT\n"
                          "aws_secret_access_key=secretdefault \n"
                          "\n"
                          "; another comment\n"
                          "[ ops ]\r\n"
                          "AWS_ACCESS_KEY_ID = AKIDOPS\r\n"
                          "Aws_Secret_Access_Key = s3cr=t/with+chars\r\n"
                          "aws_security_token = legacytoken\r\n"
                          "region = eu-west-1\r\n"
                          "[half]\n"
                          "aws_access_key_id = AKIDHALF\n"
                          "[empty]\n";

static void
test_ini(void **state)
{
	struct creds c;
	char *cause = NULL;

	(void)state;
	assert_int_equal(creds_parse_ini(ini, "default", &c, &cause), 0);
	assert_string_equal(c.access_key, "AKIDDEFAULT");
	assert_string_equal(c.secret_key, "secretdefault");
	assert_null(c.session_token);
	assert_int_equal(c.expiration, 0);
	creds_clear(&c);
	/* Blanks around the section name, CRLF, case-insensitive keys, '=' in a value. */
	assert_int_equal(creds_parse_ini(ini, "ops", &c, &cause), 0);
	assert_string_equal(c.access_key, "AKIDOPS");
	assert_string_equal(c.secret_key, "s3cr=t/with+chars");
	assert_string_equal(c.session_token, "legacytoken");
	creds_clear(&c);
	assert_int_equal(creds_parse_ini(ini, "nope", &c, &cause), 1);
	assert_int_equal(creds_parse_ini(ini, "half", &c, &cause), -1);
	assert_string_equal(cause, "profile [half] has no aws_secret_access_key");
	free(cause);
	assert_int_equal(creds_parse_ini(ini, "empty", &c, &cause), -1);
	assert_string_equal(cause, "profile [empty] has no aws_access_key_id");
	free(cause);
	/* A section name is not a prefix match. */
	assert_int_equal(
	        creds_parse_ini("[defaults]\naws_access_key_id=a\n", "default", &c, &cause), 1);
	assert_int_equal(creds_parse_ini("", "default", &c, &cause), 1);
}

static void
test_time(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(creds_parse_time("2024-05-01T12:00:00Z", &t), 0);
	assert_int_equal(t, 1714564800);
	assert_int_equal(creds_parse_time("2024-05-01T12:00:00.123Z", &t), 0);
	assert_int_equal(t, 1714564800);
	assert_int_equal(creds_parse_time("2024-05-01T12:00:00+00:00", &t), 0);
	assert_int_equal(creds_parse_time("2024-05-01 12:00:00Z", &t), -1);
	assert_int_equal(creds_parse_time("2024-05-01T12:00:00", &t), -1);
	assert_int_equal(creds_parse_time("2024-05-01T12:00:00+02:00", &t), -1);
	assert_int_equal(creds_parse_time("2024-13-01T12:00:00Z", &t), -1);
	assert_int_equal(creds_parse_time("garbage", &t), -1);
	assert_int_equal(creds_parse_time("", &t), -1);
}

static void
test_imds_document(void **state)
{
	const char *good =
	        "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2024-05-01T11:00:00Z\",\n"
	        "  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n"
	        "  \"SecretAccessKey\" : \"se/cret\",\n  \"Token\" : \"tok==\",\n"
	        "  \"Expiration\" : \"2024-05-01T18:00:00Z\"\n}";
	const char *failed = "{\"Code\":\"AssumeRoleUnauthorizedAccess\"}";
	const char *partial =
	        "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
	        "\"Expiration\":\"2024-05-01T18:00:00Z\"}";
	const char *badtime = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"T\","
	                      "\"Expiration\":\"tomorrow\"}";
	struct creds c;
	char *cause = NULL;

	(void)state;
	assert_int_equal(creds_parse_imds(good, strlen(good), &c, &cause), 0);
	assert_string_equal(c.access_key, "ASIAEXAMPLE");
	assert_string_equal(c.secret_key, "se/cret");
	assert_string_equal(c.session_token, "tok==");
	assert_int_equal(c.expiration, 1714586400);
	creds_clear(&c);
	assert_int_equal(creds_parse_imds(failed, strlen(failed), &c, &cause), -1);
	assert_non_null(strstr(cause, "AssumeRoleUnauthorizedAccess"));
	free(cause);
	assert_int_equal(creds_parse_imds(partial, strlen(partial), &c, &cause), -1);
	free(cause);
	assert_int_equal(creds_parse_imds(badtime, strlen(badtime), &c, &cause), -1);
	assert_non_null(strstr(cause, "Expiration"));
	free(cause);
	assert_int_equal(creds_parse_imds("<html>", 6, &c, &cause), -1);
	free(cause);
}

static void
clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	/* Never reach for a real metadata service from a unit test. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void
test_chain_env(void **state)
{
	struct creds_chain *ch;
	const struct creds *c, *again;
	char *cause = NULL;

	(void)state;
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	ch = creds_chain_new(CONF_CREDS_AUTO, "default");
	assert_int_equal(creds_chain_get(ch, &c, &cause), 0);
	assert_string_equal(c->source, "environment");
	assert_string_equal(c->access_key, "AKIDENV");
	assert_string_equal(c->session_token, "envtoken");
	/* Cached: the same credentials without looking again. */
	unsetenv("AWS_ACCESS_KEY_ID");
	assert_int_equal(creds_chain_get(ch, &again, &cause), 0);
	assert_ptr_equal(again, c);
	/* After invalidate the chain looks again, and half a pair is an error. */
	creds_chain_invalidate(ch);
	assert_int_equal(creds_chain_get(ch, &c, &cause), -1);
	assert_non_null(strstr(cause, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
	free(cause);
	creds_chain_free(ch);
	clear_env();
}

static char *
write_file(const char *text, mode_t mode)
{
	char *path = xstrdup("/tmp/test_creds.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
	return path;
}

static void
test_chain_file(void **state)
{
	char *path = write_file(ini, 0600), *cause = NULL;
	struct creds_chain *ch;
	const struct creds *c;

	(void)state;
	clear_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	ch = creds_chain_new(CONF_CREDS_AUTO, "ops");
	assert_int_equal(creds_chain_get(ch, &c, &cause), 0);
	assert_string_equal(c->source, "shared credentials file");
	assert_string_equal(c->access_key, "AKIDOPS");
	creds_chain_free(ch);
	/* The file alone: env credentials are not looked at. */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	ch = creds_chain_new(CONF_CREDS_FILE, "default");
	assert_int_equal(creds_chain_get(ch, &c, &cause), 0);
	assert_string_equal(c->access_key, "AKIDDEFAULT");
	creds_chain_free(ch);
	/* Readable by others: refused, like every secret file. */
	chmod(path, 0644);
	ch = creds_chain_new(CONF_CREDS_FILE, "default");
	assert_int_equal(creds_chain_get(ch, &c, &cause), -1);
	assert_non_null(strstr(cause, "readable by group or others"));
	free(cause);
	creds_chain_free(ch);
	unlink(path);
	free(path);
	clear_env();
}

static void
test_chain_nothing(void **state)
{
	struct creds_chain *ch;
	const struct creds *c;
	char *cause = NULL;

	(void)state;
	clear_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	ch = creds_chain_new(CONF_CREDS_AUTO, "default");
	assert_int_equal(creds_chain_get(ch, &c, &cause), -1);
	assert_string_equal(cause, "no AWS credentials: environment: AWS_ACCESS_KEY_ID is not set; "
	                           "shared credentials file: /nonexistent/credentials does not "
	                           "exist; instance metadata: disabled by "
	                           "AWS_EC2_METADATA_DISABLED");
	free(cause);
	creds_chain_free(ch);
	/* Metadata that does not answer: port 1 on loopback refuses at once. */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/", 1);
	ch = creds_chain_new(CONF_CREDS_IMDS, "default");
	assert_int_equal(creds_chain_get(ch, &c, &cause), -1);
	assert_non_null(
	        strstr(cause, "instance metadata: PUT http://127.0.0.1:1/latest/api/token"));
	free(cause);
	creds_chain_free(ch);
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	clear_env();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini),           cmocka_unit_test(test_time),
		cmocka_unit_test(test_imds_document), cmocka_unit_test(test_chain_env),
		cmocka_unit_test(test_chain_file),    cmocka_unit_test(test_chain_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
