/* authz_challenge.c - the server's side: a WWW-Authenticate or
 * Proxy-Authenticate challenge (RFC 7616 section 3.3), and the qop list a
 * command line offers in one. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "authz.h"
#include "authz_priv.h"
#include "obuf.h"

static int put_quoted(struct obuf *, const char *);
static void put_str(struct obuf *, const char *);
static void put_qop(struct obuf *, unsigned);

/* A quoted-string with '"' and '\' escaped; control bytes are refused. */
static int
put_quoted(struct obuf *b, const char *s)
{
	obuf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '"' || c == '\\')
			obuf_append(b, "\\", 1);
		obuf_append(b, s, 1);
	}
	obuf_append(b, "\"", 1);
	return 0;
}

static void
put_str(struct obuf *b, const char *s)
{
	obuf_append(b, s, strlen(s));
}

/* ", qop=..." for the DIGEST_QOP_* bits set; nothing for none. */
static void
put_qop(struct obuf *b, unsigned qop)
{
	if ((qop & (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT)) ==
	    (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT))
		put_str(b, ", qop=\"auth,auth-int\"");
	else if (qop & DIGEST_QOP_AUTH)
		put_str(b, ", qop=\"auth\"");
	else if (qop & DIGEST_QOP_AUTH_INT)
		put_str(b, ", qop=\"auth-int\"");
}

int
digest_challenge(const struct digest_challenge *c, char **line_r,
    const char **err_r)
{
	struct obuf b = { NULL, 0, 0 };

	*line_r = NULL;
	if (c->realm == NULL || c->alg == NULL || c->nonce == NULL) {
		*err_r = "a challenge needs a realm, an algorithm and a nonce";
		return -1;
	}
	put_str(&b, c->proxy ? "Proxy-Authenticate: Digest realm=" :
	    "WWW-Authenticate: Digest realm=");
	if (put_quoted(&b, c->realm) < 0) {
		*err_r = "the realm holds a control character";
		goto bad;
	}
	put_qop(&b, c->qop);
	put_str(&b, ", algorithm=");
	put_str(&b, c->alg->name);
	put_str(&b, ", nonce=");
	if (put_quoted(&b, c->nonce) < 0) {
		*err_r = "the nonce holds a control character";
		goto bad;
	}
	if (c->opaque != NULL) {
		put_str(&b, ", opaque=");
		if (put_quoted(&b, c->opaque) < 0) {
			*err_r = "the opaque value holds a control character";
			goto bad;
		}
	}
	if (c->stale)
		put_str(&b, ", stale=true");
	put_str(&b, ", charset=UTF-8");
	if (c->userhash)
		put_str(&b, ", userhash=true");
	obuf_append(&b, "", 1);
	*line_r = b.p;
	return 0;
bad:
	obuf_free(&b);
	return -1;
}

int
digest_qop_list(const char *s, unsigned *qop_r)
{
	const char *p = s, *end = s + strlen(s);
	unsigned qop = 0;

	*qop_r = 0;
	if (strcasecmp(s, "none") == 0)
		return 0;
	for (;;) {
		size_t n;

		authz_skip_ows(&p, end);
		n = authz_span_token(p, end);
		if (n == 4 && strncasecmp(p, "auth", 4) == 0)
			qop |= DIGEST_QOP_AUTH;
		else if (n == 8 && strncasecmp(p, "auth-int", 8) == 0)
			qop |= DIGEST_QOP_AUTH_INT;
		else
			return -1;
		p += n;
		authz_skip_ows(&p, end);
		if (p == end)
			break;
		if (*p++ != ',')
			return -1;
	}
	*qop_r = qop;
	return 0;
}
