/*
 * Unit tests for minisign: fixtures made by minisign 0.11 (`minisign -G -W`,
 * `minisign -S`, `minisign -S -l`) verified and used for signing here, and,
 * when the minisign binary is on PATH, our signatures checked by it and its
 * signatures made with our keys checked by us.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "crypto.h"
#include "minisign.h"
#include "xmalloc.h"

#define FIXTURE_PUBKEY_B64 "RWQKwH3hKp7UcLXI0LBwVKB+99G+3xfKwORWRVjrTr8VE0wTQcqWiF9b"
#define FIXTURE_KEYID      0x70D49E2AE17DC00Aull

extern char **environ;

struct ctx {
	char *dir; /* a fresh temporary directory, removed at teardown */
};

static char *
fixture(const char *name)
{
	return xasprintf("%s/minisign/%s", TEST_DATA_DIR, name);
}

static char *
tmp(void **state, const char *name)
{
	struct ctx *c = *state;

	return xasprintf("%s/%s", c->dir, name);
}

static void
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	buf_reset(out);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0); /* whatever the umask */
	close(fd);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct ctx *c = xcalloc(1, sizeof *c);
	const char *base = getenv("TMPDIR");

	if (crypto_init() != 0)
		return -1;
	c->dir = xasprintf("%s/test_minisign.XXXXXX", base != NULL ? base : "/tmp");
	if (mkdtemp(c->dir) == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	nftw(c->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(c->dir);
	free(c);
	return 0;
}

static void
load_fixture_pubkey(struct minisign_pubkey *pk)
{
	char *path = fixture("test.pub"), *cause = NULL;

	assert_int_equal(minisign_pubkey_load(path, pk, &cause), 0);
	free(path);
}

/* Verifies through the file API; returns the cause (or NULL) and the trusted comment. */
static char *
verify(const struct minisign_pubkey *pk, const char *file, const char *sig, char **trusted)
{
	char *cause = NULL;

	*trusted = NULL;
	if (minisign_verify_file(pk, file, sig, trusted, &cause) == 0) {
		assert_null(cause);
		return NULL;
	}
	assert_non_null(cause);
	assert_null(*trusted);
	return cause;
}

static void
test_pubkey(void **state)
{
	struct minisign_pubkey pk, pk2;
	char *cause = NULL;
	uint64_t id = 0;
	int i;

	(void)state;
	load_fixture_pubkey(&pk);
	for (i = 7; i >= 0; i--)
		id = id << 8 | pk.keyid[i];
	assert_true(id == FIXTURE_KEYID);
	/* The form minisign -P takes. */
	assert_int_equal(minisign_pubkey_parse(FIXTURE_PUBKEY_B64, &pk2, &cause), 0);
	assert_memory_equal(&pk, &pk2, sizeof pk);
	assert_int_equal(minisign_pubkey_parse("RWQKwH3hKp7UcLXI", &pk2, &cause), -1);
	assert_non_null(strstr(cause, "wrong length"));
	free(cause);
	/* "Ez" instead of "Ed". */
	assert_int_equal(
	        minisign_pubkey_parse("RXoKwH3hKp7UcLXI0LBwVKB+99G+3xfKwORWRVjrTr8VE0wTQcqWiF9b",
	                              &pk2, &cause),
	        -1);
	assert_non_null(strstr(cause, "unsupported signature algorithm"));
	free(cause);
}

static void
test_verify_fixtures(void **state)
{
	struct minisign_pubkey pk;
	char *file = fixture("hello.txt"), *tampered = fixture("hello-tampered.txt");
	char *legacy = fixture("hello.txt.legacy.minisig"), *sig = fixture("hello.txt.minisig");
	char *trusted, *cause;

	(void)state;
	load_fixture_pubkey(&pk);
	/* Prehashed (minisign's default), found as hello.txt.minisig. */
	assert_null(verify(&pk, file, NULL, &trusted));
	assert_string_equal(trusted, "cachewarden fixture, prehashed");
	free(trusted);
	assert_null(verify(&pk, file, legacy, &trusted));
	assert_string_equal(trusted, "cachewarden fixture, legacy");
	free(trusted);
	cause = verify(&pk, tampered, sig, &trusted);
	assert_non_null(strstr(cause, "signature verification failed"));
	free(cause);
	cause = verify(&pk, tampered, legacy, &trusted);
	assert_non_null(strstr(cause, "signature verification failed"));
	free(cause);
	cause = verify(&pk, file, tampered, &trusted); /* not a signature */
	assert_non_null(strstr(cause, "hello-tampered.txt: signature: "));
	free(cause);
	free(file);
	free(tampered);
	free(legacy);
	free(sig);
}

/* Runs the streaming verifier over text as the .minisig and msg as the file. */
static int
verify_mem(const struct minisign_pubkey *pk, const char *text, const void *msg, size_t len,
           size_t chunk, char **cause)
{
	struct minisign_verify *v = minisign_verify_init(pk, text, strlen(text), cause);
	const uint8_t *p = msg;
	size_t off, n;
	int rc;

	if (v == NULL)
		return -1;
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		minisign_verify_update(v, p + off, n);
	}
	rc = minisign_verify_final(v, NULL, cause);
	minisign_verify_free(v);
	return rc;
}

