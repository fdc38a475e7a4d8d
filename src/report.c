/* report: spooling and delivering reports, and their commands (see report.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clocks.h"
#include "crypto.h"
#include "exitcode.h"
#include "json.h"
#include "jval.h"
#include "log.h"
#include "outbox.h"
#include "report.h"
#include "sns.h"
#include "xmalloc.h"

/* Backoff between delivery passes: full jitter under base * 2^n, capped. */
#define REPORT_BACKOFF_BASE_MS 1000
#define REPORT_BACKOFF_CAP_MS  300000
/* Within one bounded wait, retries come sooner. */
#define REPORT_WAIT_CAP_MS 10000
/* While another process delivers, look again this often. */
#define REPORT_BUSY_POLL_MS 250
/* A report that only goes to the log is cut to this. */
#define REPORT_LOG_MAX 65536
/* `report test` and `spool flush` wait this long by default. */
#define REPORT_CMD_WAIT_MS 10000
/* Reports held by a setup error (credentials, access) are logged at most this often. */
#define REPORT_HOLD_LOG_S 3600
/* Hidden, so that spool listings never see it; its mtime is the last such log line. */
#define REPORT_HOLD_STAMP ".held-logged"

/* One delivery session: the client, the spool, and the record a command watches. */
struct report_session {
	const struct conf *conf;
	struct sns_client *sns;
	struct outbox *ob;
	const char *watch_id;
	char *watch_message_id;
	char *watch_dead; /* why SNS refused the watched record */
	char *last_error; /* the last transient cause */
	char *last_hold;  /* the last cause that keeps reports pending until the setup is fixed */
};

static uint64_t
report_spool_bytes(const struct conf *conf)
{
	return (uint64_t)conf->sns.spool_max_mb * 1024 * 1024;
}

static int
report_session_open(struct report_session *s, const struct conf *conf, char **cause)
{
	memset(s, 0, sizeof *s);
	s->conf = conf;
	if ((s->sns = sns_client_new(conf, cause)) == NULL)
		return -1;
	if ((s->ob = outbox_open(conf->sns.spool_dir, report_spool_bytes(conf), cause)) == NULL) {
		sns_client_free(s->sns);
		return -1;
	}
	return 0;
}

static void
report_session_close(struct report_session *s)
{
	sns_client_free(s->sns);
	outbox_close(s->ob);
	free(s->watch_message_id);
	free(s->watch_dead);
	free(s->last_error);
	free(s->last_hold);
}

/* How long ago r was created, by the wall clock (never negative). */
static long long
report_age_s(const struct outbox_record *r)
{
	struct timespec ts;
	int64_t now_ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now_ms > r->created_ms ? (long long)((now_ms - r->created_ms) / 1000) : 0;
}

/* *text becomes "PREFIX: *text". */
static void __attribute__((format(printf, 2, 3))) report_prefix(char **text, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_printf(&b, ": %s", *text != NULL ? *text : "");
	free(*text);
	*text = buf_detach(&b);
}

static enum outbox_verdict
report_deliver(void *arg, const struct outbox_record *r, char **detail)
{
	struct report_session *s = arg;
	struct sns_message m = { .topic_arn = s->conf->sns.topic_arn,
		                 .body = r->body,
		                 .body_len = r->body_len,
		                 .subject = r->subject,
		                 .kind = r->kind,
		                 .status = r->status,
		                 .host = r->host,
		                 .report_id = r->id };
	int watched = s->watch_id != NULL && strcmp(r->id, s->watch_id) == 0;
	enum sns_class cls;
	char *mid;

	if (sns_publish(s->sns, &m, &mid, &cls, detail) == 0) {
		log_info("report %s (%s %s) delivered: MessageId %s", r->id, r->kind, r->status,
		         mid);
		if (watched)
			s->watch_message_id = mid;
		else
			free(mid);
		return OUTBOX_DELIVERED;
	}
	if (cls == SNS_NOT_FOUND && report_age_s(r) < s->conf->sns.not_found_grace) {
		/* A topic still being created, or a region being fixed: not dead yet. */
		cls = SNS_HOLD;
	} else if (cls == SNS_NOT_FOUND) {
		report_prefix(detail, "the topic was still not found after the grace of %llds",
		              s->conf->sns.not_found_grace);
		cls = SNS_PERMANENT;
	}
	if (cls == SNS_PERMANENT) {
		if (watched)
			s->watch_dead = xstrdup(*detail);
		return OUTBOX_DEAD;
	}
	return cls == SNS_HOLD ? OUTBOX_HOLD : OUTBOX_RETRY;
}

