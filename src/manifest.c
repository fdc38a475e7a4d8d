/*
 * manifest: the per-set record of verified files (see manifest.h), its
 * durable writing, its minisign signature, and the `manifest` command.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fileio.h"
#include "manifest.h"
#include "minisign.h"
#include "xmalloc.h"

#define MANIFEST_MAGIC   "# cachewarden manifest "
#define MANIFEST_VERSION 1
#define ENTRY_PREFIX     "# entry "
#define HEX_LEN          (2 * MANIFEST_DIGEST_LEN)
/* "2026-01-02T03:04:05.123456789Z" and its NUL. */
#define TIME_NS_LEN 31

void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof *m);
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->entries[i].path);
	free(m->entries);
	manifest_init(m);
}

void
manifest_add(struct manifest *m, const struct manifest_entry *e)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->entries = xreallocarray(m->entries, m->cap, sizeof *m->entries);
	}
	m->entries[m->n] = *e;
	m->entries[m->n].path = xstrdup(e->path);
	m->n++;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct manifest_entry *)a)->path,
	              ((const struct manifest_entry *)b)->path);
}

void
manifest_sort(struct manifest *m)
{
	if (m->n > 1)
		qsort(m->entries, m->n, sizeof *m->entries, cmp_entry);
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *path)
{
	struct manifest_entry key;

	if (m->n == 0)
		return NULL;
	memset(&key, 0, sizeof key); /* only path is compared */
	key.path = (char *)path;
	return bsearch(&key, m->entries, m->n, sizeof *m->entries, cmp_entry);
}

/* ---- text form ---- */

