/*
 * Unit tests for sns: the Publish form (encoding, attributes, FIFO fields),
 * subjects, the size limit and trimming, reading answers, classifying
 * errors, endpoint checks, and failures that need no server.
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
#include "jval.h"
#include "sns.h"
#include "xmalloc.h"

#define ARN      "arn:aws:sns:eu-west-1:123456789012:reports"
#define ARN_ENC  "arn%3Aaws%3Asns%3Aeu-west-1%3A123456789012%3Areports"
#define FIFO_ARN "arn:aws:sns:eu-west-1:123456789012:reports.fifo"

static void
test_form_encoding(void **state)
{
	/* UTF-8, '+', '&', '=', newlines, spaces, '~' and '/' of a report body. */
	const char *body = "{\"a\":\"caf\xc3\xa9 1+1=2 & x/y~\n\"}";
	struct sns_message m = { ARN, body, strlen(body), NULL, NULL, NULL, NULL, NULL };
	struct buf b = BUF_INIT;

	(void)state;
	sns_form(&m, &b);
	assert_string_equal(b.data, "Action=Publish&Version=2010-03-31&TopicArn=" ARN_ENC
	                            "&Message=%7B%22a%22%3A%22caf%C3%A9%201%2B1%3D2%20%26%20x%2Fy~"
	                            "%0A%22%7D");
	buf_free(&b);
}

static void
test_form_attributes(void **state)
{
	struct sns_message m = { ARN,    "{}", 2,        "[cachewarden] warm OK on web-01",
		                 "warm", "",   "web-01", "id-1" };
	struct buf b = BUF_INIT;

	(void)state;
	/* The empty status is left out and the entries are numbered without a gap. */
	sns_form(&m, &b);
	assert_string_equal(b.data,
	                    "Action=Publish&Version=2010-03-31&TopicArn=" ARN_ENC "&Message=%7B%7D"
	                    "&Subject=%5Bcachewarden%5D%20warm%20OK%20on%20web-01"
	                    "&MessageAttributes.entry.1.Name=kind"
	                    "&MessageAttributes.entry.1.Value.DataType=String"
	                    "&MessageAttributes.entry.1.Value.StringValue=warm"
	                    "&MessageAttributes.entry.2.Name=host"
	                    "&MessageAttributes.entry.2.Value.DataType=String"
	                    "&MessageAttributes.entry.2.Value.StringValue=web-01"
	                    "&MessageAttributes.entry.3.Name=report_id"
	                    "&MessageAttributes.entry.3.Value.DataType=String"
	                    "&MessageAttributes.entry.3.Value.StringValue=id-1");
	assert_null(strstr(b.data, "MessageGroupId"));
	buf_free(&b);
}

static void
test_form_fifo(void **state)
{
	struct sns_message m = { FIFO_ARN,         "{}", 2, NULL, "verify", "failed",
		                 "web 01\xc3\xa9", "r-9" };
	struct buf b = BUF_INIT;
	const char *p;

	(void)state;
	sns_form(&m, &b);
	/* Group id: the host with what SNS refuses (space, non-ASCII) as '_'. */
	p = strstr(b.data, "&MessageGroupId=");
	assert_non_null(p);
	assert_string_equal(p, "&MessageGroupId=web_01__&MessageDeduplicationId=r-9");
	buf_free(&b);
}

static void
check_subject(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	sns_subject(&b, in);
	assert_string_equal(b.data != NULL ? b.data : "", want);
	buf_free(&b);
}

