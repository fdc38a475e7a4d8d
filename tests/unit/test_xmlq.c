/*
 * Unit tests for xmlq: AWS Query answers read by path, repeated members,
 * entities and CDATA, and every kind of garbage refused with a cause.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xmlq.h"

static struct xmlq_node *
parse_ok(const char *text)
{
	char *cause = NULL;
	struct xmlq_node *x = xmlq_parse(text, strlen(text), &cause);

	if (x == NULL)
		print_error("parse failed: %s\n", cause);
	assert_non_null(x);
	assert_null(cause);
	return x;
}

static void
parse_bad(const char *text, size_t len, const char *want)
{
	char *cause = NULL;
	struct xmlq_node *x = xmlq_parse(text, len, &cause);

	assert_null(x);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		print_error("cause '%s' lacks '%s'\n", cause, want);
	assert_non_null(strstr(cause, want));
	free(cause);
}

static void
test_query_answer(void **state)
{
	const char *doc =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<DescribeDBSnapshotsResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
	        "  <DescribeDBSnapshotsResult>\n"
	        "    <DBSnapshots>\n"
	        "      <DBSnapshot><DBSnapshotIdentifier>a</DBSnapshotIdentifier>"
	        "<Status>available</Status></DBSnapshot>\n"
	        "      <DBSnapshot><DBSnapshotIdentifier>b</DBSnapshotIdentifier>"
	        "<Status>creating</Status></DBSnapshot>\n"
	        "    </DBSnapshots>\n"
	        "    <Marker>next-page</Marker>\n"
	        "  </DescribeDBSnapshotsResult>\n"
	        "  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>\n"
	        "</DescribeDBSnapshotsResponse>\n";
	struct xmlq_node *x = parse_ok(doc);
	const struct xmlq_node *list;

	(void)state;
	assert_string_equal(x->name, "DescribeDBSnapshotsResponse");
	assert_string_equal(xmlq_text(x, "DescribeDBSnapshotsResult/Marker"), "next-page");
	assert_string_equal(xmlq_text(x, "ResponseMetadata/RequestId"), "r1");
	list = xmlq_path(x, "DescribeDBSnapshotsResult/DBSnapshots");
	assert_non_null(list);
	assert_int_equal(list->n, 2);
	assert_string_equal(xmlq_text(list->kids[0], "DBSnapshotIdentifier"), "a");
	assert_string_equal(xmlq_text(list->kids[1], "Status"), "creating");
	/* The first member for a plain path. */
	assert_string_equal(xmlq_text(list, "DBSnapshot/DBSnapshotIdentifier"), "a");
	assert_null(xmlq_text(x, "DescribeDBSnapshotsResult/Nope"));
	assert_null(xmlq_path(NULL, "a"));
	xmlq_free(x);
}

static void
test_text_decoding(void **state)
{
	struct xmlq_node *x =
	        parse_ok("<a><m>x &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#xe9;&#x1F600;"
	                 "<![CDATA[<raw> & ]]>z</m><e/><f a='1' b=\"2\"></f>"
	                 "<!-- c --><ns:g>p</ns:g></a>");

	(void)state;
	assert_string_equal(xmlq_text(x, "m"), "x <>&\"' AB\xc3\xa9\xf0\x9f\x98\x80<raw> & z");
	assert_string_equal(xmlq_text(x, "e"), "");
	assert_string_equal(xmlq_text(x, "f"), "");
	assert_string_equal(xmlq_text(x, "g"), "p"); /* the prefix is dropped */
	assert_int_equal(x->n, 4);
	xmlq_free(x);
}

static void
test_garbage(void **state)
{
	(void)state;
	parse_bad("", 0, "expected '<' at byte 0");
	parse_bad("{\"json\": true}", 14, "expected '<'");
	parse_bad("<html><body>502 Bad Gateway</body>", 34, "<html> is not closed");
	parse_bad("<a><b></a>", 10, "end tag </a> does not close <b>");
	parse_bad("<a>&bogus;</a>", 14, "unknown entity");
	parse_bad("<a>&#0;</a>", 11, "bad character reference");
	parse_bad("<a>&#x110000;</a>", 17, "bad character reference");
	parse_bad("<a>&#xd800;</a>", 15, "bad character reference");
	parse_bad("<a>&#12</a>", 11, "bad character reference");
	parse_bad("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", 40, "document type");
	parse_bad("<a></a><b></b>", 14, "content after the root element");
	parse_bad("<a x=1></a>", 11, "quoted attribute value");
	parse_bad("<a x='1></a>", 12, "unterminated attribute value");
	parse_bad("<a><!-- </a>", 12, "unterminated comment");
	parse_bad("<a><![CDATA[ </a>", 17, "unterminated CDATA");
	parse_bad("<a>\0</a>", 8, "NUL byte");
	parse_bad("< a></a>", 8, "expected a name");
}

static void
test_depth(void **state)
{
	char deep[2 * (XMLQ_MAX_DEPTH + 2) * 4];
	size_t i, n = 0;
	struct xmlq_node *x;
	char *cause = NULL;

	(void)state;
	for (i = 0; i < XMLQ_MAX_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
	for (i = 0; i < XMLQ_MAX_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "</a>");
	x = xmlq_parse(deep, n, &cause);
	assert_non_null(x); /* the limit itself is fine */
	xmlq_free(x);
	n = 0;
	for (i = 0; i <= XMLQ_MAX_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof deep - n, "<a>");
	parse_bad(deep, n, "nested deeper than");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_answer),
		cmocka_unit_test(test_text_decoding),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