static void
report_add(struct report_flush_result *res, const struct outbox_flush_stats *st)
{
	res->delivered += st->delivered;
	res->dead += st->dead;
	res->quarantined += st->quarantined;
	res->failed += st->failed;
	res->pending = st->pending;
	res->busy = st->busy;
}

/*
 * Held reports wait for an operator: say so at error level once per
 * REPORT_HOLD_LOG_S across every process sharing the spool (the stamp's
 * mtime), at debug level otherwise.
 */
static void
report_log_held(struct report_session *s, unsigned held)
{
	char *path = xasprintf("%s/%s", outbox_dir(s->ob), REPORT_HOLD_STAMP);
	time_t now = time(NULL);
	struct stat st;
	int fd, due;

	due = stat(path, &st) != 0 || now - st.st_mtime >= REPORT_HOLD_LOG_S ||
	      st.st_mtime > now + REPORT_HOLD_LOG_S; /* a clock stepped back */
	if (due && (fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
		(void)futimens(fd, NULL);
		close(fd);
	}
	if (due)
		log_error(
		        "%u report%s held in %s until the setup is fixed (logged once an hour): %s",
		        held, held == 1 ? "" : "s", outbox_dir(s->ob), s->last_hold);
	else
		log_debug("%u report%s held in %s: %s", held, held == 1 ? "" : "s",
		          outbox_dir(s->ob), s->last_hold);
	free(path);
}

/*
 * Every delivery in this process, whichever thread or call made it: the
 * agent's metrics count reports its warm and verify jobs delivered inline
 * as well as those its delivery job did.
 */
static atomic_ullong report_delivered_total, report_failed_total;

void
report_totals(unsigned long long *delivered, unsigned long long *failed)
{
	*delivered = atomic_load(&report_delivered_total);
	*failed = atomic_load(&report_failed_total);
}

/* Passes over the spool until it is empty, or nothing more can be done before the deadline. */
static int
report_pump(struct report_session *s, int wait_ms, struct report_flush_result *res, char **cause)
{
	int64_t deadline = outbox_now_ms() + (wait_ms > 0 ? wait_ms : 0), delay;
	struct outbox_flush_stats st;
	unsigned attempt = 0, held = 0;

	memset(res, 0, sizeof *res);
	for (;;) {
		if (outbox_flush(s->ob, report_deliver, s, wait_ms > 0 ? deadline : 0, &st,
		                 cause) != 0)
			return -1;
		report_add(res, &st);
		atomic_fetch_add(&report_delivered_total, st.delivered);
		atomic_fetch_add(&report_failed_total, st.failed);
		held = st.held;
		if (st.last_error != NULL) {
			free(s->last_error);
			s->last_error = st.last_error;
		}
		if (st.last_hold != NULL) {
			free(s->last_hold);
			s->last_hold = st.last_hold;
		}
		/* Held reports alone do not retry soon: the fix takes an operator. */
		if (st.busy)
			delay = REPORT_BUSY_POLL_MS;
		else if (st.failed > 0 && st.pending > 0)
			delay = clocks_backoff_ms(attempt++, REPORT_BACKOFF_BASE_MS,
			                          REPORT_WAIT_CAP_MS, crypto_random_u32());
		else
			break;
		if (outbox_now_ms() + delay >= deadline)
			break;
		clocks_sleep((double)delay / 1000);
	}
	res->held = held;
	if (held > 0 && s->last_hold != NULL)
		report_log_held(s, held);
	if (res->pending > held && !res->busy)
		log_warn("%u report%s not delivered yet, kept in %s: %s", res->pending - held,
		         res->pending - held == 1 ? "" : "s", outbox_dir(s->ob),
		         s->last_error != NULL ? s->last_error : "out of time");
	return 0;
}

int
report_flush(const struct conf *conf, int wait_ms, struct report_flush_result *res, char **cause)
{
	struct report_session s;
	int rv;

	memset(res, 0, sizeof *res);
	if (report_session_open(&s, conf, cause) != 0)
		return -1;
	rv = report_pump(&s, wait_ms, res, cause);
	report_session_close(&s);
	return rv;
}

int
report_spool_counts(const struct conf *conf, unsigned count[3], char **cause)
{
	struct outbox_entry *e;
	struct outbox *ob;
	size_t n, i;

	count[0] = count[1] = count[2] = 0;
	if ((ob = outbox_open(conf->sns.spool_dir, report_spool_bytes(conf), cause)) == NULL)
		return -1;
	if (outbox_list(ob, &e, &n, cause) != 0) {
		outbox_close(ob);
		return -1;
	}
	for (i = 0; i < n; i++)
		count[e[i].state]++;
	outbox_entries_free(e, n);
	outbox_close(ob);
	return 0;
}

uint32_t
report_retry_delay_ms(unsigned failures)
{
	return clocks_backoff_ms(failures, REPORT_BACKOFF_BASE_MS, REPORT_BACKOFF_CAP_MS,
	                         crypto_random_u32());
}

/* ---- building a record -------------------------------------------------- */

static char *
report_subject(const char *kind, const char *status, const char *host, const char *summary)
{
	struct buf text = BUF_INIT, out = BUF_INIT;
	const char *p;

	buf_printf(&text, "[%s] %s ", PACKAGE_NAME, kind);
	for (p = status; *p != '\0'; p++)
		buf_addc(&text, *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p);
	buf_printf(&text, " on %s", host);
	if (summary != NULL && *summary != '\0')
		buf_printf(&text, ": %s", summary);
	sns_subject(&out, text.data);
	buf_free(&text);
	return buf_detach(&out);
}

/* kind or status from the report itself when the caller gave none. */
static char *
report_field(const char *given, const struct jval *doc, const char *key)
{
	const char *v = given != NULL ? given : jval_get_string(doc, key);

	return xstrdup(v != NULL && *v != '\0' ? v : "unknown");
}

static void
report_record(const struct conf *conf, const char *kind, const char *status, const char *summary,
              const char *json, size_t len, struct outbox_record *r)
{
	struct jval *doc = NULL;
	struct sns_message m;
	struct buf body = BUF_INIT;
	char id[OUTBOX_ID_LEN + 1], *why = NULL;
	struct timespec ts;

	if ((kind == NULL || status == NULL) && (doc = jval_parse(json, len, &why)) == NULL)
		free(why);
	memset(r, 0, sizeof *r);
	outbox_new_id(id);
	clock_gettime(CLOCK_REALTIME, &ts);
	r->id = xstrdup(id);
	r->kind = report_field(kind, doc, "kind");
	r->status = report_field(status, doc, "status");
	r->host = xstrdup(conf->agent.name);
	r->subject = report_subject(r->kind, r->status, r->host, summary);
	r->created_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	jval_free(doc);
	m = (struct sns_message){ .topic_arn = conf->sns.topic_arn,
		                  .subject = r->subject,
		                  .kind = r->kind,
		                  .status = r->status,
		                  .host = r->host,
		                  .report_id = r->id };
	if (sns_fit(json, len, sns_body_budget(&m), &body))
		log_warn("report %s (%s %s) was over SNS's size limit: trimmed from %zu to %zu "
		         "bytes",
		         r->id, r->kind, r->status, len, body.len);
	r->body_len = body.len;
	r->body = buf_detach(&body);
}

static void
report_to_log(const char *kind, const char *status, const char *json, size_t len, int warn)
{
	struct buf text = BUF_INIT;

	sns_fit(json, len, REPORT_LOG_MAX, &text);
	while (text.len > 0 && text.data[text.len - 1] == '\n')
		text.data[--text.len] = '\0';
	if (warn)
		log_warn("report %s %s (not spooled): %s", kind, status, text.data);
	else
		log_info("report %s %s: %s", kind, status, text.data);
	buf_free(&text);
}

int
report_submit(const struct conf *conf, const char *kind, const char *status, const char *summary,
              const char *json, size_t len, int wait_ms, char **cause)
{
	struct report_flush_result res;
	struct outbox_record r;
	struct report_session s;
	char *why = NULL;
	int rv, opened;

	report_record(conf, kind, status, summary, json, len, &r);
	if (conf->sns.topic_arn == NULL) {
		report_to_log(r.kind, r.status, json, len, 0);
		outbox_record_free(&r);
		return 0;
	}
	opened = (rv = report_session_open(&s, conf, cause)) == 0;
	if (rv == 0 && (rv = outbox_push(s.ob, &r, cause)) == 0) {
		log_debug("report %s (%s %s) spooled", r.id, r.kind, r.status);
		/* Delivery trouble is logged by the pump; the report is safe either way. */
		if (report_pump(&s, wait_ms, &res, &why) != 0) {
			log_warn("report %s stays in the spool: %s", r.id, why);
			free(why);
		}
	}
	/* Closed whether or not the push worked: a failed push used to leak it. */
	if (opened)
		report_session_close(&s);
	if (rv != 0)
		report_to_log(r.kind, r.status, json, len, 1);
	outbox_record_free(&r);
	return rv;
}

/* ---- commands ----------------------------------------------------------- */

/* [--wait SECONDS] [--json] after argv[first]; -1 on anything else. */
static int
report_args(const char *cmd, int argc, char **argv, int first, int *wait_ms, int *json)
{
	char *end;
	long v;
	int i;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else if (strcmp(argv[i], "--wait") == 0 && wait_ms != NULL && i + 1 < argc) {
			errno = 0;
			v = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i] || v < 0 || v > 3600) {
				fprintf(stderr, "cachewarden %s: --wait takes 0 to 3600 seconds\n",
				        cmd);
				return -1;
			}
			*wait_ms = (int)v * 1000;
		} else {
			fprintf(stderr, "cachewarden %s: unexpected argument '%s'\n", cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}

static char *
report_test_json(const struct conf *conf)
{
	struct buf b = BUF_INIT;
	char when[CLOCKS_RFC3339_LEN];
	struct json j;

	clocks_rfc3339((int64_t)clocks_wall(), when);
	json_init(&j, &b);
	json_object_begin(&j, NULL);
	json_string(&j, "schema", "cachewarden.report/1");
	json_string(&j, "kind", "test");
	json_string(&j, "status", "ok");
	json_string(&j, "host", conf->agent.name);
	json_string(&j, "agent_version", PACKAGE_VERSION);
	json_string(&j, "created_at", when);
	json_string(&j, "message", "test report: this topic receives cachewarden reports");
	json_object_end(&j);
	return buf_detach(&b);
}

static void
report_test_print(const struct report_session *s, const char *id, int json)
{
	struct buf out = BUF_INIT;
	struct json j;

	if (!json) {
		if (s->watch_message_id != NULL)
			printf("%s\n", s->watch_message_id);
		return;
	}
	json_init(&j, &out);
	json_object_begin(&j, NULL);
	json_string(&j, "report_id", id);
	json_string(&j, "outcome",
	            s->watch_message_id != NULL ? "delivered"
	            : s->watch_dead != NULL     ? "dead"
	                                        : "pending");
	json_string(&j, "message_id", s->watch_message_id);
	json_string(&j, "error",
	            s->watch_dead != NULL  ? s->watch_dead
	            : s->last_hold != NULL ? s->last_hold
	                                   : s->last_error);
	json_object_end(&j);
	printf("%s\n", out.data);
	buf_free(&out);
}

/* The exit code of `report test` once its record has had its chance. */
static int
report_test_outcome(const struct report_session *s, const struct outbox_record *r, int json)
{
	report_test_print(s, r->id, json);
	if (s->watch_message_id != NULL)
		return CW_EXIT_OK;
	if (s->watch_dead != NULL) {
		fprintf(stderr,
		        "cachewarden report: SNS refused the test report: %s\n"
		        "  (the report is in %s/dead/%s.rec)\n",
		        s->watch_dead, outbox_dir(s->ob), r->id);
		return CW_EXIT_FAILED;
	}
	fprintf(stderr,
	        "cachewarden report: the test report is not delivered yet: %s\n"
	        "  (it stays in %s and will be retried)\n",
	        s->last_hold != NULL    ? s->last_hold
	        : s->last_error != NULL ? s->last_error
	                                : "another process is delivering the spool",
	        outbox_dir(s->ob));
	return CW_EXIT_UNAVAILABLE;
}

static int
report_test(const struct conf *conf, int wait_ms, int json)
{
	struct report_flush_result res;
	struct report_session s;
	struct outbox_record r;
	char *doc = report_test_json(conf), *cause = NULL;
	int rv;

	report_record(conf, "test", "ok", "test report", doc, strlen(doc), &r);
	if (conf->sns.topic_arn == NULL) {
		report_to_log(r.kind, r.status, doc, strlen(doc), 0);
		printf("no [sns] topic_arn is set: the test report went to the log only\n");
		rv = CW_EXIT_OK;
	} else if (report_session_open(&s, conf, &cause) != 0) {
		fprintf(stderr, "cachewarden report: %s\n", cause);
		rv = CW_EXIT_FAILED;
	} else {
		s.watch_id = r.id;
		if (outbox_push(s.ob, &r, &cause) != 0 ||
		    report_pump(&s, wait_ms, &res, &cause) != 0) {
			fprintf(stderr, "cachewarden report: %s\n", cause);
			rv = CW_EXIT_FAILED;
		} else
			rv = report_test_outcome(&s, &r, json);
		report_session_close(&s);
	}
	free(cause);
	free(doc);
	outbox_record_free(&r);
	return rv;
}

int
report_cmd(const struct conf *conf, int argc, char **argv, int json)
{
	int wait_ms = REPORT_CMD_WAIT_MS;

	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		fprintf(stderr, "usage: cachewarden report test [--wait SECONDS]\n");
		return CW_EXIT_USAGE;
	}
	if (report_args("report", argc, argv, 2, &wait_ms, &json) != 0)
		return CW_EXIT_USAGE;
	return report_test(conf, wait_ms, json);
}

