/* Unit tests for conf: good files, defaults, and every error form. */
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

#include "buf.h"
#include "conf.h"
#include "xmalloc.h"

static struct conf *
load(const char *text, struct conf_errors *errors)
{
	return conf_load_string("t.conf", text, 0, errors);
}

/* Loads text expecting exactly one error, equal to want. */
static void
expect_error(const char *text, const char *want)
{
	struct conf_errors errors;
	struct conf *c = load(text, &errors);

	if (c != NULL || errors.count != 1 || strcmp(errors.lines[0], want) != 0) {
		size_t i;
		print_error("input:\n%s\nwant: %s\ngot %zu errors:\n", text, want, errors.count);
		for (i = 0; i < errors.count; i++)
			print_error("  %s\n", errors.lines[i]);
		conf_free(c);
		conf_errors_free(&errors);
		fail();
	}
	conf_errors_free(&errors);
}

static void
test_annotated_agent_conf(void **state)
{
	struct conf_errors errors;
	struct conf *c = conf_load(TEST_DATA_DIR "/../../agent.conf", 0, &errors);

	(void)state;
	assert_non_null(c);
	assert_int_equal(errors.count, 0);
	assert_int_equal(c->ndatasets, 1);
	assert_string_equal(c->datasets[0].name, "products");
	assert_int_equal(c->datasets[0].columns.count, 6);
	assert_string_equal(c->datasets[0].columns.items[5], "updated_at");
	assert_int_equal(c->datasets[0].ttl, 86400);
	assert_int_equal(c->datasets[0].type, CONF_VALUE_HASH);
	assert_int_equal(c->nexports, 1);
	assert_int_equal(c->exports[0].max_age, 26 * 3600);
	assert_int_equal(c->verify.when.kind, CONF_SCHEDULE_DAILY);
	assert_int_equal(c->verify.when.hour, 3);
	assert_int_equal(c->verify.when.minute, 30);
	conf_free(c);
}

static void
test_defaults(void **state)
{
	struct conf_errors errors;
	struct conf *c = conf_load(TEST_DATA_DIR "/conf/minimal.conf", 0, &errors);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->agent.state_dir, "/var/lib/cachewarden");
	assert_non_null(c->agent.name); /* the hostname */
	assert_string_equal(c->admin.listen, "127.0.0.1:7781");
	assert_int_equal(c->mysql.port, 3306);
	assert_int_equal(c->mysql.tls, CONF_MYSQL_TLS_PREFERRED);
	assert_int_equal(c->redis.port, 6379);
	assert_int_equal(c->redis.db, 0);
	assert_int_equal(c->warm.workers, 4);
	assert_int_equal(c->warm.batch_rows, 1000);
	assert_int_equal(c->warm.max_rows_per_sec, 0);
	assert_int_equal(c->warm.on_restore, CONF_ON_RESTORE_REBUILD);
	assert_int_equal(c->warm.lease, 1);
	assert_string_equal(c->sns.spool_dir, "/var/spool/cachewarden");
	assert_null(c->sns.topic_arn);
	assert_int_equal(c->datasets[0].type, CONF_VALUE_HASH);
	assert_int_equal(c->datasets[0].ttl, 0);
	assert_null(c->datasets[0].where);
	assert_non_null(conf_find_dataset(c, "products"));
	assert_null(conf_find_dataset(c, "nope"));
	conf_free(c);
}

static void
test_values(void **state)
{
	struct conf_errors errors;
	struct conf *c = load("; comment\n[agent]\nname = \" web 01 \"\n"
	                      "[sns]\ntopic_arn = arn:aws:sns:eu-west-1:123456789012:t.fifo\n"
	                      "endpoint = http://127.0.0.1:4566\n"
	                      "[verify]\nschedule = weekly SUN 01:05\n"
	                      "[redis]\ntls = on\n"
	                      "[dataset a]\ntable = db.t\nkey_column = id\ncolumns=id,v\n"
	                      "key = a:{id}:{v}\ntype = string\nvalue_column = v\n"
	                      "where = name LIKE '%#%'\nttl = 7d\n"
	                      "[exports e]\npath = /srv/x y/*.gz\nmax_age = 90m\ntier = critical\n",
	                      &errors);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->agent.name, " web 01 ");
	assert_string_equal(c->sns.region, "eu-west-1");
	assert_int_equal(c->verify.when.kind, CONF_SCHEDULE_WEEKLY);
	assert_int_equal(c->verify.when.weekday, 0);
	assert_int_equal(c->verify.when.hour, 1);
	assert_int_equal(c->verify.when.minute, 5);
	assert_int_equal(c->redis.tls, 1);
	assert_string_equal(c->datasets[0].where, "name LIKE '%#%'");
	assert_int_equal(c->datasets[0].ttl, 7 * 86400);
	assert_int_equal(c->datasets[0].type, CONF_VALUE_STRING);
	assert_string_equal(c->exports[0].path, "/srv/x y/*.gz");
	assert_int_equal(c->exports[0].max_age, 5400);
	assert_int_equal(c->exports[0].tier, CONF_TIER_CRITICAL);
	conf_free(c);
}