static void
test_subject(void **state)
{
	char in[300], want[SNS_SUBJECT_MAX + 1];

	(void)state;
	check_subject("[cachewarden] verify FAILED on web-01: 2 problems in redis-snapshots",
	              "[cachewarden] verify FAILED on web-01: 2 problems in redis-snapshots");
	check_subject("  caf\xc3\xa9 \xe2\x82\xac\tline\nbreak  ", "caf? ? line break");
	check_subject("", "");
	/* Exactly the limit is kept. */
	memset(in, 'a', SNS_SUBJECT_MAX);
	in[SNS_SUBJECT_MAX] = '\0';
	check_subject(in, in);
	/* One more is cut, and says so. */
	memset(in, 'b', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	memset(want, 'b', SNS_SUBJECT_MAX - 3);
	memcpy(want + SNS_SUBJECT_MAX - 3, "...", 4);
	check_subject(in, want);
	/* No blank before the dots. */
	memset(in, 'c', sizeof in - 1);
	in[SNS_SUBJECT_MAX - 4] = ' ';
	in[SNS_SUBJECT_MAX - 5] = ' ';
	memset(want, 'c', SNS_SUBJECT_MAX - 5);
	memcpy(want + SNS_SUBJECT_MAX - 5, "...", 4);
	check_subject(in, want);
}

static void
test_budget(void **state)
{
	struct sns_message m = { ARN, NULL, 0, "subj", "warm", "ok", "h", NULL };

	(void)state;
	/* Attributes count as name + "String" + value; the subject is counted too. */
	assert_int_equal(sns_body_budget(&m),
	                 SNS_MESSAGE_MAX - 4 - (4 + 6 + 4) - (6 + 6 + 2) - (4 + 6 + 1));
}

/* A report: summary fields, then a detail list of n problems with k notes each. */
static char *
make_report(size_t n, size_t k)
{
	struct buf b = BUF_INIT;
	size_t i, j;

	buf_adds(&b, "{\"kind\":\"verify\",\"status\":\"failed\",\"problems_count\":12,"
	             "\"problems\":[");
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s{\"file\":\"/backups/redis/dump-%06zu.rdb\",\"notes\":[",
		           i ? "," : "", i);
		for (j = 0; j < k; j++)
			buf_printf(&b, "%s\"note %zu of %zu: checksum mismatch at offset %zu\"",
			           j ? "," : "", j, i, j * 4096);
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "],\"summary\":\"2 problems\"}");
	return buf_detach(&b);
}

static struct jval *
parse_ok(const struct buf *b)
{
	char *cause = NULL;
	struct jval *v = jval_parse(b->data, b->len, &cause);

	if (v == NULL)
		fail_msg("trimmed output is not JSON: %s", cause);
	return v;
}

static void
test_fit_small(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(sns_fit("{\"a\":1}", 7, 7, &b), 0);
	assert_string_equal(b.data, "{\"a\":1}");
	buf_free(&b);
}

static void
test_fit_trims_lists(void **state)
{
	char *doc = make_report(3000, 3);
	struct buf b = BUF_INIT;
	struct jval *v, *problems;

	(void)state;
	assert_true(strlen(doc) > SNS_MESSAGE_MAX);
	assert_int_equal(sns_fit(doc, strlen(doc), SNS_MESSAGE_MAX, &b), 1);
	assert_true(b.len <= SNS_MESSAGE_MAX);
	assert_true(b.len > SNS_MESSAGE_MAX - 1024); /* not cut more than needed */
	v = parse_ok(&b);
	assert_int_equal(jval_get(v, "truncated")->type, JVAL_TRUE);
	assert_string_equal(jval_get_string(v, "kind"), "verify");
	assert_string_equal(jval_get_string(v, "summary"), "2 problems");
	assert_string_equal(jval_get(v, "problems_count")->str, "12");
	problems = jval_get(v, "problems");
	assert_true(problems->n > 0 && problems->n < 3000);
	/* The first items are the ones kept, whole. */
	assert_string_equal(jval_get_string(problems->items[0], "file"),
	                    "/backups/redis/dump-000000.rdb");
	assert_int_equal(jval_get(problems->items[0], "notes")->n, 3);
	jval_free(v);
	buf_free(&b);
	free(doc);
}

static void
test_fit_nested_lists_cut_alike(void **state)
{
	/* Few problems with very many notes each: every list keeps its first K items. */
	char *doc = make_report(4, 2000);
	struct buf b = BUF_INIT;
	struct jval *v, *problems;
	size_t i, k;

	(void)state;
	sns_fit(doc, strlen(doc), 100000, &b);
	assert_true(b.len <= 100000);
	v = parse_ok(&b);
	problems = jval_get(v, "problems");
	assert_int_equal(problems->n, 4);
	k = jval_get(problems->items[0], "notes")->n;
	assert_true(k > 10 && k < 2000);
	for (i = 1; i < 4; i++)
		assert_int_equal(jval_get(problems->items[i], "notes")->n, k);
	jval_free(v);
	buf_free(&b);
	free(doc);
}