/* ---- spool -------------------------------------------------------------- */

static const char *const report_states[] = { "pending", "dead", "quarantined" };

static void
report_entry_json(struct json *j, const struct outbox_entry *e)
{
	char when[CLOCKS_RFC3339_LEN];

	json_object_begin(j, NULL);
	json_string(j, "state", report_states[e->state]);
	json_string(j, "file", e->name);
	json_int(j, "size", (int64_t)e->size);
	json_bool(j, "valid", e->valid);
	if (e->valid) {
		clocks_rfc3339(e->rec.created_ms / 1000, when);
		json_string(j, "report_id", e->rec.id);
		json_string(j, "kind", e->rec.kind);
		json_string(j, "status", e->rec.status);
		json_string(j, "host", e->rec.host);
		json_string(j, "created_at", when);
		json_string(j, "subject", e->rec.subject);
	}
	json_string(j, "why", e->why);
	json_object_end(j);
}

static void
report_entry_text(struct buf *out, const struct outbox_entry *e)
{
	char when[CLOCKS_RFC3339_LEN];

	if (!e->valid) {
		buf_printf(out, "%-11s %s  %s\n", report_states[e->state], e->name,
		           e->why != NULL ? e->why : "");
		return;
	}
	clocks_rfc3339(e->rec.created_ms / 1000, when);
	buf_printf(out, "%-11s %s  %s  %s %s  %llu B  %s\n", report_states[e->state], e->rec.id,
	           when, e->rec.kind, e->rec.status, (unsigned long long)e->size,
	           e->why != NULL ? e->why : e->rec.subject);
}

