/*
 * minisign: minisign-compatible keys and signatures (see minisign.h). The
 * cryptography is crypto.c's; this module is file formats and I/O only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fileio.h"
#include "minisign.h"
#include "xmalloc.h"

#define COMMENT_PREFIX      "untrusted comment: "
#define TRUSTED_PREFIX      "trusted comment: "
#define ALG_LEGACY          "Ed"
#define ALG_HASHED          "ED"
#define KDF_NONE            "\0\0"
#define KDF_SCRYPT          "Sc"
#define CHK_BLAKE2B         "B2"
#define PUBKEY_BLOB_LEN     (2 + MINISIGN_KEYID_LEN + 32)
#define SIG_BLOB_LEN        (2 + MINISIGN_KEYID_LEN + CRYPTO_ED25519_SIG_LEN)
#define TRUSTED_COMMENT_MAX 8192 /* minisign's limit, prefix included */
#define KEYFILE_MAX         (16 * 1024)
#define READ_CHUNK          (1024 * 1024)

/* Secret key blob layout, as minisign's SeckeyStruct. */
#define SK_OFF_KDF      2
#define SK_OFF_CHKALG   4
#define SK_OFF_KEYID    54
#define SK_OFF_SK       (SK_OFF_KEYID + MINISIGN_KEYID_LEN)
#define SK_OFF_CHK      (SK_OFF_SK + CRYPTO_ED25519_SECKEY_LEN)
#define SECKEY_BLOB_LEN (SK_OFF_CHK + CRYPTO_BLAKE2B256_LEN)

struct minisign_sign {
	struct crypto_blake2b *hash;
	struct minisign_seckey key;
};

struct minisign_verify {
	struct minisign_pubkey pk;
	int hashed; /* "ED"; otherwise the legacy "Ed" needs the whole message */
	uint8_t sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t global[CRYPTO_ED25519_SIG_LEN];
	char *trusted;
	struct crypto_blake2b *hash;
	struct buf message;
	int too_big;
};

/* minisign shows key ids as the little-endian number they encode. */
static uint64_t
keyid_num(const uint8_t keyid[MINISIGN_KEYID_LEN])
{
	uint64_t v = 0;
	int i;

	for (i = MINISIGN_KEYID_LEN - 1; i >= 0; i--)
		v = v << 8 | keyid[i];
	return v;
}

/* Reads a whole small file (a key or a signature) into out, NUL-terminated. */
static int
read_small(const char *path, int secret, struct buf *out, char **cause)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto fail;
	}
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		*cause = xasprintf("%s: secret key is accessible by group or others (mode %03o); "
		                   "chmod 600 it",
		                   path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	buf_reset(out);
	do {
		buf_reserve(out, 4096);
		n = read(fd, out->data + out->len, 4096);
		if (n > 0)
			out->len += (size_t)n;
	} while ((n > 0 || (n == -1 && errno == EINTR)) && out->len <= KEYFILE_MAX);
	if (n == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (out->len > KEYFILE_MAX || memchr(out->data, '\0', out->len) != NULL) {
		*cause = xasprintf("%s: not a minisign file (too large or binary)", path);
		goto fail;
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/* Cuts text into lines in place, dropping "\r\n" or "\n"; returns how many (at most max). */
static size_t
split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0, len;
	char *nl;

	while (n < max && *text != '\0') {
		lines[n++] = text;
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		else
			*nl++ = '\0';
		len = strlen(text);
		if (len > 0 && text[len - 1] == '\r')
			text[len - 1] = '\0';
		text = nl;
	}
	return n;
}

static int
decode_line(const char *line, uint8_t *out, size_t want, const char *what, char **cause)
{
	size_t got;

	if (crypto_base64_decode(line, strlen(line), out, want, &got) != 0 || got != want) {
		*cause = xasprintf("%s: bad base64 or wrong length", what);
		return -1;
	}
	return 0;
}

/* A trusted comment is one line shown to people: tabs and UTF-8, but no control characters. */
static int
comment_ok(const char *s)
{
	const unsigned char *p;

	if (strlen(s) >= TRUSTED_COMMENT_MAX - sizeof TRUSTED_PREFIX)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	}
	return 1;
}

int
minisign_pubkey_parse(const char *b64, struct minisign_pubkey *pk, char **cause)
{
	uint8_t blob[PUBKEY_BLOB_LEN];

	if (decode_line(b64, blob, sizeof blob, "public key", cause) != 0)
		return -1;
	if (memcmp(blob, ALG_LEGACY, 2) != 0) {
		*cause = xasprintf("public key: unsupported signature algorithm");
		return -1;
	}
	memcpy(pk->keyid, blob + 2, MINISIGN_KEYID_LEN);
	memcpy(pk->pk, blob + 2 + MINISIGN_KEYID_LEN, sizeof pk->pk);
	return 0;
}

int
minisign_pubkey_load(const char *path, struct minisign_pubkey *pk, char **cause)
{
	struct buf b = BUF_INIT;
	char *lines[2], *why;
	int rc = -1;

	if (read_small(path, 0, &b, cause) != 0)
		return -1;
	/* Like minisign, the first line is a comment of any form. */
	if (split_lines(b.data, lines, 2) != 2)
		*cause = xasprintf("%s: public key: missing key line", path);
	else if (minisign_pubkey_parse(lines[1], pk, &why) != 0) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
	} else
		rc = 0;
	buf_free(&b);
	return rc;
}

