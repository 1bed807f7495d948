/* authz_priv.h - what the lib/authz*.c files share; nothing else includes it.
 *
 * The work of authz.h is split by concern:
 *
 *   authz_parse.c      the Authorization header: field name, scheme, and the
 *                      #auth-param list, split and unescaped into a parser
 *   authz_check.c      what RFC 7616 section 3.4 requires of those values,
 *                      and filling the struct digest_authz from them
 *   authz_challenge.c  WWW-Authenticate / Proxy-Authenticate lines and the
 *                      qop list of a command line
 *   authz.c            the expected response and comparing it
 */
#ifndef DH_AUTHZ_PRIV_H
#define DH_AUTHZ_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "authz.h"

/* The parameters RFC 7616 section 3.4 defines for credentials. */
enum authz_param_id {
	P_USERNAME, P_USERNAME_EXT, P_REALM, P_NONCE, P_URI, P_RESPONSE,
	P_ALGORITHM, P_CNONCE, P_OPAQUE, P_QOP, P_NC, P_USERHASH,
	P_COUNT
};

/* Their names as sent, indexed by enum authz_param_id. */
extern const char *const authz_param_names[P_COUNT];

/* One value as found, unescaped into the struct digest_authz's buffer. */
struct authz_pval {
	char *p;
	size_t n;
	bool quoted;
	bool seen;
};

struct authz_parser {
	struct digest_authz *a;
	const char *in;		/* start of the input, for offsets */
	size_t used;		/* bytes of a->buf in use */
	struct authz_pval vals[P_COUNT];
};

/* Set a->errbuf to the reason, free a->buf, return -1: every parse or
 * check failure goes through here.  An argument may point into a->buf. */
int authz_fail(struct digest_authz *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The length of the RFC 7230 section 3.2.6 token at p (0 if none). */
size_t authz_span_token(const char *p, const char *end);

/* Step *pp over optional whitespace (OWS: spaces and tabs). */
void authz_skip_ows(const char **pp, const char *end);

/* Check the parsed values (authz_check.c) and fill ps->a from them.
 * Returns 0, or -1 through authz_fail(). */
int authz_validate(struct authz_parser *ps);

#endif