static void
test_every_error_form(void **state)
{
	(void)state;
	expect_error("[agent]\nlog_levl = debug\n",
	             "t.conf:2: unknown key 'log_levl' in [agent] (did you mean 'log_level'?)");
	expect_error("[agent]\nfrobnicate = 1\n", "t.conf:2: unknown key 'frobnicate' in [agent]");
	expect_error("[mysq]\nport = 1\n",
	             "t.conf:1: unknown section [mysq] (did you mean 'mysql'?)");
	expect_error("port = 1\n", "t.conf:1: key outside any section");
	expect_error("[mysql]\nport\n", "t.conf:2: expected key = value");
	expect_error("[mysql\n",
	             "t.conf:1: malformed section header: expected [name] or [name NAME]");
	expect_error("[mysql]\nport = 0\n", "t.conf:2: port: 0 is out of range 1..65535");
	expect_error("[mysql]\nport = 33o6\n", "t.conf:2: port: expected an integer, got '33o6'");
	expect_error("[mysql]\n\nport = 1\nport = 2\n",
	             "t.conf:4: duplicate key 'port' (first set on line 3)");
	expect_error("[mysql]\ntls = requird\n",
	             "t.conf:2: tls: 'requird' is not one of "
	             "disabled|preferred|required|verify-ca|verify-identity (did you mean "
	             "'required'?)");
	expect_error("[redis]\ntls = yes please\n",
	             "t.conf:2: tls: expected on or off, got 'yes please'");
	expect_error("[warm]\nttl_jitter = 51\n", "t.conf:2: ttl_jitter: 51 is out of range 0..50");
	expect_error("[exports x]\npath = /a\nmax_age = 1w\n",
	             "t.conf:3: max_age: expected a duration such as 30s, 15m, 26h, 7d, got '1w'");
	expect_error("[dataset]\n", "t.conf:1: section [dataset] needs a name: [dataset NAME]");
	expect_error("[agent x]\n", "t.conf:1: section [agent] takes no name");
	expect_error("[exports x]\n", "t.conf:1: [exports x]: missing required key 'path'");
	expect_error("[exports x]\npath=/a\n[exports x]\npath=/b\n",
	             "t.conf:3: duplicate section [exports x]");
	expect_error("[dataset d]\ntable=t\nkey_column=id\ncolumns=id\nkey=d:{id}:{name}\n",
	             "t.conf:5: key: key template names column 'name', which is neither key_column "
	             "nor in columns");
	expect_error("[dataset d]\ntable=t\nkey_column=id\ncolumns=id\nkey=d\n",
	             "t.conf:5: key: key template names no column, so every row would write "
	             "the same key: add one such as {id}");
	expect_error("[dataset d]\ntable=t\nkey_column=id\ncolumns=id\nkey=d:{id\n",
	             "t.conf:5: key: unclosed '{' in key template");
	expect_error(
	        "[dataset d]\ntable=t;drop\nkey_column=id\ncolumns=id\nkey=d:{id}\n",
	        "t.conf:2: table: 't;drop' is not a valid identifier (letters, digits, _ and $)");
	expect_error("[dataset d]\ntable=t\nkey_column=id\ncolumns=id\nkey=d:{id}\ntype=string\n",
	             "t.conf:6: type = string needs value_column");
	expect_error("[dataset d]\ntable=t\nkey_column=id\ncolumns=id\nkey=d:{id}\ntype=string\n"
	             "value_column=v\n",
	             "t.conf:7: value_column 'v' is not in columns");
	expect_error("[verify]\nschedule = every 10s\n",
	             "t.conf:2: schedule: 'every 10s': the interval must be a duration of at "
	             "least 1m");
	expect_error("[sns]\ntopic_arn = arn:aws:sns:eu-west-1:1\n",
	             "t.conf:2: topic_arn: 'arn:aws:sns:eu-west-1:1' is not an SNS topic ARN "
	             "(arn:aws:sns:REGION:ACCOUNT:TOPIC)");
	expect_error("[sns]\nendpoint = http://sns.example.com/\n",
	             "t.conf:2: endpoint: plain http is accepted only for loopback addresses; "
	             "use https");
	expect_error("[sns]\nendpoint = http://127.evil.example/\n",
	             "t.conf:2: endpoint: plain http is accepted only for loopback addresses; "
	             "use https");
	expect_error("[admin]\nlisten = 127.0.0.1\n",
	             "t.conf:2: listen: '127.0.0.1' is not host:port");
	expect_error("[agent]\nstate_dir =\n", "t.conf:2: state_dir: empty path");
}