static void
test_fit_long_string(void **state)
{
	struct buf in = BUF_INIT, b = BUF_INIT;
	struct jval *v;
	const char *log;
	size_t i;

	(void)state;
	/* A huge string of 3-byte characters: cut on a character boundary, marked. */
	buf_adds(&in, "{\"status\":\"failed\",\"log\":\"");
	for (i = 0; i < 100000; i++)
		buf_adds(&in, "\xe2\x82\xac");
	buf_adds(&in, "\"}");
	assert_int_equal(sns_fit(in.data, in.len, 50000, &b), 1);
	assert_true(b.len <= 50000);
	assert_null(strstr(b.data, "\\ufffd")); /* no broken UTF-8 */
	v = parse_ok(&b);
	log = jval_get_string(v, "log");
	assert_non_null(log);
	assert_int_equal(strcmp(log + strlen(log) - 3, "..."), 0);
	assert_string_equal(jval_get_string(v, "status"), "failed");
	jval_free(v);
	buf_free(&b);
	buf_free(&in);
}

static void
test_fit_not_json(void **state)
{
	struct buf in = BUF_INIT, b = BUF_INIT;
	struct jval *v;
	size_t i;

	(void)state;
	for (i = 0; i < 5000; i++)
		buf_adds(&in, "not json, ");
	sns_fit(in.data, in.len, 1000, &b);
	assert_true(b.len <= 1000);
	v = parse_ok(&b);
	assert_int_equal(jval_get(v, "truncated")->type, JVAL_TRUE);
	assert_int_equal(strncmp(jval_get_string(v, "report"), "not json, ", 10), 0);
	jval_free(v);
	buf_free(&b);
	/* A top-level array is wrapped the same way. */
	buf_reset(&in);
	buf_addc(&in, '[');
	for (i = 0; i < 1000; i++)
		buf_printf(&in, "%s%zu", i ? "," : "", i);
	buf_addc(&in, ']');
	sns_fit(in.data, in.len, 200, &b);
	assert_true(b.len <= 200);
	v = parse_ok(&b);
	assert_int_equal(jval_get(v, "report")->type, JVAL_ARRAY);
	jval_free(v);
	buf_free(&b);
	buf_free(&in);
}

static void
test_fit_impossible(void **state)
{
	const char *doc = "{\"a_very_long_key_name_that_cannot_be_cut\":1}";
	struct buf b = BUF_INIT;

	(void)state;
	sns_fit(doc, strlen(doc), 30, &b);
	assert_string_equal(b.data, "{\"truncated\":true}");
	buf_free(&b);
}