static void
report_spool_totals(struct json *j, const unsigned count[3], unsigned bad, uint64_t dropped)
{
	json_int(j, "pending", count[0]);
	json_int(j, "dead", count[1]);
	json_int(j, "quarantined", count[2]);
	json_int(j, "invalid", bad);
	json_int(j, "dropped", (int64_t)dropped);
}

/* `spool list`, and `spool check`, which shows only the records that do not decode. */
static int
report_spool_show(struct outbox *ob, int check, int json)
{
	unsigned count[3] = { 0, 0, 0 }, bad = 0;
	struct buf out = BUF_INIT;
	struct outbox_entry *e;
	char *cause = NULL;
	struct json j;
	size_t n, i;
	int invalid;

	if (outbox_list(ob, &e, &n, &cause) != 0) {
		fprintf(stderr, "cachewarden spool: %s\n", cause);
		free(cause);
		return CW_EXIT_FAILED;
	}
	json_init(&j, &out);
	if (json) {
		json_object_begin(&j, NULL);
		json_string(&j, "spool_dir", outbox_dir(ob));
		json_array_begin(&j, "records");
	}
	for (i = 0; i < n; i++) {
		/* Quarantined records are known to be bad: they were set aside already. */
		invalid = !e[i].valid && e[i].state != OUTBOX_IS_QUARANTINED;
		count[e[i].state]++;
		bad += invalid;
		if (check && !invalid)
			continue;
		if (json)
			report_entry_json(&j, &e[i]);
		else
			report_entry_text(&out, &e[i]);
	}
	if (json) {
		json_array_end(&j);
		report_spool_totals(&j, count, bad, outbox_dropped(ob));
		json_object_end(&j);
		buf_addc(&out, '\n');
	} else
		buf_printf(&out, "%u pending, %u dead, %u quarantined, %llu dropped%s\n", count[0],
		           count[1], count[2], (unsigned long long)outbox_dropped(ob),
		           !check    ? ""
		           : bad > 0 ? "; the records above are INVALID"
		                     : "; all valid");
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	outbox_entries_free(e, n);
	return check && bad > 0 ? CW_EXIT_FAILED : CW_EXIT_OK;
}