static void
expect_bad_sig(const struct minisign_pubkey *pk, const char *text, const char *needle)
{
	char *cause = NULL;

	assert_int_equal(verify_mem(pk, text, "", 0, 1, &cause), -1);
	if (strstr(cause, needle) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
	free(cause);
}

static void
test_malformed_signatures(void **state)
{
	struct minisign_pubkey pk;
	struct buf sig = BUF_INIT, msg = BUF_INIT;
	char *path = fixture("hello.txt.minisig"), *cause = NULL, *tc, *s;

	(void)state;
	load_fixture_pubkey(&pk);
	read_file(path, &sig);
	free(path);
	path = fixture("hello.txt");
	read_file(path, &msg);
	free(path);
	assert_int_equal(verify_mem(&pk, sig.data, msg.data, msg.len, 7, &cause), 0);
	/* A trusted comment changed after signing. */
	tc = strstr(sig.data, "prehashed");
	memcpy(tc, "PREHASHED", 9);
	assert_int_equal(verify_mem(&pk, sig.data, msg.data, msg.len, 7, &cause), -1);
	assert_string_equal(cause, "trusted comment signature verification failed");
	free(cause);
	memcpy(tc, "prehashed", 9);

	expect_bad_sig(&pk, "untrusted comment: x\n", "expected 4 lines");
	s = xstrdup(sig.data);
	s[0] = 'U';
	expect_bad_sig(&pk, s, "comment line missing");
	free(s);
	s = xstrdup(sig.data);
	*strstr(s, "RUQK") = '*';
	expect_bad_sig(&pk, s, "signature: bad base64");
	free(s);
	s = xstrdup(sig.data);
	memcpy(strstr(s, "RUQK"), "RXoK", 4); /* algorithm "Ez" */
	expect_bad_sig(&pk, s, "unsupported signature algorithm");
	free(s);
	s = xstrdup(sig.data);
	*strstr(s, "fixture") = '\x1b';
	expect_bad_sig(&pk, s, "control characters");
	free(s);
	s = xstrdup(sig.data);
	*strrchr(s, '=') = '\0'; /* global signature cut short */
	expect_bad_sig(&pk, s, "global signature: bad base64");
	free(s);
	assert_null(minisign_verify_init(&pk, "untrusted comment: \0x", 21, &cause));
	assert_non_null(strstr(cause, "binary"));
	free(cause);
	/* Another key. */
	pk.keyid[0] ^= 1;
	expect_bad_sig(&pk, sig.data, "signature: made with key 70D49E2AE17DC00A, not with key");
	buf_free(&sig);
	buf_free(&msg);
}

static void
test_fixture_seckey(void **state)
{
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	struct buf key = BUF_INIT;
	char *src = fixture("test.key"), *file = fixture("hello.txt");
	char *key_path = tmp(state, "test.key"), *sig_path = tmp(state, "hello.minisig");
	char *trusted, *cause = NULL;

	load_fixture_pubkey(&pk);
	/* git does not keep mode 0600. */
	read_file(src, &key);
	write_file(key_path, key.data, key.len, 0600);
	assert_int_equal(minisign_seckey_load(key_path, &sk, &cause), 0);
	assert_memory_equal(sk.keyid, pk.keyid, sizeof sk.keyid);
	assert_memory_equal(sk.sk + 32, pk.pk, 32);
	minisign_seckey_wipe(&sk);
	assert_int_equal(minisign_sign_file(key_path, file, sig_path, NULL, &cause), 0);
	assert_null(verify(&pk, file, sig_path, &trusted));
	assert_non_null(strstr(trusted, "\tfile:hello.txt\thashed"));
	assert_true(strncmp(trusted, "timestamp:", 10) == 0);
	free(trusted);

	chmod(key_path, 0640);
	assert_int_equal(minisign_sign_file(key_path, file, sig_path, NULL, &cause), -1);
	assert_non_null(strstr(cause, "accessible by group or others (mode 640)"));
	free(cause);
	buf_free(&key);
	free(src);
	free(file);
	free(key_path);
	free(sig_path);
}

/* Writes the fixture secret key with n bytes of its blob replaced at blob_off. */
static void
write_altered_key(const char *path, size_t blob_off, const char *bytes, size_t n)
{
	uint8_t blob[158];
	struct buf key = BUF_INIT;
	char *src = fixture("test.key"), *nl, *b64, *text;
	size_t len;

	read_file(src, &key);
	nl = strchr(key.data, '\n');
	assert_int_equal(crypto_base64_decode(nl + 1, strlen(nl + 1) - 1, blob, sizeof blob, &len),
	                 0);
	assert_int_equal(len, sizeof blob);
	memcpy(blob + blob_off, bytes, n);
	b64 = crypto_base64_encode(blob, sizeof blob);
	text = xasprintf("untrusted comment: altered\n%s\n", b64);
	write_file(path, text, strlen(text), 0600);
	buf_free(&key);
	free(src);
	free(b64);
	free(text);
}

static void
test_bad_seckeys(void **state)
{
	struct minisign_seckey sk;
	char *path = tmp(state, "altered.key"), *cause = NULL;

	write_altered_key(path, 2, "Sc", 2); /* the kdf of a password-protected key */
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "password-protected"));
	free(cause);
	write_altered_key(path, 70, "\x55", 1); /* in the seed: no longer matches its public half */
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "inconsistent key pair"));
	free(cause);
	write_altered_key(path, 2, "Xx", 2);
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "unsupported key derivation"));
	free(cause);
	write_altered_key(path, 4, "X2", 2);
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "unsupported checksum"));
	free(cause);
	write_file(path, "untrusted comment: x\n", 21, 0600);
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "missing key line"));
	free(cause);
	free(path);
	path = tmp(state, "absent.key");
	assert_int_equal(minisign_seckey_load(path, &sk, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	free(path);
}

static void
test_keygen_sign_verify(void **state)
{
	char *pub = tmp(state, "k.pub"), *sec = tmp(state, "k.key"), *cause = NULL;
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	struct minisign_sign *s;
	struct buf key = BUF_INIT, key2 = BUF_INIT;
	char *text1, *text2;
	uint8_t msg[100000];
	struct stat st;
	size_t i, step;
	static const size_t steps[] = { 1, 3, 64, 4093, 100000 };

	assert_int_equal(minisign_keygen(pub, sec, &cause), 0);
	assert_int_equal(stat(sec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never over an existing key. */
	read_file(sec, &key);
	assert_int_equal(minisign_keygen(pub, sec, &cause), -1);
	assert_non_null(strstr(cause, "File exists"));
	free(cause);
	read_file(sec, &key2);
	assert_int_equal(key.len, key2.len);
	assert_memory_equal(key.data, key2.data, key.len);
	assert_int_equal(minisign_pubkey_load(pub, &pk, &cause), 0);
	assert_int_equal(minisign_seckey_load(sec, &sk, &cause), 0);
	for (i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	/* Ed25519 is deterministic: every chunking gives the same file. */
	s = minisign_sign_init(&sk);
	minisign_sign_update(s, msg, sizeof msg);
	assert_int_equal(minisign_sign_final(s, "fixed comment", &text1, &cause), 0);
	minisign_sign_free(s);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		s = minisign_sign_init(&sk);
		for (step = 0; step < sizeof msg; step += steps[i])
			minisign_sign_update(s, msg + step,
			                     sizeof msg - step < steps[i] ? sizeof msg - step
			                                                  : steps[i]);
		assert_int_equal(minisign_sign_final(s, "fixed comment", &text2, &cause), 0);
		minisign_sign_free(s);
		assert_string_equal(text1, text2);
		free(text2);
		assert_int_equal(verify_mem(&pk, text1, msg, sizeof msg, steps[i], &cause), 0);
	}
	msg[500] ^= 1;
	assert_int_equal(verify_mem(&pk, text1, msg, sizeof msg, 4096, &cause), -1);
	free(cause);
	s = minisign_sign_init(&sk);
	assert_int_equal(minisign_sign_final(s, "two\nlines", &text2, &cause), -1);
	assert_non_null(strstr(cause, "trusted comment"));
	free(cause);
	minisign_sign_free(s);
	minisign_seckey_wipe(&sk);
	free(text1);
	buf_free(&key);
	buf_free(&key2);
	free(pub);
	free(sec);
}

static void
test_own_key_checksum(void **state)
{
	char *pub = tmp(state, "c.pub"), *sec = tmp(state, "c.key"), *cause = NULL, *nl;
	struct minisign_seckey sk;
	struct buf key = BUF_INIT;
	uint8_t blob[158];
	size_t len;
	char *b64, *text;

	assert_int_equal(minisign_keygen(pub, sec, &cause), 0);
	read_file(sec, &key);
	nl = strchr(key.data, '\n');
	assert_int_equal(crypto_base64_decode(nl + 1, strlen(nl + 1) - 1, blob, sizeof blob, &len),
	                 0);
	blob[157] ^= 1; /* last checksum byte */
	b64 = crypto_base64_encode(blob, sizeof blob);
	text = xasprintf("untrusted comment: x\n%s\n", b64);
	write_file(sec, text, strlen(text), 0600);
	assert_int_equal(minisign_seckey_load(sec, &sk, &cause), -1);
	assert_non_null(strstr(cause, "checksum mismatch"));
	free(cause);
	free(b64);
	free(text);
	buf_free(&key);
	free(pub);
	free(sec);
}

static void
test_large_file(void **state)
{
	char *pub = tmp(state, "l.pub"), *sec = tmp(state, "l.key"), *file = tmp(state, "big.bin");
	const size_t len = 3 * 1024 * 1024 + 17;
	struct minisign_pubkey pk;
	uint8_t *data = xmalloc(len);
	char *cause = NULL, *trusted;
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i ^ (i >> 9));
	write_file(file, data, len, 0644);
	assert_int_equal(minisign_keygen(pub, sec, &cause), 0);
	assert_int_equal(minisign_pubkey_load(pub, &pk, &cause), 0);
	assert_int_equal(minisign_sign_file(sec, file, NULL, "nightly 2024-01-01", &cause), 0);
	assert_null(verify(&pk, file, NULL, &trusted));
	assert_string_equal(trusted, "nightly 2024-01-01");
	free(trusted);
	data[len - 1] ^= 1;
	write_file(file, data, len, 0644);
	cause = verify(&pk, file, NULL, &trusted);
	assert_non_null(strstr(cause, "big.bin: signature verification failed"));
	free(cause);
	free(data);
	free(pub);
	free(sec);
	free(file);
}

static void
test_legacy_size_limit(void **state)
{
	struct minisign_pubkey pk;
	struct minisign_verify *v;
	struct buf sig = BUF_INIT;
	char *path = fixture("hello.txt.legacy.minisig"), *cause = NULL;
	uint8_t *chunk = xcalloc(1, 1024 * 1024);
	size_t i;

	(void)state;
	load_fixture_pubkey(&pk);
	read_file(path, &sig);
	v = minisign_verify_init(&pk, sig.data, sig.len, &cause);
	assert_non_null(v);
	for (i = 0; i <= MINISIGN_LEGACY_MAX / (1024 * 1024); i++)
		minisign_verify_update(v, chunk, 1024 * 1024);
	assert_int_equal(minisign_verify_final(v, NULL, &cause), -1);
	assert_non_null(strstr(cause, "legacy (non-prehashed) signature over more than"));
	free(cause);
	minisign_verify_free(v);
	buf_free(&sig);
	free(chunk);
	free(path);
}

/* Runs argv with stdin and stdout on /dev/null; returns its exit status, or -1. */
static int
run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
minisign_on_path(void)
{
	const char *dir = getenv("PATH"), *end;
	char *exe;
	int found = 0;

	while (dir != NULL && *dir != '\0' && !found) {
		end = strchr(dir, ':');
		if (end == NULL)
			end = dir + strlen(dir);
		exe = xasprintf("%.*s/minisign", (int)(end - dir), dir);
		found = access(exe, X_OK) == 0;
		free(exe);
		dir = *end == ':' ? end + 1 : end;
	}
	return found;
}

static void
test_minisign_binary_interop(void **state)
{
	char *pub, *sec, *file, *ours, *theirs, *cause = NULL, *trusted;
	struct minisign_pubkey pk;

	/* Not skip(): cmocka 1.1.5 prints a skip as "not ok N # SKIP", which
	 * automake's tap-driver.sh counts as a failure. */
	if (!minisign_on_path()) {
		print_message("# SKIP: minisign is not on PATH, interop with the minisign binary "
		              "not checked\n");
		return;
	}
	pub = tmp(state, "i.pub");
	sec = tmp(state, "i.key");
	file = tmp(state, "i.txt");
	ours = tmp(state, "i.ours.minisig");
	theirs = tmp(state, "i.theirs.minisig");
	write_file(file, "interop\n", 8, 0644);
	assert_int_equal(minisign_keygen(pub, sec, &cause), 0);
	assert_int_equal(minisign_pubkey_load(pub, &pk, &cause), 0);
	/* minisign verifies what we sign ... */
	assert_int_equal(minisign_sign_file(sec, file, ours, "made by cachewarden", &cause), 0);
	{
		char *argv[] = { "minisign", "-V", "-q", "-p", pub, "-m", file, "-x", ours, NULL };

		assert_int_equal(run(argv), 0);
		write_file(file, "interoP\n", 8, 0644);
		assert_int_not_equal(run(argv), 0);
		write_file(file, "interop\n", 8, 0644);
	}
	/* ... and signs with the secret key we wrote, for us to verify. */
	{
		char *argv[] = { "minisign", "-S", "-s",   sec,  "-m",
			         file,       "-x", theirs, "-t", "made by minisign",
			         NULL };

		assert_int_equal(run(argv), 0);
	}
	assert_null(verify(&pk, file, theirs, &trusted));
	assert_string_equal(trusted, "made by minisign");
	free(trusted);
	free(pub);
	free(sec);
	free(file);
	free(ours);
	free(theirs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pubkey),
		cmocka_unit_test(test_verify_fixtures),
		cmocka_unit_test(test_malformed_signatures),
		cmocka_unit_test(test_fixture_seckey),
		cmocka_unit_test(test_bad_seckeys),
		cmocka_unit_test(test_keygen_sign_verify),
		cmocka_unit_test(test_own_key_checksum),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_legacy_size_limit),
		cmocka_unit_test(test_minisign_binary_interop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