static void
format_time(int64_t s, long ns, int with_ns, char out[TIME_NS_LEN])
{
	time_t t = (time_t)s;
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		/* Outside what RFC 3339 can say; parse_time refuses it back. */
		snprintf(out, TIME_NS_LEN, "invalid");
		return;
	}
	n = strftime(out, TIME_NS_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (with_ns)
		snprintf(out + n, TIME_NS_LEN - n, ".%09ldZ", ns);
	else
		snprintf(out + n, TIME_NS_LEN - n, "Z");
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z", UTC; the fraction has 1 to 9 digits. */
static int
parse_time(const char *s, int64_t *sec, long *nsec)
{
	struct tm tm;
	int y, mo, d, h, mi, se, i;
	long ns = 0, scale = 100000000;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	s += 19;
	if (*s == '.') {
		for (i = 1; i <= 9 && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			ns += (s[i] - '0') * scale;
		if (i == 1)
			return -1;
		s += i;
	}
	if (strcmp(s, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse what does not round-trip. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*sec = (int64_t)t;
	if (nsec != NULL)
		*nsec = ns;
	else if (ns != 0)
		return -1;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
parse_hex(const char *s, size_t nhex, uint8_t *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < nhex / 2; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* One "key=value" of an entry line; unknown keys are skipped for later versions. */
static int
parse_field(char *kv, struct manifest_entry *e, unsigned *seen)
{
	char *v = strchr(kv, '=');
	uint8_t crc[4];

	if (v == NULL)
		return -1;
	*v++ = '\0';
	if (strcmp(kv, "size") == 0) {
		*seen |= 1;
		return parse_u64(v, &e->size);
	} else if (strcmp(kv, "mtime") == 0) {
		*seen |= 2;
		return parse_time(v, &e->mtime_s, &e->mtime_ns);
	} else if (strcmp(kv, "crc32") == 0) {
		*seen |= 4;
		if (strlen(v) != 8 || parse_hex(v, 8, crc) != 0)
			return -1;
		e->crc32 = (uint32_t)crc[0] << 24 | (uint32_t)crc[1] << 16 | (uint32_t)crc[2] << 8 |
		           crc[3];
		return 0;
	} else if (strcmp(kv, "first_seen") == 0) {
		*seen |= 8;
		return parse_time(v, &e->first_seen, NULL);
	} else if (strcmp(kv, "last_verified") == 0) {
		*seen |= 16;
		return parse_time(v, &e->last_verified, NULL);
	}
	return 0;
}

static int
parse_entry_line(char *line, struct manifest_entry *e)
{
	unsigned seen = 0;
	char *tok, *next;

	memset(e, 0, sizeof *e);
	for (tok = line; *tok != '\0'; tok = next) {
		next = tok + strcspn(tok, " ");
		if (*next == ' ')
			*next++ = '\0';
		if (*tok != '\0' && parse_field(tok, e, &seen) != 0)
			return -1;
	}
	return seen == 31 ? 0 : -1;
}

/* Undoes b2sum's escaping of a name in place: \\ \n \r. */
static int
unescape_name(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*out++ = *s;
			continue;
		}
		s++;
		if (*s == '\\')
			*out++ = '\\';
		else if (*s == 'n')
			*out++ = '\n';
		else if (*s == 'r')
			*out++ = '\r';
		else
			return -1;
	}
	*out = '\0';
	return 0;
}

/* "[\]HEX  NAME" as b2sum writes it (" *NAME", binary mode, is accepted too). */
static int
parse_digest_line(char *line, struct manifest_entry *e)
{
	int escaped = line[0] == '\\';
	char *p = line + escaped;

	if (strlen(p) < HEX_LEN + 3 || p[HEX_LEN] != ' ' ||
	    (p[HEX_LEN + 1] != ' ' && p[HEX_LEN + 1] != '*') ||
	    parse_hex(p, HEX_LEN, e->blake2b) != 0)
		return -1;
	p += HEX_LEN + 2;
	if (escaped && unescape_name(p) != 0)
		return -1;
	e->path = p;
	return 0;
}

static int
parse_line(char *line, struct manifest *m, struct manifest_entry *pending, int *have_pending)
{
	if (strncmp(line, ENTRY_PREFIX, strlen(ENTRY_PREFIX)) == 0) {
		if (*have_pending)
			return -1;
		*have_pending = 1;
		return parse_entry_line(line + strlen(ENTRY_PREFIX), pending);
	}
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (!*have_pending || parse_digest_line(line, pending) != 0)
		return -1;
	*have_pending = 0;
	manifest_add(m, pending);
	return 0;
}

static int
check_magic(const char *line)
{
	size_t n = strlen(MANIFEST_MAGIC);
	char *end;
	long v;

	if (strncmp(line, MANIFEST_MAGIC, n) != 0)
		return -1;
	v = strtol(line + n, &end, 10);
	return end == line + n || *end != '\0' || v != MANIFEST_VERSION ? -1 : 0;
}

static int
check_duplicates(const struct manifest *m, char **cause)
{
	size_t i;

	for (i = 1; i < m->n; i++) {
		if (strcmp(m->entries[i - 1].path, m->entries[i].path) == 0) {
			*cause = xasprintf("manifest: %s is recorded twice", m->entries[i].path);
			return -1;
		}
	}
	return 0;
}

int
manifest_parse(const char *text, size_t len, struct manifest *m, char **cause)
{
	char *copy, *line, *nl;
	struct manifest_entry pending;
	unsigned lineno = 0;
	int have_pending = 0, rc = 0;

	if (memchr(text, '\0', len) != NULL) {
		*cause = xasprintf("manifest: binary data (NUL byte)");
		return -1;
	}
	copy = xstrndup(text, len);
	for (line = copy; rc == 0 && *line != '\0'; line = nl) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (lineno == 1 && check_magic(line) != 0) {
			*cause =
			        xasprintf("manifest: line 1: not a cachewarden manifest version %d",
			                  MANIFEST_VERSION);
			rc = -1;
		} else if (parse_line(line, m, &pending, &have_pending) != 0) {
			*cause = xasprintf("manifest: line %u: malformed", lineno);
			rc = -1;
		}
	}
	if (rc == 0 && lineno == 0) {
		*cause = xasprintf("manifest: empty file");
		rc = -1;
	} else if (rc == 0 && have_pending) {
		*cause = xasprintf("manifest: line %u: entry without its digest line", lineno);
		rc = -1;
	}
	free(copy);
	manifest_sort(m);
	return rc == 0 ? check_duplicates(m, cause) : rc;
}

/* The name as b2sum writes it; returns 1 when it had to be escaped. */
static int
escape_name(struct buf *out, const char *name)
{
	const char *p;

	if (strpbrk(name, "\\\n\r") == NULL) {
		buf_adds(out, name);
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if (*p == '\\')
			buf_adds(out, "\\\\");
		else if (*p == '\n')
			buf_adds(out, "\\n");
		else if (*p == '\r')
			buf_adds(out, "\\r");
		else
			buf_addc(out, *p);
	}
	return 1;
}

static void
format_entry(const struct manifest_entry *e, struct buf *out)
{
	char mtime[TIME_NS_LEN], first[TIME_NS_LEN], last[TIME_NS_LEN], hex[HEX_LEN + 1];
	struct buf name = BUF_INIT;

	format_time(e->mtime_s, e->mtime_ns, 1, mtime);
	format_time(e->first_seen, 0, 0, first);
	format_time(e->last_verified, 0, 0, last);
	buf_printf(out,
	           ENTRY_PREFIX "size=%" PRIu64 " mtime=%s crc32=%08" PRIx32
	                        " first_seen=%s last_verified=%s\n",
	           e->size, mtime, e->crc32, first, last);
	crypto_hex(e->blake2b, MANIFEST_DIGEST_LEN, hex);
	if (escape_name(&name, e->path))
		buf_addc(out, '\\');
	buf_printf(out, "%s  %s\n", hex, name.data);
	buf_free(&name);
}

void
manifest_format(const struct manifest *m, const char *set, int64_t written, struct buf *out)
{
	char when[TIME_NS_LEN];
	const char *p;
	size_t i;

	format_time(written, 0, 0, when);
	buf_printf(out, MANIFEST_MAGIC "%d\n# set: ", MANIFEST_VERSION);
	for (p = set; *p != '\0'; p++)
		buf_addc(out, *p == '\n' || *p == '\r' ? '?' : *p);
	buf_printf(out,
	           "\n# written: %s\n"
	           "# Digest lines are BLAKE2b-256 as b2sum prints them: b2sum -l 256 -c FILE\n",
	           when);
	for (i = 0; i < m->n; i++)
		format_entry(&m->entries[i], out);
}

/* ---- files ---- */

char *
manifest_path(const char *dir, const char *set)
{
	struct buf b = BUF_INIT;
	const unsigned char *p;

	buf_printf(&b, "%s/", dir);
	for (p = (const unsigned char *)set; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    (*p == '.' && p != (const unsigned char *)set))
			buf_addc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	buf_adds(&b, ".manifest");
	return buf_detach(&b);
}

int
manifest_mkdir(const char *dir, char **cause)
{
	return fileio_mkdirs(dir, 0750, cause);
}

int
manifest_read_file(const char *path, struct buf *out, char **cause)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return 1;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: read: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int
manifest_write_file(const char *path, const void *data, size_t len, char **cause)
{
	return fileio_replace(path, data, len, 0644, cause);
}

/* ---- signatures ---- */

int
manifest_sign(const char *seckey_path, const char *path, const void *data, size_t len,
              char **sigtext, char **cause)
{
	const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct minisign_seckey sk;
	struct minisign_sign *s;
	char *comment;
	unsigned char *p;
	int rc;

	if (minisign_seckey_load(seckey_path, &sk, cause) != 0)
		return -1;
	s = minisign_sign_init(&sk);
	minisign_seckey_wipe(&sk);
	minisign_sign_update(s, data, len);
	/* minisign's own default comment, so a signature by either tool reads the same. */
	comment = xasprintf("timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), base);
	for (p = (unsigned char *)comment; *p != '\0'; p++)
		if (*p < 0x20 && *p != '\t')
			*p = '?';
	rc = minisign_sign_final(s, comment, sigtext, cause);
	minisign_sign_free(s);
	free(comment);
	return rc;
}

int
manifest_check_signature(const struct minisign_pubkey *pk, const void *data, size_t len,
                         const char *sigtext, size_t siglen, char **cause)
{
	struct minisign_verify *v;
	int rc;

	if (siglen == 0) {
		*cause = xasprintf("signature: empty file");
		return -1;
	}
	if ((v = minisign_verify_init(pk, sigtext, siglen, cause)) == NULL)
		return -1;
	minisign_verify_update(v, data, len);
	rc = minisign_verify_final(v, NULL, cause);
	minisign_verify_free(v);
	return rc;
}

/* ---- the manifest command ---- */

#define MANIFEST_USAGE                                                                             \
	"usage: cachewarden manifest keygen [-p PUBKEY] [-s SECKEY]\n"                             \
	"       cachewarden manifest sign [-s SECKEY] [-t COMMENT] FILE...\n"                      \
	"       cachewarden manifest verify [-p PUBKEY | -P BASE64] [-x SIGFILE] FILE...\n"        \
	"Key paths default to [verify] trusted_key and signing_key of the config.\n"

static int
cmd_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "cachewarden manifest: %s\n", why);
	fputs(MANIFEST_USAGE, stderr);
	return 2;
}

static int
cmd_keygen(const struct conf *conf, int argc, char **argv)
{
	const char *pub = conf ? conf->verify.trusted_key : NULL;
	const char *sec = conf ? conf->verify.signing_key : NULL;
	char *cause = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "+p:s:")) != -1) {
		if (ch == 'p')
			pub = optarg;
		else if (ch == 's')
			sec = optarg;
		else
			return cmd_usage(NULL);
	}
	if (optind != argc || pub == NULL || sec == NULL)
		return cmd_usage(
		        "keygen needs -p PUBKEY and -s SECKEY (or both keys in the config)");
	if (minisign_keygen(pub, sec, &cause) != 0) {
		fprintf(stderr, "cachewarden manifest keygen: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("public key: %s\nsecret key: %s (mode 0600, unencrypted)\n", pub, sec);
	return 0;
}

static int
cmd_sign(const struct conf *conf, int argc, char **argv)
{
	const char *sec = conf ? conf->verify.signing_key : NULL, *comment = NULL;
	char *cause = NULL;
	int ch, i, rc = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "+s:t:")) != -1) {
		if (ch == 's')
			sec = optarg;
		else if (ch == 't')
			comment = optarg;
		else
			return cmd_usage(NULL);
	}
	if (optind == argc || sec == NULL)
		return cmd_usage("sign needs FILE... and -s SECKEY (or [verify] signing_key)");
	for (i = optind; i < argc; i++) {
		if (minisign_sign_file(sec, argv[i], NULL, comment, &cause) != 0) {
			fprintf(stderr, "cachewarden manifest sign: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
		} else
			printf("%s: signed, %s.minisig\n", argv[i], argv[i]);
	}
	return rc;
}