/* " (N held)" when some are, else "": a static buffer, for one printf. */
static const char *
report_held_text(unsigned held)
{
	static char text[32];

	if (held == 0)
		return "";
	snprintf(text, sizeof text, " (%u held)", held);
	return text;
}

static int
report_spool_flush(const struct conf *conf, int wait_ms, int json)
{
	struct report_flush_result res;
	struct buf out = BUF_INIT;
	char *cause = NULL;
	struct json j;

	if (conf->sns.topic_arn == NULL) {
		printf("no [sns] topic_arn is set: nothing to deliver to\n");
		return CW_EXIT_OK;
	}
	if (report_flush(conf, wait_ms, &res, &cause) != 0) {
		fprintf(stderr, "cachewarden spool: %s\n", cause);
		free(cause);
		return CW_EXIT_FAILED;
	}
	if (json) {
		json_init(&j, &out);
		json_object_begin(&j, NULL);
		json_int(&j, "delivered", res.delivered);
		json_int(&j, "dead", res.dead);
		json_int(&j, "quarantined", res.quarantined);
		json_int(&j, "pending", res.pending);
		json_int(&j, "held", res.held);
		json_bool(&j, "busy", res.busy);
		json_object_end(&j);
		printf("%s\n", out.data);
		buf_free(&out);
	} else
		printf("%u delivered, %u dead, %u quarantined, %u pending%s%s\n", res.delivered,
		       res.dead, res.quarantined, res.pending, report_held_text(res.held),
		       res.busy ? " (another process is delivering)" : "");
	if (res.dead > 0 || res.quarantined > 0)
		return CW_EXIT_FAILED;
	return res.pending > 0 && !res.busy ? CW_EXIT_UNAVAILABLE : CW_EXIT_OK;
}

