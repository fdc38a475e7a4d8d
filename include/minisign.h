/*
 * minisign: key and signature files in the format of minisign
 * (jedisct1/minisign), so that the agent's signatures check out with the
 * stock `minisign -V` and key pairs made with `minisign -G -W` serve the
 * agent. Each file is a comment line and a line of base64:
 *
 *   public key  "Ed" | key id (8) | Ed25519 public key (32)
 *   secret key  "Ed" | kdf "\0\0" | "B2" | salt (32) | opslimit (8) | memlimit (8)
 *               | key id (8) | Ed25519 secret key (64) | checksum (32)
 *   signature   "ED" | key id (8) | Ed25519 signature of BLAKE2b-512(file) (64)
 *               (or "Ed" and a signature of the file itself: minisign's legacy
 *               mode), then "trusted comment: TEXT" and, in base64, the
 *               signature of the 64 signature bytes followed by TEXT.
 *
 * Secret keys are unencrypted (kdf "\0\0"), exactly what `minisign -G -W`
 * writes; the checksum is BLAKE2b-256 of "Ed" | key id | secret key. minisign
 * leaves it zero in unencrypted keys: we write it, and check it when it is
 * not zero. Password-protected keys are refused (`minisign -C -W` removes the
 * password). A secret key file that group or others may access is refused.
 *
 * Signing is always prehashed ("ED"), so a file is read once in chunks; the
 * sign and verify contexts are fed like the other checkers (init, update
 * with each chunk, final). Legacy "Ed" signatures need the whole file in
 * memory: they are verified for files up to MINISIGN_LEGACY_MAX bytes only.
 *
 * Call crypto_init() once before any of this. Functions returning int give 0,
 * or -1 and *cause (the caller frees it).
 */
#ifndef CW_MINISIGN_H
#define CW_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_LEN  8
#define MINISIGN_LEGACY_MAX (64u << 20)

struct minisign_pubkey {
	uint8_t keyid[MINISIGN_KEYID_LEN];
	uint8_t pk[32];
};

/* Holds a secret: wipe it with minisign_seckey_wipe when done. */
struct minisign_seckey {
	uint8_t keyid[MINISIGN_KEYID_LEN];
	uint8_t sk[64];
};

/*
 * Makes a key pair and writes it to two new files (existing files are not
 * replaced): the secret key with mode 0600, the public key with 0644.
 */
int minisign_keygen(const char *pub_path, const char *sec_path, char **cause);

/* Reads a public key file, or the base64 line of one (as minisign -P takes it). */
int minisign_pubkey_load(const char *path, struct minisign_pubkey *pk, char **cause);
int minisign_pubkey_parse(const char *b64, struct minisign_pubkey *pk, char **cause);
int minisign_seckey_load(const char *path, struct minisign_seckey *sk, char **cause);
void minisign_seckey_wipe(struct minisign_seckey *sk);

/*
 * Streaming signer (prehashed "ED" mode). final returns the text of a
 * .minisig file in *sigtext (the caller frees it); trusted_comment is one
 * line of printable text (UTF-8 allowed), or NULL for "timestamp:N\thashed".
 * final may be called once; the context copies sk and wipes it on free.
 */
struct minisign_sign;

struct minisign_sign *minisign_sign_init(const struct minisign_seckey *sk);
void minisign_sign_update(struct minisign_sign *s, const void *data, size_t len);
int minisign_sign_final(struct minisign_sign *s, const char *trusted_comment, char **sigtext,
                        char **cause);
void minisign_sign_free(struct minisign_sign *s);

/*
 * Signs the file at path with the secret key file, reading it once, and
 * writes sig_path (NULL: path + ".minisig") through a temporary file and
 * rename. trusted_comment NULL gives minisign's own default,
 * "timestamp:N\tfile:NAME\thashed".
 */
int minisign_sign_file(const char *sec_path, const char *path, const char *sig_path,
                       const char *trusted_comment, char **cause);

/*
 * Streaming verifier. init parses the .minisig text and fails at once on a
 * malformed file or a key id that is not pk's. final checks the file's
 * signature, then the trusted comment's; on success *trusted_comment (if
 * not NULL) receives the comment, which the caller frees.
 */
struct minisign_verify;

struct minisign_verify *minisign_verify_init(const struct minisign_pubkey *pk, const char *sigtext,
                                             size_t siglen, char **cause);
void minisign_verify_update(struct minisign_verify *v, const void *data, size_t len);
int minisign_verify_final(struct minisign_verify *v, char **trusted_comment, char **cause);
void minisign_verify_free(struct minisign_verify *v);

/* Verifies the file at path against sig_path (NULL: path + ".minisig"). */
int minisign_verify_file(const struct minisign_pubkey *pk, const char *path, const char *sig_path,
                         char **trusted_comment, char **cause);

#endif
