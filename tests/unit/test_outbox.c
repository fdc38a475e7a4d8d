/*
 * Unit tests for outbox: the record format and its damage, ids, backoff,
 * and the spool itself in a temporary directory with a fake deliver
 * function: delivery, dead letters, quarantine, skipping a record that
 * keeps failing, stopping when the receiver is down, the size bound, locks.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "outbox.h"
#include "xmalloc.h"

static void
record_init(struct outbox_record *r, const char *id, const char *body)
{
	r->id = (char *)id;
	r->kind = "verify";
	r->status = "failed";
	r->host = "web-01";
	r->subject = "[cachewarden] verify FAILED on web-01: 2 problems";
	r->created_ms = 1714564800123;
	r->body = (char *)body;
	r->body_len = strlen(body);
}

static void
test_round_trip(void **state)
{
	struct outbox_record in, out;
	struct buf b = BUF_INIT;
	char *cause = NULL;

	(void)state;
	record_init(&in, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "{\"caf\xc3\xa9\":[1,2]}");
	outbox_encode(&in, &b);
	assert_memory_equal(b.data, "CWOB\x01", 5);
	assert_int_equal(outbox_decode(b.data, b.len, &out, &cause), 0);
	assert_string_equal(out.id, in.id);
	assert_string_equal(out.kind, "verify");
	assert_string_equal(out.status, "failed");
	assert_string_equal(out.host, "web-01");
	assert_string_equal(out.subject, in.subject);
	assert_int_equal(out.created_ms, in.created_ms);
	assert_int_equal(out.body_len, in.body_len);
	assert_string_equal(out.body, in.body);
	outbox_record_free(&out);
	buf_free(&b);
}

static void
check_damage(const char *data, size_t len, const char *want)
{
	struct outbox_record r;
	char *cause = NULL;

	assert_int_equal(outbox_decode(data, len, &r, &cause), -1);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void
test_damage(void **state)
{
	struct outbox_record in;
	struct buf b = BUF_INIT;
	char *copy;

	(void)state;
	record_init(&in, "id-1", "{\"a\":1}");
	outbox_encode(&in, &b);
	copy = xmalloc(b.len + 1);
	/* One flipped bit anywhere but the CRC itself is caught. */
	memcpy(copy, b.data, b.len);
	copy[b.len - 2] ^= 0x01;
	check_damage(copy, b.len, "CRC32 mismatch");
	memcpy(copy, b.data, b.len);
	copy[20] ^= 0x40; /* the creation time */
	check_damage(copy, b.len, "CRC32 mismatch");
	check_damage(b.data, b.len - 1, "truncated");
	check_damage(b.data, 10, "no CWOB header");
	check_damage("", 0, "no CWOB header");
	memcpy(copy, b.data, b.len);
	copy[b.len] = 'x';
	check_damage(copy, b.len + 1, "trailing bytes");
	memcpy(copy, b.data, b.len);
	copy[4] = 2;
	check_damage(copy, b.len, "record version 2");
	memcpy(copy, b.data, b.len);
	memcpy(copy, "XXXX", 4);
	check_damage(copy, b.len, "no CWOB header");
	free(copy);
	buf_free(&b);
}

static void
test_ids(void **state)
{
	char a[OUTBOX_ID_LEN + 1], b[OUTBOX_ID_LEN + 1];
	struct timespec ms = { 0, 2000000 };
	size_t i;

	(void)state;
	outbox_new_id(a);
	assert_int_equal(strlen(a), OUTBOX_ID_LEN);
	for (i = 0; i < OUTBOX_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '7');           /* version 7 */
	assert_non_null(strchr("89ab", a[19])); /* RFC 9562 variant */
	nanosleep(&ms, NULL);
	outbox_new_id(b);
	assert_true(strcmp(a, b) < 0); /* later ids sort after */
}

/* ---- the spool ---------------------------------------------------------- */

