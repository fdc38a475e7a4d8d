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
	assert_int_equal(c->warm.batch_rows, 0); /* sized from the rows */
	assert_int_equal(c->warm.max_rows_per_sec, 0);
	assert_int_equal(c->warm.on_restore, CONF_ON_RESTORE_REBUILD);
	assert_int_equal(c->warm.lease, 1);
	assert_string_equal(c->verify.timezone, "UTC");
	assert_int_equal(c->verify.splay, 600);
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
	                      "timezone = America/New_York\nsplay = 0\n"
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
	assert_string_equal(c->verify.timezone, "America/New_York");
	assert_int_equal(c->verify.splay, 0);
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
	expect_error("[dataset d]\ntable=t\ncolumns=id,name,id\nkey=d:{id}\n",
	             "t.conf:3: columns: 'id' is listed twice");
	expect_error("[dataset d]\ntable=t\ncolumns=id\nkey=d:{id}:{na-me}\n",
	             "t.conf:4: key: 'na-me' is not a valid identifier (letters, digits, _ and $)");
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
	expect_error("[verify]\ntimezone = Europe/Berlim\n",
	             "t.conf:2: timezone: unknown time zone 'Europe/Berlim': "
	             "/usr/share/zoneinfo/Europe/Berlim: no such file");
	expect_error("[verify]\n\ntimezone = ../../etc/passwd\n",
	             "t.conf:3: timezone: '../../etc/passwd' is not a time zone name such as "
	             "Europe/Berlin");
	expect_error("[verify]\nsplay = 13h\n", "t.conf:2: splay: 46800 is out of range 0..43200");
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

/* Captures what a conf_print_keys* function writes; caller frees. */
static char *
keys_output(void (*print)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	print(f);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The man page reference lists the same keys, in the same order, as help config. */
static void
test_man_keys_match_help(void **state)
{
	char *help = keys_output(conf_print_keys), *man = keys_output(conf_print_keys_man);
	char *save = NULL, *line;
	struct buf from_help = BUF_INIT, from_man = BUF_INIT;
	char name[64];
	size_t nkeys = 0;

	(void)state;
	for (line = strtok_r(help, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "  %63[a-z_] ", name) == 1 && line[2] != ' ') {
			buf_printf(&from_help, "%s\n", name);
			nkeys++;
		}
	save = NULL;
	for (line = strtok_r(man, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		/* Every line is a known request or plain text: none starts a stray request. */
		if (line[0] == '.' || line[0] == '\'')
			assert_true(strncmp(line, ".SS ", 4) == 0 || strcmp(line, ".TP") == 0 ||
			            strncmp(line, ".B ", 3) == 0 || strncmp(line, ".RI ", 4) == 0 ||
			            strcmp(line, ".br") == 0);
		if (strncmp(line, ".B ", 3) == 0)
			buf_printf(&from_man, "%s\n", line + 3);
	}
	assert_true(nkeys > 40);
	assert_string_equal(from_man.data, from_help.data);
	free(help);
	free(man);
	buf_free(&from_help);
	buf_free(&from_man);
}

/* Hyphens, sections and defaults come out as roff, not as text roff would reinterpret. */
static void
test_man_escapes(void **state)
{
	char *man = keys_output(conf_print_keys_man);

	(void)state;
	assert_non_null(strstr(man, ".SS \"[dataset NAME]\"\n"));
	assert_non_null(strstr(man, "verify\\-ca|verify\\-identity; default \" \"preferred\"\n"));
	assert_non_null(
	        strstr(man, ".B spool_dir\n.RI \"path; default \" \"/var/spool/cachewarden\"\n"));
	assert_non_null(strstr(man, ".B table\n.RI \"string, required\"\n"));
	assert_null(strstr(man, "verify-ca"));
	free(man);
}

/* [snapshots NAME]: the service enum, identifiers as AWS checks them, region names. */
static void
test_snapshots_sections(void **state)
{
	struct conf_errors errors;
	const struct conf_snapshots *s;
	struct conf *c;

	(void)state;
	c = load("[snapshots db]\nservice = rds\nsource = orders-db-1\ntier = critical\n"
	         "region = us-gov-west-1\n\n[snapshots vault]\nservice = backup\n"
	         "source = Default_vault-2\nmax_age = 30h\nendpoint = http://127.0.0.1:9/\n",
	         &errors);
	assert_non_null(c);
	assert_int_equal(c->nsnapshots, 2);
	s = conf_find_snapshots(c, "db");
	assert_non_null(s);
	assert_int_equal(s->service, CONF_SNAP_RDS);
	assert_int_equal(s->tier, CONF_TIER_CRITICAL);
	assert_int_equal(s->max_age, 0);
	assert_int_equal(s->grace, 7200);
	assert_string_equal(s->region, "us-gov-west-1");
	s = conf_find_snapshots(c, "vault");
	assert_int_equal(s->service, CONF_SNAP_BACKUP);
	assert_int_equal(s->max_age, 30 * 3600);
	assert_null(conf_find_snapshots(c, "nope"));
	conf_free(c);

	expect_error("[snapshots a]\nservice = dynamo\nsource = x\n",
	             "t.conf:2: service: 'dynamo' is not one of rds|elasticache|backup");
	expect_error("[snapshots a]\nsource = x\n",
	             "t.conf:1: [snapshots a]: missing required key 'service'");
	expect_error("[snapshots a]\nservice = rds\nsource = 1db\n",
	             "t.conf:3: source: '1db' is not a valid DB instance or cluster identifier (1 "
	             "to 63 letters, digits and hyphens, a letter first, no hyphen last, no two "
	             "hyphens in a row)");
	expect_error(
	        "[snapshots a]\nservice = rds\nsource = db--x\n",
	        "t.conf:3: source: 'db--x' is not a valid DB instance or cluster identifier (1 "
	        "to 63 letters, digits and hyphens, a letter first, no hyphen last, no two "
	        "hyphens in a row)");
	expect_error("[snapshots a]\nservice = elasticache\nsource = my_cache\n",
	             "t.conf:3: source: 'my_cache' is not a valid replication group id (1 to 40 "
	             "letters, digits and hyphens, a letter first, no hyphen last, no two hyphens "
	             "in a row)");
	expect_error("[snapshots a]\nservice = backup\nsource = vault.name\n",
	             "t.conf:3: source: 'vault.name' is not a valid backup vault name (2 to 50 "
	             "letters, digits, hyphens and underscores)");
	expect_error("[snapshots a]\nservice = rds\nsource = db\nregion = eu-west\n",
	             "t.conf:4: region: 'eu-west' is not an AWS region (such as us-east-1 or "
	             "eu-west-3)");
	expect_error("[snapshots a]\nservice = rds\nsource = db\nregion = mars-north-1\n",
	             "t.conf:4: region: 'mars-north-1' is not an AWS region (such as us-east-1 or "
	             "eu-west-3)");
	expect_error("[snapshots a]\nservice = rds\nsource = db\nregion = us-east-1-\n",
	             "t.conf:4: region: 'us-east-1-' is not an AWS region (such as us-east-1 or "
	             "eu-west-3)");
	expect_error("[snapshots a]\nservice = rds\nsource = db\nendpoint = http://rds.x.com/\n",
	             "t.conf:4: endpoint: plain http is accepted only for loopback addresses; use "
	             "https");
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
		cmocka_unit_test(test_man_keys_match_help),
		cmocka_unit_test(test_man_escapes),
		cmocka_unit_test(test_snapshots_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