/* `spool requeue ID...|--all`: dead records go back to the pending ones. */
static int
report_spool_requeue(struct outbox *ob, int argc, char **argv)
{
	int all = argc == 3 && strcmp(argv[2], "--all") == 0, i;
	unsigned moved = 0;
	char *cause = NULL;

	for (i = 2; i < argc && !all; i++)
		if (argv[i][0] == '-') {
			argc = 2; /* an option other than --all alone: usage */
			break;
		}
	if (argc < 3) {
		fprintf(stderr, "usage: cachewarden spool requeue ID...|--all\n");
		return CW_EXIT_USAGE;
	}
	if (outbox_requeue(ob, all ? NULL : argv + 2, all ? 0 : (size_t)(argc - 2), &moved,
	                   &cause) != 0) {
		fprintf(stderr, "cachewarden spool: %s\n", cause);
		free(cause);
		if (moved > 0)
			printf("%u requeued\n", moved);
		return CW_EXIT_FAILED;
	}
	printf("%u requeued\n", moved);
	if (moved > 0)
		log_info("spool: %u dead report%s requeued in %s", moved, moved == 1 ? "" : "s",
		         outbox_dir(ob));
	return CW_EXIT_OK;
}

int
report_cmd_spool(const struct conf *conf, int argc, char **argv, int json)
{
	int wait_ms = REPORT_CMD_WAIT_MS, flush, requeue, rv;
	struct outbox *ob;
	char *cause = NULL;

	if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "flush") != 0 &&
	                 strcmp(argv[1], "check") != 0 && strcmp(argv[1], "requeue") != 0)) {
		fprintf(stderr, "usage: cachewarden spool list|flush|check [--wait SECONDS]\n"
		                "       cachewarden spool requeue ID...|--all\n");
		return CW_EXIT_USAGE;
	}
	flush = strcmp(argv[1], "flush") == 0;
	requeue = strcmp(argv[1], "requeue") == 0;
	if (!requeue && report_args("spool", argc, argv, 2, flush ? &wait_ms : NULL, &json) != 0)
		return CW_EXIT_USAGE;
	if (flush)
		return report_spool_flush(conf, wait_ms, json);
	if ((ob = outbox_open(conf->sns.spool_dir, report_spool_bytes(conf), &cause)) == NULL) {
		fprintf(stderr, "cachewarden spool: %s\n", cause);
		free(cause);
		return CW_EXIT_FAILED;
	}
	if (requeue)
		rv = report_spool_requeue(ob, argc, argv);
	else
		rv = report_spool_show(ob, strcmp(argv[1], "check") == 0, json);
	outbox_close(ob);
	return rv;
}