struct fake {
	const char *
	        script; /* one verdict per call: 'D'elivered, 'R'etry, 'H'old, 'X' dead; then 'D' */
	size_t calls;
	char seen[64][40];
};

static enum outbox_verdict
fake_deliver(void *arg, const struct outbox_record *r, char **detail)
{
	struct fake *f = arg;
	char c = f->calls < strlen(f->script) ? f->script[f->calls] : 'D';

	snprintf(f->seen[f->calls % 64], sizeof f->seen[0], "%s", r->id);
	f->calls++;
	if (c == 'R') {
		*detail = xstrdup("connection refused");
		return OUTBOX_RETRY;
	}
	if (c == 'X') {
		*detail = xstrdup("SNS answered HTTP 404 NotFound: Topic does not exist");
		return OUTBOX_DEAD;
	}
	if (c == 'H') {
		*detail = xstrdup("SNS answered HTTP 403 InvalidClientTokenId: invalid token");
		return OUTBOX_HOLD;
	}
	return OUTBOX_DELIVERED;
}

static char *
make_spool(void)
{
	char *dir = xstrdup("/tmp/test_outbox.XXXXXX");

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

static int
exists(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rv = access(path, F_OK) == 0;

	free(path);
	return rv;
}

static void
push(struct outbox *ob, const char *id, const char *body)
{
	struct outbox_record r;
	char *cause = NULL;

	record_init(&r, id, body);
	if (outbox_push(ob, &r, &cause) != 0)
		fail_msg("push %s: %s", id, cause);
}

static size_t
count_state(struct outbox *ob, enum outbox_state state)
{
	struct outbox_entry *e;
	char *cause = NULL;
	size_t n, i, c = 0;

	assert_int_equal(outbox_list(ob, &e, &n, &cause), 0);
	for (i = 0; i < n; i++)
		c += e[i].state == state;
	outbox_entries_free(e, n);
	return c;
}

static void
test_open_modes(void **state)
{
	char *dir = make_spool(), *spool = xasprintf("%s/spool", dir), *cause = NULL;
	struct outbox *ob;
	struct stat st;

	(void)state;
	ob = outbox_open(spool, 1 << 20, &cause);
	assert_non_null(ob);
	assert_int_equal(stat(spool, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_true(exists(spool, "dead") && exists(spool, "quarantine"));
	outbox_close(ob);
	/* A looser mode is tightened. */
	chmod(spool, 0755);
	ob = outbox_open(spool, 1 << 20, &cause);
	assert_non_null(ob);
	assert_int_equal(stat(spool, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	outbox_close(ob);
	/* A missing parent is an error with a cause, not a crash. */
	assert_null(outbox_open("/nonexistent/dir/spool", 1 << 20, &cause));
	assert_non_null(strstr(cause, "cannot create /nonexistent/dir/spool"));
	free(cause);
	rm_rf(dir);
	free(spool);
	free(dir);
}

static void
test_push_and_deliver(void **state)
{
	char *dir = make_spool(), *cause = NULL;
	struct outbox_flush_stats st;
	struct fake f = { "", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);

	(void)state;
	push(ob, "id-3", "{\"n\":3}");
	push(ob, "id-1", "{\"n\":1}");
	push(ob, "id-2", "{\"n\":2}");
	assert_true(exists(dir, "id-1.rec"));
	assert_int_equal(count_state(ob, OUTBOX_IS_PENDING), 3);
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.delivered, 3);
	assert_int_equal(st.pending, 0);
	/* Oldest (lowest id) first. */
	assert_string_equal(f.seen[0], "id-1");
	assert_string_equal(f.seen[1], "id-2");
	assert_string_equal(f.seen[2], "id-3");
	assert_false(exists(dir, "id-1.rec") || exists(dir, "id-2.rec") || exists(dir, "id-3.rec"));
	/* No temporary file is left behind. */
	assert_false(exists(dir, ".id-1.rec.tmp"));
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

static void
test_dead_letter(void **state)
{
	char *dir = make_spool(), *cause = NULL, *sub = xasprintf("%s/dead", dir);
	struct outbox_flush_stats st;
	struct fake f = { "XD", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);
	struct outbox_entry *e;
	size_t n;

	(void)state;
	push(ob, "id-1", "{}");
	push(ob, "id-2", "{}");
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.dead, 1);
	assert_int_equal(st.delivered, 1);
	assert_true(exists(sub, "id-1.rec") && exists(sub, "id-1.rec.cause"));
	assert_false(exists(dir, "id-1.rec"));
	assert_int_equal(outbox_list(ob, &e, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].state, OUTBOX_IS_DEAD);
	assert_true(e[0].valid);
	assert_string_equal(e[0].rec.id, "id-1");
	assert_non_null(strstr(e[0].why, "NotFound: Topic does not exist"));
	outbox_entries_free(e, n);
	outbox_close(ob);
	rm_rf(dir);
	free(sub);
	free(dir);
}

static void
write_raw(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
	free(path);
}

static void
test_quarantine(void **state)
{
	char *dir = make_spool(), *cause = NULL, *sub = xasprintf("%s/quarantine", dir);
	struct outbox_flush_stats st;
	struct fake f = { "", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);
	struct outbox_record r;
	struct buf b = BUF_INIT;
	struct outbox_entry *e;
	size_t n;

	(void)state;
	push(ob, "id-1", "{}");
	push(ob, "id-4", "{}");
	/* id-2: cut short by a crash of a non-atomic writer; id-3: a flipped bit. */
	record_init(&r, "id-2", "{\"long\":\"enough\"}");
	outbox_encode(&r, &b);
	write_raw(dir, "id-2.rec", b.data, b.len - 5);
	b.data[b.len - 3] ^= 0x20;
	write_raw(dir, "id-3.rec", b.data, b.len);
	buf_free(&b);
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.quarantined, 2);
	assert_int_equal(st.delivered, 2); /* the queue went on past them */
	assert_true(exists(sub, "id-2.rec") && exists(sub, "id-2.rec.cause"));
	assert_true(exists(sub, "id-3.rec") && exists(sub, "id-3.rec.cause"));
	assert_int_equal(outbox_list(ob, &e, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].state, OUTBOX_IS_QUARANTINED);
	assert_false(e[0].valid);
	assert_non_null(strstr(e[0].why, "truncated"));
	assert_non_null(strstr(e[1].why, "CRC32 mismatch"));
	outbox_entries_free(e, n);
	outbox_close(ob);
	rm_rf(dir);
	free(sub);
	free(dir);
}

static void
test_retry_never_wedges(void **state)
{
	char *dir = make_spool(), *cause = NULL;
	struct outbox_flush_stats st;
	struct fake f = { "RDRD", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);

	(void)state;
	push(ob, "id-1", "{}");
	push(ob, "id-2", "{}");
	push(ob, "id-3", "{}");
	push(ob, "id-4", "{}");
	/* A record that fails alone is skipped; the ones after it go. */
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.pending, 2);
	assert_string_equal(st.last_error, "connection refused");
	free(st.last_error);
	assert_true(exists(dir, "id-1.rec") && exists(dir, "id-3.rec"));
	assert_false(exists(dir, "id-2.rec") || exists(dir, "id-4.rec"));
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

static void
test_receiver_down_stops_pass(void **state)
{
	char *dir = make_spool(), *cause = NULL;
	struct outbox_flush_stats st;
	struct fake f = { "RRRRRR", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);
	char id[16];
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		push(ob, id, "{}");
	}
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(f.calls, 2); /* two failures in a row: down, stop */
	assert_int_equal(st.pending, 6);
	free(st.last_error);
	/* A deadline already past tries nothing. */
	f.calls = 0;
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, outbox_now_ms() - 1, &st, &cause), 0);
	assert_int_equal(f.calls, 0);
	assert_int_equal(st.pending, 6);
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

static void
test_busy(void **state)
{
	char *dir = make_spool(), *cause = NULL, *lock = xasprintf("%s/.deliver.lock", dir);
	struct outbox_flush_stats st;
	struct fake f = { "", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);
	int fd;

	(void)state;
	push(ob, "id-1", "{}");
	/* Another open file description holds the lock, as another process would. */
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_true(st.busy);
	assert_int_equal(f.calls, 0);
	close(fd);
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_false(st.busy);
	assert_int_equal(st.delivered, 1);
	outbox_close(ob);
	rm_rf(dir);
	free(lock);
	free(dir);
}

static void
test_bound(void **state)
{
	char *dir = make_spool(), *cause = NULL, body[1001], id[16];
	struct outbox_flush_stats st;
	struct fake f = { "X", 0, { { 0 } } };
	struct outbox *ob;
	int i;

	(void)state;
	memset(body, 'x', 1000);
	body[1000] = '\0';
	/* Records are ~1100 bytes; the bound holds four of them. */
	ob = outbox_open(dir, 4500, &cause);
	push(ob, "id-00", body);
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.dead, 1);
	for (i = 1; i <= 4; i++) {
		snprintf(id, sizeof id, "id-%02d", i);
		push(ob, id, body);
	}
	/* The dead record went first, no pending one was dropped. */
	assert_int_equal(count_state(ob, OUTBOX_IS_DEAD), 0);
	assert_int_equal(count_state(ob, OUTBOX_IS_PENDING), 4);
	assert_int_equal(outbox_dropped(ob), 0);
	/* Then the oldest pending ones go, counted. */
	push(ob, "id-05", body);
	push(ob, "id-06", body);
	assert_int_equal(count_state(ob, OUTBOX_IS_PENDING), 4);
	assert_int_equal(outbox_dropped(ob), 2);
	assert_false(exists(dir, "id-01.rec") || exists(dir, "id-02.rec"));
	assert_true(exists(dir, "id-03.rec") && exists(dir, "id-06.rec"));
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

static void
test_bad_ids_and_stale_temps(void **state)
{
	char *dir = make_spool(), *cause = NULL, *old = xasprintf("%s/.id-9.rec.Ab3xYz", dir);
	char *live = xasprintf("%s/.id-7.rec.Qw12Er", dir);
	struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct outbox_record r;
	struct outbox *ob;
	int fd;

	(void)state;
	/* The names fileio_replace really gives its temporary files. */
	write_raw(dir, ".id-9.rec.Ab3xYz", "x", 1);
	write_raw(dir, ".id-8.rec.aB9zQ1", "x", 1);
	write_raw(dir, ".id-7.rec.Qw12Er", "x", 1);
	write_raw(dir, ".spool.lock", "", 0);
	assert_int_equal(utimensat(AT_FDCWD, old, times, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, live, times, 0), 0);
	/* A writer still at work holds its file's lock. */
	fd = open(live, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	ob = outbox_open(dir, 1 << 20, &cause);
	/* A writer that died left one; a fresh one or a locked one is a live writer's. */
	assert_false(exists(dir, ".id-9.rec.Ab3xYz"));
	assert_true(exists(dir, ".id-8.rec.aB9zQ1"));
	assert_true(exists(dir, ".id-7.rec.Qw12Er"));
	assert_true(exists(dir, ".spool.lock"));
	close(fd);
	record_init(&r, "../escape", "{}");
	assert_int_equal(outbox_push(ob, &r, &cause), -1);
	assert_non_null(strstr(cause, "cannot name a spool file"));
	free(cause);
	outbox_close(ob);
	rm_rf(dir);
	free(old);
	free(live);
	free(dir);
}

/* Orphaned temporary files count toward the bound until they are removed. */
static void
test_temps_count_toward_bound(void **state)
{
	char *dir = make_spool(), *cause = NULL, body[1001], orphan[3000];
	struct outbox *ob;

	(void)state;
	memset(body, 'x', 1000);
	body[1000] = '\0';
	memset(orphan, 'o', sizeof orphan);
	ob = outbox_open(dir, 4500, &cause);
	assert_non_null(ob);
	/* Left after outbox_open ran: a crash of another writer in between. */
	write_raw(dir, ".id-00.rec.Zz9Yy8", orphan, sizeof orphan);
	push(ob, "id-01", body);
	push(ob, "id-02", body);
	/* 3000 + 2 x ~1100 > 4500: the older record went. */
	assert_int_equal(count_state(ob, OUTBOX_IS_PENDING), 1);
	assert_int_equal(outbox_dropped(ob), 1);
	assert_true(exists(dir, "id-02.rec"));
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

/* A hold keeps the record pending, and two in a row end the pass. */
static void
test_hold(void **state)
{
	char *dir = make_spool(), *cause = NULL;
	struct outbox_flush_stats st;
	struct fake f = { "HHD", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);

	(void)state;
	push(ob, "id-1", "{}");
	push(ob, "id-2", "{}");
	push(ob, "id-3", "{}");
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.held, 2);
	assert_int_equal(st.dead, 0);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.pending, 3);
	assert_int_equal(f.calls, 2);
	assert_non_null(strstr(st.last_hold, "InvalidClientTokenId"));
	free(st.last_hold);
	free(st.last_error);
	assert_int_equal(count_state(ob, OUTBOX_IS_DEAD), 0);
	assert_true(exists(dir, "id-1.rec") && exists(dir, "id-2.rec"));
	outbox_close(ob);
	rm_rf(dir);
	free(dir);
}

static void
test_requeue(void **state)
{
	char *dir = make_spool(), *cause = NULL, *sub = xasprintf("%s/dead", dir);
	char *one[] = { "id-2.rec" }, *missing[] = { "id-9" }, *bad[] = { "../x" };
	struct outbox_flush_stats st;
	struct fake f = { "XXX", 0, { { 0 } } };
	struct outbox *ob = outbox_open(dir, 1 << 20, &cause);
	unsigned moved;

	(void)state;
	push(ob, "id-1", "{}");
	push(ob, "id-2", "{}");
	push(ob, "id-3", "{}");
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.dead, 3);
	/* One by its file name. */
	assert_int_equal(outbox_requeue(ob, one, 1, &moved, &cause), 0);
	assert_int_equal(moved, 1);
	assert_true(exists(dir, "id-2.rec"));
	assert_false(exists(sub, "id-2.rec") || exists(sub, "id-2.rec.cause"));
	/* An id that is not dead, and one that is not an id. */
	assert_int_equal(outbox_requeue(ob, missing, 1, &moved, &cause), -1);
	assert_non_null(strstr(cause, "id-9"));
	free(cause);
	assert_int_equal(outbox_requeue(ob, bad, 1, &moved, &cause), -1);
	assert_non_null(strstr(cause, "not a report id"));
	free(cause);
	/* All the rest. */
	assert_int_equal(outbox_requeue(ob, NULL, 0, &moved, &cause), 0);
	assert_int_equal(moved, 2);
	assert_int_equal(count_state(ob, OUTBOX_IS_DEAD), 0);
	assert_int_equal(count_state(ob, OUTBOX_IS_PENDING), 3);
	/* And they are delivered like any pending record. */
	assert_int_equal(outbox_flush(ob, fake_deliver, &f, 0, &st, &cause), 0);
	assert_int_equal(st.delivered, 3);
	outbox_close(ob);
	rm_rf(dir);
	free(sub);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_open_modes),
		cmocka_unit_test(test_push_and_deliver),
		cmocka_unit_test(test_dead_letter),
		cmocka_unit_test(test_quarantine),
		cmocka_unit_test(test_retry_never_wedges),
		cmocka_unit_test(test_receiver_down_stops_pass),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_bad_ids_and_stale_temps),
		cmocka_unit_test(test_temps_count_toward_bound),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_requeue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
