/* cmd: the command table and the global options. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "conf.h"
#include "crypto.h"
#include "daemon.h"
#include "fileio.h"
#include "health.h"
#include "log.h"
#include "manifest.h"
#include "report.h"
#include "verify.h"
#include "warm.h"
#include "xmalloc.h"
#include "zst.h"

/* Health checks must answer fast: a short delivery wait, the outbox keeps the rest. */
#define CMD_HEALTH_REPORT_WAIT_MS 3000

struct cmd_ctx {
	const char *conf_path;
	struct conf *conf; /* loaded for commands with needs_conf */
	int json;
	int verbosity; /* -v adds one, -q sets -1 */
};

struct cmd {
	const char *name;
	const char *usage;
	const char *summary;
	int needs_conf;
	const char *pending; /* the capability whose issue builds it; NULL once built */
	int (*fn)(struct cmd_ctx *, int, char **);
};

static int cmd_check_config(struct cmd_ctx *, int, char **);
static int cmd_run(struct cmd_ctx *, int, char **);
static int cmd_warm(struct cmd_ctx *, int, char **);
static int cmd_health(struct cmd_ctx *, int, char **);
static int cmd_verify(struct cmd_ctx *, int, char **);
static int cmd_manifest(struct cmd_ctx *, int, char **);
static int cmd_load_conf(struct cmd_ctx *);
static int cmd_report(struct cmd_ctx *, int, char **);
static int cmd_spool(struct cmd_ctx *, int, char **);
static int cmd_version(struct cmd_ctx *, int, char **);
static int cmd_help(struct cmd_ctx *, int, char **);

static const struct cmd cmd_table[] = {
	{ "run", "", "run the agent in the foreground (restore watch, admin API, schedule)", 1,
	  NULL, cmd_run },
	{ "warm", "[DATASET...] [--dry-run] [--workers N] [--resume]",
	  "rebuild the Redis cache from MySQL", 1, NULL, cmd_warm },
	{ "verify", "[SET...]", "verify export sets and AWS snapshot sets", 1, NULL, cmd_verify },
	{ "health", "", "check MySQL (SELECT 1) and Redis (PING), with latency", 1, NULL,
	  cmd_health },
	{ "check-config", "", "validate the configuration and exit", 1, NULL, cmd_check_config },
	{ "report", "test [--wait SECONDS]", "publish a test report to the SNS topic", 1, NULL,
	  cmd_report },
	{ "spool", "list|flush|check [--wait SECONDS] | requeue ID...|--all",
	  "inspect, deliver or requeue the report outbox", 1, NULL, cmd_spool },
	{ "manifest", "keygen|sign|verify ...", "manage signed export manifests", 0, NULL,
	  cmd_manifest },
	{ "version", "", "print the version", 0, NULL, cmd_version },
	{ "help", "[COMMAND|config [--man]]", "show help for a command, or every config key", 0,
	  NULL, cmd_help },
};
#define CMD_COUNT (sizeof cmd_table / sizeof cmd_table[0])

static void
cmd_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: cachewarden [-c FILE] [-v|-q] [--json] COMMAND [ARGS]\n\n"
	             "commands:\n");
	for (i = 0; i < CMD_COUNT; i++)
		fprintf(out, "  %-13s %s\n", cmd_table[i].name, cmd_table[i].summary);
	fprintf(out,
	        "\nThe config is -c FILE, else $CACHEWARDEN_CONFIG, else %s.\n"
	        "Exit codes: 0 ok, 1 failures found, 2 usage, 69 dependency unavailable,\n"
	        "78 configuration error, 130/143 warm stopped by SIGINT/SIGTERM.\n",
	        CONF_DEFAULT_PATH);
}

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < CMD_COUNT; i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

/* Takes command-level flags that are also global (--json), rejects others. */
static int
cmd_no_args(struct cmd_ctx *ctx, const char *name, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = 1;
		else {
			fprintf(stderr, "cachewarden %s: unexpected argument '%s'\n", name,
			        argv[i]);
			return -1;
		}
	}
	return 0;
}

