/* digestauth/authz.h - the Digest credentials header and the challenge (RFC 7616).
 *
 * digest_authz_parse() reads the value of an Authorization or
 * Proxy-Authorization header ("Digest username=..., ...", with or without
 * the header name in front) into a struct digest_authz.  Every string in
 * the result is an unescaped copy with an explicit length (and a NUL after
 * it for convenience), held in one buffer that the struct owns: nothing
 * points into the caller's input, which may be freed as soon as
 * digest_authz_parse() returns.  digest_authz_clear() releases the buffer.
 *
 * digest_challenge() builds one WWW-Authenticate or Proxy-Authenticate header
 * line for one algorithm; a server sends one per algorithm it offers, the
 * preferred one first.
 *
 * The grammar is RFC 7235 section 2.1 (credentials = auth-scheme 1*SP
 * #auth-param; auth-param = token BWS "=" BWS ( token / quoted-string )) with
 * the list rules of RFC 7230 section 7 (empty list elements are allowed).
 * Values are accepted quoted or as tokens whatever RFC 7616 says a sender
 * must use: Python's urllib quotes algorithm, curl does not, and Squid
 * accepts both.  Unknown parameters are ignored (RFC 7616 section 3.4).
 *
 * Part of the public API of libdigestauth (digestauth_authz(3)).
 */
#ifndef DIGESTAUTH_AUTHZ_H
#define DIGESTAUTH_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest header accepted, field name included: twice Squid's 8 KiB request
 * line, room for a long uri. */
#define DIGEST_AUTHZ_MAX_LEN 16384

/* More parameters than this is not a client, it is an attack on the parser. */
#define DIGEST_AUTHZ_MAX_PARAMS 64

/* qop values; a challenge offers a set of them (bits), credentials use one. */
#define DIGEST_QOP_NONE		0u	/* RFC 2069 compatibility: no qop */
#define DIGEST_QOP_AUTH		1u
#define DIGEST_QOP_AUTH_INT	2u

enum digest_authz_header {
	DIGEST_AUTHZ_HDR_NONE,		/* the value alone: "Digest ..." */
	DIGEST_AUTHZ_HDR_AUTHORIZATION,
	DIGEST_AUTHZ_HDR_PROXY,	/* Proxy-Authorization */
};

struct digest_authz {
	/* which field name preceded the value */
	enum digest_authz_header header;
	/* The user name: from username, or decoded from username* (RFC 5987,
	 * UTF-8 only; username_ext is then true), or the hex hash when
	 * userhash is true. */
	struct digest_str username;
	bool username_ext;
	bool userhash;			/* userhash=true (RFC 7616 3.4.4) */
	struct digest_str realm;
	struct digest_str nonce;
	struct digest_str uri;
	struct digest_str response;	/* hex, as sent (either case) */
	struct digest_str cnonce;	/* p == NULL when absent */
	struct digest_str opaque;	/* p == NULL when absent */
	struct digest_str nc;		/* 8 hex digits; p == NULL if absent */
	uint32_t nc_value;		/* nc as a number; 0 when absent */
	struct digest_str qop;		/* "auth"/"auth-int" as sent; p == NULL
					 * when absent */
	unsigned qop_type;		/* DIGEST_QOP_* */
	const struct digest_alg *alg;	/* MD5 when algorithm is absent */

	/* private */
	char *buf;			/* owns every string above */
	size_t bufsize;
	char errbuf[160];		/* why digest_authz_parse() failed */
};

/* Parse in[0..len).  Leading and trailing whitespace and line ends are
 * ignored; any other control byte (NUL, CR, LF, ...) is refused.  Returns 0
 * and fills *a (the caller then owns a->buf and must call
 * digest_authz_clear()).
 * On failure returns -1, frees what it allocated and sets *err_r to a
 * one-line reason stored in a->errbuf: it lives as long as *a and is safe to
 * log (untrusted bytes are escaped).  *a is overwritten either way; it need
 * not be initialised. */
DIGESTAUTH_API
int digest_authz_parse(struct digest_authz *a, const char *in, size_t len,
    const char **err_r);

/* Wipe and free the strings of a parsed header; *a is zeroed.  A zeroed or
 * failed struct is fine. */
DIGESTAUTH_API
void digest_authz_clear(struct digest_authz *a);

/* The request-digest this header should carry, from the stored HA1
 * H(user ":" realm ":" password) (turned into the session HA1 for "-sess"
 * algorithms), the request method and, for qop=auth-int, H(entity-body) as
 * hex (hentity_hex; ignored otherwise, required then).  hex_r must hold
 * DIGEST_HEX_MAX + 1 bytes.  Returns 0 or -1. */
DIGESTAUTH_API
int digest_authz_expected(const struct digest_authz *a, const char *ha1_hex,
    struct digest_str method, const char *hentity_hex, char *hex_r);

/* true when the header's response equals want_hex (lowercase, as made by
 * digest_authz_expected()), case-insensitively and in constant time. */
DIGESTAUTH_API
bool digest_authz_response_equal(const struct digest_authz *a,
    const char *want_hex);

/* With userhash=true: true when the header's username is
 * H(user ":" realm) for this user (constant time). */
DIGESTAUTH_API
bool digest_authz_userhash_matches(const struct digest_authz *a,
    struct digest_str user);

struct digest_challenge {
	const char *realm;		/* required; quoted and escaped */
	const struct digest_alg *alg;	/* required */
	const char *nonce;		/* required */
	const char *opaque;		/* NULL: no opaque */
	unsigned qop;			/* DIGEST_QOP_* bits; NONE: no qop */
	bool proxy;			/* Proxy-Authenticate (407) */
	bool stale;			/* stale=true */
	bool userhash;			/* userhash=true */
};

/* Build one header line, without CRLF:
 *   WWW-Authenticate: Digest realm="R", qop="auth,auth-int", algorithm=A,
 *       nonce="N"[, opaque="O"][, stale=true], charset=UTF-8[, userhash=true]
 * Returns 0 and *line_r (NUL-terminated, owned by the caller: free()).
 * Returns -1 with *err_r a static reason when a value holds a control
 * character, a required field is missing or memory runs out. */
DIGESTAUTH_API
int digest_challenge(const struct digest_challenge *c, char **line_r,
    const char **err_r);

/* Parse a qop list as given on a command line: "auth", "auth-int",
 * "auth,auth-int" or "none".  Returns 0 and *qop_r (DIGEST_QOP_* bits),
 * or -1. */
DIGESTAUTH_API
int digest_qop_list(const char *s, unsigned *qop_r);

#ifdef __cplusplus
}
#endif

#endif
