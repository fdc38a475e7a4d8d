/*
 * Unit tests for awsapi's pure pieces: error answers of both protocols,
 * the classes that decide retries, the quoted first bytes of an answer,
 * and the endpoint rules (plain http only for loopback).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "awsapi.h"
#include "conf.h"

static void
expect_error(const char *body, const char *code, const char *message)
{
	char *c, *m;

	awsapi_parse_error(body, strlen(body), &c, &m);
	if (code == NULL)
		assert_null(c);
	else
		assert_string_equal(c, code);
	if (message == NULL)
		assert_null(m);
	else
		assert_string_equal(m, message);
	free(c);
	free(m);
}

static void
test_parse_error(void **state)
{
	(void)state;
	expect_error(
	        "<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error>"
	        "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::1:user/x "
	        "is not authorized to perform: rds:DescribeDBSnapshots</Message></Error>"
	        "<RequestId>r</RequestId></ErrorResponse>",
	        "AccessDenied",
	        "User: arn:aws:iam::1:user/x is not authorized to perform: "
	        "rds:DescribeDBSnapshots");
	expect_error("<Error><Code>Throttling</Code><Message>Rate\nexceeded</Message></Error>",
	             "Throttling", "Rate exceeded");
	expect_error("{\"__type\":\"com.amazon.coral.service#ThrottlingException\","
	             "\"message\":\"slow down\"}",
	             "ThrottlingException", "slow down");
	expect_error("{\"code\":\"AccessDeniedException\",\"Message\":\"no\"}",
	             "AccessDeniedException", "no");
	expect_error("{\"Code\":\"InvalidParameterValueException:http://internal.amazon.com/\"}",
	             "InvalidParameterValueException", NULL);
	expect_error(
	        "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId"
	        "</Code><Message>bad token</Message></Error></Errors></ErrorResponse>",
	        "InvalidClientTokenId", "bad token");
	expect_error("<html>oops</html>", NULL, NULL);
	expect_error("not anything", NULL, NULL);
	expect_error("[1,2]", NULL, NULL);
	expect_error("", NULL, NULL);
}

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(awsapi_classify(200, NULL, NULL), AWSAPI_OK);
	assert_int_equal(awsapi_classify(400, "Throttling", NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(400, "ThrottlingException", NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(429, NULL, NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(503, NULL, NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(500, "InternalFailure", NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(403, "AccessDenied", NULL), AWSAPI_DENIED);
	assert_int_equal(awsapi_classify(403, "AccessDeniedException", NULL), AWSAPI_DENIED);
	assert_int_equal(awsapi_classify(403, NULL, NULL), AWSAPI_DENIED);
	assert_int_equal(awsapi_classify(403, "SignatureDoesNotMatch", NULL), AWSAPI_AUTH);
	assert_int_equal(awsapi_classify(403, "InvalidClientTokenId", NULL), AWSAPI_AUTH);
	assert_int_equal(awsapi_classify(400, "ExpiredToken", NULL), AWSAPI_EXPIRED);
	assert_int_equal(awsapi_classify(400, "InvalidParameterValue", NULL), AWSAPI_FAIL);
	assert_int_equal(awsapi_classify(404, NULL, NULL), AWSAPI_FAIL);
	assert_int_equal(awsapi_classify(400, "RequestExpired", NULL), AWSAPI_SKEW);
	assert_int_equal(awsapi_classify(403, "RequestTimeTooSkewed", NULL), AWSAPI_SKEW);
	assert_int_equal(awsapi_classify(403, "SignatureDoesNotMatch",
	                                 "Signature expired: 20260101T000000Z is now earlier than "
	                                 "20260101T001500Z"),
	                 AWSAPI_SKEW);
	assert_int_equal(awsapi_classify(403, "SignatureDoesNotMatch",
	                                 "The request signature we "
	                                 "calculated does not match"),
	                 AWSAPI_AUTH);
	/* One table for every service: what SNS taught it holds for RDS too. */
	assert_int_equal(awsapi_classify(403, "InvalidAccessKeyId", NULL), AWSAPI_AUTH);
	assert_int_equal(awsapi_classify(400, "KMSThrottlingException", NULL), AWSAPI_RETRY);
	assert_int_equal(awsapi_classify(404, "NotFound", NULL), AWSAPI_FAIL);
	assert_int_equal(awsapi_code_kind(NULL, NULL), AWSAPI_CODE_OTHER);
	assert_int_equal(awsapi_code_kind("", NULL), AWSAPI_CODE_OTHER);
	assert_int_equal(awsapi_code_kind("ResourceNotFoundException", NULL),
	                 AWSAPI_CODE_NOT_FOUND);
	assert_int_equal(awsapi_code_kind("ValidationError", NULL), AWSAPI_CODE_INVALID);
	assert_int_equal(awsapi_code_kind("TokenRefreshRequired", NULL), AWSAPI_CODE_EXPIRED);
	assert_int_equal(awsapi_code_kind("AuthorizationError", NULL), AWSAPI_CODE_DENIED);
	assert_int_equal(
	        awsapi_code_kind("InvalidSignatureException", "Signature not yet current: x"),
	        AWSAPI_CODE_SKEW);
}

static void
test_snippet(void **state)
{
	char big[200];
	char *s;

	(void)state;
	s = awsapi_snippet("ab\"c\\\n\x01\xff", 8);
	assert_string_equal(s, "\"ab\\\"c\\\\\\x0a\\x01\\xff\"");
	free(s);
	memset(big, 'x', sizeof big);
	s = awsapi_snippet(big, sizeof big);
	assert_int_equal(strlen(s), AWSAPI_SNIPPET + 2 + 3);
	assert_string_equal(s + AWSAPI_SNIPPET + 2, "...");
	free(s);
	s = awsapi_snippet("", 0);
	assert_string_equal(s, "\"\"");
	free(s);
}

static void
test_endpoints(void **state)
{
	struct awsapi *a;
	char *cause = NULL;

	(void)state;
	a = awsapi_new("rds", "eu-west-1", NULL, CONF_CREDS_ENV, "default", &cause);
	assert_non_null(a);
	awsapi_free(a);
	a = awsapi_new("rds", "eu-west-1", "http://127.0.0.1:4566/", CONF_CREDS_ENV, "default",
	               &cause);
	assert_non_null(a);
	awsapi_free(a);
	a = awsapi_new("rds", "eu-west-1", "http://rds.example.com/", CONF_CREDS_ENV, "default",
	               &cause);
	assert_null(a);
	assert_non_null(strstr(cause, "plain http is accepted only for loopback"));
	free(cause);
	cause = NULL;
	a = awsapi_new("rds", "eu-west-1", "ftp://x/", CONF_CREDS_ENV, "default", &cause);
	assert_null(a);
	assert_non_null(strstr(cause, "not an http(s) URL"));
	free(cause);
	cause = NULL;
	a = awsapi_new("rds", "eu-west-1", "https://u@x/", CONF_CREDS_ENV, "default", &cause);
	assert_null(a);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_snippet),
		cmocka_unit_test(test_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
