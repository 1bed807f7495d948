/* digestauth/digest.h - HTTP Digest hashing (RFC 2617, RFC 7616) over OpenSSL EVP.
 *
 * The algorithm is data: a table row names the EVP digest, its length and
 * whether it is a "-sess" variant, so callers never branch on algorithms.
 * Hex output is lowercase.  Secrets are hashed from their pieces; no
 * function here joins a password into a buffer.
 *
 * Not thread-safe: one EVP context per process is reused (the helpers are
 * single-threaded, including the asynchronous LDAP loop); a threaded caller
 * serialises every call that hashes.  Part of the public API of
 * libdigestauth (digestauth_digest(3)).
 */
#ifndef DIGESTAUTH_DIGEST_H
#define DIGESTAUTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DIGEST_MAX_LEN 32			/* SHA-256 and SHA-512/256 */
#define DIGEST_HEX_MAX (2 * DIGEST_MAX_LEN)	/* hex digits, without NUL */

/* An algorithm of RFC 7616 section 3.2; the library owns these (read only). */
struct digest_alg {
	const char *name;	/* as written in the header: "MD5-sess" */
	const char *evp_name;	/* OpenSSL's name for the hash */
	size_t len;		/* digest bytes; hex is twice that */
	bool sess;		/* H(A1) is re-hashed with nonce and cnonce */
};

/* A byte string that need not be NUL-terminated. */
struct digest_str {
	const char *p;
	size_t n;
};

/* A digest_str of a string literal, and of a C string (NULL gives "").
 * DIGEST_STR is a C99 compound literal, so C only; from C++ use
 * digest_str_c(), or digest_str{ s, sizeof(s) - 1 }. */
#define DIGEST_STR(s) ((struct digest_str){ (s), sizeof(s) - 1 })
DIGESTAUTH_API
struct digest_str digest_str_c(const char *s);

/* Case-insensitive lookup by header name; NULL when unknown. */
DIGESTAUTH_API
const struct digest_alg *digest_alg_find(const char *name, size_t len);
/* The default algorithm (MD5), used when a header names none. */
DIGESTAUTH_API
const struct digest_alg *digest_alg_md5(void);

/* Check once at start that the hash of alg is usable (FIPS builds may
 * refuse MD5).  Returns 0, or -1 with *err_r set to a static message. */
DIGESTAUTH_API
int digest_check(const struct digest_alg *alg, const char **err_r);

/* hex_r = H(part[0] ":" part[1] ":" ... part[n-1]), lowercase, NUL-ended;
 * hex_r must hold DIGEST_HEX_MAX + 1 bytes.  Returns 0 or -1. */
DIGESTAUTH_API
int digest_hash_parts(const struct digest_alg *alg,
    const struct digest_str *parts, size_t nparts, char *hex_r);

/* HA1 as in RFC 2617 DigestCalcHA1:
 *   H(user ":" realm ":" password)
 * and for "-sess" algorithms
 *   H( H(user ":" realm ":" password) ":" nonce ":" cnonce ).
 * nonce and cnonce are ignored unless alg->sess.  Returns 0 or -1. */
DIGESTAUTH_API
int digest_ha1(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, struct digest_str password,
    struct digest_str nonce, struct digest_str cnonce, char *hex_r);

/* Turn a stored H(user:realm:password) into the session HA1 for "-sess"
 * algorithms; a plain copy otherwise.  Returns 0 or -1. */
DIGESTAUTH_API
int digest_ha1_session(const struct digest_alg *alg, const char *ha1_hex,
    struct digest_str nonce, struct digest_str cnonce, char *hex_r);

/* request-digest as in RFC 2617 DigestCalcResponse:
 *   qop absent:        KD(HA1, nonce ":" H(A2))
 *   qop auth/auth-int: KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" H(A2))
 *   A2 = method ":" uri            (qop absent or auth)
 *   A2 = method ":" uri ":" H(body) (auth-int; hentity_hex is H(body))
 * ha1_hex is the (session) HA1.  qop.p == NULL means no qop. */
DIGESTAUTH_API
int digest_response(const struct digest_alg *alg, const char *ha1_hex,
    struct digest_str nonce, struct digest_str nc, struct digest_str cnonce,
    struct digest_str qop, struct digest_str method, struct digest_str uri,
    const char *hentity_hex, char *hex_r);

/* RFC 7616 3.4.4 userhash: hex_r = H(unq(username) ":" unq(realm)).
 * hex_r must hold DIGEST_HEX_MAX + 1 bytes.  Returns 0 or -1. */
DIGESTAUTH_API
int digest_userhash(const struct digest_alg *alg, struct digest_str user,
    struct digest_str realm, char *hex_r);

/* H(entity-body) for qop=auth-int: hash everything readable from fd until
 * end of file (fd is read, not closed).  Returns 0, or -1 with *err_r set
 * to a static message (read error, or hashing failed). */
DIGESTAUTH_API
int digest_hash_fd(const struct digest_alg *alg, int fd, char *hex_r,
    const char **err_r);

/* true when s holds exactly alg->len * 2 hex digits (either case). */
DIGESTAUTH_API
bool digest_is_hex(const struct digest_alg *alg, const char *s, size_t n);

/* Copy n hex digits in lowercase into out and NUL-terminate it. */
DIGESTAUTH_API
void digest_hex_lower(const char *in, size_t n, char *out);

/* true when got holds the same hex digits as want_hex (lowercase, as the
 * functions above write them), got in either case; compared in constant
 * time, so a response check leaks nothing through timing.  false when
 * got.p is NULL or the lengths differ. */
DIGESTAUTH_API
bool digest_hex_equal(struct digest_str got, const char *want_hex);

/* Release the cached OpenSSL objects (tests and valgrind runs). */
DIGESTAUTH_API
void digest_cleanup(void);

#ifdef __cplusplus
}
#endif

#endif