static void
seckey_checksum(const uint8_t *blob, uint8_t out[CRYPTO_BLAKE2B256_LEN])
{
	struct crypto_blake2b *h = crypto_blake2b_init(CRYPTO_BLAKE2B256_LEN);

	crypto_blake2b_update(h, blob, 2);
	crypto_blake2b_update(h, blob + SK_OFF_KEYID, MINISIGN_KEYID_LEN);
	crypto_blake2b_update(h, blob + SK_OFF_SK, CRYPTO_ED25519_SECKEY_LEN);
	crypto_blake2b_final(h, out);
	crypto_blake2b_free(h);
}

static const char *
seckey_check(const uint8_t *blob)
{
	static const uint8_t zero[CRYPTO_BLAKE2B256_LEN];
	uint8_t chk[CRYPTO_BLAKE2B256_LEN], pk[CRYPTO_ED25519_PUBKEY_LEN];
	uint8_t sk[CRYPTO_ED25519_SECKEY_LEN];
	const char *why = NULL;

	if (memcmp(blob, ALG_LEGACY, 2) != 0)
		return "unsupported signature algorithm";
	if (memcmp(blob + SK_OFF_CHKALG, CHK_BLAKE2B, 2) != 0)
		return "unsupported checksum algorithm";
	if (memcmp(blob + SK_OFF_KDF, KDF_SCRYPT, 2) == 0)
		return "password-protected secret keys are not supported (remove the password "
		       "with minisign -C -W)";
	if (memcmp(blob + SK_OFF_KDF, KDF_NONE, 2) != 0)
		return "unsupported key derivation function";
	seckey_checksum(blob, chk);
	if (memcmp(blob + SK_OFF_CHK, zero, sizeof zero) != 0 &&
	    !crypto_memeq(chk, blob + SK_OFF_CHK, sizeof chk))
		why = "checksum mismatch (damaged key file)";
	/* The key's second half must be the public key of its seed. */
	crypto_ed25519_seed_keypair(pk, sk, blob + SK_OFF_SK);
	if (why == NULL && !crypto_memeq(sk, blob + SK_OFF_SK, sizeof sk))
		why = "inconsistent key pair (damaged key file)";
	crypto_wipe(sk, sizeof sk);
	crypto_wipe(chk, sizeof chk);
	return why;
}

int
minisign_seckey_load(const char *path, struct minisign_seckey *sk, char **cause)
{
	uint8_t blob[SECKEY_BLOB_LEN];
	struct buf b = BUF_INIT;
	const char *why = NULL;
	char *lines[2], *err = NULL;
	int rc = -1;

	if (read_small(path, 1, &b, cause) != 0)
		return -1;
	if (split_lines(b.data, lines, 2) != 2)
		why = "missing key line";
	else if (decode_line(lines[1], blob, sizeof blob, "secret key", &err) != 0)
		why = err;
	else if ((why = seckey_check(blob)) == NULL) {
		memcpy(sk->keyid, blob + SK_OFF_KEYID, MINISIGN_KEYID_LEN);
		memcpy(sk->sk, blob + SK_OFF_SK, sizeof sk->sk);
		rc = 0;
	}
	if (why != NULL)
		*cause = xasprintf("%s: secret key: %s", path, why);
	free(err);
	crypto_wipe(blob, sizeof blob);
	crypto_wipe(b.data, b.len);
	buf_free(&b);
	return rc;
}