static void
test_parse_reply(void **state)
{
	const char *ok = "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
	                 "  <PublishResult>\n"
	                 "    <MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>\n"
	                 "  </PublishResult>\n"
	                 "  <ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata>\n"
	                 "</PublishResponse>\n";
	const char *err = "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>"
	                  "<Message>Topic &quot;x&quot; does not exist &amp; never did&#33;\n"
	                  "</Message></Error><RequestId>1</RequestId></ErrorResponse>";
	struct sns_reply r;

	(void)state;
	sns_parse_reply(ok, strlen(ok), &r);
	assert_string_equal(r.message_id, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
	assert_null(r.code);
	assert_null(r.message);
	sns_reply_free(&r);
	sns_parse_reply(err, strlen(err), &r);
	assert_null(r.message_id);
	assert_string_equal(r.code, "NotFound");
	assert_string_equal(r.message, "Topic \"x\" does not exist & never did! ");
	sns_reply_free(&r);
	sns_parse_reply("<html>502 Bad Gateway</html>", 28, &r);
	assert_null(r.message_id);
	assert_null(r.code);
	sns_reply_free(&r);
	sns_parse_reply("<MessageId></MessageId>", 23, &r);
	assert_null(r.message_id);
	sns_reply_free(&r);
	sns_parse_reply("<Code>unterminated", 18, &r);
	assert_null(r.code);
	sns_reply_free(&r);
	/* JSON error bodies: the query protocol's, and a JSON service's __type. */
	{
		const char *j1 = " {\"Error\":{\"Code\":\"InvalidClientTokenId\",\"Message\":"
		                 "\"bad\\ntoken\",\"Type\":\"Sender\"},\"RequestId\":\"x\"}";
		const char *j2 = "{\"__type\":\"com.amazon.coral.service#"
		                 "UnrecognizedClientException\",\"message\":\"nope\"}";

		sns_reply_free(&r);
		sns_parse_reply(j1, strlen(j1), &r);
		assert_string_equal(r.code, "InvalidClientTokenId");
		assert_string_equal(r.message, "bad token");
		assert_null(r.message_id);
		sns_reply_free(&r);
		sns_parse_reply(j2, strlen(j2), &r);
		assert_string_equal(r.code, "UnrecognizedClientException");
		assert_string_equal(r.message, "nope");
		sns_reply_free(&r);
		sns_parse_reply("{not json", 9, &r);
		assert_null(r.code);
	}
	/* Numeric references, hex too; a broken one stays as it is. */
	sns_parse_reply("<Code>a&#x41;&#66;&#;&#x;&#12</Code>", 36, &r);
	assert_string_equal(r.code, "aAB&#;&#x;&#12");
	sns_reply_free(&r);
}

static void
test_classify(void **state)
{
	static const struct {
		long status;
		const char *code, *message;
		enum sns_class want;
	} cases[] = {
		{ 200, NULL, NULL, SNS_OK },
		{ 404, "NotFound", "Topic does not exist", SNS_NOT_FOUND },
		{ 403, "AuthorizationError", "not authorized", SNS_HOLD },
		{ 400, "AccessDenied", NULL, SNS_HOLD },
		{ 400, "KMSAccessDenied", "KMS key access denied", SNS_HOLD },
		{ 400, "InvalidParameter", "Message too long", SNS_PERMANENT },
		{ 400, "InvalidParameterValue", NULL, SNS_PERMANENT },
		{ 413, NULL, NULL, SNS_PERMANENT },
		{ 400, "SomethingNew", NULL, SNS_HOLD },
		{ 403, "InvalidClientTokenId", "The security token is invalid", SNS_CREDENTIALS },
		{ 400, "UnrecognizedClientException", NULL, SNS_CREDENTIALS },
		{ 403, "SignatureDoesNotMatch",
		  "The request signature we calculated does not match", SNS_CREDENTIALS },
		{ 403, "SignatureDoesNotMatch",
		  "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z",
		  SNS_SKEW },
		{ 400, "RequestTimeTooSkewed", NULL, SNS_SKEW },
		{ 403, "RequestExpired", NULL, SNS_SKEW },
		{ 403, "ExpiredToken", "The security token included in the request is expired",
		  SNS_CREDENTIALS },
		{ 400, "ExpiredTokenException", NULL, SNS_CREDENTIALS },
		{ 403, "InvalidAccessKeyId", NULL, SNS_CREDENTIALS },
		{ 403, "IncompleteSignature", NULL, SNS_CREDENTIALS },
		{ 400, "KMSThrottlingException", NULL, SNS_TRANSIENT },
		{ 404, "ResourceNotFoundException", NULL, SNS_NOT_FOUND },
		{ 400, "ValidationError", NULL, SNS_PERMANENT },
		/* A 500 that names throttling, a 400 that does: the code decides. */
		{ 400, "Throttling", NULL, SNS_TRANSIENT },
		{ 503, "SlowDown", NULL, SNS_TRANSIENT },
		{ 400, "Throttling", "Rate exceeded", SNS_TRANSIENT },
		{ 400, "ThrottlingException", NULL, SNS_TRANSIENT },
		{ 500, "InternalError", NULL, SNS_TRANSIENT },
		{ 500, NULL, NULL, SNS_TRANSIENT },
		{ 502, NULL, NULL, SNS_TRANSIENT },
		{ 503, "ServiceUnavailable", NULL, SNS_TRANSIENT },
		{ 429, NULL, NULL, SNS_TRANSIENT },
		{ 408, NULL, NULL, SNS_TRANSIENT },
		{ 404, NULL, NULL, SNS_HOLD },
		{ 302, NULL, NULL, SNS_TRANSIENT },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (sns_classify(cases[i].status, cases[i].code, cases[i].message) != cases[i].want)
			fail_msg("case %zu: HTTP %ld %s", i, cases[i].status,
			         cases[i].code ? cases[i].code : "-");
	}
}

static void
conf_init(struct conf *c, const char *endpoint)
{
	memset(c, 0, sizeof *c);
	c->sns.topic_arn = ARN;
	c->sns.region = "eu-west-1";
	c->sns.endpoint = (char *)endpoint;
	c->sns.credentials = CONF_CREDS_ENV;
	c->sns.profile = "default";
	c->agent.name = "web-01";
}

static void
test_endpoints(void **state)
{
	static const struct {
		const char *url;
		int ok;
	} cases[] = {
		{ NULL, 1 },
		{ "https://sns.eu-west-1.amazonaws.com", 1 },
		{ "https://vpce-1.sns.eu-west-1.vpce.amazonaws.com/", 1 },
		{ "http://127.0.0.1:4566", 1 },
		{ "http://127.1.2.3/", 1 },
		{ "http://localhost:9/", 1 },
		{ "http://[::1]:9/", 1 },
		{ "http://10.0.0.1/", 0 },
		{ "http://127.0.0.1.example.com/", 0 },
		{ "http://127.evil/", 0 },
		{ "https://user@sns.example.com/", 0 },
		{ "https://sns.example.com/?a=b", 0 },
		{ "ftp://sns.example.com/", 0 },
		{ "https://", 0 },
	};
	struct sns_client *cl;
	struct conf c;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		conf_init(&c, cases[i].url);
		cause = NULL;
		cl = sns_client_new(&c, &cause);
		if ((cl != NULL) != cases[i].ok)
			fail_msg("%s: %s", cases[i].url ? cases[i].url : "(default)",
			         cause ? cause : "accepted");
		sns_client_free(cl);
		free(cause);
	}
	/* No topic, no client. */
	conf_init(&c, NULL);
	c.sns.topic_arn = NULL;
	cause = NULL;
	assert_null(sns_client_new(&c, &cause));
	assert_non_null(cause);
	free(cause);
}