static int
load_pubkey(const char *path, const char *b64, struct minisign_pubkey *pk)
{
	char *cause = NULL;
	int rc;

	rc = b64 != NULL ? minisign_pubkey_parse(b64, pk, &cause)
	                 : minisign_pubkey_load(path, pk, &cause);
	if (rc != 0) {
		fprintf(stderr, "cachewarden manifest verify: %s\n", cause);
		free(cause);
	}
	return rc;
}

static int
cmd_verify(const struct conf *conf, int argc, char **argv)
{
	const char *pub = conf ? conf->verify.trusted_key : NULL, *b64 = NULL, *sig = NULL;
	struct minisign_pubkey pk;
	char *cause = NULL, *comment = NULL;
	int ch, i, rc = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "+p:P:x:")) != -1) {
		if (ch == 'p')
			pub = optarg;
		else if (ch == 'P')
			b64 = optarg;
		else if (ch == 'x')
			sig = optarg;
		else
			return cmd_usage(NULL);
	}
	if (optind == argc || (pub == NULL && b64 == NULL))
		return cmd_usage("verify needs FILE... and -p PUBKEY, -P BASE64 or [verify] "
		                 "trusted_key");
	if (sig != NULL && argc - optind > 1)
		return cmd_usage("-x SIGFILE takes a single FILE");
	if (load_pubkey(pub, b64, &pk) != 0)
		return 1;
	for (i = optind; i < argc; i++) {
		if (minisign_verify_file(&pk, argv[i], sig, &comment, &cause) != 0) {
			fprintf(stderr, "cachewarden manifest verify: %s\n", cause);
			free(cause);
			cause = NULL;
			rc = 1;
			continue;
		}
		printf("%s: signature ok, trusted comment: %s\n", argv[i], comment);
		free(comment);
		comment = NULL;
	}
	return rc;
}

int
manifest_cmd(const struct conf *conf, int argc, char **argv)
{
	if (crypto_init() != 0) {
		fprintf(stderr, "cachewarden manifest: libsodium could not be initialised\n");
		return 1;
	}
	if (argc < 2)
		return cmd_usage(NULL);
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(conf, argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(conf, argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(conf, argc - 1, argv + 1);
	return cmd_usage("unknown subcommand (keygen, sign or verify)");
}