void
minisign_seckey_wipe(struct minisign_seckey *sk)
{
	crypto_wipe(sk, sizeof *sk);
}

/* ---- writing files ---- */

/* Creates path, which must not exist, with text in it, synced to disk. */
static int
write_new(const char *path, mode_t mode, const char *text, char **cause)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fileio_write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static char *
keyfile_text(const char *comment, uint64_t id, const uint8_t *blob, size_t len)
{
	char *b64 = crypto_base64_encode(blob, len);
	char *text = xasprintf(COMMENT_PREFIX "%s %016" PRIX64 "\n%s\n", comment, id, b64);

	crypto_wipe(b64, strlen(b64));
	free(b64);
	return text;
}

int
minisign_keygen(const char *pub_path, const char *sec_path, char **cause)
{
	uint8_t sblob[SECKEY_BLOB_LEN] = { 0 }, pblob[PUBKEY_BLOB_LEN];
	char *stext, *ptext;
	uint64_t id;
	int rc = -1;

	memcpy(sblob, ALG_LEGACY, 2);
	memcpy(sblob + SK_OFF_KDF, KDF_NONE, 2);
	memcpy(sblob + SK_OFF_CHKALG, CHK_BLAKE2B, 2);
	crypto_random(sblob + SK_OFF_KEYID, MINISIGN_KEYID_LEN);
	memcpy(pblob, ALG_LEGACY, 2);
	memcpy(pblob + 2, sblob + SK_OFF_KEYID, MINISIGN_KEYID_LEN);
	crypto_ed25519_keypair(pblob + 2 + MINISIGN_KEYID_LEN, sblob + SK_OFF_SK);
	seckey_checksum(sblob, sblob + SK_OFF_CHK);
	id = keyid_num(sblob + SK_OFF_KEYID);
	stext = keyfile_text("minisign secret key (unencrypted)", id, sblob, sizeof sblob);
	ptext = keyfile_text("minisign public key", id, pblob, sizeof pblob);
	if (write_new(sec_path, 0600, stext, cause) == 0) {
		if (write_new(pub_path, 0644, ptext, cause) == 0)
			rc = 0;
		else
			unlink(sec_path); /* no half key pair */
	}
	crypto_wipe(sblob, sizeof sblob);
	crypto_wipe(stext, strlen(stext));
	free(stext);
	free(ptext);
	return rc;
}

/* ---- signing ---- */

struct minisign_sign *
minisign_sign_init(const struct minisign_seckey *sk)
{
	struct minisign_sign *s = xcalloc(1, sizeof *s);

	s->hash = crypto_blake2b_init(CRYPTO_BLAKE2B512_LEN);
	s->key = *sk;
	return s;
}

void
minisign_sign_update(struct minisign_sign *s, const void *data, size_t len)
{
	crypto_blake2b_update(s->hash, data, len);
}

void
minisign_sign_free(struct minisign_sign *s)
{
	if (s == NULL)
		return;
	crypto_blake2b_free(s->hash);
	minisign_seckey_wipe(&s->key);
	free(s);
}

static char *
sig_text(const uint8_t *blob, const char *trusted, const uint8_t *global, uint64_t id)
{
	char *b64 = crypto_base64_encode(blob, SIG_BLOB_LEN);
	char *g64 = crypto_base64_encode(global, CRYPTO_ED25519_SIG_LEN);
	char *text = xasprintf(COMMENT_PREFIX "signature from cachewarden secret key %016" PRIX64
	                                      "\n%s\n" TRUSTED_PREFIX "%s\n%s\n",
	                       id, b64, trusted, g64);

	free(b64);
	free(g64);
	return text;
}