static int
cmd_check_config(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf warn = BUF_INIT;
	const char *p, *nl;

	if (cmd_no_args(ctx, "check-config", argc, argv) != 0)
		return CW_EXIT_USAGE;
	/* Valid, but worth knowing: weak transports to other hosts. */
	health_transport_warnings(ctx->conf, 0, &warn);
	for (p = warn.data; p != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		fprintf(stderr, "%s: warning: %.*s\n", ctx->conf->file, (int)(nl - p), p);
	buf_free(&warn);
	printf("%s: ok (%zu dataset%s, %zu export set%s, %zu snapshot set%s)\n", ctx->conf->file,
	       ctx->conf->ndatasets, ctx->conf->ndatasets == 1 ? "" : "s", ctx->conf->nexports,
	       ctx->conf->nexports == 1 ? "" : "s", ctx->conf->nsnapshots,
	       ctx->conf->nsnapshots == 1 ? "" : "s");
	return CW_EXIT_OK;
}

/* Hands a job's report to the outbox; delivery problems never change the job's exit code. */
static void
cmd_submit(struct cmd_ctx *ctx, const struct buf *report)
{
	char *cause = NULL;

	if (report_submit(ctx->conf, NULL, NULL, NULL, report->data, report->len, REPORT_WAIT_MS,
	                  &cause) != 0) {
		log_error("report: %s", cause);
		free(cause);
	}
}

/* Set by SIGINT/SIGTERM during a warm: the workers finish their batch and stop. */
static atomic_int cmd_stop;
static volatile sig_atomic_t cmd_stop_signo;

static void
cmd_on_stop_signal(int signo)
{
	cmd_stop_signo = signo;
	atomic_store(&cmd_stop, 1);
}

/* Installs (or, with old != NULL and restore set, puts back) the stop handlers. */
static void
cmd_stop_signals(struct sigaction old[2], int restore)
{
	static const int signos[2] = { SIGINT, SIGTERM };
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_on_stop_signal;
	sa.sa_flags = SA_RESTART; /* blocked reads in the workers carry on; they see the flag */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 2; i++) {
		if (restore)
			sigaction(signos[i], &old[i], NULL);
		else
			sigaction(signos[i], &sa, &old[i]);
	}
}

/* Progress from the workers, to the debug log (the TTY bar is warm's own). */
static void
cmd_warm_progress(void *arg, const char *dataset, long long done, long long total)
{
	(void)arg;
	log_debug("warm %s: progress %lld of ~%lld rows", dataset, done, total);
}

static int
cmd_warm(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { { "dry-run", no_argument, NULL, 'n' },
		                                  { "workers", required_argument, NULL, 'w' },
		                                  { "resume", no_argument, NULL, 'r' },
		                                  { "json", no_argument, NULL, 'j' },
		                                  { NULL, 0, NULL, 0 } };
	struct warm_opts opts;
	struct sigaction old[2];
	struct buf report = BUF_INIT;
	char *end;
	char **names = xcalloc((size_t)argc + 1, sizeof *names);
	size_t nnames = 0;
	int ch, rv;

	memset(&opts, 0, sizeof opts);
	/*
	 * optind = 0 makes glibc start afresh: the global parse used '+' (stop
	 * at the first name), and with optind = 1 that ordering stayed, so
	 * `warm products --dry-run` took --dry-run for a dataset name. A fresh
	 * scan permutes: options anywhere, names after, "--" ends the options.
	 */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-nw:rj", longopts, NULL)) != -1) {
		switch (ch) {
		case 1: /* a dataset name, in order ("-" in optstring) */
			names[nnames++] = optarg;
			break;
		case 'n':
			opts.dry_run = 1;
			break;
		case 'r':
			opts.resume = 1;
			break;
		case 'j':
			ctx->json = 1;
			break;
		case 'w':
			opts.workers = strtoll(optarg, &end, 10);
			if (*end != '\0' || opts.workers < 1 || opts.workers > 64) {
				fprintf(stderr, "cachewarden warm: --workers takes 1..64\n");
				free(names);
				return CW_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "usage: cachewarden warm [DATASET...] [--dry-run] "
			                "[--workers N] [--resume]\n");
			free(names);
			return CW_EXIT_USAGE;
		}
	}
	/* Names after "--" (they may begin with '-'). */
	while (optind < argc)
		names[nnames++] = argv[optind++];
	opts.datasets = names;
	opts.ndatasets = nnames;
	opts.progress = !ctx->json && isatty(STDERR_FILENO) && log_enabled(LOG_LEVEL_INFO);
	atomic_store(&cmd_stop, 0);
	cmd_stop_signo = 0;
	opts.stop = &cmd_stop;
	if (log_enabled(LOG_LEVEL_DEBUG))
		opts.on_progress = cmd_warm_progress;
	cmd_stop_signals(old, 0);
	rv = warm_run(ctx->conf, &opts, &report);
	cmd_stop_signals(old, 1);
	if (rv == WARM_INTERRUPTED)
		rv = 128 + (cmd_stop_signo != 0 ? (int)cmd_stop_signo : SIGINT);
	if (ctx->json && report.len > 0)
		fwrite(report.data, 1, report.len, stdout);
	fflush(stdout);
	/* A dry run is a preview: it goes to stdout only, never to the topic. */
	if (!opts.dry_run && report.len > 0)
		cmd_submit(ctx, &report);
	buf_free(&report);
	free(names);
	return rv;
}

