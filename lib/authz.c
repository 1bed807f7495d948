/* authz.c - check a parsed Digest header's response (RFC 7616 section 3.4.1).
 *
 * The rest of authz.h lives beside it, one concern a file (authz_priv.h
 * lists them): authz_parse.c reads the header, authz_check.c checks its
 * values, authz_challenge.c writes challenges. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "authz.h"
#include "digest.h"
#include "secret.h"

int
digest_authz_expected(const struct digest_authz *a, const char *ha1_hex,
    struct digest_str method, const char *hentity_hex, char *hex_r)
{
	char ha1[DIGEST_HEX_MAX + 1], sess[DIGEST_HEX_MAX + 1];
	int rc = -1;

	hex_r[0] = '\0';
	if (a->alg == NULL || !digest_is_hex(a->alg, ha1_hex, strlen(ha1_hex)))
		return -1;
	if (a->qop_type == DIGEST_QOP_AUTH_INT &&
	    (hentity_hex == NULL || !digest_is_hex(a->alg, hentity_hex,
	    strlen(hentity_hex))))
		return -1;
	/* KD hashes the hex text: it must be lowercase, as RFC 7616 says. */
	digest_hex_lower(ha1_hex, 2 * a->alg->len, ha1);
	if (digest_ha1_session(a->alg, ha1, a->nonce, a->cnonce, sess) == 0)
		rc = digest_response(a->alg, sess, a->nonce, a->nc, a->cnonce,
		    a->qop, method, a->uri, a->qop_type == DIGEST_QOP_AUTH_INT ?
		    hentity_hex : NULL, hex_r);
	secret_wipe(ha1, sizeof(ha1));
	secret_wipe(sess, sizeof(sess));
	return rc;
}

bool
digest_authz_response_equal(const struct digest_authz *a, const char *want_hex)
{
	return digest_hex_equal(a->response, want_hex);
}

bool
digest_authz_userhash_matches(const struct digest_authz *a,
    struct digest_str user)
{
	char hex[DIGEST_HEX_MAX + 1];

	if (!a->userhash || digest_userhash(a->alg, user, a->realm, hex) < 0)
		return false;
	return digest_hex_equal(a->username, hex);
}