static void
check_publish_fails(const char *why_part)
{
	struct sns_message m = { ARN, "{}", 2, NULL, "test", "ok", "web-01", "id-1" };
	struct sns_client *cl;
	enum sns_class cls;
	struct conf c;
	char *cause = NULL, *mid = NULL;

	/* Port 1 on loopback: nothing listens there, the connection is refused at once. */
	conf_init(&c, "http://127.0.0.1:1/");
	cl = sns_client_new(&c, &cause);
	assert_non_null(cl);
	assert_int_equal(sns_publish(cl, &m, &mid, &cls, &cause), -1);
	assert_int_equal(cls, SNS_TRANSIENT);
	assert_null(mid);
	if (strstr(cause, why_part) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, why_part);
	free(cause);
	sns_client_free(cl);
}

static void
test_publish_without_server(void **state)
{
	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	check_publish_fails("no AWS credentials: environment: AWS_ACCESS_KEY_ID is not set");
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	check_publish_fails("POST http://127.0.0.1:1/");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_encoding),
		cmocka_unit_test(test_form_attributes),
		cmocka_unit_test(test_form_fifo),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_fit_small),
		cmocka_unit_test(test_fit_trims_lists),
		cmocka_unit_test(test_fit_nested_lists_cut_alike),
		cmocka_unit_test(test_fit_long_string),
		cmocka_unit_test(test_fit_not_json),
		cmocka_unit_test(test_fit_impossible),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_publish_without_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