/* The daemon owns the config from here on: it swaps it on SIGHUP. */
static int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct conf *conf = ctx->conf;

	if (cmd_no_args(ctx, "run", argc, argv) != 0)
		return CW_EXIT_USAGE;
	ctx->conf = NULL;
	return daemon_run(ctx->conf_path, conf);
}

static int
cmd_verify(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf report = BUF_INIT;
	int i, n = 0, rv;

	/* The set names stay in argv, moved up over --json. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx->json = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: cachewarden verify [SET...] [--json]\n");
			return CW_EXIT_USAGE;
		} else
			argv[1 + n++] = argv[i];
	}
	rv = verify_run(ctx->conf, argv + 1, (size_t)n, &report);
	if (ctx->json && report.len > 0)
		fwrite(report.data, 1, report.len, stdout);
	fflush(stdout);
	if (report.len > 0)
		cmd_submit(ctx, &report);
	buf_free(&report);
	return rv;
}

/* The config is optional here: it only supplies default key paths. */
static int
cmd_manifest(struct cmd_ctx *ctx, int argc, char **argv)
{
	if ((ctx->conf_path != NULL || getenv("CACHEWARDEN_CONFIG") != NULL) &&
	    cmd_load_conf(ctx) != 0)
		return CW_EXIT_CONFIG;
	return manifest_cmd(ctx->conf, argc, argv);
}

static int
cmd_health(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct health_result result;
	struct buf out = BUF_INIT;
	int rv;

	if (cmd_no_args(ctx, "health", argc, argv) != 0)
		return CW_EXIT_USAGE;
	health_run(ctx->conf, &result);
	if (ctx->json)
		health_format_json(&result, ctx->conf, &out);
	else
		health_format_text(&result, &out);
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	health_report(ctx->conf, &result, CMD_HEALTH_REPORT_WAIT_MS);
	rv = result.ok ? CW_EXIT_OK : CW_EXIT_UNAVAILABLE;
	buf_free(&out);
	health_result_free(&result);
	return rv;
}

static int
cmd_report(struct cmd_ctx *ctx, int argc, char **argv)
{
	return report_cmd(ctx->conf, argc, argv, ctx->json);
}

static int
cmd_spool(struct cmd_ctx *ctx, int argc, char **argv)
{
	return report_cmd_spool(ctx->conf, argc, argv, ctx->json);
}

static int
cmd_version(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	printf("cachewarden %s\n", PACKAGE_VERSION);
	/* What verify can check depends on the build: say so. */
	if (zst_version() != NULL)
		printf("zstd checks: libzstd %s\n", zst_version());
	else
		printf("zstd checks: not built in (zstd exports are UNCHECKED)\n");
	return CW_EXIT_OK;
}

static int
cmd_help(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd *c;

	(void)ctx;
	if (argc < 2) {
		cmd_usage(stdout);
		return CW_EXIT_OK;
	}
	if (strcmp(argv[1], "config") == 0) {
		/* --man: the roff key reference that the build splices into agent.conf(5). */
		if (argc > 2 && strcmp(argv[2], "--man") == 0)
			conf_print_keys_man(stdout);
		else
			conf_print_keys(stdout);
		return CW_EXIT_OK;
	}
	if ((c = cmd_find(argv[1])) == NULL) {
		fprintf(stderr, "cachewarden: unknown command '%s'\n", argv[1]);
		return CW_EXIT_USAGE;
	}
	printf("usage: cachewarden %s %s\n  %s\n", c->name, c->usage, c->summary);
	return CW_EXIT_OK;
}

static int
cmd_load_conf(struct cmd_ctx *ctx)
{
	struct conf_errors errors;
	enum log_level level;
	size_t i;

	if (ctx->conf_path == NULL)
		ctx->conf_path = getenv("CACHEWARDEN_CONFIG");
	if (ctx->conf_path == NULL || *ctx->conf_path == '\0')
		ctx->conf_path = CONF_DEFAULT_PATH;
	if ((ctx->conf = conf_load(ctx->conf_path, 1, &errors)) == NULL) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "%s\n", errors.lines[i]);
		fprintf(stderr, "cachewarden: %zu error%s in the configuration\n", errors.count,
		        errors.count == 1 ? "" : "s");
		conf_errors_free(&errors);
		return -1;
	}
	level = (enum log_level)ctx->conf->agent.log_level;
	if (ctx->verbosity < 0)
		level = LOG_LEVEL_ERROR;
	else if (level + ctx->verbosity > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	else
		level += ctx->verbosity;
	log_init(level,
	         ctx->conf->agent.log_format == CONF_LOG_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	return 0;
}

static int
cmd_parse_global(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = { { "config", required_argument, NULL, 'c' },
		                                  { "verbose", no_argument, NULL, 'v' },
		                                  { "quiet", no_argument, NULL, 'q' },
		                                  { "json", no_argument, NULL, 'j' },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { "version", no_argument, NULL, 'V' },
		                                  { NULL, 0, NULL, 0 } };
	int ch;

	/* '+': stop at the command, whose own arguments may look like options. */
	while ((ch = getopt_long(argc, argv, "+c:vqhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx->conf_path = optarg;
			break;
		case 'v':
			ctx->verbosity = ctx->verbosity < 0 ? 1 : ctx->verbosity + 1;
			break;
		case 'q':
			ctx->verbosity = -1;
			break;
		case 'j':
			ctx->json = 1;
			break;
		case 'h':
			cmd_usage(stdout);
			return 0;
		case 'V':
			printf("cachewarden %s\n", PACKAGE_VERSION);
			return 0;
		default:
			cmd_usage(stderr);
			return -1;
		}
	}
	return optind;
}

/*
 * Before anything holds a secret: no core files and no ptrace by the same
 * user (a core taken later would hold passwords and keys), and libsodium
 * ready before any thread wants randomness.
 */
static void
cmd_harden(void)
{
	struct rlimit none = { 0, 0 }, now;

	/* Under systemd (LimitCORE=0) it is already so, and setrlimit may be filtered out. */
	if ((getrlimit(RLIMIT_CORE, &now) != 0 || now.rlim_cur != 0 || now.rlim_max != 0) &&
	    setrlimit(RLIMIT_CORE, &none) != 0)
		log_warn("cannot turn core dumps off (RLIMIT_CORE): %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("cannot turn core dumps off (PR_SET_DUMPABLE): %s", strerror(errno));
	if (crypto_init() != 0)
		fatal("libsodium cannot initialise: no randomness from the kernel");
}

/* Temporary files of durable writes that a killed run left in state_dir and manifest_dir. */
static void
cmd_clean_state(const struct conf *conf)
{
	const char *dirs[] = { conf->agent.state_dir, conf->verify.manifest_dir };
	size_t i;
	int n;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		if (dirs[i] == NULL || (n = fileio_temps(dirs[i], 1, NULL)) <= 0)
			continue;
		log_info("removed %d temporary file%s left by an interrupted write in %s", n,
		         n == 1 ? "" : "s", dirs[i]);
	}
}

int
cmd_main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const struct cmd *c;
	int first, rv;

	memset(&ctx, 0, sizeof ctx);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	cmd_harden();
	/* A peer that goes away is an error return (EPIPE), never a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((first = cmd_parse_global(&ctx, argc, argv)) <= 0)
		return first == 0 ? CW_EXIT_OK : CW_EXIT_USAGE;
	if (first >= argc) {
		cmd_usage(stderr);
		return CW_EXIT_USAGE;
	}
	if ((c = cmd_find(argv[first])) == NULL) {
		fprintf(stderr, "cachewarden: unknown command '%s' (see 'cachewarden help')\n",
		        argv[first]);
		return CW_EXIT_USAGE;
	}
	if (c->fn == NULL) {
		fprintf(stderr, "cachewarden %s: not built yet (arrives with %s)\n", c->name,
		        c->pending);
		return CW_EXIT_USAGE;
	}
	if (c->needs_conf && cmd_load_conf(&ctx) != 0)
		return CW_EXIT_CONFIG;
	if (ctx.conf != NULL && c->fn != cmd_check_config) /* checking changes nothing */
		cmd_clean_state(ctx.conf);
	rv = c->fn(&ctx, argc - first, argv + first);
	conf_free(ctx.conf);
	return rv;
}
