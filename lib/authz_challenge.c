/* authz_challenge.c - the server's side: a WWW-Authenticate or
 * Proxy-Authenticate challenge (RFC 7616 section 3.3), and the qop list a
 * command line offers in one. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authz.h"
#include "authz_priv.h"

/* The line is built twice: once with p == NULL to measure and check it,
 * then into one allocation of that size.  A library does not exit when
 * memory runs out, so nothing here may grow a buffer. */
struct line {
	char *p;
	size_t len;
};

static int put_line(struct line *, const struct digest_challenge *,
    const char **);
static int put_quoted(struct line *, const char *);
static void put(struct line *, const char *, size_t);
static void put_str(struct line *, const char *);
static void put_qop(struct line *, unsigned);

static void
put(struct line *b, const char *s, size_t n)
{
	if (b->p != NULL)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
put_str(struct line *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A quoted-string with '"' and '\' escaped; control bytes are refused. */
static int
put_quoted(struct line *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '"' || c == '\\')
			put(b, "\\", 1);
		put(b, s, 1);
	}
	put(b, "\"", 1);
	return 0;
}

/* ", qop=..." for the DIGEST_QOP_* bits set; nothing for none. */
static void
put_qop(struct line *b, unsigned qop)
{
	if ((qop & (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT)) ==
	    (DIGEST_QOP_AUTH | DIGEST_QOP_AUTH_INT))
		put_str(b, ", qop=\"auth,auth-int\"");
	else if (qop & DIGEST_QOP_AUTH)
		put_str(b, ", qop=\"auth\"");
	else if (qop & DIGEST_QOP_AUTH_INT)
		put_str(b, ", qop=\"auth-int\"");
}

/* The whole header line, NUL included. */
static int
put_line(struct line *b, const struct digest_challenge *c, const char **err_r)
{
	put_str(b, c->proxy ? "Proxy-Authenticate: Digest realm=" :
	    "WWW-Authenticate: Digest realm=");
	if (put_quoted(b, c->realm) < 0) {
		*err_r = "the realm holds a control character";
		return -1;
	}
	put_qop(b, c->qop);
	put_str(b, ", algorithm=");
	put_str(b, c->alg->name);
	put_str(b, ", nonce=");
	if (put_quoted(b, c->nonce) < 0) {
		*err_r = "the nonce holds a control character";
		return -1;
	}
	if (c->opaque != NULL) {
		put_str(b, ", opaque=");
		if (put_quoted(b, c->opaque) < 0) {
			*err_r = "the opaque value holds a control character";
			return -1;
		}
	}
	if (c->stale)
		put_str(b, ", stale=true");
	put_str(b, ", charset=UTF-8");
	if (c->userhash)
		put_str(b, ", userhash=true");
	put(b, "", 1);
	return 0;
}

int
digest_challenge(const struct digest_challenge *c, char **line_r,
    const char **err_r)
{
	struct line b = { NULL, 0 };

	*line_r = NULL;
	if (c->realm == NULL || c->alg == NULL || c->nonce == NULL) {
		*err_r = "a challenge needs a realm, an algorithm and a nonce";
		return -1;
	}
	if (put_line(&b, c, err_r) < 0)
		return -1;
	if ((b.p = malloc(b.len)) == NULL) {
		*err_r = "out of memory";
		return -1;
	}
	b.len = 0;
	(void)put_line(&b, c, err_r);
	*line_r = b.p;
	return 0;
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