static void
test_bad_file_lists_every_error(void **state)
{
	struct conf_errors errors;
	struct buf want = BUF_INIT, got = BUF_INIT;
	char line[1024];
	size_t i;
	FILE *f;
	struct conf *c;

	(void)state;
	/* Loaded by a relative path, as the expected lines name "bad.conf". */
	assert_int_equal(chdir(TEST_DATA_DIR "/conf"), 0);
	c = conf_load("bad.conf", 1, &errors);
	assert_null(c);
	assert_true(errors.count >= 15);
	f = fopen("bad.expected", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		buf_adds(&want, line);
	fclose(f);
	for (i = 0; i < errors.count; i++)
		buf_printf(&got, "%s\n", errors.lines[i]);
	assert_string_equal(got.data, want.data);
	buf_free(&want);
	buf_free(&got);
	conf_errors_free(&errors);
}

static void
test_secret_files(void **state)
{
	char dir[] = "/tmp/cw-test-conf-XXXXXX", path[256], *secret = NULL, *cause = NULL;
	struct conf_errors errors;
	struct conf *c;
	char *text;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pw", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret\n", f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(conf_read_secret(path, &secret, &cause), -1);
	assert_non_null(strstr(cause, "readable by group or others (mode 0644): chmod 600 it"));
	assert_null(strstr(cause, "s3cret"));
	free(cause);
	text = xasprintf("[mysql]\npassword_file = %s\n", path);
	c = conf_load_string("t.conf", text, 1, &errors);
	assert_null(c);
	assert_int_equal(errors.count, 1);
	assert_non_null(strstr(errors.lines[0], "t.conf:2: password_file: secret file"));
	conf_errors_free(&errors);
	chmod(path, 0600);
	assert_int_equal(conf_read_secret(path, &secret, &cause), 0);
	assert_string_equal(secret, "s3cret");
	free(secret);
	c = conf_load_string("t.conf", text, 1, &errors);
	assert_non_null(c);
	conf_free(c);
	free(text);
	assert_int_equal(conf_read_secret(dir, &secret, &cause), -1);
	free(cause);
	unlink(path);
	rmdir(dir);
}

/* Kubernetes-style mounts: token -> ..data/token, ..data -> a dated directory. */
static void
test_secret_symlinks(void **state)
{
	char dir[] = "/tmp/cw-test-conf-XXXXXX", *secret = NULL, *cause = NULL, big[5001];
	char *dated, *data, *target, *link, *cmd;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dated = xasprintf("%s/..2026_11_30_04_00_00.123", dir);
	data = xasprintf("%s/..data", dir);
	target = xasprintf("%s/token", dated);
	link = xasprintf("%s/token", dir);
	assert_int_equal(mkdir(dated, 0755), 0);
	assert_int_equal(symlink("..2026_11_30_04_00_00.123", data), 0);
	assert_int_equal(symlink("..data/token", link), 0);
	/* Longer than one read, so the buffer grows while it holds the secret. */
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	f = fopen(target, "w");
	assert_non_null(f);
	fputs(big, f);
	fclose(f);
	chmod(target, 0400);
	assert_int_equal(conf_read_secret(link, &secret, &cause), 0);
	assert_string_equal(secret, big);
	free(secret);
	/* The final target decides: group-readable is refused through the link too. */
	chmod(target, 0440);
	assert_int_equal(conf_read_secret(link, &secret, &cause), -1);
	assert_non_null(strstr(cause, "readable by group or others (mode 0440)"));
	free(cause);
	chmod(target, 0600);
	/* Owned by someone else (only root can give a file away). */
	if (geteuid() == 0) {
		assert_int_equal(chown(target, 65534, 65534), 0);
		assert_int_equal(conf_read_secret(link, &secret, &cause), -1);
		assert_non_null(strstr(cause, "owned by uid 65534"));
		free(cause);
	}
	/* A dangling link. */
	unlink(target);
	assert_int_equal(conf_read_secret(link, &secret, &cause), -1);
	assert_non_null(strstr(cause, "cannot read secret file"));
	free(cause);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dated);
	free(data);
	free(target);
	free(link);
}

static void
test_duration(void **state)
{
	(void)state;
	assert_int_equal(conf_parse_duration("30"), 30);
	assert_int_equal(conf_parse_duration("30s"), 30);
	assert_int_equal(conf_parse_duration("15m"), 900);
	assert_int_equal(conf_parse_duration("26h"), 93600);
	assert_int_equal(conf_parse_duration("7d"), 604800);
	assert_int_equal(conf_parse_duration("7 d"), -1);
	assert_int_equal(conf_parse_duration("-1"), -1);
	assert_int_equal(conf_parse_duration(""), -1);
	assert_int_equal(conf_parse_duration("99999999999999999999d"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_annotated_agent_conf),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_every_error_form),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_secret_symlinks),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bad_file_lists_every_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