int
minisign_sign_final(struct minisign_sign *s, const char *trusted_comment, char **sigtext,
                    char **cause)
{
	uint8_t digest[CRYPTO_BLAKE2B512_LEN], blob[SIG_BLOB_LEN], global[CRYPTO_ED25519_SIG_LEN];
	uint8_t *sig = blob + 2 + MINISIGN_KEYID_LEN;
	char *dflt = NULL;
	struct buf both = BUF_INIT;

	if (trusted_comment == NULL)
		trusted_comment = dflt = xasprintf("timestamp:%lld\thashed", (long long)time(NULL));
	if (!comment_ok(trusted_comment)) {
		*cause = xasprintf("trusted comment: not one line of printable text, or too long");
		free(dflt);
		return -1;
	}
	crypto_blake2b_final(s->hash, digest);
	memcpy(blob, ALG_HASHED, 2);
	memcpy(blob + 2, s->key.keyid, MINISIGN_KEYID_LEN);
	crypto_ed25519_sign(sig, digest, sizeof digest, s->key.sk);
	/* The global signature binds the trusted comment to this signature. */
	buf_add(&both, sig, CRYPTO_ED25519_SIG_LEN);
	buf_adds(&both, trusted_comment);
	crypto_ed25519_sign(global, both.data, both.len, s->key.sk);
	*sigtext = sig_text(blob, trusted_comment, global, keyid_num(s->key.keyid));
	buf_free(&both);
	free(dflt);
	return 0;
}

