/* Unit tests for restore (markers, the judgement, the state file) and the INFO parser. */
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

#include "redisconn.h"
#include "restore.h"

static struct restore_marker
marker(const char *at, const char *run_id)
{
	struct restore_marker m;

	memset(&m, 0, sizeof m);
	m.present = 1;
	snprintf(m.finished_at, sizeof m.finished_at, "%s", at);
	snprintf(m.run_id, sizeof m.run_id, "%s", run_id);
	snprintf(m.host, sizeof m.host, "web-01");
	m.rows = 42;
	return m;
}

static void
test_judge_table(void **state)
{
	static const struct {
		int seen, now;
		const char *seen_at, *seen_id, *now_at, *now_id;
		enum restore_event want;
	} cases[] = {
		{ 0, 0, "", "", "", "", RESTORE_LOST },
		{ 1, 0, "2026-11-01T00:00:00Z", "a", "", "", RESTORE_LOST },
		{ 0, 1, "", "", "2026-11-01T00:00:00Z", "a", RESTORE_FIRST },
		{ 1, 1, "2026-11-01T00:00:00Z", "a", "2026-11-01T00:00:00Z", "a", RESTORE_SAME },
		{ 1, 1, "2026-11-01T00:00:00Z", "a", "2026-11-02T00:00:00Z", "b", RESTORE_NEWER },
		{ 1, 1, "2026-11-02T00:00:00Z", "b", "2026-11-01T00:00:00Z", "a",
		  RESTORE_ROLLBACK },
		/* Two runs in one second: not provably older, so remembered, not rebuilt. */
		{ 1, 1, "2026-11-01T00:00:00Z", "a", "2026-11-01T00:00:00Z", "b", RESTORE_NEWER },
		/* Across a year and a month: RFC 3339 UTC compares as text. */
		{ 1, 1, "2027-01-01T00:00:00Z", "b", "2026-12-31T23:59:59Z", "a",
		  RESTORE_ROLLBACK },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct restore_marker seen = marker(cases[i].seen_at, cases[i].seen_id);
		struct restore_marker now = marker(cases[i].now_at, cases[i].now_id);

		seen.present = cases[i].seen;
		now.present = cases[i].now;
		assert_int_equal(restore_judge(&seen, &now), cases[i].want);
	}
	assert_string_equal(restore_event_name(RESTORE_ROLLBACK), "rollback");
	assert_string_equal(restore_event_name(RESTORE_LOST), "lost");
}

static void
test_marker_round_trip(void **state)
{
	struct restore_marker m = marker("2026-11-30T04:00:00Z", "0123456789abcdef"), back;
	char *text = restore_marker_format(&m), *cause = NULL, *key;

	(void)state;
	assert_int_equal(restore_marker_parse(text, strlen(text), &back, &cause), 0);
	assert_true(back.present);
	assert_string_equal(back.finished_at, m.finished_at);
	assert_string_equal(back.run_id, m.run_id);
	assert_string_equal(back.host, "web-01");
	assert_int_equal(back.rows, 42);
	free(text);
	key = restore_marker_key("products");
	assert_string_equal(key, "cachewarden:generation:products");
	free(key);
}

static void
test_marker_rejects(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"finished_at\":\"x\"}",
		"{\"host\":1,\"run_id\":\"a\"}",
		"{\"finished_at\":\"2026-11-30T04:00:00Z\",\"host\":\"h\"}",
	};
	struct restore_marker m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *cause = NULL;

		assert_int_equal(restore_marker_parse(bad[i], strlen(bad[i]), &m, &cause), -1);
		assert_non_null(cause);
		assert_false(m.present);
		free(cause);
	}
}

static void
test_state_round_trip(void **state)
{
	char dir[] = "/tmp/cw-test-restore-XXXXXX", *cause = NULL, path[64];
	struct restore_state st, back;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* No file: an empty state. */
	assert_int_equal(restore_state_load(dir, &st, &cause), 0);
	assert_int_equal(st.n, 0);
	snprintf(st.redis_run_id, sizeof st.redis_run_id, "abc123");
	*restore_state_seen(&st, "products") = marker("2026-11-30T04:00:00Z", "r1");
	*restore_state_seen(&st, "name with \"quotes\" and spaces") =
	        marker("2026-11-29T04:00:00Z", "r2");
	assert_int_equal(restore_state_save(dir, &st, &cause), 0);
	assert_int_equal(restore_state_load(dir, &back, &cause), 0);
	assert_string_equal(back.redis_run_id, "abc123");
	assert_int_equal(back.n, 2);
	assert_string_equal(restore_state_seen(&back, "products")->run_id, "r1");
	assert_string_equal(
	        restore_state_seen(&back, "name with \"quotes\" and spaces")->finished_at,
	        "2026-11-29T04:00:00Z");
	restore_state_free(&st);
	restore_state_free(&back);
	/* A damaged file is an error with a cause, not a crash. */
	snprintf(path, sizeof path, "%s/restore.state", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{\"datasets\":{\"p\":{\"finished_at\":3}}}", f);
	fclose(f);
	assert_int_equal(restore_state_load(dir, &back, &cause), -1);
	assert_non_null(strstr(cause, "restore.state"));
	free(cause);
	unlink(path);
	rmdir(dir);
}

static void
test_info_parse(void **state)
{
	static const char info[] = "# Server\r\nredis_version:7.0.15\r\n"
	                           "run_id:8f6e1c0aa2c3b1d7e2f0a9b8c7d6e5f4a3b2c1d0\r\n"
	                           "# Clients\r\nconnected_clients:12\r\n"
	                           "# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n"
	                           "# Persistence\r\nloading:1\r\n"
	                           "# Stats\r\nkeyspace_hits:900\r\nkeyspace_misses:100\r\n"
	                           "evicted_keys:7\r\nnot_a_field\r\n";
	struct redis_info ri;

	(void)state;
	redisconn_parse_info(info, sizeof info - 1, &ri);
	assert_string_equal(ri.run_id, "8f6e1c0aa2c3b1d7e2f0a9b8c7d6e5f4a3b2c1d0");
	assert_int_equal(ri.loading, 1);
	assert_int_equal(ri.connected_clients, 12);
	assert_int_equal(ri.used_memory, 1048576);
	assert_int_equal(ri.maxmemory, 0);
	assert_int_equal(ri.keyspace_hits, 900);
	assert_int_equal(ri.keyspace_misses, 100);
	assert_int_equal(ri.evicted_keys, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_table),    cmocka_unit_test(test_marker_round_trip),
		cmocka_unit_test(test_marker_rejects), cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_info_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