/* The default trusted comment of minisign, with the name made printable. */
static char *
default_comment(const char *path)
{
	const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	char *c = xasprintf("timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), base);
	unsigned char *p;

	for (p = (unsigned char *)c; *p != '\0'; p++) {
		if (*p < 0x20 && *p != '\t')
			*p = '?';
	}
	return c;
}

/* Feeds the file at path to fn in chunks: the one read of the file. */
static int
feed_file(const char *path, void (*fn)(void *, const void *, size_t), void *ctx, char **cause)
{
	uint8_t *chunk;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	chunk = xmalloc(READ_CHUNK);
	while ((n = read(fd, chunk, READ_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		fn(ctx, chunk, (size_t)n);
	}
	if (n == -1)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	free(chunk);
	close(fd);
	return n == -1 ? -1 : 0;
}

static void
sign_feed(void *ctx, const void *data, size_t len)
{
	minisign_sign_update(ctx, data, len);
}

int
minisign_sign_file(const char *sec_path, const char *path, const char *sig_path,
                   const char *trusted_comment, char **cause)
{
	struct minisign_seckey sk;
	struct minisign_sign *s;
	char *text = NULL, *dflt = NULL, *defpath = NULL;
	int rc = -1;

	if (minisign_seckey_load(sec_path, &sk, cause) != 0)
		return -1;
	s = minisign_sign_init(&sk);
	minisign_seckey_wipe(&sk);
	if (trusted_comment == NULL)
		trusted_comment = dflt = default_comment(path);
	if (sig_path == NULL)
		sig_path = defpath = xasprintf("%s.minisig", path);
	if (feed_file(path, sign_feed, s, cause) == 0 &&
	    minisign_sign_final(s, trusted_comment, &text, cause) == 0)
		rc = fileio_replace(sig_path, text, strlen(text), 0644, cause);
	minisign_sign_free(s);
	free(text);
	free(dflt);
	free(defpath);
	return rc;
}

/* ---- verifying ---- */

static int
sig_parse(struct minisign_verify *v, char *text, char **cause)
{
	uint8_t blob[SIG_BLOB_LEN];
	char *lines[4];

	if (split_lines(text, lines, 4) != 4) {
		*cause = xasprintf("signature: expected 4 lines");
		return -1;
	}
	if (strncmp(lines[0], COMMENT_PREFIX, strlen(COMMENT_PREFIX)) != 0 ||
	    strncmp(lines[2], TRUSTED_PREFIX, strlen(TRUSTED_PREFIX)) != 0) {
		*cause = xasprintf("signature: untrusted or trusted comment line missing");
		return -1;
	}
	if (decode_line(lines[1], blob, sizeof blob, "signature", cause) != 0 ||
	    decode_line(lines[3], v->global, sizeof v->global, "signature: global signature",
	                cause) != 0)
		return -1;
	if (memcmp(blob, ALG_HASHED, 2) != 0 && memcmp(blob, ALG_LEGACY, 2) != 0) {
		*cause = xasprintf("signature: unsupported signature algorithm");
		return -1;
	}
	if (!comment_ok(lines[2] + strlen(TRUSTED_PREFIX))) {
		*cause = xasprintf(
		        "signature: trusted comment has control characters or is too long");
		return -1;
	}
	v->hashed = memcmp(blob, ALG_HASHED, 2) == 0;
	if (memcmp(blob + 2, v->pk.keyid, MINISIGN_KEYID_LEN) != 0) {
		*cause = xasprintf("signature: made with key %016" PRIX64
		                   ", not with key %016" PRIX64,
		                   keyid_num(blob + 2), keyid_num(v->pk.keyid));
		return -1;
	}
	memcpy(v->sig, blob + 2 + MINISIGN_KEYID_LEN, sizeof v->sig);
	v->trusted = xstrdup(lines[2] + strlen(TRUSTED_PREFIX));
	return 0;
}

struct minisign_verify *
minisign_verify_init(const struct minisign_pubkey *pk, const char *sigtext, size_t siglen,
                     char **cause)
{
	struct minisign_verify *v;
	char *text;

	if (memchr(sigtext, '\0', siglen) != NULL) {
		*cause = xasprintf("signature: not a minisign signature (binary data)");
		return NULL;
	}
	v = xcalloc(1, sizeof *v);
	v->pk = *pk;
	text = xstrndup(sigtext, siglen);
	if (sig_parse(v, text, cause) != 0) {
		free(text);
		minisign_verify_free(v);
		return NULL;
	}
	free(text);
	if (v->hashed)
		v->hash = crypto_blake2b_init(CRYPTO_BLAKE2B512_LEN);
	return v;
}

void
minisign_verify_update(struct minisign_verify *v, const void *data, size_t len)
{
	if (v->hashed) {
		crypto_blake2b_update(v->hash, data, len);
		return;
	}
	/* Legacy signatures cover the message itself; keep memory bounded. */
	if (v->too_big || len > MINISIGN_LEGACY_MAX - v->message.len) {
		v->too_big = 1;
		buf_free(&v->message);
		return;
	}
	buf_add(&v->message, data, len);
}

int
minisign_verify_final(struct minisign_verify *v, char **trusted_comment, char **cause)
{
	uint8_t digest[CRYPTO_BLAKE2B512_LEN];
	const void *msg = digest;
	size_t len = sizeof digest;
	struct buf both = BUF_INIT;
	int rc = -1;

	if (v->hashed) {
		crypto_blake2b_final(v->hash, digest);
	} else if (v->too_big) {
		*cause = xasprintf("legacy (non-prehashed) signature over more than %u bytes: "
		                   "not verified; sign with minisign's default prehashed mode",
		                   MINISIGN_LEGACY_MAX);
		return -1;
	} else {
		msg = v->message.len > 0 ? (const void *)v->message.data : (const void *)"";
		len = v->message.len;
	}
	buf_add(&both, v->sig, sizeof v->sig);
	buf_adds(&both, v->trusted);
	if (crypto_ed25519_verify(v->sig, msg, len, v->pk.pk) != 0)
		*cause = xasprintf("signature verification failed: file altered or not signed by "
		                   "this key");
	else if (crypto_ed25519_verify(v->global, both.data, both.len, v->pk.pk) != 0)
		*cause = xasprintf("trusted comment signature verification failed");
	else
		rc = 0;
	if (rc == 0 && trusted_comment != NULL)
		*trusted_comment = xstrdup(v->trusted);
	buf_free(&both);
	return rc;
}

void
minisign_verify_free(struct minisign_verify *v)
{
	if (v == NULL)
		return;
	crypto_blake2b_free(v->hash);
	buf_free(&v->message);
	free(v->trusted);
	free(v);
}

static void
verify_feed(void *ctx, const void *data, size_t len)
{
	minisign_verify_update(ctx, data, len);
}

int
minisign_verify_file(const struct minisign_pubkey *pk, const char *path, const char *sig_path,
                     char **trusted_comment, char **cause)
{
	struct minisign_verify *v;
	struct buf sig = BUF_INIT;
	char *defpath = NULL, *why;
	int rc = -1;

	if (sig_path == NULL)
		sig_path = defpath = xasprintf("%s.minisig", path);
	if (read_small(sig_path, 0, &sig, cause) != 0)
		goto out;
	if ((v = minisign_verify_init(pk, sig.data, sig.len, &why)) == NULL) {
		*cause = xasprintf("%s: %s", sig_path, why);
		free(why);
		goto out;
	}
	if (feed_file(path, verify_feed, v, cause) == 0) {
		if (minisign_verify_final(v, trusted_comment, &why) == 0) {
			rc = 0;
		} else {
			*cause = xasprintf("%s: %s", path, why);
			free(why);
		}
	}
	minisign_verify_free(v);
out:
	buf_free(&sig);
	free(defpath);
	return rc;
}
